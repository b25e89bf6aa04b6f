"""Fault injection against real clients: the error each really raises, and a healthy server after."""

from __future__ import annotations

import http.client
import time
import unittest
import urllib.error
import urllib.request
from contextlib import closing

from fakeserver import ServerTestCase
from tests.support import exchange, import_extra


class FaultTest(ServerTestCase, unittest.TestCase):
    def tearDown(self) -> None:
        # Every fault costs only its own connection: the server answers at once.
        self.stub("GET", "/healthy").respond(text="fine")
        with urllib.request.urlopen(self.url("/healthy"), timeout=5) as response:
            self.assertEqual(response.read(), b"fine")
        super().tearDown()

    def http_client_get(self, path: str) -> bytes:
        with closing(http.client.HTTPConnection(*self.server.address, timeout=5)) as connection:
            connection.request("GET", path)
            return connection.getresponse().read()

    def test_reset(self) -> None:
        self.stub("GET", "/reset").fault("reset")
        with self.assertRaises(ConnectionResetError):
            self.http_client_get("/reset")
        with self.assertRaises(ConnectionResetError):
            urllib.request.urlopen(self.url("/reset"), timeout=5)

    def test_close(self) -> None:
        self.stub("GET", "/close").fault("close")
        with self.assertRaises(http.client.RemoteDisconnected):
            self.http_client_get("/close")
        with self.assertRaises(http.client.RemoteDisconnected):
            urllib.request.urlopen(self.url("/close"), timeout=5)

    def test_malformed(self) -> None:
        self.stub("GET", "/garbage").fault("malformed")
        with self.assertRaises(http.client.BadStatusLine):
            self.http_client_get("/garbage")
        with self.assertRaises(http.client.BadStatusLine):
            urllib.request.urlopen(self.url("/garbage"), timeout=5)

    def test_truncate(self) -> None:
        self.stub("GET", "/short").respond(text="the start of a body").fault("truncate")
        with self.assertRaises(http.client.IncompleteRead) as caught:
            self.http_client_get("/short")
        self.assertEqual(caught.exception.partial, b"the start of a body")
        with urllib.request.urlopen(self.url("/short"), timeout=5) as response:
            with self.assertRaises(http.client.IncompleteRead):
                response.read()

    def test_truncate_promises_more_than_it_sends(self) -> None:
        self.stub("GET", "/short").respond(422, text="abc").fault("truncate")
        response = exchange(self.server.address, b"GET /short HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(response, b"HTTP/1.1 422 Unprocessable Content\r\n"
                                   b"Content-Length: 1027\r\n\r\nabc")

    def test_dribble(self) -> None:
        body = b"x" * 100
        self.stub("GET", "/drip").respond(body=body).fault("dribble", pause=0.002)
        with closing(http.client.HTTPConnection(*self.server.address, timeout=5)) as connection:
            started = time.monotonic()
            connection.request("GET", "/drip")
            response = connection.getresponse()
            pieces = []
            while True:
                piece = response.read1(1000)
                if not piece:
                    break
                pieces.append(piece)
            elapsed = time.monotonic() - started
        self.assertEqual(b"".join(pieces), body)
        self.assertGreater(len(pieces), 1)  # it really arrived in pieces
        self.assertTrue(all(len(piece) <= 16 for piece in pieces[1:]))
        self.assertGreater(elapsed, 0.002 * 10)

    def test_delay(self) -> None:
        self.stub("GET", "/late").respond(text="late", delay=0.1)
        started = time.monotonic()
        self.assertEqual(self.http_client_get("/late"), b"late")
        self.assertGreaterEqual(time.monotonic() - started, 0.1)

    def test_later_calls_after_a_fault(self) -> None:
        self.stub("GET", "/flaky").fault("close").then(200, text="recovered")
        with self.assertRaises(http.client.RemoteDisconnected):
            self.http_client_get("/flaky")
        self.assertEqual(self.http_client_get("/flaky"), b"recovered")


class RequestsFaultTest(ServerTestCase, unittest.TestCase):
    def test_each_fault_as_requests_reports_it(self) -> None:
        requests = import_extra("requests")
        self.stub("GET", "/reset").fault("reset")
        self.stub("GET", "/close").fault("close")
        self.stub("GET", "/garbage").fault("malformed")
        self.stub("GET", "/short").respond(text="partial").fault("truncate")
        self.stub("GET", "/drip").respond(text="slowly but surely").fault("dribble", pause=0.001)
        with requests.Session() as session:
            for path in ("/reset", "/close", "/garbage"):
                with self.subTest(path=path), self.assertRaises(requests.ConnectionError):
                    session.get(self.url(path), timeout=5)
            with self.assertRaises(requests.exceptions.ChunkedEncodingError):
                session.get(self.url("/short"), timeout=5)
            self.assertEqual(session.get(self.url("/drip"), timeout=5).text, "slowly but surely")
        self.assertAllStubsUsed()


if __name__ == "__main__":
    unittest.main()
