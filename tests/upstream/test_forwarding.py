"""What the lean client changes for a proxied exchange: answers framed every way relayed whole,
interim answers kept back, and a malformed answer or an unsendable request answered 502."""

from __future__ import annotations

import http.client
import socket
import unittest
from typing import Any, Callable

from fakeserver import ProxyApp, Recorder
from fakeserver._upstream.client import ProtocolError
from fakeserver._upstream.forwarding import UpstreamError
from tests.support import read_until_closed, status_of
from tests.support.upstreams import OK, TIMEOUT, ScriptedUpstream, answering, fetch, raw_app, serve


class RelayTest(unittest.TestCase):
    def proxied(self, app: Callable[..., Any]) -> Any:
        proxy = ProxyApp(serve(self, app).url)
        self.addCleanup(proxy.close)
        return serve(self, Recorder(proxy))

    def test_an_answer_ending_with_the_connection(self) -> None:
        fake = self.proxied(raw_app(b"HTTP/1.1 200 OK\r\nX-Kind: raw\r\n\r\n", b"all of ", b"it",
                                    pause=0.02))
        connection = http.client.HTTPConnection(*fake.address, timeout=TIMEOUT)
        self.addCleanup(connection.close)
        connection.request("GET", "/")
        response = connection.getresponse()
        self.assertEqual((response.status, response.getheader("X-Kind"), response.read()),
                         (200, "raw", b"all of it"))
        self.assertEqual(response.getheader("Transfer-Encoding"), "chunked")  # the fake's framing

    def test_interim_answers_are_kept_back(self) -> None:
        fake = self.proxied(raw_app(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n", OK))
        with socket.create_connection(fake.address, timeout=TIMEOUT) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer = read_until_closed(sock)
        self.assertTrue(answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer)
        self.assertNotIn(b"103", answer)
        self.assertTrue(answer.endswith(b"\r\n\r\nok"), answer)

    def test_answers_without_a_body_keep_the_client_connection(self) -> None:
        for status, headers in (("204 No Content", []),
                                ("304 Not Modified", [("ETag", '"1"'), ("Content-Length", "5")])):
            with self.subTest(status=status):
                fake = self.proxied(answering(status, headers))
                connection = http.client.HTTPConnection(*fake.address, timeout=TIMEOUT)
                self.addCleanup(connection.close)
                for _ in range(2):  # the second on the same connections, both sides
                    connection.request("GET", "/")
                    response = connection.getresponse()
                    self.assertEqual((response.status, response.read()), (int(status[:3]), b""))


class RefusalTest(unittest.TestCase):
    def test_a_malformed_answer_is_a_502_naming_it(self) -> None:
        upstream = ScriptedUpstream(self, [b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n"])
        proxy = ProxyApp(upstream.url)
        self.addCleanup(proxy.close)
        fake = serve(self, Recorder(proxy))
        with self.assertLogs("fakeserver", "WARNING"):
            status, _, body = fetch(fake.url)
        [record] = fake.app.settle()  # type: ignore[attr-defined]
        self.assertEqual((status, body.decode()), (502, f"502 Bad Gateway: {record.error}\n"))
        self.assertEqual(str(record.error), (
            f"upstream {upstream.url} answered with a malformed response: "
            "invalid response: malformed header line b'Bad Name: x\\r\\n'"))
        self.assertIsInstance(record.error.__cause__, ProtocolError)
        self.assertEqual(fake.errors, [])

    def test_a_target_no_upstream_may_be_sent_is_a_502(self) -> None:
        upstream = serve(self, answering("200 OK", [("Content-Length", "0")]), record=True)
        proxy = ProxyApp(upstream.url)
        self.addCleanup(proxy.close)
        fake = serve(self, Recorder(proxy))
        with self.assertLogs("fakeserver", "WARNING"), \
                socket.create_connection(fake.address, timeout=TIMEOUT) as sock:
            sock.sendall(b"GET /a\x01b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer = read_until_closed(sock)
            [record] = fake.app.settle()  # type: ignore[attr-defined]
        self.assertEqual(status_of(answer), 502)
        self.assertIsInstance(record.error, UpstreamError)
        self.assertEqual(str(record.error), (
            f"cannot forward this request to upstream {upstream.url}: invalid request line "
            "'GET /a\\x01b': the method must be a token and the target free of spaces and "
            "control characters"))
        self.assertEqual(upstream.app.requests, [])  # type: ignore[attr-defined]


if __name__ == "__main__":
    unittest.main()
