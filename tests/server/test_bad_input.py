"""Malformed, oversized, truncated and stalled requests: each costs only its own connection."""

from __future__ import annotations

import http.client
import socket
import threading
import time
import unittest
import urllib.request

from fakeserver import AppRunner
from tests.support import echo_app, exchange, read_until_closed, status_of


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.runner = AppRunner(echo_app, max_body_size=1000)
        cls.runner.start()
        cls.addClassCleanup(cls.runner.stop)

    def tearDown(self) -> None:
        # Whatever the bad client did, everyone else is still served at once.
        with urllib.request.urlopen(self.runner.url + "/healthy", timeout=2) as response:
            self.assertEqual(response.headers["X-Path"], "/healthy")
        self.assertEqual(self.runner.errors, [])

    def refused(self, data: bytes, status: int, log_text: str, *, shut_write: bool = True) -> bytes:
        """Send *data*; assert the answer has *status*, closes, and is logged."""
        with self.assertLogs("fakeserver", "WARNING") as logs:
            response = exchange(self.runner.address, data, shut_write=shut_write)
        self.assertEqual(status_of(response), status, response[:200])
        self.assertIn(b"Connection: close", response)
        self.assertIn(log_text, "\n".join(logs.output))
        return response

    def test_garbage(self) -> None:
        self.refused(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\r\n\r\n", 400,
                     "malformed request line")

    def test_request_line_over_64_kib(self) -> None:
        self.refused(b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "request line over 65536")

    def test_headers_over_64_kib(self) -> None:
        headers = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 1000) for i in range(70))
        self.refused(b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n", 431, "header section over")

    def test_one_huge_header_line(self) -> None:
        self.refused(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * 70000 + b"\r\n\r\n", 431,
                     "header section over")

    def test_too_many_headers(self) -> None:
        headers = b"".join(b"X-H%d: v\r\n" % i for i in range(101))
        self.refused(b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n", 431, "more than 100 header fields")

    def test_malformed_header_line(self) -> None:
        self.refused(b"GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400, "malformed header line")

    def test_invalid_content_length(self) -> None:
        for value in (b"abc", b"-1", b"1e3", b" "):
            with self.subTest(value=value):
                self.refused(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + value + b"\r\n\r\n", 400,
                             "Content-Length")

    def test_conflicting_content_lengths(self) -> None:
        self.refused(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                     400, "conflicting Content-Length")

    def test_content_length_and_transfer_encoding(self) -> None:
        self.refused(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                     400, "both Content-Length and Transfer-Encoding")

    def test_unknown_transfer_encoding(self) -> None:
        self.refused(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "transfer coding")

    def test_invalid_chunk_size(self) -> None:
        self.refused(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
                     400, "invalid chunk size line")

    def test_body_over_the_limit(self) -> None:
        self.refused(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n", 413, "over the limit")

    def test_the_answer_is_named_as_rfc_9110_names_it_on_every_python(self) -> None:
        response = self.refused(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n", 413,
                                "over the limit")
        self.assertEqual(response, b"HTTP/1.1 413 Content Too Large\r\n"
                                   b"Content-Type: text/plain; charset=latin-1\r\n"
                                   b"Content-Length: 65\r\nConnection: close\r\n\r\n"
                                   b"413 Content Too Large: body of 5000 bytes over the limit of 1000\n")

    def test_chunked_body_over_the_limit(self) -> None:
        chunk = b"400\r\n" + b"x" * 1024 + b"\r\n"
        self.refused(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 2, 413,
                     "over the limit")

    def test_a_real_client_uploading_too_much_reads_the_413(self) -> None:
        # http.client sends the whole body before it reads: the server must
        # read (and drop) it after answering, or closing resets the connection
        # and the client never sees the 413.
        connection = http.client.HTTPConnection(*self.runner.address, timeout=10)
        self.addCleanup(connection.close)
        with self.assertLogs("fakeserver", "WARNING"):
            connection.request("POST", "/", body=b"x" * (8 << 20))
            response = connection.getresponse()
        self.assertEqual(response.status, 413)
        self.assertIn(b"over the limit of 1000", response.read())

    def test_an_answer_without_reading_a_big_body_reaches_the_client(self) -> None:
        def refusing_app(environ, start_response):
            start_response("403 Forbidden", [("Content-Length", "2")])
            return [b"no"]

        with AppRunner(refusing_app) as runner:
            for _ in range(3):
                connection = http.client.HTTPConnection(*runner.address, timeout=10)
                connection.request("PUT", "/", body=b"x" * (8 << 20))
                response = connection.getresponse()
                self.assertEqual((response.status, response.read()), (403, b"no"))
                connection.close()

    def test_body_shorter_than_announced(self) -> None:
        response = self.refused(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly this", 400,
                                "body ended after 9 of 100 bytes")
        self.assertIn(b"body ended after 9 of 100 bytes", response)

    def test_http_1_1_without_host(self) -> None:
        self.refused(b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400,
                     "HTTP/1.1 request without a Host header")

    def test_unsupported_http_version(self) -> None:
        self.refused(b"GET / HTTP/2.0\r\n\r\n", 505, "version")

    def test_unsupported_expectation(self) -> None:
        self.refused(b"POST / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx", 417,
                     "unsupported expectation")

    def test_client_disconnects_mid_body(self) -> None:
        with self.assertLogs("fakeserver", "WARNING") as logs:
            with socket.create_connection(self.runner.address) as sock:
                sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n" + b"x" * 500)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            # The reset reaches the server thread, which logs it; wait for that.
            deadline = time.monotonic() + 5
            while not logs.records and time.monotonic() < deadline:
                time.sleep(0.005)
        self.assertRegex("\n".join(logs.output), "body ended|connection lost")

    def test_client_disconnects_mid_head(self) -> None:
        for partial in (b"GET / HTTP/1.1\r\nHost: x\r\nHost: x\r\nX-Part", b"GET / HT"):
            with self.subTest(partial=partial), self.assertLogs("fakeserver", "WARNING") as logs:
                self.assertEqual(exchange(self.runner.address, partial), b"")
            self.assertIn("connection closed in the middle", logs.output[0])

    def test_silent_and_stalled_clients_do_not_delay_others(self) -> None:
        silent = socket.create_connection(self.runner.address)
        stalled = socket.create_connection(self.runner.address)
        self.addCleanup(silent.close)
        self.addCleanup(stalled.close)
        stalled.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nhalf")
        started = time.monotonic()
        for _ in range(5):
            with urllib.request.urlopen(self.runner.url + "/other", timeout=2) as response:
                self.assertEqual(response.status, 200)
        self.assertLess(time.monotonic() - started, 1.0)

    def test_stop_is_not_hung_by_bad_clients(self) -> None:
        reading = threading.Event()

        def app(environ, start_response):
            reading.set()
            return echo_app(environ, start_response)

        runner = AppRunner(app)
        runner.start()
        silent = socket.create_connection(runner.address)
        stalled = socket.create_connection(runner.address)
        self.addCleanup(silent.close)
        self.addCleanup(stalled.close)
        stalled.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nhalf")
        partial = socket.create_connection(runner.address)
        self.addCleanup(partial.close)
        partial.sendall(b"GET / HT")
        self.assertTrue(reading.wait(5))
        started = time.monotonic()
        with self.assertLogs("fakeserver", "WARNING"):
            runner.stop(timeout=0.2)
        self.assertLess(time.monotonic() - started, 1.5)
        self.assertFalse(any(t.name.startswith(runner.name) for t in threading.enumerate()))
        self.assertEqual(read_until_closed(silent), b"")

    def test_blank_lines_before_a_request_are_ignored(self) -> None:
        response = exchange(self.runner.address,
                            b"\r\n\r\nGET /blank HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(status_of(response), 200)


if __name__ == "__main__":
    unittest.main()
