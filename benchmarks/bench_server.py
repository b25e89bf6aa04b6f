"""Measure fakeserver against the servers tests commonly use instead.

Run from anywhere (it needs only the standard library; the pytest-based
peers are measured when they are installed)::

    python3 benchmarks/bench_server.py            # full run, about 1-2 minutes
    python3 benchmarks/bench_server.py --quick    # smoke run, under ten seconds
    python3 benchmarks/bench_server.py --only keepalive,throughput

Every scenario runs all servers in one process, interleaved: each repetition
visits every server once, in a rotating order, so that machine noise hits
all of them alike. The peers are:

``stdlib``
    The floor: ``http.server.ThreadingHTTPServer`` with an HTTP/1.1
    ``BaseHTTPRequestHandler`` answering directly, no WSGI. It is the stdlib
    at its best: ``TCP_NODELAY`` on (``disable_nagle_algorithm``) and a
    listen backlog of 128, so that it pays neither the 40 ms Nagle stall
    nor refused connects.
``wsgiref``
    The classic recipe: ``wsgiref.simple_server.make_server`` plus
    ``serve_forever`` in a thread; ``shutdown()`` and ``server_close()``.
``pytest-httpserver`` and ``pytest-localserver``
    As their users get them by default (both single-threaded, HTTP/1.0).

The HTTPS rows run the servers that can serve TLS with the certificate
bundled with fakeserver (``fakeserver.tls.CERT_FILE`` and ``KEY_FILE``):
``AppRunner(tls=True)``, the stdlib floor with its listening socket wrapped
(so each handshake runs in its accept loop), and the pytest servers given an
``ssl_context``. The client trusts ``fakeserver.CA_FILE``.

A server (a column) is an entry in ``SERVERS``: a factory taking ``tls``
and returning ``(url, stop)``. A scenario (one or more rows) is an entry in
``SCENARIOS``; its HTTPS variant is the same function registered again with
``tls=True``, which hands it the servers' TLS factories.

The peers' ``shutdown()`` waits out a half-second poll, which is most of
the quick run. The targets at the end are computed
from the measured numbers; the exit status is 1 if one of them fails.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import gc
import http.client
import http.server
import importlib.metadata
import io
import logging
import os
import platform
import ssl
import statistics
import sys
import threading
import time
import tracemalloc
import urllib.parse
from typing import Any, Callable, Iterator
from wsgiref import simple_server

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BODY = b"Hello, world!"  # 13 bytes, the answer to every GET
PIECE = 64 * 1024  # upload write and read size
CLIENT_TIMEOUT = 10.0  # seconds; bounds every client socket operation
MB = 1024 * 1024

Stop = Callable[[], None]
Start = Callable[..., "tuple[str, Stop]"]  # start(tls=False)


def bench_app(environ: dict, start_response: Callable) -> list[bytes]:
    """The WSGI app all servers run: GET answers BODY, POST counts the body."""
    if environ["REQUEST_METHOD"] == "POST":
        stream = environ["wsgi.input"]
        remaining = int(environ.get("CONTENT_LENGTH") or 0)
        received = 0
        while remaining > 0:
            piece = stream.read(min(PIECE, remaining))
            if not piece:
                break
            received += len(piece)
            remaining -= len(piece)
        body = str(received).encode()
    else:
        body = BODY
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]


# -- servers --------------------------------------------------------------


@dataclasses.dataclass
class ServerSpec:
    name: str  # for --only
    label: str  # table column
    start: Start  # returns once it accepts
    uploads: bool = True  # can stream a request body to the app
    tls: bool = False  # start(tls=True) serves HTTPS
    note: str = ""
    requires: str = ""  # module that must import, else skipped

    def over_tls(self) -> "ServerSpec":
        """This server with a start() that serves HTTPS."""
        return dataclasses.replace(self, start=functools.partial(self.start, tls=True))


SERVERS: list[ServerSpec] = []


def server(name: str, label: str, **kwargs: Any) -> Callable:
    def register(start: Start) -> Start:
        SERVERS.append(ServerSpec(name, label, start, **kwargs))
        return start
    return register


def peer_ssl_context() -> ssl.SSLContext:
    """A server context with fakeserver's bundled certificate, for the peers' HTTPS."""
    from fakeserver.tls import CERT_FILE, KEY_FILE
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(CERT_FILE, KEY_FILE)
    return context


@functools.lru_cache(maxsize=None)
def client_ssl_context() -> ssl.SSLContext:
    """The client context trusting fakeserver.CA_FILE; made once (it is slow to make)."""
    from fakeserver import CA_FILE
    return ssl.create_default_context(cafile=CA_FILE)


def _serve_in_thread(srv: Any, scheme: str = "http") -> tuple[str, Stop]:
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        srv.shutdown()
        srv.server_close()
        thread.join()
    return f"{scheme}://127.0.0.1:{srv.server_address[1]}", stop


@server("fakeserver", "fakeserver", requires="fakeserver", tls=True)
def start_fakeserver(tls: bool = False) -> tuple[str, Stop]:
    from fakeserver import AppRunner
    runner = AppRunner(bench_app, host="127.0.0.1", port=0, tls=tls)
    runner.start()
    return runner.url, runner.stop


@server("recorded", "fakeserver+Recorder", requires="fakeserver",
        note="the same app wrapped in Recorder, its journal cleared every 256 requests "
             "as a test case clears it per test")
def start_recorded(tls: bool = False) -> tuple[str, Stop]:
    from fakeserver import AppRunner, Recorder

    class PerTestRecorder(Recorder):
        def __call__(self, environ: dict, start_response: Callable) -> Any:
            if len(self._requests) >= 256:
                self.clear()
            return super().__call__(environ, start_response)

    recorder = PerTestRecorder(bench_app)
    runner = AppRunner(recorder, host="127.0.0.1", port=0)
    runner.start()

    def stop() -> None:
        runner.stop()
        recorder.clear()
    return runner.url, stop


class FloorHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._reply(BODY)

    def do_POST(self) -> None:
        remaining = int(self.headers.get("Content-Length") or 0)
        received = 0
        while remaining > 0:
            piece = self.rfile.read(min(PIECE, remaining))
            if not piece:
                break
            received += len(piece)
            remaining -= len(piece)
        self._reply(str(received).encode())

    def _reply(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FloorServer(http.server.ThreadingHTTPServer):
    request_queue_size = 128


@server("stdlib", "stdlib floor", tls=True,
        note="no WSGI layer; TCP_NODELAY, backlog 128; HTTPS: the listening socket wrapped, "
             "so handshakes run in its accept loop")
def start_stdlib(tls: bool = False) -> tuple[str, Stop]:
    srv = FloorServer(("127.0.0.1", 0), FloorHandler)
    if tls:
        srv.socket = peer_ssl_context().wrap_socket(srv.socket, server_side=True)
    return _serve_in_thread(srv, "https" if tls else "http")


class QuietWSGIRequestHandler(simple_server.WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@server("wsgiref", "wsgiref recipe", note="single thread, HTTP/1.0: one request per connection")
def start_wsgiref(tls: bool = False) -> tuple[str, Stop]:
    return _serve_in_thread(simple_server.make_server(
        "127.0.0.1", 0, bench_app, handler_class=QuietWSGIRequestHandler))


@server("pytest-httpserver", "pytest-httpserver", uploads=False, requires="pytest_httpserver",
        tls=True, note="default HTTPServer(): single thread, HTTP/1.0; no streaming upload to "
                       "an app; HTTPS: HTTPServer(ssl_context=...)")
def start_pytest_httpserver(tls: bool = False) -> tuple[str, Stop]:
    from pytest_httpserver import HTTPServer
    srv = HTTPServer(host="127.0.0.1", port=0, ssl_context=peer_ssl_context() if tls else None)
    srv.expect_request("/").respond_with_data(BODY, content_type="text/plain")
    srv.start()

    def stop() -> None:
        srv.stop()
        srv.clear()
    return srv.url_for("/").rstrip("/"), stop


@server("pytest-localserver", "pytest-localserver", requires="pytest_localserver", tls=True,
        note="default WSGIServer(): single thread, HTTP/1.0; HTTPS: "
             "WSGIServer(ssl_context=...)")
def start_pytest_localserver(tls: bool = False) -> tuple[str, Stop]:
    from pytest_localserver.http import WSGIServer
    srv = WSGIServer(host="127.0.0.1", port=0, application=bench_app,
                     **({"ssl_context": peer_ssl_context()} if tls else {}))
    srv.start()

    def stop() -> None:
        srv.stop()  # shuts down and (werkzeug) closes the socket
        srv.join()
    return srv.url, stop


def available(spec: ServerSpec) -> str:
    """Return why *spec* cannot run here, or '' if it can."""
    if not spec.requires:
        return ""
    try:
        __import__(spec.requires)
    except ImportError as error:
        return f"not installed ({error})"
    return ""


# -- client helpers -------------------------------------------------------


def connect(url: str) -> http.client.HTTPConnection:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=CLIENT_TIMEOUT,
                                           context=client_ssl_context())
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=CLIENT_TIMEOUT)


def get(conn: http.client.HTTPConnection) -> None:
    """GET / and check the answer; http.client reconnects if the server closed."""
    conn.request("GET", "/")
    response = conn.getresponse()
    body = response.read()
    if response.status != 200 or body != BODY:
        raise RuntimeError(f"unexpected answer {response.status} {body[:40]!r}")


@contextlib.contextmanager
def running(servers: list[ServerSpec], failures: dict[str, str]) -> Iterator[dict[str, str]]:
    """Start every server (recording failures); stop them all on exit.

    The stops run in parallel: the peers' ``shutdown()`` each wait out a
    half-second poll, which would otherwise add up in every scenario.
    """
    urls, stops = {}, {}
    try:
        for spec in servers:
            try:
                urls[spec.name], stops[spec.name] = spec.start()
            except Exception as error:
                failures[spec.name] = f"start failed: {error!r}"
        yield urls
    finally:
        def stop(name: str) -> None:
            try:
                stops[name]()
            except Exception as error:
                failures.setdefault(name, f"stop failed: {error!r}")
        threads = [threading.Thread(target=stop, args=(name,)) for name in stops]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def interleave(servers: list[ServerSpec], reps: int, budget: float, min_reps: int,
               measure: Callable[[ServerSpec], Any],
               failures: dict[str, str]) -> dict[str, list]:
    """Call ``measure(spec)`` once per server per repetition, rotating the order.

    A server drops out once it has *min_reps* results and has used *budget*
    seconds, so a pathologically slow one cannot stretch the run. The first
    exception a server raises is recorded in *failures* and ends its turn.
    """
    results: dict[str, list] = {spec.name: [] for spec in servers}
    spent = dict.fromkeys(results, 0.0)
    for rep in range(reps):
        shift = rep % len(servers)
        for spec in servers[shift:] + servers[:shift]:
            if spec.name in failures:
                continue
            if len(results[spec.name]) >= min_reps and spent[spec.name] >= budget:
                continue
            gc.collect()
            started = time.perf_counter()
            try:
                results[spec.name].append(measure(spec))
            except Exception as error:
                failures[spec.name] = f"{type(error).__name__}: {error}"
            spent[spec.name] += time.perf_counter() - started
    return results


# -- scenarios -------------------------------------------------------------


@dataclasses.dataclass
class Settings:
    startstop_reps: int = 30
    startstop_budget: float = 3.0  # seconds per server
    startstop_min: int = 5
    requests_batches: int = 10
    keepalive_batch: int = 200
    newconn_batch: int = 100
    latency_budget: float = 5.0
    threads: int = 16
    thread_requests: int = 200
    throughput_reps: int = 3
    throughput_budget: float = 12.0
    upload_mb: int = 50
    upload_reps: int = 5
    upload_budget: float = 10.0
    post_batches: int = 5
    post_batch: int = 20


QUICK = Settings(startstop_reps=5, startstop_budget=0.4, startstop_min=1, requests_batches=2,
                 keepalive_batch=50, newconn_batch=25, latency_budget=0.3, thread_requests=20,
                 throughput_reps=1, throughput_budget=1.0, upload_reps=1, upload_budget=1.0,
                 post_batches=2, post_batch=5)


@dataclasses.dataclass
class Metric:
    key: str
    label: str
    fmt: str = "{:.1f}"
    better: str = "lower"  # "lower", "higher" or "" (no ratio)


@dataclasses.dataclass
class Outcome:
    values: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    failures: dict[str, str] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0


@dataclasses.dataclass
class Scenario:
    name: str
    run: Callable[[list[ServerSpec], Settings], Outcome]
    metrics: list[Metric]
    wants: Callable[[ServerSpec], bool] = lambda spec: True
    tls: bool = False  # run over HTTPS, with the servers that serve it

    def servers(self, available: list[ServerSpec]) -> list[ServerSpec]:
        """The servers this scenario runs, started over TLS if it asks for it."""
        if self.tls:
            return [spec.over_tls() for spec in available if spec.tls and self.wants(spec)]
        return [spec for spec in available if self.wants(spec)]


SCENARIOS: list[Scenario] = []


def scenario(name: str, metrics: list[Metric], **kwargs: Any) -> Callable:
    def register(run: Callable[[list[ServerSpec], Settings], Outcome]) -> Callable:
        SCENARIOS.append(Scenario(name, run, metrics, **kwargs))
        return run
    return register


def https_rows(metrics: list[Metric]) -> list[Metric]:
    """The metrics of a scenario's HTTPS variant: the first row's label says HTTPS."""
    first = dataclasses.replace(metrics[0], label="HTTPS " + metrics[0].label)
    return [first] + metrics[1:]


STARTSTOP_METRICS = [Metric("ms", "start+stop one server, median ms", "{:.2f}")]
KEEPALIVE_METRICS = [
    Metric("us", "keep-alive GET, median us"),
    Metric("p99", "   p99 us"),
    Metric("conns", "   TCP connects per 100 requests", "{:.0f}", "")]


@scenario("startstop", STARTSTOP_METRICS)
def run_startstop(servers: list[ServerSpec], s: Settings) -> Outcome:
    out = Outcome()

    def measure(spec: ServerSpec) -> float:
        started = time.perf_counter()
        _, stop = spec.start()
        stop()
        return (time.perf_counter() - started) * 1000

    samples = interleave(servers, s.startstop_reps, s.startstop_budget, s.startstop_min,
                         measure, out.failures)
    for name, values in samples.items():
        if values:
            out.values[name] = {"ms": statistics.median(values), "n": len(values)}
    out.notes.append("cycles measured: " + ", ".join(
        f"{name} {len(values)}" for name, values in samples.items()))
    return out


def _request_latencies(servers: list[ServerSpec], s: Settings, batch: int,
                       reuse: bool) -> Outcome:
    """Sequential GETs, one connection reused (*reuse*) or one per request."""
    out = Outcome()
    with running(servers, out.failures) as urls, contextlib.ExitStack() as conns:
        kept = {}
        for name, url in urls.items():
            kept[name] = connect(url)
            conns.callback(kept[name].close)
            for _ in range(20):  # warm up; also opens the kept connection
                get(kept[name])

        def measure(spec: ServerSpec) -> tuple[list[int], int]:
            latencies, connections = [], 0
            for _ in range(batch):
                started = time.perf_counter_ns()
                if reuse:
                    conn = kept[spec.name]
                    connections += conn.sock is None  # http.client reconnects
                    get(conn)
                else:
                    conn = connect(urls[spec.name])
                    try:
                        get(conn)
                    finally:
                        conn.close()
                    connections += 1
                latencies.append(time.perf_counter_ns() - started)
            return latencies, connections

        running_specs = [spec for spec in servers if spec.name in urls]
        samples = interleave(running_specs, s.requests_batches, s.latency_budget, 1,
                             measure, out.failures)
    for name, batches in samples.items():
        latencies = [ns for batch_ns, _ in batches for ns in batch_ns]
        if latencies:
            out.values[name] = {
                "us": statistics.median(latencies) / 1000,
                "p99": sorted(latencies)[int(len(latencies) * 0.99)] / 1000,
                "conns": 100 * sum(c for _, c in batches) / len(latencies),
                "n": len(latencies)}
    return out


@scenario("keepalive", KEEPALIVE_METRICS)
def run_keepalive(servers: list[ServerSpec], s: Settings) -> Outcome:
    out = _request_latencies(servers, s, s.keepalive_batch, reuse=True)
    out.notes.append("one http.client connection per server, reused; where the server closes "
                     "after each answer http.client reconnects, and that time is included")
    return out


@scenario("newconn", [
    Metric("us", "new connection per GET, median us"),
    Metric("p99", "   p99 us")])
def run_newconn(servers: list[ServerSpec], s: Settings) -> Outcome:
    return _request_latencies(servers, s, s.newconn_batch, reuse=False)


def _hammer(url: str, requests: int, barrier: threading.Barrier, out: list) -> None:
    """One client thread: *requests* GETs on one connection; appends its tally to *out*."""
    errors = 0
    latencies = []
    conn = connect(url)
    try:
        barrier.wait(CLIENT_TIMEOUT)
        for _ in range(requests):
            started = time.perf_counter()
            try:
                get(conn)
            except (OSError, http.client.HTTPException, RuntimeError):
                errors += 1
                conn.close()
            latencies.append(time.perf_counter() - started)
    finally:
        conn.close()
        out.append((errors, latencies))


@scenario("throughput", [
    Metric("rps", "16 threads x keep-alive GETs, req/s", "{:.0f}", "higher"),
    Metric("errors", "   errors", "{:.0f}", ""),
    Metric("p99", "   p99 request ms", "{:.1f}"),
    Metric("worst", "   worst request ms", "{:.1f}", ""),
    Metric("worst_first", "   worst first request (connect) ms", "{:.1f}", ""),
    Metric("worst_later", "   worst later request ms", "{:.1f}", "")])
def run_throughput(servers: list[ServerSpec], s: Settings) -> Outcome:
    out = Outcome()
    with running(servers, out.failures) as urls:
        def measure(spec: ServerSpec) -> tuple[float, int, list[float], list[float]]:
            barrier = threading.Barrier(s.threads + 1)
            tallies: list = []
            threads = [threading.Thread(target=_hammer, args=(urls[spec.name], s.thread_requests,
                                                              barrier, tallies))
                       for _ in range(s.threads)]
            for thread in threads:
                thread.start()
            barrier.wait(CLIENT_TIMEOUT)
            started = time.perf_counter()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            errors = sum(t[0] for t in tallies)
            firsts = [t[1][0] for t in tallies if t[1]]
            laters = [ms for t in tallies for ms in t[1][1:]]
            return (len(firsts) + len(laters) - errors) / elapsed, errors, firsts, laters

        running_specs = [spec for spec in servers if spec.name in urls]
        samples = interleave(running_specs, s.throughput_reps, s.throughput_budget, 1,
                             measure, out.failures)
    for name, reps in samples.items():
        if reps:
            firsts = [x * 1000 for r in reps for x in r[2]]
            laters = [x * 1000 for r in reps for x in r[3]]
            every = sorted(firsts + laters)
            out.values[name] = {"rps": statistics.median(r[0] for r in reps),
                                "errors": sum(r[1] for r in reps),
                                "p99": every[int(len(every) * 0.99)], "worst": every[-1],
                                "worst_first": max(firsts), "worst_later": max(laters, default=0),
                                "n": len(reps)}
    out.notes.append(f"{s.threads} client threads x {s.thread_requests} requests, each thread "
                     "one connection (opened by its first request), in this process; median "
                     f"req/s of {s.throughput_reps} runs; errors summed and latencies pooled "
                     "over all runs")
    return out


def _memory_kb(field: str) -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def _reset_rss_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
        return True
    except OSError:
        return False


@scenario("upload", [
    Metric("s", "50 MB upload, median s", "{:.3f}"),
    Metric("mem", "   tracemalloc peak growth, MB", "{:.2f}", ""),
    Metric("rss", "   RSS peak growth, MB", "{:.1f}", "")], wants=lambda spec: spec.uploads)
def run_upload(servers: list[ServerSpec], s: Settings) -> Outcome:
    out = Outcome()
    size = s.upload_mb * MB
    piece = bytes(PIECE)

    def pieces() -> Iterator[bytes]:
        for _ in range(size // PIECE):
            yield piece

    def measure(spec: ServerSpec) -> tuple[float, float, float]:
        conn = connect(urls[spec.name])
        try:
            get(conn)  # connect and warm up outside the measurement
            gc.collect()
            resettable = _reset_rss_peak()
            rss_before = _memory_kb("VmRSS")
            tracemalloc.reset_peak()
            traced_before = tracemalloc.get_traced_memory()[0]
            started = time.perf_counter()
            conn.request("POST", "/upload", body=pieces(),
                         headers={"Content-Length": str(size), "Content-Type": "text/plain"})
            response = conn.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] - traced_before
            rss = (_memory_kb("VmHWM") - rss_before) / 1024 if resettable else float("nan")
        finally:
            conn.close()
        if response.status != 200 or body != str(size).encode():
            raise RuntimeError(f"upload answered {response.status} {body[:40]!r}")
        return elapsed, peak / MB, rss

    tracemalloc.start()
    try:
        with running(servers, out.failures) as urls:
            running_specs = [spec for spec in servers if spec.name in urls]
            samples = interleave(running_specs, s.upload_reps, s.upload_budget, 1,
                                 measure, out.failures)
    finally:
        tracemalloc.stop()
    for name, reps in samples.items():
        if reps:
            out.values[name] = {"s": statistics.median(r[0] for r in reps),
                                "mem": max(r[1] for r in reps), "rss": max(r[2] for r in reps),
                                "n": len(reps)}
    out.notes.append(f"POST of {s.upload_mb} MB with Content-Length in 64 KiB pieces; the app "
                     "reads wsgi.input in 64 KiB pieces (stdlib floor: rfile); memory is the "
                     "worst of the runs, tracemalloc on during all of them")
    return out


@scenario("post1mb", [Metric("ms", "1 MB POST on keep-alive, median ms", "{:.2f}")],
          wants=lambda spec: spec.uploads)
def run_post1mb(servers: list[ServerSpec], s: Settings) -> Outcome:
    out = Outcome()
    body = bytes(MB)

    def measure(spec: ServerSpec) -> list[int]:
        latencies = []
        conn = kept[spec.name]
        for _ in range(s.post_batch):
            started = time.perf_counter_ns()
            conn.request("POST", "/upload", body=body, headers={"Content-Type": "text/plain"})
            response = conn.getresponse()
            answer = response.read()
            latencies.append(time.perf_counter_ns() - started)
            if response.status != 200 or answer != str(MB).encode():
                raise RuntimeError(f"POST answered {response.status} {answer[:40]!r}")
        return latencies

    with running(servers, out.failures) as urls, contextlib.ExitStack() as conns:
        kept = {}
        for name, url in urls.items():
            kept[name] = connect(url)
            conns.callback(kept[name].close)
        running_specs = [spec for spec in servers if spec.name in urls]
        samples = interleave(running_specs, s.post_batches, s.latency_budget, 1,
                             measure, out.failures)
    for name, batches in samples.items():
        latencies = [ns for batch in batches for ns in batch]
        if latencies:
            out.values[name] = {"ms": statistics.median(latencies) / 1e6, "n": len(latencies)}
    out.notes.append("sequential 1 MB POSTs (Content-Length) on one connection; the app reads "
                     "wsgi.input in 64 KiB pieces")
    return out


# HTTPS: the same measurements over TLS, with the servers that serve it.
scenario("startstop_https", https_rows(STARTSTOP_METRICS), tls=True)(run_startstop)
scenario("keepalive_https", https_rows(KEEPALIVE_METRICS), tls=True)(run_keepalive)


# -- targets ----------------------------------------------------------------


def _value(results: dict[str, Outcome], scenario_name: str, server_name: str,
           key: str) -> float | None:
    outcome = results.get(scenario_name)
    if outcome is None:
        return None
    return outcome.values.get(server_name, {}).get(key)


def check_targets(results: dict[str, Outcome]) -> list[tuple[str, str]]:
    """Return (verdict, text) for each target the lead checks."""
    def v(scn: str, srv: str, key: str) -> float | None:
        return _value(results, scn, srv, key)

    # A check whose test is None is reported, not judged.
    checks: list[tuple[str, list[float | None], Callable[..., bool] | None, str]] = [
        ("start+stop median < 5 ms", [v("startstop", "fakeserver", "ms")],
         lambda ms: ms < 5, "{0:.2f} ms"),
        ("keep-alive latency <= 1.3x stdlib floor",
         [v("keepalive", "fakeserver", "us"), v("keepalive", "stdlib", "us")],
         lambda fs, floor: fs <= 1.3 * floor, "{0:.0f} us vs {1:.0f} us = {2:.2f}x"),
        ("keep-alive latency <= 0.5x pytest-httpserver",
         [v("keepalive", "fakeserver", "us"), v("keepalive", "pytest-httpserver", "us")],
         lambda fs, peer: fs <= 0.5 * peer, "{0:.0f} us vs {1:.0f} us = {2:.2f}x"),
        ("16-thread throughput >= 1.5x pytest-httpserver",
         [v("throughput", "fakeserver", "rps"), v("throughput", "pytest-httpserver", "rps")],
         lambda fs, peer: fs >= 1.5 * peer, "{0:.0f} vs {1:.0f} req/s = {2:.2f}x"),
        ("16-thread throughput: zero errors", [v("throughput", "fakeserver", "errors")],
         lambda errors: errors == 0, "{0:.0f} errors"),
        ("16-thread throughput: worst request < 100 ms", [v("throughput", "fakeserver", "worst")],
         lambda worst: worst < 100, "{0:.1f} ms"),
        ("50 MB upload peak memory growth < 16 MB", [v("upload", "fakeserver", "mem")],
         lambda mem: mem < 16, "{0:.2f} MB (tracemalloc)"),
        ("Recorder overhead on keep-alive GETs < 15%",
         [v("keepalive", "recorded", "us"), v("keepalive", "fakeserver", "us")],
         lambda recorded, bare: recorded < 1.15 * bare, "{0:.0f} us vs {1:.0f} us = {2:.3f}x"),
        ("Recorder overhead on 1 MB POSTs (reported)",
         [v("post1mb", "recorded", "ms"), v("post1mb", "fakeserver", "ms")],
         None, "{0:.2f} ms vs {1:.2f} ms = {2:.3f}x"),
        ("HTTPS start+stop median (reported)", [v("startstop_https", "fakeserver", "ms")],
         None, "{0:.2f} ms"),
        ("HTTPS keep-alive latency vs the stdlib floor over TLS (reported)",
         [v("keepalive_https", "fakeserver", "us"), v("keepalive_https", "stdlib", "us")],
         None, "{0:.0f} us vs {1:.0f} us = {2:.2f}x"),
    ]
    verdicts = []
    for title, args, passes, fmt in checks:
        if any(arg is None for arg in args):
            verdicts.append(("SKIP", f"{title}: not measured"))
            continue
        ratio = args[0] / args[1] if len(args) == 2 and args[1] else float("nan")
        verdict = "INFO" if passes is None else "PASS" if passes(*args) else "FAIL"
        verdicts.append((verdict, f"{title}: {fmt.format(*args, ratio)}"))
    return verdicts


# -- report -----------------------------------------------------------------


def relative(metric: Metric, ours: float, theirs: float) -> str:
    """'3.2x faster' or '1.4x slower': fakeserver judged against a peer."""
    if not ours or not theirs:
        return "-"
    ratio = theirs / ours if metric.better == "lower" else ours / theirs
    return f"{ratio:.2f}x faster" if ratio >= 1 else f"{1 / ratio:.2f}x slower"


def print_table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        print(" | ".join(cells).rstrip())
        if index == 0:
            print("-+-".join("-" * w for w in widths))


def report(results: dict[str, Outcome], servers: list[ServerSpec]) -> None:
    header = ["scenario"] + [spec.label for spec in servers]
    values, ratios = [header], [["fakeserver is ..."] + [spec.label for spec in servers]]
    for number, scn in enumerate(SCENARIOS, 1):
        outcome = results.get(scn.name)
        if outcome is None:
            continue
        for index, metric in enumerate(scn.metrics):
            label = f"{number}. {metric.label}" if index == 0 else metric.label
            row, ratio_row = [label], [label]
            ours = outcome.values.get("fakeserver", {}).get(metric.key)
            for spec in servers:
                value = outcome.values.get(spec.name, {}).get(metric.key)
                if value is not None:
                    row.append(metric.fmt.format(value))
                elif spec.name in outcome.failures:
                    row.append("FAILED")
                else:
                    row.append("n/a")
                if metric.better and ours is not None and value is not None:
                    ratio_row.append("(itself)" if spec.name == "fakeserver"
                                     else relative(metric, ours, value))
                else:
                    ratio_row.append("")
            values.append(row)
            if metric.better:
                ratios.append(ratio_row)
    print_table(values)
    print()
    if "fakeserver" in [spec.name for spec in servers]:
        print_table(ratios)
        print()
    print("Notes:")
    for spec in servers:
        if spec.note:
            print(f"  - {spec.label}: {spec.note}")
    for scn in SCENARIOS:
        outcome = results.get(scn.name)
        if outcome is None:
            continue
        for note in outcome.notes:
            print(f"  - {scn.name}: {note}")
        for name, failure in outcome.failures.items():
            print(f"  - {scn.name}: {name} FAILED: {failure}")


class CapturedStderr(io.StringIO):
    """Collects what server threads write to stderr, to report it on stdout."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            return super().write(text)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    names = [scn.name for scn in SCENARIOS] + [spec.name for spec in SERVERS]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="few repetitions: a smoke run of under ten seconds")
    parser.add_argument("--only", metavar="NAME,...", default="",
                        help="comma-separated scenario and/or server names: " + ", ".join(names))
    args = parser.parse_args(argv)
    args.only = [name for name in args.only.split(",") if name]
    unknown = sorted(set(args.only) - set(names))
    if unknown:
        parser.error(f"unknown name(s) {', '.join(unknown)}; choose from {', '.join(names)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = QUICK if args.quick else Settings()
    scenario_names = [n for n in args.only if n in {scn.name for scn in SCENARIOS}]
    server_names = [n for n in args.only if n in {spec.name for spec in SERVERS}]
    scenarios = [scn for scn in SCENARIOS if not scenario_names or scn.name in scenario_names]
    servers = []
    for spec in SERVERS:
        if server_names and spec.name not in server_names:
            continue
        reason = available(spec)
        if reason:
            print(f"skipping {spec.label}: {reason}")
        else:
            servers.append(spec)
    versions = []
    for dist in ("pytest_httpserver", "pytest-localserver", "werkzeug"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions.append(f"{dist} {importlib.metadata.version(dist)}")
    print(f"fakeserver benchmark: Python {platform.python_version()}, {platform.platform()}, "
          f"{os.cpu_count()} CPUs, {'quick' if args.quick else 'full'} run")
    print(f"peers: {', '.join(versions) or 'none installed'}")
    print()

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # it logs each request at INFO
    captured = CapturedStderr()
    thread_errors: list[str] = []
    previous_hook = threading.excepthook
    threading.excepthook = lambda hook_args: thread_errors.append(
        f"{hook_args.thread.name if hook_args.thread else '?'}: {hook_args.exc_value!r}")
    started = time.perf_counter()
    results: dict[str, Outcome] = {}
    try:
        with contextlib.redirect_stderr(captured):
            for scn in scenarios:
                wanted = scn.servers(servers)
                if wanted:
                    scenario_started = time.perf_counter()
                    results[scn.name] = scn.run(wanted, settings)
                    results[scn.name].seconds = time.perf_counter() - scenario_started
    finally:
        threading.excepthook = previous_hook
    elapsed = time.perf_counter() - started

    report(results, servers)
    problems = captured.getvalue().splitlines()
    if problems or thread_errors:
        print(f"\nServer threads wrote {len(problems)} line(s) to stderr and raised "
              f"{len(thread_errors)} uncaught exception(s); the first ones:")
        for line in (thread_errors + problems)[:20]:
            print(f"  {line}")
    print(f"\nTotal time {elapsed:.1f} s (" + ", ".join(
        f"{name} {outcome.seconds:.1f} s" for name, outcome in results.items()) + ").\n\nTargets:")
    verdicts = check_targets(results)
    for verdict, text in verdicts:
        print(f"  {verdict}  {text}")
    return 1 if any(verdict == "FAIL" for verdict, _ in verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
