"""Measure how soon a wait returns once what it waits for has arrived.

Run from anywhere (standard library only)::

    python3 benchmarks/bench_wait.py              # 300 rounds of each wait
    python3 benchmarks/bench_wait.py --rounds 50

Each round, the main thread is already waiting when a client thread, after
a short random pause, sends what it waits for: a request
(``FakeServer.wait_for_request``), a mail message
(``FakeSMTPServer.wait_for_mail``) or an upload
(``FakePackageIndex.wait_for_upload``). The latency is the time from the
arrival, as the fake stamped it (``RecordedRequest.time``,
``ReceivedMessage.time``, ``DistributionFile.upload_time``), to the return
of the wait: it includes the rest of the exchange (the answer sent, the
record completed), waking the waiter and the final check. The ``unittest``
methods (``waitForRequest``, ...) run the same code.

Prints the median, 95th percentile and maximum of each, and PASS or FAIL
against the target, a median under 5 ms; the exit status is 1 on FAIL.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import smtplib
import statistics
import sys
import threading
import time
import urllib.request
from typing import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fakeserver._testing.handle import FakeServer  # noqa: E402
from fakeserver.pypi.handle import FakePackageIndex  # noqa: E402
from fakeserver.smtp.handle import FakeSMTPServer  # noqa: E402
from tests.support.distributions import build_sdist, distutils_upload  # noqa: E402

#: The median latency a wait must stay under, in seconds.
TARGET = 0.005


def later(action: Callable[[], object]) -> threading.Thread:
    """Run *action* in a new thread after a pause of 1 to 5 ms (the wait blocks first)."""
    def run() -> None:
        time.sleep(random.uniform(0.001, 0.005))
        action()
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def requests(rounds: int) -> list[float]:
    latencies = []
    server = FakeServer().start()
    try:
        for _ in range(rounds):
            server.reset()
            server.stub("POST", "/hook")
            client = later(lambda: urllib.request.urlopen(server.url_for("/hook"), data=b"x",
                                                          timeout=10).close())
            request = server.wait_for_request("/hook", timeout=10)
            latencies.append(time.time() - request.time)
            client.join()
    finally:
        server.stop()
    return latencies


def mail(rounds: int) -> list[float]:
    latencies = []

    def send(address: tuple[str, int]) -> None:
        with smtplib.SMTP(*address, timeout=10) as client:
            client.sendmail("app@example.com", ["ann@example.com"], b"Subject: hi\r\n\r\nhello")

    with FakeSMTPServer() as server:
        for _ in range(rounds):
            server.clear()
            client = later(lambda: send(server.address))
            server.wait_for_mail(to="ann@example.com", timeout=10)
            latencies.append(time.time() - server.messages[0].time)
            client.join()
    return latencies


def uploads(rounds: int) -> list[float]:
    latencies = []
    index = FakePackageIndex().start()
    try:
        for number in range(rounds):
            version = f"1.{number}"
            filename, data = build_sdist(version=version)
            client = later(lambda: distutils_upload(index.upload_url, filename, data,
                                                    version=version))
            upload = index.wait_for_upload("demo", version, timeout=10)
            latencies.append(time.time() - upload.upload_time)
            client.join()
            index.index.remove(filename)  # a test's few uploads, not hundreds
    finally:
        index.stop()
    return latencies


WAITS = {"wait_for_request": requests, "wait_for_mail": mail, "wait_for_upload": uploads}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300, help="rounds of each wait (300)")
    rounds = parser.parse_args().rounds
    print(f"{platform.python_implementation()} {platform.python_version()} on "
          f"{platform.system()}, {os.cpu_count()} CPUs; {rounds} rounds each")
    print(f"{'wait':<18}{'median':>10}{'p95':>10}{'max':>10}   target: median < "
          f"{TARGET * 1000:g} ms")
    failed = False
    for name, measure in WAITS.items():
        latencies = sorted(measure(rounds))
        median = statistics.median(latencies)
        p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
        verdict = "PASS" if median < TARGET else "FAIL"
        failed |= verdict == "FAIL"
        print(f"{name:<18}{median * 1000:>8.2f}ms{p95 * 1000:>8.2f}ms"
              f"{latencies[-1] * 1000:>8.2f}ms   {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
