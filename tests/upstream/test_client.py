"""The lean upstream client against real upstreams: every way an answer is framed, kept-alive
connections the upstream closes, and answers that break HTTP/1.1."""

from __future__ import annotations

import socket
import struct
import threading
import time
import unittest
from typing import Any, Callable

from fakeserver._http.wire import write_request_head
from fakeserver._upstream import client
from fakeserver._upstream.client import Disconnected, ProtocolError, Response, UpstreamConnection
from tests.support import read_body, streaming_app
from tests.support.upstreams import OK, TIMEOUT, ScriptedUpstream, answering, raw_app, serve


def connect(test: unittest.TestCase, url: str) -> UpstreamConnection:
    """A connection to the ``http://127.0.0.1:PORT`` of *url*, closed by a cleanup of *test*."""
    connection = UpstreamConnection("127.0.0.1", int(url.rpartition(":")[2]), timeout=TIMEOUT)
    test.addCleanup(connection.close)
    return connection


def exchange(connection: UpstreamConnection, method: str = "GET", target: str = "/",
             fields: tuple[tuple[str, str], ...] = (), body: bytes = b"") -> tuple[Response, bytes]:
    """Send a request on *connection*; return the response and its whole body."""
    connection.send(write_request_head(method, target, [("Host", "upstream"), *fields]) + body)
    response = connection.read_response(method)
    pieces: list[bytes] = []
    while True:
        piece = response.read1(65536)
        if not piece:
            return response, b"".join(pieces)
        pieces.append(piece)


