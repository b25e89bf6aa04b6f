"""Running out of threads or file descriptors costs only the connections that meet the shortage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import unittest
import urllib.request

from fakeserver import AppRunner
from tests.support import assert_stops_promptly, echo_app, exchange

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class _ThreadLimitedRunner(AppRunner):
    """An AppRunner on a system that starts no more threads, *failures* times."""

    def __init__(self, failures: int) -> None:
        super().__init__(echo_app)
        self.failures = failures

    def _start_worker(self) -> threading.Thread:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("can't start new thread")
        return super()._start_worker()


class ThreadLimitTest(unittest.TestCase):
    def test_a_worker_that_cannot_start_costs_only_its_connection(self) -> None:
        runner = _ThreadLimitedRunner(failures=2)
        runner.start()
        self.addCleanup(runner.stop)
        request = b"GET /refused HTTP/1.1\r\nHost: x\r\n\r\n"
        with self.assertLogs("fakeserver", "INFO") as logs:
            for _ in range(2):
                try:
                    self.assertEqual(exchange(runner.address, request, shut_write=False), b"")
                except ConnectionResetError:
                    pass  # closed with the request unread: also how a refusal may look
            with urllib.request.urlopen(runner.url + "/served", timeout=5) as response:
                self.assertEqual(response.headers["X-Path"], "/served")
        self.assertEqual(logs.output, [
            "WARNING:fakeserver:cannot start a thread (can't start new thread); "
            "closing new connections until one starts",
            "INFO:fakeserver:threads start again, after 2 connections were closed",
        ])
        self.assertTrue(runner.running)
        assert_stops_promptly(self, runner)


@unittest.skipUnless(sys.platform.startswith("linux"), "lowers RLIMIT_NOFILE, counts on EMFILE")
class DescriptorLimitTest(unittest.TestCase):
    def test_the_accept_loop_pauses_at_the_limit_and_resumes(self) -> None:
        # In a process of its own: it lowers its descriptor limit and uses them all up.
        process = subprocess.run(
            [sys.executable, "-W", "error", "-m", "tests.support.descriptor_limit", "2.0"],
            cwd=_ROOT, capture_output=True, text=True, timeout=60)
        self.assertEqual((process.returncode, process.stderr), (0, ""))
        measured = json.loads(process.stdout)
        # Spinning on accept() took 1.9 s of CPU in these 2 s, and logged 311,583 lines.
        self.assertLess(measured["cpu"], 0.1)
        self.assertEqual(measured["answer"], "HTTP/1.1 200 OK")
        self.assertLess(measured["stop"], 0.5)
        exhausted = ("WARNING out of file descriptors ([Errno 24] Too many open files); "
                     "pausing accepts until some are free")
        self.assertEqual(len(measured["log"]), 3, measured["log"][:4])  # one line per episode
        first, recovered, second = measured["log"]
        self.assertEqual((first, second), (exhausted, exhausted))
        self.assertRegex(recovered,
                         r"^INFO file descriptors are free again, after \d+ failed accepts$")


if __name__ == "__main__":
    unittest.main()
