"""Measure what a ProxyApp adds to a kept-alive request, against the same request sent directly.

Run from anywhere (standard library only)::

    python3 benchmarks/bench_proxy_overhead.py            # about a minute
    python3 benchmarks/bench_proxy_overhead.py --quick    # smoke run

An upstream ``AppRunner`` answers a 13-byte GET and counts a POST's body.
One kept-alive ``http.client`` connection sends each request to it
directly; another sends it to a fake serving ``ProxyApp(upstream)``, and a
third to the same behind a ``Recorder``, as the test cases and the command
line serve it. The three are measured in one process, interleaved in
rotating order so that machine noise hits them alike: each round sends
100 requests each way, and a run's ratio is the median over its rounds of
a round's medians, proxied over direct. Each scenario is run five times,
with new servers and threads each time, and the median of the five ratios
is held to the target: a proxied request takes at most twice as long as a
direct one; the exit status is 1 if it does not. The upstream runs in a
process of its own, as a real service would: what is measured is what the
proxy adds in the test's process, where a proxied request crosses
fakeserver's server and then makes a round trip to the upstream with the
proxy's own HTTP/1.1 client, the direct one only an ``http.client`` round
trip. The load average is printed, since a busy machine stretches the
proxied request's extra thread switches most; run it pinned to one core
(``taskset -c 0``) to compare the work alone, without the switches
between cores.
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
#: Independent runs of each scenario. On a machine with several cores the ratio of one
#: run depends on how the scheduler placed the threads of the client, the proxy and the
#: upstream on them, which it mostly keeps for the run: seen here, a kept-alive GET took
#: 1.55x in three runs and 2.07x in a fourth, for the same code. The median of the runs
#: is what the target is held to.
RUNS = 5


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
            per_round: int) -> dict[str, list[list[float]]]:
    """Per-request times of the three ways, round by round, the ways interleaved in each."""
    with upstream_process() as address, ProxyApp("http://%s:%d" % address) as proxy, \
            AppRunner(proxy) as proxied, ProxyApp("http://%s:%d" % address) as recorded_proxy, \
            AppRunner(Recorder(recorded_proxy)) as recorded:
        recorder: Recorder = recorded.app  # type: ignore[assignment]
        ways = {"direct": address, "ProxyApp": proxied.address,
                "Recorder(ProxyApp)": recorded.address}
        connections = {name: http.client.HTTPConnection(*where, timeout=10)
                       for name, where in ways.items()}
        times: dict[str, list[list[float]]] = {name: [] for name in ways}
        try:
            for name, connection in connections.items():  # warm up: connect, pool, caches
                timed_requests(connection, method, body, 20, expected)
            names = list(ways)
            for number in range(rounds):
                for name in names[number % 3:] + names[:number % 3]:
                    times[name].append(timed_requests(connections[name], method, body,
                                                      per_round, expected))
                recorder.clear()  # keep the journal from growing through the run
        finally:
            for connection in connections.values():
                connection.close()
    return times


def ratio(times: dict[str, list[list[float]]], way: str) -> float:
    """The median over the rounds of *way*'s median time over the direct one's in the same
    round.

    Each round measures the ways one after the other, within a fraction
    of a second, so a machine that speeds up or slows down between rounds
    moves both sides of a round's ratio alike.
    """
    return statistics.median(statistics.median(slow) / statistics.median(fast)
                             for slow, fast in zip(times[way], times["direct"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run, not a measurement")
    args = parser.parse_args()
    runs, rounds, per_round = (1, 3, 20) if args.quick else (RUNS, 30, 100)
    load = ", load average %.1f" % os.getloadavg()[0] if hasattr(os, "getloadavg") else ""
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores{load}; {runs} runs of "
          f"{rounds} rounds of {per_round} requests per way and scenario, interleaved")
    print(f"{'scenario':<22} {'direct':>7} {'ProxyApp':>9} {'ratio':>6} {'(each run)':<25} "
          f"{'+Recorder':>9} {'ratio':>6} (each run)")
    failed = False
    for label, method, body, expected in (
            ("keep-alive GET", "GET", None, BODY),
            ("keep-alive POST 64 KiB", "POST", UPLOAD, str(len(UPLOAD)).encode())):
        pooled: dict[str, list[float]] = {}
        ratios: dict[str, list[float]] = {"ProxyApp": [], "Recorder(ProxyApp)": []}
        for _ in range(runs):  # new servers and threads each run, placed anew on the cores
            times = measure(method, body, expected, rounds, per_round)
            for way, rounds_of_way in times.items():
                pooled.setdefault(way, []).extend(sum(rounds_of_way, []))
            for way, of_way in ratios.items():
                of_way.append(ratio(times, way))
        direct, proxied, recorded = (statistics.median(pooled[way]) * 1e6 for way in pooled)
        proxy_ratio, recorder_ratio = (statistics.median(of_way) for of_way in ratios.values())
        each_proxy, each_recorder = (" ".join(f"{r:.2f}" for r in of_way)
                                     for of_way in ratios.values())
        failed = failed or proxy_ratio > TARGET_RATIO
        print(f"{label:<22} {direct:>5.0f}us {proxied:>7.0f}us {proxy_ratio:>5.2f}x "
              f"{each_proxy:<25} {recorded:>7.0f}us {recorder_ratio:>5.2f}x {each_recorder}")
    verdict = "FAIL" if failed else "PASS"
    print(f"{verdict}: a proxied request takes at most {TARGET_RATIO:g}x a direct one "
          f"(the median of the runs' ratios)")
    return 1 if failed and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
