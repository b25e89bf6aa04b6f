"""FakeProxyTestCase: lifecycle, per-test state, the patched environment, and every failure's text.

Requests are sent with ``urllib.request.build_opener()``, which reads the
proxy and, through ``ssl.create_default_context()``, the CA from
``os.environ`` as it is when called: the environment the mixin patched.
"""

from __future__ import annotations

import os
import unittest
import urllib.error
import urllib.request

from fakeserver.proxy import FakeProxyTestCase
from tests.support import (
    assert_outer_server_survives, echo_app, failing_app, run_case, server_threads,
)


def get(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    """Fetch *url* as a client configured by the environment would."""
    try:
        with urllib.request.build_opener().open(url, data, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


def failure_text(case: type) -> str:
    """The one failure message of a class with one failing test."""
    result = run_case(case)
    problems = result.failures + result.errors
    assert len(problems) == 1, problems
    return problems[0][1].rstrip("\n").split("AssertionError: ", 1)[1]


class GithubTest(FakeProxyTestCase, unittest.TestCase):
    """The issue's own example, in-process."""

    fake_hosts = ["api.github.com"]

    def test_user(self) -> None:
        self.stub("GET", "https://api.github.com/user").respond(json={"login": "ann"})
        self.assertEqual(get("https://api.github.com/user"), (200, b'{"login": "ann"}'))
        request = self.assertRequested("https://api.github.com/user", method="GET")
        self.assertEqual(request.url, "https://api.github.com/user")

    def test_environment_is_patched_during_each_test(self) -> None:
        self.assertEqual(os.environ["https_proxy"], self.proxy.url)
        self.assertEqual(os.environ["SSL_CERT_FILE"], self.proxy.ca_file)

    def test_urls_are_compared_as_spelled_by_the_journal(self) -> None:
        self.stub("GET", "https://API.github.com:443/repos/{owner}").respond(200)
        get("https://api.github.com/repos/ann?page=2")
        self.assertRequested("HTTPS://api.github.com:443/repos/ann?page=2")
        self.assertRequested("https://api.github.com/repos/{owner}", query={"page": "2"})
        self.assertNotRequested("http://api.github.com/repos/ann")
        self.assertRequestsInOrder("https://api.github.com/repos/ann")
        self.assertRequestCount(1)
        self.assertAllStubsUsed()


class StatePerTestTest(unittest.TestCase):
    def test_journal_stubs_and_routes_are_fresh_but_the_class_keeps_its_own(self) -> None:
        seen = []

        before = os.environ.get("https_proxy")

        class Case(FakeProxyTestCase, unittest.TestCase):
            fake_hosts = {"echo.example": echo_app}

            @classmethod
            def setUpClass(cls) -> None:
                super().setUpClass()
                cls.proxy.stub("GET", "https://api.github.com/kept").respond(text="kept")

            def test_1(self) -> None:
                self.stub("GET", "https://api.github.com/dropped").respond(text="dropped")
                self.stub("GET", "https://new.example/").respond(text="new")
                self.assertEqual(get("https://new.example/"), (200, b"new"))
                self.assertEqual(get("https://api.github.com/dropped"), (200, b"dropped"))

            def test_2(self) -> None:
                seen.append((self.requests, self.proxy.routes.names,
                             [stub.path for _, stub in self.proxy.routes.stubs()]))
                self.assertEqual(get("https://api.github.com/kept"), (200, b"kept"))
                self.assertEqual(get("https://echo.example/", b"echo"), (200, b"echo"))

        result = run_case(Case)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(seen, [([], ["echo.example", "api.github.com"], ["/kept"])])
        self.assertEqual(server_threads(), [])
        self.assertEqual(os.environ.get("https_proxy"), before)

    def test_fake_hosts_must_not_be_a_string(self) -> None:
        class Case(FakeProxyTestCase, unittest.TestCase):
            fake_hosts = "api.github.com"

            def test(self) -> None:
                pass

        result = run_case(Case)
        self.assertIn("TypeError: Case.fake_hosts must be a list of host names or a dict of "
                      "apps, not a string: write fake_hosts = ['api.github.com']",
                      result.errors[0][1])

    def test_the_outer_proxy_survives_an_inner_test_class(self) -> None:
        def use(test: FakeProxyTestCase) -> None:
            test.stub("GET", "https://a.example/").respond(text="a")
            test.assertEqual(get("https://a.example/"), (200, b"a"))

        assert_outer_server_survives(self, FakeProxyTestCase, use)


class FailureTextTest(unittest.TestCase):
    def test_assert_requested_shows_whole_urls(self) -> None:
        class Case(FakeProxyTestCase, unittest.TestCase):
            fake_hosts = {"api.github.com": echo_app, "pypi.org": echo_app}

            def test(self) -> None:
                get("https://api.github.com/uplod", b"data")
                get("https://pypi.org/upload?q=1")
                self.assertRequested("https://api.github.com/upload", method="POST")

        self.assertEqual(failure_text(Case), (
            "Expected a request matching POST https://api.github.com/upload; "
            "0 of 2 recorded requests match.\n"
            "Closest recorded requests:\n"
            "  POST https://api.github.com/uplod  "
            "path 'https://api.github.com/uplod' != 'https://api.github.com/upload'\n"
            "  GET  https://pypi.org/upload?q=1   method 'GET' != 'POST'; "
            "path 'https://pypi.org/upload' != 'https://api.github.com/upload'"))

    def test_an_unrouted_host_fails_the_test(self) -> None:
        class Case(FakeProxyTestCase, unittest.TestCase):
            fake_hosts = ["api.github.com"]

            def test(self) -> None:
                self.assertEqual(get("https://evil.example/x")[0], 502)

        self.assertEqual(failure_text(Case), (
            "1 request matched no stub (set allow_unmatched_requests = True on the test case "
            "to allow it):\n"
            "GET https://evil.example/x: no route for host 'evil.example' "
            "(routed hosts: api.github.com)."))

    def test_a_request_no_stub_matched_fails_the_test(self) -> None:
        class Case(FakeProxyTestCase, unittest.TestCase):
            fake_hosts = ["api.github.com"]

            def test(self) -> None:
                self.stub("GET", "https://api.github.com/users").respond(200)
                self.assertEqual(get("https://api.github.com/user")[0], 404)

        self.assertEqual(failure_text(Case), (
            "1 request matched no stub (set allow_unmatched_requests = True on the test case "
            "to allow it):\n"
            "No stub matched GET https://api.github.com/user; 1 stub declared.\n"
            "Closest stubs:\n"
            "  GET /users          path '/user' != '/users'"))

    def test_unmatched_requests_may_be_allowed(self) -> None:
        class Case(FakeProxyTestCase, unittest.TestCase):
            allow_unmatched_requests = True

            def test(self) -> None:
                self.assertEqual(get("https://evil.example/x")[0], 502)
                self.assertEqual([r.url for r in self.proxy.unmatched], ["https://evil.example/x"])

        self.assertTrue(run_case(Case).wasSuccessful())

    def test_app_errors_fail_the_test(self) -> None:
        class Case(FakeProxyTestCase, unittest.TestCase):
            fake_hosts = {"broken.example": failing_app}

            def test(self) -> None:
                self.assertEqual(get("https://broken.example/")[0], 500)

        text = failure_text(Case)
        self.assertTrue(text.startswith("the app raised 1 exception during this test:\nTraceback"),
                        text)
        self.assertTrue(text.endswith("ZeroDivisionError: the app divided by zero"), text)

    def test_unused_stubs_are_named_with_their_host(self) -> None:
        class Case(FakeProxyTestCase, unittest.TestCase):
            def test(self) -> None:
                self.stub("GET", "https://api.github.com/user").respond(200)
                self.stub("GET", "https://pypi.org/user").respond(200)
                self.stub("POST", "https://pypi.org/upload").respond(200)
                get("https://api.github.com/user")
                self.assertAllStubsUsed()

        self.assertEqual(failure_text(Case), (
            "Expected every stub to be used; 2 of 3 never were.\n"
            "Unused stubs:\n"
            "  GET  pypi.org/user    closest request: GET https://api.github.com/user -- "
            "host 'api.github.com' != 'pypi.org'\n"
            "  POST pypi.org/upload  closest request: GET https://api.github.com/user -- "
            "host 'api.github.com' != 'pypi.org'; method 'GET' != 'POST'; "
            "path '/user' != '/upload'"))

    def test_count_and_order_list_the_requests_by_url(self) -> None:
        class Count(FakeProxyTestCase, unittest.TestCase):
            fake_hosts = {"a.example": echo_app, "b.example": echo_app}
            maxRequestsShown = 1

            def test(self) -> None:
                get("https://a.example/1")
                get("http://b.example/2")
                self.assertRequestCount(0)

        self.assertEqual(failure_text(Count), (
            "Expected 0 requests; 2 requests recorded.\n"
            "Recorded requests:\n"
            "  GET https://a.example/1\n"
            "  ... and 1 more; set maxRequestsShown = None on the test case to see all"))

        class Order(Count):
            maxRequestsShown = 10

            def test(self) -> None:
                get("https://a.example/1")
                get("http://b.example/2")
                self.assertRequestsInOrder("http://b.example/2", ("GET", "https://a.example/1"))

        self.assertEqual(failure_text(Order), (
            "Expected requests in this order: http://b.example/2, GET https://a.example/1\n"
            "Found 1 of 2 in order; no GET https://a.example/1 after http://b.example/2 "
            "(request #2).\n"
            "Recorded requests, in order:\n"
            "  1. GET https://a.example/1\n"
            "  2. GET http://b.example/2"))

    def test_a_bare_path_says_to_write_the_url(self) -> None:
        class Case(FakeProxyTestCase, unittest.TestCase):
            def test(self) -> None:
                self.assertRequested("/user")

        result = run_case(Case)
        self.assertIn("ValueError: expected a full URL such as 'https://api.github.com/user', "
                      "not '/user'", result.errors[0][1])


if __name__ == "__main__":
    unittest.main()
