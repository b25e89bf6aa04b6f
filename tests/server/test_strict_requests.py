"""Requests read as RFC 9112 and h11 read them: what could be framed two ways is refused.

Each test sends raw bytes, because the clients a test would use never send
them; the refusals are 400 (501 for a transfer coding we do not implement),
answered with ``Connection: close`` and logged.
"""

from __future__ import annotations

import http.client
import socket
import unittest
from typing import Any, Callable

from fakeserver import AppRunner, Recorder
from tests.server.test_gateway import ServerCase
from tests.support import exchange, read_until_closed, status_of

CRLF = b"\r\n"


def _environ_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Answer with what the request looked like to a WSGI app."""
    body = repr({key: environ.get(key) for key in ("HTTP_HOST", "PATH_INFO", "QUERY_STRING")})
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body.encode("latin-1")]


def _ignoring_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Answer at once, reading none of the request body."""
    start_response("403 Forbidden", [("Content-Length", "2")])
    return [b"no"]


class StrictCase(ServerCase):
    def tearDown(self) -> None:
        self.assertEqual(self.runner.errors, [])

    def refused(self, data: bytes, status: int, detail: str) -> bytes:
        """Send *data*; assert the answer has *status*, says *detail*, closes, and is logged."""
        with self.assertLogs("fakeserver", "WARNING") as logs:
            response = exchange(self.runner.address, data)
        self.assertEqual(status_of(response), status, response[:300])
        self.assertIn(b"Connection: close", response)
        self.assertIn(detail.encode("latin-1"), response)
        self.assertIn(detail, "\n".join(logs.output))
        self.assertNotIn("Traceback", "\n".join(logs.output))
        return response

    def served(self, data: bytes) -> bytes:
        response = exchange(self.runner.address, data)
        self.assertEqual(status_of(response), 200, response[:300])
        return response


