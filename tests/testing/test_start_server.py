"""More than one server in a unittest test: startServer() and the handle it returns."""

from __future__ import annotations

import socket
import textwrap
import unittest
import urllib.error
import urllib.request

import fakeserver
from fakeserver import ServerTestCase
from fakeserver._testing.handle import FakeServer
from tests.support import echo_app, failing_app, run_case, server_threads


def fetch(url: str, data: bytes | None = None, **kwargs: object) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, data=data, timeout=10, **kwargs) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


class StartServerTest(unittest.TestCase):
    def test_servers_of_a_test_are_handles_stopped_when_it_ends(self) -> None:
        addresses = []

        class Case(ServerTestCase, unittest.TestCase):
            def test(self) -> None:
                auth = self.startServer()
                echo = self.startServer(echo_app)
                secure = self.startServer(tls=True)
                self.assertIsInstance(auth, FakeServer)
                auth.stub("POST", "/token").respond(json={"token": "t"})
                secure.stub("GET", "/s").respond(text="secret")
                self.stub("GET", "/main").respond(text="main")
                self.assertEqual(fetch(auth.url_for("/token"), b"x"), (200, b'{"token": "t"}'))
                self.assertEqual(fetch(echo.url, b"echo"), (200, b"echo"))
                self.assertEqual(fetch(secure.url_for("/s"),
                                       context=fakeserver.client_ssl_context()), (200, b"secret"))
                self.assertEqual(fetch(self.url("/main")), (200, b"main"))
                auth.assert_requested("/token", method="POST", body=b"x")
                echo.assert_request_count(1)
                self.assertEqual([r.path for r in self.requests], ["/main"])  # each its own journal
                addresses.extend(server.address for server in (auth, echo, secure))

        result = run_case(Case)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(len(set(addresses)), 3)
        for address in addresses:
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(address, timeout=5).close()
        self.assertEqual(server_threads(), [])

    def test_their_unmatched_requests_and_app_errors_fail_the_test(self) -> None:
        urls = []

        class Case(ServerTestCase, unittest.TestCase):
            def test(self) -> None:
                stubs, broken = self.startServer(), self.startServer(failing_app)
                urls.extend([stubs.url, broken.url])
                fetch(stubs.url_for("/nothing"))
                fetch(broken.url)

        with self.assertLogs("fakeserver", "WARNING"):  # the app error is logged, too
            result = run_case(Case)
        [(_, second), (_, first)] = result.failures  # cleanups run last in, first out
        self.assertIn(textwrap.dedent(f"""\
            AssertionError: {urls[0]} (from startServer()): 1 request matched no stub (set allow_unmatched_requests = True on the fake server to allow it):
            No stub matched GET /nothing; no stubs are declared.

            No stubs are declared: declare one with .stub(...) on the fake server, or serve app=fakeserver.demo_app to accept any request.
            """), first)
        self.assertIn(f"AssertionError: {urls[1]} (from startServer()): the app raised 1 "
                      f"exception during this test:\nTraceback", second)
        self.assertIn("ZeroDivisionError: the app divided by zero", second)
        self.assertEqual(server_threads(), [])

    def test_allowed_per_server(self) -> None:
        class Case(ServerTestCase, unittest.TestCase):
            def test(self) -> None:
                other = self.startServer()
                other.allow_unmatched_requests = True
                self.assertEqual(fetch(other.url_for("/nothing"))[0], 404)

        result = run_case(Case)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)


if __name__ == "__main__":
    unittest.main()
