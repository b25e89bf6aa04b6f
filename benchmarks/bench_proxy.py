"""Measure the forward proxy: minting certificates, reaching a new host, requests in a tunnel.

Run from anywhere (standard library only; ``requests`` is measured too
when installed)::

    python3 benchmarks/bench_proxy.py           # full run, about half a minute
    python3 benchmarks/bench_proxy.py --quick   # smoke run, a few seconds

Rows:

``mint``
    What a new host costs the proxy before its handshake: the leaf
    certificate alone (DER, ECDSA P-256 signature in pure Python), and the
    server context for it (certificate written, ``load_cert_chain``).
``first byte, new host``
    A client's time from connecting to the proxy to the first byte of the
    answer, through a tunnel to a host never seen before: CONNECT, a leaf
    minted, the TLS handshake, the request. Against it, the same on a new
    connection straight to ``AppRunner(tls=True)``. Target: under 10 ms.
``first byte, known host``
    The same for a host whose certificate is cached.
``kept-alive request``
    One request and response on a connection kept alive: inside a tunnel
    against straight to ``AppRunner(tls=True)``. Both sides journal every
    exchange (a Recorder), as the test mixins do. Target: at most 1.3x.

Each repetition visits both sides, alternating which goes first, so that
machine noise hits them alike; medians are reported. The exit status is 1
if a target fails.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import platform
import ssl
import statistics
import sys
import time
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fakeserver import CA_FILE, AppRunner, Recorder  # noqa: E402
from fakeserver.proxy import FakeProxy  # noqa: E402
from fakeserver.proxy._certs import CertificateAuthority  # noqa: E402
from fakeserver.proxy._ecdsa import KeyPair  # noqa: E402

from bench_server import print_table  # noqa: E402  (this script's folder is on sys.path)

BODY = b"Hello, world!"
TIMEOUT = 10.0
_hosts = itertools.count()


def bench_app(environ: dict, start_response: Callable) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]


def new_host() -> str:
    return f"h{next(_hosts)}.bench.example"


def timed(action: Callable[[], Any]) -> float:
    """Seconds *action* took."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def first_byte(connection: http.client.HTTPConnection) -> None:
    """Send a GET and read the answer; the connection is closed afterwards."""
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        assert response.read() == BODY
    finally:
        connection.close()


def get(connection: http.client.HTTPConnection) -> None:
    connection.request("GET", "/")
    assert connection.getresponse().read() == BODY


class Bench:
    """The proxy and the direct server, each with its client context, for one run."""

    def __init__(self) -> None:
        self.proxy = FakeProxy()
        self.proxy.route("*", bench_app)
        self.direct_recorder = Recorder(bench_app)
        self.direct = AppRunner(self.direct_recorder, tls=True)
        self.proxy.start()
        self.direct.start()
        self.proxy_client = ssl.create_default_context(cafile=self.proxy.ca_file)
        self.direct_client = ssl.create_default_context(cafile=CA_FILE)

    def close(self) -> None:
        self.proxy.stop()
        self.direct.stop()

    def clear(self) -> None:
        self.proxy.clear()
        self.direct_recorder.clear()

    def via_proxy(self, host: str) -> http.client.HTTPSConnection:
        connection = http.client.HTTPSConnection(*self.proxy.address, timeout=TIMEOUT,
                                                 context=self.proxy_client)
        connection.set_tunnel(host)
        return connection

    def straight(self) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection("localhost", self.direct.address[1], timeout=TIMEOUT,
                                           context=self.direct_client)


def alternate(reps: int, proxy: Callable[[], float], direct: Callable[[], float]
              ) -> tuple[list[float], list[float]]:
    """Run both *reps* times, alternating which goes first; their timings."""
    ours: list[float] = []
    theirs: list[float] = []
    for rep in range(reps):
        if rep % 2:
            theirs.append(direct())
            ours.append(proxy())
        else:
            ours.append(proxy())
            theirs.append(direct())
    return ours, theirs


def alternate_requests(bench: Bench, proxy: Callable[[], Any], direct: Callable[[], Any],
                       reps: int, batch: int) -> tuple[list[float], list[float]]:
    """Each request's time on two warm kept-alive connections, in small alternating runs.

    The median of single requests shrugs off what a shared machine's other
    work does to a few of them; each side's journal is cleared between runs.
    """
    proxy(), direct()  # connected and warm
    ours: list[float] = []
    theirs: list[float] = []
    run = max(1, batch // 10)
    for rep in range(reps):
        for side, samples in ((proxy, ours), (direct, theirs))[::-1 if rep % 2 else 1]:
            for _ in range(run):
                samples.append(timed(side))
        bench.clear()
    return ours, theirs


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} us"