class FramingTest(unittest.TestCase):
    def test_an_answer_of_known_length_keeps_the_connection(self) -> None:
        connection = connect(self, serve(self, answering(
            "201 Created", [("Content-Length", "5"), ("X-Id", "7")], b"hello")).url)
        response, body = exchange(connection)
        sock = connection.sock
        self.assertEqual((response.status, response.reason, response.version, body),
                         (201, "Created", "HTTP/1.1", b"hello"))
        self.assertIn(("X-Id", "7"), response.headers)
        self.assertTrue(response.reusable)
        self.assertEqual(exchange(connection)[1], b"hello")
        self.assertIs(connection.sock, sock)

    def test_a_chunked_answer_is_decoded(self) -> None:
        connection = connect(self, serve(self, streaming_app).url)
        for _ in range(2):  # still in step after the last chunk
            response, body = exchange(connection)
            self.assertEqual((response.chunked, response.length, body),
                             (True, None, b"one,two,three"))
            self.assertTrue(response.reusable)

    def test_chunk_extensions_and_trailers_are_skipped(self) -> None:
        chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"3;name=value\r\nabc\r\n2\r\nde\r\n0\r\nX-Checksum: 1\r\nX-More: 2\r\n\r\n")
        connection = connect(self, ScriptedUpstream(self, [chunked, OK]).url)
        self.assertEqual(exchange(connection)[1], b"abcde")
        self.assertEqual(exchange(connection)[1], b"ok")

    def test_an_answer_without_length_ends_with_the_connection(self) -> None:
        connection = connect(self, serve(self, raw_app(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", b"until the ", b"end",
            pause=0.02)).url)
        response, body = exchange(connection)
        self.assertEqual((response.length, response.will_close, body), (None, True, b"until the end"))
        self.assertFalse(response.reusable)

    def test_head_has_no_body(self) -> None:
        connection = connect(self, serve(self, answering(
            "200 OK", [("Content-Length", "5")], b"hello")).url)
        response, body = exchange(connection, "HEAD")
        self.assertEqual((response.length, body), (0, b""))
        self.assertIn(("Content-Length", "5"), response.headers)
        self.assertTrue(response.reusable)
        self.assertEqual(exchange(connection)[1], b"hello")

    def test_204_and_304_have_no_body(self) -> None:
        for status, headers in (("204 No Content", []),
                                ("304 Not Modified", [("Content-Length", "5")])):
            with self.subTest(status=status):
                connection = connect(self, serve(self, answering(status, headers)).url)
                response, body = exchange(connection)
                self.assertEqual((response.status, body), (int(status[:3]), b""))
                self.assertTrue(response.reusable)

    def test_interim_answers_are_skipped(self) -> None:
        def echo(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            body = read_body(environ)  # sends 100 Continue first
            start_response("200 OK", [("Content-Length", str(len(body)))])
            return [body]
        connection = connect(self, serve(self, echo).url)
        response, body = exchange(connection, "POST", fields=(
            ("Expect", "100-continue"), ("Content-Length", "4")), body=b"data")
        self.assertEqual((response.status, body), (200, b"data"))
        hints = (b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                 b"HTTP/1.1 102 Processing\r\n\r\n")
        connection = connect(self, serve(self, raw_app(hints, OK)).url)
        response, body = exchange(connection)
        self.assertEqual((response.status, response.headers, body),
                         (200, [("Content-Length", "2")], b"ok"))

    def test_http_1_0_answers_close_unless_kept_alive(self) -> None:
        for answer, reusable in (
                (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", False),
                (b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok", True),
                (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", False)):
            with self.subTest(answer=answer):
                connection = connect(self, ScriptedUpstream(self, [answer]).url)
                response, body = exchange(connection)
                self.assertEqual((body, response.reusable), (b"ok", reusable))

    def test_a_head_in_pieces_with_bare_line_feeds(self) -> None:
        connection = connect(self, serve(self, raw_app(
            b"HTTP/1.1 200 OK\nX-First: 1\n", b"Content-Length: 2\n", b"\nok", pause=0.02)).url)
        response, body = exchange(connection)
        self.assertEqual((response.headers, body),
                         ([("X-First", "1"), ("Content-Length", "2")], b"ok"))

    def test_field_values_lose_the_spaces_around_them(self) -> None:
        connection = connect(self, ScriptedUpstream(self, [
            b"HTTP/1.1 200 \r\nX-Spaced: \t a b \t\r\nX-Empty:\r\nContent-Length: 0\r\n\r\n"]).url)
        response, _ = exchange(connection)
        self.assertEqual((response.reason, response.headers),
                         ("", [("X-Spaced", "a b"), ("X-Empty", ""), ("Content-Length", "0")]))

    def test_bytes_after_the_answer_make_the_connection_unusable(self) -> None:
        connection = connect(self, ScriptedUpstream(self, [OK + b"HTTP/1.1 200 OK\r\n"]).url)
        response, body = exchange(connection)
        self.assertEqual(body, b"ok")
        self.assertFalse(response.reusable)


class ClosedConnectionTest(unittest.TestCase):
    def test_closed_instead_of_answering(self) -> None:
        upstream = ScriptedUpstream(self, [OK, None])  # reads the second request, then closes
        connection = connect(self, upstream.url)
        self.assertTrue(exchange(connection)[0].reusable)
        with self.assertRaises(Disconnected) as caught:
            exchange(connection)
        self.assertIsInstance(caught.exception, ConnectionError)
        self.assertEqual(str(caught.exception), "Remote end closed connection without response")

    def test_closed_while_idle(self) -> None:
        upstream = ScriptedUpstream(self, [OK])  # then closes, though it did not say so
        connection = connect(self, upstream.url)
        self.assertTrue(exchange(connection)[0].reusable)
        self.assertTrue(upstream.closed.wait(TIMEOUT))
        with self.assertRaises(ConnectionError):  # Disconnected, or reset by the upstream
            exchange(connection)

    def test_close_is_idempotent(self) -> None:
        connection = connect(self, ScriptedUpstream(self, [OK]).url)
        exchange(connection)
        connection.close()
        connection.close()
        self.assertIsNone(connection.sock)


class MalformedAnswerTest(unittest.TestCase):
    def assertFails(self, answer: bytes, error: type[Exception], message: str) -> None:
        connection = connect(self, ScriptedUpstream(self, [answer]).url)
        with self.assertRaises(error) as caught:
            exchange(connection)
        self.assertEqual(str(caught.exception), message)

    def test_heads(self) -> None:
        cases = {
            b"HTTP/2 200 OK\r\n\r\n": r"invalid status line b'HTTP/2 200 OK\r\n'",
            b"HTTP/1.1 20 OK\r\n\r\n": r"invalid status line b'HTTP/1.1 20 OK\r\n'",
            b"HTTP/1.1 200 O\x01K\r\n\r\n": r"invalid status line b'HTTP/1.1 200 O\x01K\r\n'",
            b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n":
                r"invalid response: malformed header line b'Bad Name: x\r\n'",
            b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\n\r\n":
                r"invalid response: malformed header line b' b\r\n'",
            b"HTTP/1.1 200 OK\r\nX-Nul: a\x00b\r\n\r\n":
                r"invalid response: control character in header field b'X-Nul: a\x00b\r\n'",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nok":
                "invalid Content-Length '2x' in the response",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok":
                "invalid Content-Length '3' in the response",
            b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 101 + b"\r\n":
                "more than 100 header fields in the response",
            b"HTTP/1.1 200 OK\r\nX-Cut: off": "connection closed in the middle of the response head",
        }
        for answer, message in cases.items():
            with self.subTest(answer=answer[:40]):
                self.assertFails(answer, ProtocolError, message)

    def test_a_head_too_long(self) -> None:
        self.assertFails(b"HTTP/1.1 200 OK\r\nX-Long: " + b"x" * 70000 + b"\r\n\r\n",
                         ProtocolError, "response head over 65536 bytes")

    def test_bodies(self) -> None:
        chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        cases = {
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc":
                (ConnectionError, "closed 7 bytes short of its Content-Length"),
            chunked + b"zz\r\n": (ProtocolError, r"invalid chunk size line b'zz\r\n' in the response"),
            chunked + b"5\r\nabcdeX\r\n": (ProtocolError, "chunk not followed by CRLF in the response"),
            chunked + b"5\r\nabc": (ConnectionError, "closed in the middle of its chunked body"),
            chunked + b"3\r\nabc\r\n": (ConnectionError, "closed in the middle of its chunked body"),
        }
        for answer, (error, message) in cases.items():
            with self.subTest(answer=answer[-12:]):
                self.assertFails(answer, error, message)


class ConnectingTest(unittest.TestCase):
    def test_connects_on_the_first_send_without_nagle_s_delay(self) -> None:
        connection = connect(self, ScriptedUpstream(self, [OK]).url)
        self.assertIsNone(connection.sock)
        exchange(connection)
        assert connection.sock is not None
        self.assertEqual(connection.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), 1)


class _SlowReader:
    """A raw upstream that reads nothing for *pause* seconds, then the request of *size*
    body bytes, and answers with how many it got; None: it never reads."""

    def __init__(self, test: unittest.TestCase, size: int, pause: float | None) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._size, self._pause = size, pause
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        test.addCleanup(self._stop)

    def _serve(self) -> None:
        sock, _ = self._listener.accept()
        with sock:
            if self._pause is None:
                self._done.wait(TIMEOUT)
                return
            time.sleep(self._pause)
            received = b""
            while received.count(b"\r\n\r\n") == 0 or \
                    len(received.partition(b"\r\n\r\n")[2]) < self._size:
                data = sock.recv(1 << 20)
                if not data:
                    return
                received += data
            answer = str(len(received.partition(b"\r\n\r\n")[2])).encode()
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer))

    def _stop(self) -> None:
        self._done.set()
        self._listener.close()
        self._thread.join(TIMEOUT)


class SendingTest(unittest.TestCase):
    HEAD_FIELDS = [("Host", "upstream"), ("Content-Length", str(16 << 20))]

    def test_a_head_and_its_body_arrive_whole(self) -> None:
        connection = connect(self, serve(self, _counting_app).url)
        body = bytes(range(256)) * 4096
        connection.send(write_request_head("POST", "/", [("Host", "upstream"), (
            "Content-Length", str(len(body)))]), body)
        response = connection.read_response("POST")
        self.assertEqual(response.read1(100), b"1048576 %d" % sum(body))

    def test_a_body_the_upstream_is_slow_to_take_arrives_whole(self) -> None:
        # Past the timeout, so that the first send returns partly done; well before twice
        # the timeout, so that the next one sees the upstream read.
        upstream = _SlowReader(self, 16 << 20, pause=0.55)
        connection = UpstreamConnection("127.0.0.1", upstream.port, timeout=0.5)
        self.addCleanup(connection.close)
        connection.send(write_request_head("POST", "/", self.HEAD_FIELDS), b"x" * (16 << 20))
        response = connection.read_response("POST")
        self.assertEqual(response.read1(100), str(16 << 20).encode())

    def test_an_upstream_taking_nothing_times_the_send_out(self) -> None:
        upstream = _SlowReader(self, 16 << 20, pause=None)
        connection = UpstreamConnection("127.0.0.1", upstream.port, timeout=0.3)
        self.addCleanup(connection.close)
        started = time.monotonic()
        with self.assertRaisesRegex(socket.timeout, "timed out"):
            connection.send(write_request_head("POST", "/", self.HEAD_FIELDS), b"x" * (16 << 20))
        self.assertLess(time.monotonic() - started, 5)

    def test_an_upstream_answering_late_times_the_read_out(self) -> None:
        upstream = _SlowReader(self, 0, pause=None)
        connection = UpstreamConnection("127.0.0.1", upstream.port, timeout=0.3)
        self.addCleanup(connection.close)
        connection.send(write_request_head("GET", "/", [("Host", "upstream")]))
        started = time.monotonic()
        with self.assertRaisesRegex(socket.timeout, "timed out"):
            connection.read_response("GET")
        self.assertGreater(time.monotonic() - started, 0.25)

    @unittest.skipUnless(client._KERNEL_TIMEOUTS, "the kernel's timeouts are used on 64-bit Linux")
    def test_a_plain_connection_blocks_with_the_kernel_s_timeouts(self) -> None:
        connection = UpstreamConnection("127.0.0.1", int(serve(self, _counting_app).url.rpartition(
            ":")[2]), timeout=2.5)
        self.addCleanup(connection.close)
        connection.send(write_request_head("GET", "/", [("Host", "upstream")]))
        assert connection.sock is not None
        self.assertIsNone(connection.sock.gettimeout())
        for option in (socket.SO_RCVTIMEO, socket.SO_SNDTIMEO):
            self.assertEqual(struct.unpack("ll", connection.sock.getsockopt(
                socket.SOL_SOCKET, option, struct.calcsize("ll"))), (2, 500000))


def _counting_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Answer with the size and the byte sum of the request body."""
    body = read_body(environ)
    answer = b"%d %d" % (len(body), sum(body))
    start_response("200 OK", [("Content-Length", str(len(answer)))])
    return [answer]


if __name__ == "__main__":
    unittest.main()
