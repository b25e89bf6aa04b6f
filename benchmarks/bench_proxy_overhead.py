"""Measure what a ProxyApp adds to a kept-alive request, against the same request sent directly.

Run from anywhere (standard library only)::

    python3 benchmarks/bench_proxy_overhead.py            # about 20 seconds
    python3 benchmarks/bench_proxy_overhead.py --quick    # smoke run

An upstream ``AppRunner`` answers a 13-byte GET and counts a POST's body.
One kept-alive ``http.client`` connection sends each request to it
directly; another sends it to a fake serving ``ProxyApp(upstream)``, and a
third to the same behind a ``Recorder``, as the test cases and the command
line serve it. The three are measured in one process, interleaved in
rotating order so that machine noise hits them alike, and the medians are
compared. Target: a proxied request takes at most twice as long as a direct
one; the exit status is 1 if it does not. The upstream runs in a process of
its own, as a real service would: what is measured is what the proxy adds
in the test's process, where a proxied request crosses fakeserver's server
and then makes a round trip to the upstream with the proxy's own HTTP/1.1
client, the direct one only an ``http.client`` round trip. The load average is printed, since a busy machine stretches the
proxied request's extra thread switches most.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import statistics
import subprocess
import sys
import time
from typing import Any, Callable, Iterator

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fakeserver import AppRunner, ProxyApp, Recorder  # noqa: E402

BODY = b"Hello, world!"
UPLOAD = b"x" * (64 * 1024)
TARGET_RATIO = 2.0


def upstream_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """GET answers BODY; POST answers the size of its body."""
    body = BODY
    if environ["REQUEST_METHOD"] == "POST":
        size = 0
        while True:
            piece = environ["wsgi.input"].read(65536)
            if not piece:
                break
            size += len(piece)
        body = str(size).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def timed_requests(connection: http.client.HTTPConnection, method: str, body: bytes | None,
                   count: int, expected: bytes) -> list[float]:
    """*count* requests on one kept-alive *connection*; the seconds each took."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        connection.request(method, "/bench", body=body)
        answer = connection.getresponse().read()
        times.append(time.perf_counter() - started)
        if answer != expected:
            raise AssertionError(f"unexpected answer {answer!r}")
    return times


@contextlib.contextmanager
def upstream_process() -> Iterator[tuple[str, int]]:
    """Serve :func:`upstream_app` from another process, as a real service is; yield its address."""
    code = ("import sys, signal; sys.path[:0] = sys.argv[1:]; "
            "from fakeserver import AppRunner; from bench_proxy_overhead import upstream_app; "
            "runner = AppRunner(upstream_app); runner.start(); print(runner.address[1], flush=True); "
            "sys.stdin.read(); runner.stop()")
    here = os.path.dirname(os.path.abspath(__file__))
    process = subprocess.Popen([sys.executable, "-c", code, os.path.dirname(here), here],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdin is not None
        yield "127.0.0.1", int(process.stdout.readline())
    finally:
        process.communicate("", timeout=10)  # stdin closed: the upstream stops


def measure(method: str, body: bytes | None, expected: bytes, rounds: int,
            per_round: int) -> dict[str, list[float]]:
    """Per-request times of the three ways, interleaved round by round."""
    with upstream_process() as address, ProxyApp("http://%s:%d" % address) as proxy, \
            AppRunner(proxy) as proxied, ProxyApp("http://%s:%d" % address) as recorded_proxy, \
            AppRunner(Recorder(recorded_proxy)) as recorded:
        recorder: Recorder = recorded.app  # type: ignore[assignment]
        ways = {"direct": address, "ProxyApp": proxied.address,
                "Recorder(ProxyApp)": recorded.address}
        connections = {name: http.client.HTTPConnection(*where, timeout=10)
                       for name, where in ways.items()}
        times: dict[str, list[float]] = {name: [] for name in ways}
        try:
            for name, connection in connections.items():  # warm up: connect, pool, caches
                timed_requests(connection, method, body, 20, expected)
            names = list(ways)
            for number in range(rounds):
                for name in names[number % 3:] + names[:number % 3]:
                    times[name] += timed_requests(connections[name], method, body, per_round,
                                                  expected)
                recorder.clear()  # keep the journal from growing through the run
        finally:
            for connection in connections.values():
                connection.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run, not a measurement")
    args = parser.parse_args()
    rounds, per_round = (3, 20) if args.quick else (30, 100)
    load = ", load average %.1f" % os.getloadavg()[0] if hasattr(os, "getloadavg") else ""
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores{load}; {rounds} rounds of "
          f"{per_round} requests per way and scenario, interleaved; median per request")
    print(f"{'scenario':<22} {'direct':>10} {'ProxyApp':>10} {'ratio':>7} {'added':>8} "
          f"{'+Recorder':>10} {'ratio':>7}")
    failed = False
    for label, method, body, expected in (
            ("keep-alive GET", "GET", None, BODY),
            ("keep-alive POST 64 KiB", "POST", UPLOAD, str(len(UPLOAD)).encode())):
        times = measure(method, body, expected, rounds, per_round)
        direct, proxied, recorded = (statistics.median(times[name]) for name in times)
        ratio, recorded_ratio = proxied / direct, recorded / direct
        failed = failed or ratio > TARGET_RATIO
        print(f"{label:<22} {direct * 1e6:>8.0f}us {proxied * 1e6:>8.0f}us {ratio:>6.2f}x "
              f"{(proxied - direct) * 1e6:>6.0f}us {recorded * 1e6:>8.0f}us {recorded_ratio:>6.2f}x")
    verdict = "FAIL" if failed else "PASS"
    print(f"{verdict}: a proxied request takes at most {TARGET_RATIO:g}x a direct one")
    return 1 if failed and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
