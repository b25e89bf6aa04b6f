"""The HTTP/1.1 server and WSGI gateway, driven by real clients."""

from __future__ import annotations

import http.client
import socket
import threading
import unittest
import urllib.error
import urllib.request
import warnings
from wsgiref.validate import validator

from fakeserver import AppRunner
from tests.support import (
    echo_app, exchange, read_response, read_until_closed, status_of, streaming_app,
)


class ServerCase(unittest.TestCase):
    """Starts one server per test class serving ``app``."""

    app = staticmethod(echo_app)

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.runner = AppRunner(cls.app)
        cls.runner.start()
        cls.addClassCleanup(cls.runner.stop)

    def connect(self) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection(*self.runner.address, timeout=5)
        self.addCleanup(connection.close)
        return connection

    def raw(self) -> socket.socket:
        sock = socket.create_connection(self.runner.address, timeout=5)
        self.addCleanup(sock.close)
        return sock


class KeepAliveTest(ServerCase):
    def test_many_requests_on_one_connection(self) -> None:
        connection = self.connect()
        for i in range(20):
            connection.request("POST", f"/n/{i}", body=b"x" * i)
            response = connection.getresponse()
            self.assertEqual(response.read(), b"x" * i)
            self.assertEqual(response.headers["X-Path"], f"/n/{i}")
        # http.client reconnects silently if the server closed: check it did not.
        self.assertEqual(self.runner.address[1], connection.sock.getpeername()[1])

    def test_raw_pipelined_requests_on_one_socket(self) -> None:
        sock = self.raw()
        sock.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        first, second = read_until_closed(sock).split(b"HTTP/1.1 200 OK")[1:]
        self.assertIn(b"X-Path: /a", first)
        self.assertIn(b"X-Path: /b", second)

    def test_connection_close_is_honoured(self) -> None:
        sock = self.raw()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        response = read_until_closed(sock)
        self.assertIn(b"Connection: close", response)

    def test_http_1_0_client_is_served_and_closed(self) -> None:
        sock = self.raw()
        sock.sendall(b"GET /old HTTP/1.0\r\n\r\n")
        response = read_until_closed(sock)
        self.assertEqual(status_of(response), 200)
        self.assertIn(b"X-Path: /old", response)

    def test_http_1_0_keep_alive_is_honoured(self) -> None:
        sock = self.raw()
        for path in (b"/a", b"/b"):
            sock.sendall(b"GET " + path + b" HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            response = read_response(sock)
            self.assertIn(b"Connection: keep-alive", response)
            self.assertIn(b"X-Path: " + path, response)

    def test_burst_of_simultaneous_connects(self) -> None:
        results: list[int] = []
        barrier = threading.Barrier(60)

        def client() -> None:
            barrier.wait()
            with urllib.request.urlopen(self.runner.url + "/burst", timeout=10) as response:
                results.append(response.status)

        threads = [threading.Thread(target=client) for _ in range(60)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(results, [200] * 60)


class RequestBodyTest(ServerCase):
    def test_chunked_request_body_is_decoded(self) -> None:
        connection = self.connect()
        connection.request("POST", "/c", body=iter([b"abc", b"", b"defg" * 1000]),
                           encode_chunked=True)
        response = connection.getresponse()
        self.assertEqual(response.read(), b"abc" + b"defg" * 1000)
        connection.request("GET", "/after")  # the connection is still usable
        self.assertEqual(connection.getresponse().headers["X-Path"], "/after")

    def test_chunked_with_extensions_and_trailers(self) -> None:
        sock = self.raw()
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"3;name=value\r\nabc\r\n0\r\nX-Trailer: yes\r\n\r\n"
                     b"GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        first, second = read_until_closed(sock).split(b"HTTP/1.1 200 OK")[1:]
        self.assertTrue(first.endswith(b"\r\n\r\nabc"))
        self.assertIn(b"X-Path: /next", second)

    def test_expect_100_continue_is_answered_before_the_body(self) -> None:
        sock = self.raw()
        sock.sendall(b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                     b"Expect: 100-continue\r\n\r\n")
        self.assertEqual(sock.recv(100), b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(b"hello")
        response = read_response(sock)
        self.assertEqual(status_of(response), 200)
        self.assertTrue(response.endswith(b"hello"))

    def test_unread_body_is_drained_for_the_next_request(self) -> None:
        def ignoring_app(environ, start_response):
            start_response("200 OK", [("Content-Length", "2")])
            return [b"ok"]

        with AppRunner(ignoring_app) as runner:
            connection = http.client.HTTPConnection(*runner.address)
            self.addCleanup(connection.close)
            for _ in range(3):
                connection.request("POST", "/", body=b"z" * 100000)
                self.assertEqual(connection.getresponse().read(), b"ok")

    def test_large_body_arrives_whole(self) -> None:
        connection = self.connect()
        body = bytes(range(256)) * 40000
        connection.request("PUT", "/big", body=body)
        self.assertEqual(connection.getresponse().read(), body)


class ResponseTest(ServerCase):
    app = staticmethod(streaming_app)

    def test_response_without_length_is_chunked_and_connection_reused(self) -> None:
        connection = self.connect()
        for _ in range(2):
            connection.request("GET", "/")
            response = connection.getresponse()
            self.assertEqual(response.headers["Transfer-Encoding"], "chunked")
            self.assertEqual(response.read(), b"one,two,three")
        sock = self.raw()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        raw = read_until_closed(sock)
        self.assertTrue(raw.endswith(b"4\r\none,\r\n4\r\ntwo,\r\n5\r\nthree\r\n0\r\n\r\n"), raw)

    def test_http_1_0_gets_no_chunks_and_a_close(self) -> None:
        sock = self.raw()
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        raw = read_until_closed(sock)
        self.assertNotIn(b"chunked", raw)
        self.assertTrue(raw.endswith(b"\r\n\r\none,two,three"))

    def test_head_sends_no_body(self) -> None:
        sock = self.raw()
        sock.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n"
                     b"Connection: close\r\n\r\n")
        raw = read_until_closed(sock)
        self.assertEqual(raw.count(b"HTTP/1.1 200 OK"), 2)
        self.assertTrue(raw.endswith(b"\r\n\r\n"))
        self.assertNotIn(b"one", raw)

    def test_write_callable_and_statuses_without_body(self) -> None:
        def app(environ, start_response):
            if environ["PATH_INFO"] == "/204":
                start_response("204 No Content", [])
                return [b""]
            write = start_response("200 OK", [("Content-Length", "6")])
            write(b"abc")
            return [b"def"]

        with AppRunner(app) as runner:
            connection = http.client.HTTPConnection(*runner.address)
            self.addCleanup(connection.close)
            connection.request("GET", "/")
            self.assertEqual(connection.getresponse().read(), b"abcdef")
            connection.request("GET", "/204")
            response = connection.getresponse()
            self.assertEqual((response.status, response.read()), (204, b""))
            self.assertIsNone(response.headers["Content-Length"])

    def test_close_is_called_on_the_app_iterable(self) -> None:
        closed = threading.Event()

        class Body:
            def __iter__(self):
                yield b"body"

            def close(self):
                closed.set()

        def app(environ, start_response):
            start_response("200 OK", [])
            return Body()

        with AppRunner(app) as runner:
            with urllib.request.urlopen(runner.url) as response:
                self.assertEqual(response.read(), b"body")
        self.assertTrue(closed.is_set())


class AppMistakeTest(unittest.TestCase):
    """Mistakes of the app are its errors: kept, answered with 500, never blamed on the client."""

    def serve(self, app) -> AppRunner:
        runner = AppRunner(app)
        runner.start()
        self.addCleanup(runner.stop)
        return runner

    def status(self, runner: AppRunner) -> int:
        with self.assertLogs("fakeserver", "WARNING"):
            try:
                with urllib.request.urlopen(runner.url + "/", timeout=5) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                error.close()
                return error.code

    def test_connection_error_raised_by_the_app(self) -> None:
        def app(environ, start_response):
            socket.create_connection(("127.0.0.1", 1), timeout=1)  # a backend that is down

        runner = self.serve(app)
        self.assertEqual(self.status(runner), 500)
        self.assertIsInstance(runner.errors[0], ConnectionRefusedError)

    def test_returning_without_start_response(self) -> None:
        runner = self.serve(lambda environ, start_response: [])
        self.assertEqual(self.status(runner), 500)
        self.assertEqual(str(runner.errors[0]),
                         "the application returned without calling start_response()")

    def test_invalid_header_value(self) -> None:
        def app(environ, start_response):
            start_response("200 OK", [("X-Bad", "a\r\nInjected: yes")])
            return [b"x"]

        runner = self.serve(app)
        self.assertEqual(self.status(runner), 500)
        self.assertIn("invalid characters in header", str(runner.errors[0]))

    def test_a_head_that_cannot_be_sent_is_replaced_by_a_clean_500(self) -> None:
        def app(environ, start_response):  # no length known: the body would be chunked
            start_response("200 OK", [("X-Price", "5 \u20ac")])  # not Latin-1
            yield b"streamed"

        with AppRunner(app) as runner, self.assertLogs("fakeserver", "WARNING"):
            response = exchange(runner.address, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(status_of(response), 500)
        self.assertNotIn(b"chunked", response)
        self.assertTrue(response.endswith(
            b"Content-Length: 63\r\nConnection: close\r\n\r\n"
            b"500 Internal Server Error: the application raised an exception\n"), response)
        self.assertIsInstance(runner.errors[0], UnicodeEncodeError)


class FramingTest(ServerCase):
    def test_underscore_names_never_frame_the_body(self) -> None:
        sock = self.raw()
        sock.sendall(b"POST /u HTTP/1.1\r\nHost: x\r\nContent_Length: 5\r\n"
                     b"Transfer_Encoding: chunked\r\nConnection: close\r\n\r\n")
        response = read_until_closed(sock)
        self.assertEqual(status_of(response), 200)
        self.assertIn(b"Content-Length: 0", response)  # the body was empty: nothing framed it

    def test_http_1_0_write_then_a_list_sends_everything(self) -> None:
        def app(environ, start_response):
            write = start_response("200 OK", [])
            write(b"abc")
            return [b"defgh"]

        with AppRunner(app) as runner:
            response = exchange(runner.address, b"GET / HTTP/1.0\r\n\r\n")
        self.assertTrue(response.endswith(b"\r\n\r\nabcdefgh"), response)

    def test_app_connection_header_is_sent_once(self) -> None:
        def app(environ, start_response):
            start_response("200 OK", [("Connection", "close"), ("Content-Length", "2")])
            return [b"ok"]

        with AppRunner(app) as runner:
            response = exchange(runner.address, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                                shut_write=False)
        self.assertEqual(response.lower().count(b"connection:"), 1)
        self.assertTrue(response.endswith(b"ok"))

    def test_readline_without_size_reads_a_whole_long_line(self) -> None:
        lines = []

        def app(environ, start_response):
            lines.append(environ["wsgi.input"].readline())
            lines.append(environ["wsgi.input"].readline())
            start_response("200 OK", [("Content-Length", "0")])
            return []

        with AppRunner(app) as runner:
            connection = http.client.HTTPConnection(*runner.address)
            self.addCleanup(connection.close)
            connection.request("POST", "/", body=b"a" * 100000 + b"\nend")
            connection.getresponse().read()
        self.assertEqual(lines, [b"a" * 100000 + b"\n", b"end"])


class EnvironTest(unittest.TestCase):
    def test_environ_contents(self) -> None:
        seen: list[dict] = []

        def app(environ, start_response):
            seen.append(dict(environ))
            start_response("200 OK", [])
            return []

        with AppRunner(app) as runner:
            request = urllib.request.Request(
                runner.url + "/caf%C3%A9/a%2Fb?q=%C3%A9&x=1",
                data=b"{}", headers={"Content-Type": "application/json", "X-Two": "2"})
            request.add_header("X-Dash-Name", "d")
            urllib.request.urlopen(request).close()
        environ = seen[0]
        self.assertEqual(environ["REQUEST_METHOD"], "POST")
        self.assertEqual(environ["PATH_INFO"], "/café/a/b".encode("utf-8").decode("latin-1"))
        self.assertEqual(environ["QUERY_STRING"], "q=%C3%A9&x=1")
        self.assertEqual(environ["CONTENT_TYPE"], "application/json")
        self.assertEqual(environ["CONTENT_LENGTH"], "2")
        self.assertEqual(environ["HTTP_X_TWO"], "2")
        self.assertEqual(environ["HTTP_X_DASH_NAME"], "d")
        self.assertNotIn("HTTP_CONTENT_TYPE", environ)
        self.assertEqual(environ["SERVER_PORT"], str(runner.address[1]))
        self.assertEqual(environ["SERVER_PROTOCOL"], "HTTP/1.1")
        self.assertEqual(environ["wsgi.url_scheme"], "http")
        self.assertEqual(environ["REMOTE_ADDR"], "127.0.0.1")

    def test_wsgiref_validator_runs_clean(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the validator reports problems as warnings
            for app in (echo_app, streaming_app):
                with AppRunner(validator(app)) as runner:
                    connection = http.client.HTTPConnection(*runner.address)
                    for method in ("GET", "POST", "HEAD"):
                        connection.request(method, "/v?a=1", body=b"data" if method == "POST" else None)
                        response = connection.getresponse()
                        response.read()
                        self.assertEqual(response.status, 200)
                    connection.close()
                self.assertEqual(runner.errors, [])

    def test_nothing_is_logged_above_debug_for_good_requests(self) -> None:
        with self.assertLogs("fakeserver", "DEBUG") as logs:
            with AppRunner(echo_app) as runner:  # stop() waits for the request's log line
                urllib.request.urlopen(runner.url + "/quiet").close()
        self.assertEqual([r.levelname for r in logs.records], ["DEBUG"])
        self.assertIn('"GET /quiet HTTP/1.1" 200 0', logs.output[0])


if __name__ == "__main__":
    unittest.main()