def ratio(ours: float, theirs: float) -> str:
    value = ours / theirs
    return f"{value:.2f}x slower" if value >= 1 else f"{1 / value:.2f}x faster"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def mint_rows(bench: Bench, reps: int, first_ca: float) -> list[list[str]]:
    """What a CA and a new host's certificate cost the proxy."""
    later_ca = timed(CertificateAuthority)
    ca, key = CertificateAuthority(), KeyPair.generate()
    leaf = statistics.median(timed(lambda: ca.issue(new_host(), key)) for _ in range(reps))
    authority = bench.proxy._authority
    context = statistics.median(timed(lambda: authority.context_for(new_host()))
                                for _ in range(reps))
    return [["make the CA (first in the process)", ms(first_ca), "", ""],
            ["make the CA (later)", ms(later_ca), "", ""],
            ["mint a leaf certificate", ms(leaf), "", ""],
            ["mint a leaf + its server context", ms(context), "", ""]]


def first_byte_rows(bench: Bench, reps: int) -> tuple[list[list[str]], float]:
    """New connections: to a new host and to a known one, against direct HTTPS; and the TTFB."""
    known = new_host()
    first_byte(bench.via_proxy(known))
    new_ours, new_theirs = alternate(
        reps, lambda: timed(lambda: first_byte(bench.via_proxy(new_host()))),
        lambda: timed(lambda: first_byte(bench.straight())))
    bench.clear()
    known_ours, known_theirs = alternate(
        reps, lambda: timed(lambda: first_byte(bench.via_proxy(known))),
        lambda: timed(lambda: first_byte(bench.straight())))
    bench.clear()
    rows = []
    for label, ours, theirs in (
            ("first byte, new host (median)", statistics.median(new_ours),
             statistics.median(new_theirs)),
            ("first byte, new host (90th percentile)", percentile(new_ours, 0.9),
             percentile(new_theirs, 0.9)),
            ("first byte, known host (median)", statistics.median(known_ours),
             statistics.median(known_theirs))):
        rows.append([label, ms(ours), ms(theirs), ratio(ours, theirs)])
    return rows, statistics.median(new_ours)


def keepalive_rows(bench: Bench, reps: int, batch: int) -> tuple[list[list[str]], float]:
    """One request on a kept-alive connection, tunnel against direct; and their ratio."""
    tunnel, direct = bench.via_proxy(new_host()), bench.straight()
    try:
        ours, theirs = alternate_requests(bench, lambda: get(tunnel), lambda: get(direct),
                                          reps, batch)
    finally:
        tunnel.close()
        direct.close()
    median_ours, median_theirs = statistics.median(ours), statistics.median(theirs)
    return ([["kept-alive request (median)", us(median_ours), us(median_theirs),
              ratio(median_ours, median_theirs)]], median_ours / median_theirs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few repetitions: a smoke run")
    args = parser.parse_args(argv)
    reps, batch = (30, 50) if args.quick else (300, 200)
    print(f"fakeserver proxy benchmark: Python {platform.python_version()}, "
          f"{ssl.OPENSSL_VERSION}, {platform.platform()}, {os.cpu_count()} CPUs, "
          f"{'quick' if args.quick else 'full'} run\n")
    first_ca = timed(CertificateAuthority)  # with the base-point table, made once per process
    bench = Bench()
    rows = [["measure", "proxy", "direct HTTPS", "proxy is ..."]]
    try:
        rows.extend(mint_rows(bench, reps, first_ca))
        first_rows, ttfb = first_byte_rows(bench, reps)
        rows.extend(first_rows)
        alive_rows, alive = keepalive_rows(bench, reps, batch)
        rows.extend(alive_rows)
        rows.extend(requests_rows(bench, reps, batch))
    finally:
        bench.close()
    print_table(rows)
    verdicts = [
        (ttfb < 0.010, f"first byte through a tunnel to a new host: median {ms(ttfb)} "
                       "(target under 10 ms)"),
        (alive <= 1.3, f"kept-alive requests in a tunnel against direct HTTPS: {alive:.2f}x "
                       "(target at most 1.3x)"),
    ]
    print("\nTargets:")
    for passed, text in verdicts:
        print(f"  {'PASS' if passed else 'FAIL'}  {text}")
    return 0 if all(passed for passed, _ in verdicts) else 1


def requests_rows(bench: Bench, reps: int, batch: int) -> list[list[str]]:
    """Kept-alive requests with a ``requests.Session``, through the proxy and not (if installed)."""
    try:
        import requests
    except ImportError:
        return [["requests: not installed", "", "", ""]]
    proxied, direct = requests.Session(), requests.Session()
    proxied.trust_env = direct.trust_env = False
    proxied.proxies = {"https": bench.proxy.url}
    proxied.verify, direct.verify = bench.proxy.ca_file, CA_FILE
    host, url = new_host(), f"https://localhost:{bench.direct.address[1]}/"
    try:
        ours, theirs = alternate_requests(bench, lambda: proxied.get(f"https://{host}/").content,
                                          lambda: direct.get(url).content, reps, batch)
    finally:
        proxied.close()
        direct.close()
    return [[f"kept-alive request, requests {requests.__version__} (median)",
             us(statistics.median(ours)), us(statistics.median(theirs)),
             ratio(statistics.median(ours), statistics.median(theirs))]]


if __name__ == "__main__":
    sys.exit(main())