class TransferEncodingTest(StrictCase):
    def test_http_1_0_with_transfer_encoding_is_answered_then_closed(self) -> None:
        # RFC 9112 section 6.1: the framing is faulty, even when the body is well chunked.
        sock = socket.create_connection(self.runner.address, timeout=5)
        self.addCleanup(sock.close)
        sock.sendall(b"POST /first HTTP/1.0\r\nConnection: keep-alive\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                     b"GET /second HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        response = read_until_closed(sock)
        self.assertEqual(response.count(b"HTTP/1.1 "), 1, response)
        self.assertIn(b"X-Path: /first", response)
        self.assertIn(b"Connection: close", response)
        self.assertTrue(response.endswith(b"\r\n\r\nabc"), response)

    def test_codings_over_several_field_lines_are_one_list(self) -> None:
        for lines, listed in ((b"gzip\r\nTransfer-Encoding: chunked", "gzip,chunked"),
                              (b"chunked\r\nTransfer-Encoding: chunked", "chunked,chunked")):
            with self.subTest(listed=listed):
                self.refused(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + lines +
                             b"\r\n\r\n0\r\n\r\n", 501, f"transfer coding {listed!r}")

    def test_the_combined_list_may_be_just_chunked(self) -> None:
        response = self.served(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: , Chunked\r\n"
                               b"Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        self.assertTrue(response.endswith(b"\r\n\r\nabc"), response)

    def test_a_vertical_tab_is_no_whitespace(self) -> None:
        self.refused(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \x0bchunked\r\n\r\n"
                     b"0\r\n\r\n", 400, "control character in header field")


class ContentLengthTest(StrictCase):
    def test_thousands_of_digits(self) -> None:
        digits = b"9" * 5000
        response = self.refused(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + digits +
                                b"\r\n\r\n", 400, "invalid Content-Length '" + "9" * 40 + "'")
        self.assertLess(len(response), 400)  # the answer does not echo the digits

    def test_twenty_digits_are_a_length(self) -> None:
        response = self.served(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 00000000000000000003"
                               b"\r\nConnection: close\r\n\r\nabc")
        self.assertTrue(response.endswith(b"\r\n\r\nabc"), response)


class ControlCharacterTest(StrictCase):
    def test_control_characters_in_field_values(self) -> None:
        for value in (b"a\rb", b"a\x00b", b"a\x01b", b"a\x1fb", b"a\x7fb", b"a\x0cb", b"ab\r"):
            with self.subTest(value=value):
                self.refused(b"GET / HTTP/1.1\r\nHost: x\r\nX-Value: " + value + b"\r\n\r\n",
                             400, "control character in header field")

    def test_tabs_and_bytes_above_ascii_pass(self) -> None:
        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            start_response("200 OK", [])
            return [repr(environ["HTTP_X_VALUE"]).encode("latin-1")]

        with AppRunner(app) as runner:
            response = exchange(runner.address, b"GET / HTTP/1.1\r\nHost: x\r\n"
                                b"X-Value: \t a\tb\xe9 \t\r\nConnection: close\r\n\r\n")
        self.assertTrue(response.endswith(b"\r\n\r\n'a\\tb\xe9'"), response)


class HostTest(StrictCase):
    def test_two_host_fields(self) -> None:
        self.refused(b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400,
                     "more than one Host header field")

    def test_invalid_host_values(self) -> None:
        for value in (b"a b", b"a/b", b"user@a", b"a:80x", b"[::1", b"a%zz", b"a:b:c",
                      b"a:0", b"a:65536", b"a:" + b"0" * 10 + b"80", b"[zz]"):
            with self.subTest(value=value):
                self.refused(b"GET / HTTP/1.1\r\nHost: " + value + b"\r\n\r\n", 400,
                             f"invalid Host {value.decode()!r}")

    def test_valid_host_values(self) -> None:
        for value in (b"", b"a", b"a:80", b"127.0.0.1:8000", b"[::1]:8000", b"xn--caf-dma.test",
                      b"a%2Db", b"a:"):
            with self.subTest(value=value):
                self.served(b"GET / HTTP/1.1\r\nHost: " + value + b"\r\nConnection: close\r\n\r\n")


class TargetTest(StrictCase):
    app = staticmethod(_environ_app)

    def test_an_absolute_target_names_the_host(self) -> None:
        recorder = Recorder(_environ_app)
        with AppRunner(recorder) as runner:
            response = exchange(runner.address, b"GET http://example.test:8080/p%20q?x=1 "
                                b"HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n")
        self.assertTrue(response.endswith(
            b"{'HTTP_HOST': 'example.test:8080', 'PATH_INFO': '/p q', 'QUERY_STRING': 'x=1'}"),
            response)
        [request] = recorder.requests
        self.assertEqual(request.url, "http://example.test:8080/p%20q?x=1")

    def test_an_absolute_target_without_a_path(self) -> None:
        response = self.served(b"GET HTTP://[::1]:81?x HTTP/1.1\r\nHost: h\r\n"
                               b"Connection: close\r\n\r\n")
        self.assertTrue(response.endswith(
            b"{'HTTP_HOST': '[::1]:81', 'PATH_INFO': '/', 'QUERY_STRING': 'x'}"), response)

    def test_invalid_targets(self) -> None:
        for target, detail in ((b"ftp://h/p", "unsupported scheme in request target 'ftp://h/p'"),
                               (b"http://u@h/p", "user information in request target"),
                               (b"http:///p", "invalid host in request target"),
                               (b"http://h:0/p", "invalid host in request target 'http://h:0/p'"),
                               (b"http://h#f", "invalid request target"),
                               (b"p", "invalid request target 'p'"),
                               (b"h:80", "invalid request target 'h:80'"),
                               (b"*", "the target * is for OPTIONS only, not GET")):
            with self.subTest(target=target):
                self.refused(b"GET " + target + b" HTTP/1.1\r\nHost: h\r\n\r\n", 400, detail)

    def test_the_asterisk_form_with_options(self) -> None:
        response = self.served(b"OPTIONS * HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        self.assertIn(b"'PATH_INFO': '*'", response)

    def test_connect_takes_host_and_port_only(self) -> None:
        for target in (b"/p", b"h", b"h:", b"http://h:80/", b"443", b"h:0", b"h:65536",
                       b"[zz]:443"):
            with self.subTest(target=target):
                self.refused(b"CONNECT " + target + b" HTTP/1.1\r\nHost: h\r\n\r\n", 400,
                             f"CONNECT target {target.decode()!r} is not host:port")


class ChunkedTest(StrictCase):
    def chunked(self, body: bytes) -> bytes:
        return b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body

    def test_chunk_size_lines(self) -> None:
        for line in (b"3\n", b" 3\r\n", b"3 x\r\n", b"3;a\x00b\r\n", b"+3\r\n"):
            with self.subTest(line=line):
                self.refused(self.chunked(line + b"abc\r\n0\r\n\r\n"), 400,
                             f"invalid chunk size line {line!r}")

    def test_a_chunk_ends_in_crlf(self) -> None:
        for end in (b"\n", b"xx"):
            with self.subTest(end=end):
                self.refused(self.chunked(b"3\r\nabc" + end + b"0\r\n\r\n"), 400,
                             "chunk not followed by CRLF")

    def test_malformed_trailer_lines(self) -> None:
        for line, detail in ((b"no colon", "malformed trailer line"),
                             (b"Bad Name: v", "malformed trailer line"),
                             (b" X: folded", "malformed trailer line"),
                             (b"X: a\x00b", "control character in trailer field")):
            with self.subTest(line=line):
                self.refused(self.chunked(b"3\r\nabc\r\n0\r\n" + line + b"\r\n\r\n"), 400,
                             f"{detail} {line + CRLF!r}")

    def test_extensions_and_trailers_as_the_grammar_has_them(self) -> None:
        response = self.served(self.chunked(b"3 ;name=\"v\"\t\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"))
        self.assertTrue(response.endswith(b"\r\n\r\nabc"), response)


class ConnectTest(StrictCase):
    @staticmethod
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        status = "200 Connection Established" if environ["PATH_INFO"] == "h:443" else "403 No"
        start_response(status, [("Content-Length", "0")])
        return [b""]

    def test_a_2xx_answer_carries_no_framing_fields(self) -> None:
        response = exchange(self.runner.address, b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n")
        head = response.split(b"\r\n\r\n")[0]
        self.assertTrue(head.startswith(b"HTTP/1.1 200 Connection Established\r\n"), head)
        self.assertNotIn(b"Content-Length", head)
        self.assertNotIn(b"Transfer-Encoding", head)
        self.assertIn(b"Connection: close", head)

    def test_other_answers_are_framed(self) -> None:
        response = exchange(self.runner.address, b"CONNECT h:80 HTTP/1.1\r\nHost: h:80\r\n\r\n")
        self.assertIn(b"\r\nContent-Length: 0\r\n", response)


class UnreadBodyTest(StrictCase):
    app = staticmethod(_ignoring_app)

    def test_a_large_unread_body_is_announced_with_close(self) -> None:
        connection = http.client.HTTPConnection(*self.runner.address, timeout=10)
        self.addCleanup(connection.close)
        connection.request("POST", "/", body=b"x" * (2 << 20))
        response = connection.getresponse()
        self.assertEqual((response.status, response.read()), (403, b"no"))
        self.assertEqual(response.headers["Connection"], "close")
        self.assertTrue(response.will_close)

    def test_an_unread_body_of_unknown_length_is_announced_with_close(self) -> None:
        response = exchange(self.runner.address, b"POST / HTTP/1.1\r\nHost: x\r\n"
                            b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        self.assertIn(b"\r\nConnection: close\r\n", response)

    def test_a_body_held_back_for_100_continue_is_announced_with_close(self) -> None:
        response = exchange(self.runner.address, b"POST / HTTP/1.1\r\nHost: x\r\n"
                            b"Expect: 100-continue\r\nContent-Length: 10\r\n\r\n")
        self.assertTrue(response.startswith(b"HTTP/1.1 403 Forbidden\r\n"), response)
        self.assertIn(b"\r\nConnection: close\r\n", response)

    def test_a_small_unread_body_is_drained_and_the_connection_kept(self) -> None:
        connection = http.client.HTTPConnection(*self.runner.address, timeout=10)
        self.addCleanup(connection.close)
        for _ in range(2):
            connection.request("POST", "/", body=b"x" * 1000)
            response = connection.getresponse()
            self.assertEqual(response.read(), b"no")
            self.assertIsNone(response.headers["Connection"])


if __name__ == "__main__":
    unittest.main()
