"""Every response head is checked before a byte of it is sent, whoever made it.

A head that would split the response (CR, LF or NUL where text goes), a
header name that is no token, a status out of range or a Content-Length
that is no length is an error of the app: the client gets a clean 500, the
error is in ``runner.errors``, and the test that caused it fails.
"""

from __future__ import annotations

import unittest
import urllib.error
import urllib.request
from typing import Any, Callable

from fakeserver import AppRunner, Response, ServerTestCase, StubApp
from fakeserver.stubs.replies import FAULTS
from tests.support import exchange, run_case, status_of

_REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
_CLEAN_500 = (b"Content-Type: text/plain\r\nContent-Length: 63\r\nConnection: close\r\n\r\n"
              b"500 Internal Server Error: the application raised an exception\n")

#: Heads no server may send, each with what ``runner.errors`` says of it.
INVALID = [
    (("200 OK\r\nSet-Cookie: injected=1", []),
     "invalid reason phrase 'OK\\r\\nSet-Cookie: injected=1': CR, LF and NUL are not allowed"),
    (("200 OK\x00", []), "invalid reason phrase 'OK\\x00': CR, LF and NUL are not allowed"),
    (("000 Zero", []), "invalid status 0: must be an int from 100 to 999"),
    (("200 OK", [("X-Bad\r", "v")]),
     "invalid header name 'X-Bad\\r': must be a token (RFC 9110 section 5.1)"),
    (("200 OK", [("X Bad", "v")]),
     "invalid header name 'X Bad': must be a token (RFC 9110 section 5.1)"),
    (("200 OK", [("", "v")]), "invalid header name '': must be a token (RFC 9110 section 5.1)"),
    (("200 OK", [("X-Bad", "a\nSet-Cookie: injected=1")]),
     "invalid value of header X-Bad: 'a\\nSet-Cookie: injected=1': CR, LF and NUL are not allowed"),
    (("200 OK", [("X-Bad", "a\x00b")]),
     "invalid value of header X-Bad: 'a\\x00b': CR, LF and NUL are not allowed"),
    (("200 OK", [("Content-Length", "-1")]),
     "invalid Content-Length '-1': must be a non-negative decimal of at most 20 digits"),
    (("200 OK", [("Content-Length", " 4")]),
     "invalid Content-Length ' 4': must be a non-negative decimal of at most 20 digits"),
    (("200 OK", [("Content-Length", "4"), ("content-length", "5")]),
     "conflicting Content-Length values '4' and '5'"),
]


def _app_answering(status: str, headers: list[tuple[str, str]]) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(status, headers)
        return [b"body"]
    return app


def assert_refused(test: unittest.TestCase, runner: AppRunner, error: str) -> None:
    """Request /; assert a clean 500 came back, and *error* is the one app error."""
    with test.assertLogs("fakeserver", "WARNING"):
        response = exchange(runner.address, _REQUEST)
    test.assertEqual(status_of(response), 500, response)
    test.assertTrue(response.endswith(_CLEAN_500), response)
    test.assertNotIn(b"injected", response)
    test.assertEqual([str(e) for e in runner.errors], [error])
    test.assertIsInstance(runner.errors[0], ValueError)


class WSGIAppTest(unittest.TestCase):
    def test_invalid_heads_are_app_errors(self) -> None:
        for (status, headers), error in INVALID:
            with self.subTest(status=status, headers=headers):
                with AppRunner(_app_answering(status, headers)) as runner:
                    assert_refused(self, runner, error)

    def test_repeated_equal_lengths_pass(self) -> None:
        app = _app_answering("200 OK", [("Content-Length", "4"), ("Content-Length", "4")])
        with AppRunner(app) as runner:
            response = exchange(runner.address, _REQUEST)
        self.assertTrue(response.endswith(b"\r\n\r\nbody"), response)
        self.assertEqual(runner.errors, [])

    def test_the_app_hears_of_it_at_start_response(self) -> None:
        caught: list[Exception] = []

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            try:
                start_response("200 OK", [("X-Bad", "a\r\nb")])
            except ValueError as error:
                caught.append(error)
            start_response("200 OK", [("Content-Length", "2")])
            return [b"ok"]

        with AppRunner(app) as runner:
            response = exchange(runner.address, _REQUEST)
        self.assertTrue(response.endswith(b"\r\n\r\nok"), response)
        self.assertEqual(len(caught), 1)


class StubTest(unittest.TestCase):
    def serve(self, stubs: StubApp) -> AppRunner:
        runner = AppRunner(stubs)
        runner.start()
        self.addCleanup(runner.stop)
        return runner

    def test_response_headers(self) -> None:
        stubs = StubApp()
        stubs.stub("GET", "/").respond(text="hi", headers={"X-Bad": "a\r\nSet-Cookie: injected=1"})
        assert_refused(self, self.serve(stubs), "invalid value of header X-Bad: "
                       "'a\\r\\nSet-Cookie: injected=1': CR, LF and NUL are not allowed")

    def test_a_handler_s_response(self) -> None:
        stubs = StubApp()
        stubs.stub("GET", "/").call(lambda request: Response(200, headers={"Content-Length": "-1"}))
        assert_refused(self, self.serve(stubs), "invalid Content-Length '-1': must be a "
                       "non-negative decimal of at most 20 digits")

    def test_every_fault(self) -> None:
        for fault in FAULTS:
            with self.subTest(fault=fault):
                stubs = StubApp()
                stub = stubs.stub("GET", "/")
                stub.respond(text="hi", headers={"X-Bad\r\nSet-Cookie": "injected=1"}).fault(fault)
                assert_refused(self, self.serve(stubs), "invalid header name "
                               "'X-Bad\\r\\nSet-Cookie': must be a token (RFC 9110 section 5.1)")


class ServerTestCaseTest(unittest.TestCase):
    def test_the_test_that_sent_it_fails(self) -> None:
        class Inner(ServerTestCase, unittest.TestCase):
            def test_splitting(self) -> None:
                self.stub("GET", "/").respond(headers={"Set-Cookie": "a=1\r\nX-Injected: 1"})
                with self.assertLogs("fakeserver", "WARNING"):
                    with self.assertRaises(urllib.error.HTTPError) as caught:
                        urllib.request.urlopen(self.url("/"), timeout=5)
                caught.exception.close()
                self.assertEqual(caught.exception.code, 500)

        result = run_case(Inner)
        [(_, report)] = result.failures
        self.assertIn("the app raised 1 exception during this test:\n", report)
        self.assertIn("ValueError: invalid value of header Set-Cookie: 'a=1\\r\\nX-Injected: 1': "
                      "CR, LF and NUL are not allowed\n", report)


if __name__ == "__main__":
    unittest.main()
