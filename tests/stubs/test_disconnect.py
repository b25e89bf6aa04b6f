"""A client giving up during a stub's delay or dribble: noticed at once, recorded, not waited for."""

from __future__ import annotations

import http.client
import socket
import threading
import time
import unittest
import urllib.request

import fakeserver
from fakeserver import AppRunner, Recorder, ServerTestCase, StubApp
from tests.support import read_until_closed, run_case

#: What a delayed stub would make everyone wait, were its client's leaving not noticed.
FOREVER = 30
#: The pattern of the error a Recorder keeps for an exchange whose client left during a delay.
LEFT_DURING_DELAY = (r"^the client disconnected (0\.[0-9]{2}|1\.[0-9]{2})s after its request, "
                     r"during the stub's 30s delay$")


class GivingUpTest(unittest.TestCase):
    def test_two_clients_giving_up_cost_the_test_nothing_more(self) -> None:
        errors = []

        class Case(ServerTestCase, unittest.TestCase):
            def test(self) -> None:
                self.stub("GET", "/slow").respond(text="late", delay=FOREVER)
                for _ in range(2):
                    with self.assertRaises(OSError):  # the client's timeout
                        urllib.request.urlopen(self.url("/slow"), timeout=0.2)
                    self.assertRequested("/slow")  # settles the exchange: no wait left
                errors.extend(str(request.error) for request in self.requests)

        started = time.monotonic()
        result = run_case(Case)
        elapsed = time.monotonic() - started
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)  # no app error
        self.assertEqual(len(errors), 2)
        for error in errors:
            self.assertRegex(error, LEFT_DURING_DELAY)
        # 0.4 s of client timeouts (about 0.45 s in all here); each assertion and the cleanup
        # used to wait 1 s more (4.5 s in all), and the delay itself is 30 s. A generous margin
        # for a loaded machine.
        self.assertLess(elapsed, 2.5)

    def test_a_client_that_closes_at_once_is_recorded_as_gone(self) -> None:
        stubs = StubApp()
        stubs.stub("POST", "/slow").respond(delay=FOREVER)
        recorder = Recorder(stubs)
        self.addCleanup(recorder.clear)
        with AppRunner(recorder) as runner:
            with socket.create_connection(runner.address, timeout=10) as sock:
                sock.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody")
            self.assertTrue(recorder.wait_for(bool, 10))  # the exchange is over
            self.assertEqual(runner.errors, [])
        [request] = recorder.requests
        self.assertIsInstance(request.error, ConnectionError)
        self.assertRegex(str(request.error), r"^the client disconnected 0\.[0-9]{2}s after its "
                                             r"request, during the stub's 30s delay$")
        self.assertIsNone(request.response)
        self.assertEqual(request.body, b"body")

    def test_a_client_that_stops_reading_a_dribble(self) -> None:
        stubs = StubApp()
        stubs.stub("GET", "/drip").respond(text="x" * 400).fault("dribble", pause=FOREVER)
        recorder = Recorder(stubs)
        self.addCleanup(recorder.clear)
        with AppRunner(recorder) as runner:
            connection = http.client.HTTPConnection(*runner.address, timeout=0.2)
            connection.request("GET", "/drip")
            with self.assertRaises(OSError):  # the client's timeout, on the status line
                connection.getresponse()
            connection.close()
            [request] = recorder.requests
            started = time.monotonic()
            self.assertTrue(request.wait(10))
            self.assertLess(time.monotonic() - started, 5.0)  # not the 30 s pause
            self.assertEqual(runner.errors, [])
        self.assertRegex(str(request.error), r"^the client disconnected 0\.[0-9]{2}s after its "
                                             r"request, 16 of the [0-9]+ bytes of the dribbled "
                                             r"response sent$")

    def test_over_tls_too(self) -> None:
        stubs = StubApp()
        stubs.stub("GET", "/slow").respond(delay=FOREVER)
        recorder = Recorder(stubs)
        self.addCleanup(recorder.clear)
        with AppRunner(recorder, tls=True) as runner:
            context = fakeserver.client_ssl_context()
            with self.assertRaises(OSError):
                urllib.request.urlopen(runner.url + "/slow", timeout=0.2, context=context)
            [request] = recorder.requests
            self.assertTrue(request.wait(10))
        self.assertRegex(str(request.error), LEFT_DURING_DELAY)

    def test_a_client_sending_its_next_request_meanwhile_is_still_there(self) -> None:
        matched = threading.Event()
        stubs = StubApp()
        stubs.stub("GET", "/slow", predicate=lambda request: not matched.set()).respond(
            text="slow", delay=0.3)
        stubs.stub("GET", "/next").respond(text="next")
        with AppRunner(stubs) as runner:
            with socket.create_connection(runner.address, timeout=10) as sock:
                sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertTrue(matched.wait(10))  # it waits out its delay: send the next one
                sock.sendall(b"GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                first, second = read_until_closed(sock).split(b"HTTP/1.1 ")[1:]
        self.assertEqual((first[:6], first[-4:]), (b"200 OK", b"slow"))
        self.assertEqual((second[:6], second[-4:]), (b"200 OK", b"next"))


if __name__ == "__main__":
    unittest.main()
