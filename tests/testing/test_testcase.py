"""ServerTestCase: lifecycle, configuration, and the exact text of every assertion failure."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import unittest
import urllib.request

from fakeserver import ServerTestCase, demo_app
from fakeserver._matching import ExchangeCriteria
from tests.support import (
    assert_outer_server_survives, echo_app, failing_app, import_extra, run_case, server_threads,
)


def get(url: str, data: bytes | None = None, headers: dict | None = None, method: str | None = None) -> bytes:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    with urllib.request.urlopen(request) as response:
        return response.read()


class UploadTest(ServerTestCase, unittest.TestCase):
    """The issue's own example: a plain function as ``app``."""

    app = echo_app

    def test_upload(self) -> None:
        get(self.server_url + "/upload", b"data")
        request = self.assertRequested("/upload", method="POST")
        self.assertEqual(request.body, b"data")
        self.assertEqual(request.response.status, 200)

    def test_journal_is_fresh_for_each_test(self) -> None:
        self.assertEqual(self.requests, [])
        get(self.url("fresh"))
        self.assertEqual([r.path for r in self.requests], ["/fresh"])

    def test_attributes(self) -> None:
        self.assertEqual(self.server.url, self.server_url)
        self.assertRegex(self.server_url, r"^http://127\.0\.0\.1:\d+$")
        self.assertEqual(self.url("/a"), self.server_url + "/a")
        self.assertEqual(self.url("a"), self.server_url + "/a")
        self.assertIs(self.server.app, self.recorder)


class AppSettingTest(unittest.TestCase):
    def served_body(self, setting: object) -> bytes:
        bodies = []

        class Case(ServerTestCase, unittest.TestCase):
            app = setting

            def test(self) -> None:
                bodies.append(get(self.url("/x"), b"payload"))

        result = run_case(Case)
        self.assertTrue(result.wasSuccessful(), result.errors + result.failures)
        return bodies[0]

    def test_plain_function_staticmethod_and_callable_object(self) -> None:
        class Callable:
            def __call__(self, environ, start_response):
                return echo_app(environ, start_response)

        for setting in (echo_app, staticmethod(echo_app), Callable()):
            with self.subTest(setting=setting):
                self.assertEqual(self.served_body(setting), b"payload")

    def test_factories(self) -> None:
        def zero_argument_factory():
            return echo_app

        def method_factory(cls):
            return echo_app

        for setting in (zero_argument_factory, method_factory,
                        classmethod(method_factory), staticmethod(zero_argument_factory)):
            with self.subTest(setting=setting):
                self.assertEqual(self.served_body(setting), b"payload")

    def test_the_demo_app_is_served_only_when_asked_for(self) -> None:
        self.assertEqual(self.served_body(demo_app), b"Hello world!\n\nPOST /x\n")

    def test_not_callable_is_explained(self) -> None:
        class Case(ServerTestCase, unittest.TestCase):
            app = "echo_app"

            def test(self) -> None:
                pass

        result = run_case(Case)
        self.assertIn("Case.app must be a WSGI callable or a factory returning one, not 'echo_app'",
                      result.errors[0][1])


class LifecycleTest(unittest.TestCase):
    def test_server_runs_per_class_and_nothing_is_left(self) -> None:
        ports = []

        class Case(ServerTestCase, unittest.TestCase):
            def test_one(self) -> None:
                ports.append(self.server.address[1])

            def test_two(self) -> None:
                ports.append(self.server.address[1])

        self.assertTrue(run_case(Case).wasSuccessful())
        self.assertEqual(len(set(ports)), 1)
        self.assertEqual(server_threads(), [])

    def test_server_stops_when_a_subclass_setupclass_fails(self) -> None:
        class Case(ServerTestCase, unittest.TestCase):
            @classmethod
            def setUpClass(cls) -> None:
                super().setUpClass()
                raise RuntimeError("the subclass failed after super()")

            def test(self) -> None:
                pass

        result = run_case(Case)
        self.assertIn("the subclass failed", result.errors[0][1])
        self.assertEqual(server_threads(), [])

    def test_a_class_run_inside_a_test_leaves_the_server_running(self) -> None:
        def use_server(case: ServerTestCase) -> None:
            case.stub("GET", "/after")
            get(case.url("/after"))
            case.assertRequested("/after")
        assert_outer_server_survives(self, ServerTestCase, use_server)

    def test_app_exception_fails_the_test_without_any_assertion(self) -> None:
        class Case(ServerTestCase, unittest.TestCase):
            app = failing_app

            def test_ignores_the_500(self) -> None:
                try:
                    get(self.url("/boom"))
                except urllib.error.HTTPError as error:
                    error.close()

        with self.assertLogs("fakeserver", "WARNING"):
            result = run_case(Case)
        [(_, text)] = result.failures + result.errors
        self.assertIn("the app raised 1 exception during this test:", text)
        self.assertIn("ZeroDivisionError: the app divided by zero", text)
        self.assertIn("in failing_app", text)  # the app's traceback

    def test_cooperates_with_other_mixins(self) -> None:
        calls = []

        class Support:
            @classmethod
            def setUpClass(cls) -> None:
                calls.append("support class")
                super().setUpClass()

            def setUp(self) -> None:
                calls.append("support")
                super().setUp()

        class Case(ServerTestCase, Support, unittest.TestCase):
            app = demo_app

            def setUp(self) -> None:
                super().setUp()
                calls.append("case")

            def test(self) -> None:
                get(self.url("/"))
                self.assertRequestCount(1)

        self.assertTrue(run_case(Case).wasSuccessful())
        self.assertEqual(calls, ["support class", "support", "case"])

    def test_isolated_asyncio_test_case(self) -> None:
        import asyncio

        class Case(ServerTestCase, unittest.IsolatedAsyncioTestCase):
            app = echo_app

            async def test_async(self) -> None:
                body = await asyncio.get_running_loop().run_in_executor(
                    None, get, self.url("/async"), b"a")
                self.assertEqual(body, b"a")
                self.assertRequested("/async", method="POST", body=b"a")

        result = run_case(Case)
        self.assertTrue(result.wasSuccessful(), result.errors + result.failures)
        self.assertEqual(result.testsRun, 1)
        self.assertEqual(server_threads(), [])

    def test_collected_by_pytest(self) -> None:
        import_extra("pytest")
        source = textwrap.dedent("""
            import unittest, urllib.request
            from fakeserver import ServerTestCase, demo_app

            class PytestCollected(ServerTestCase, unittest.TestCase):
                def test_one(self):
                    self.stub("GET", "/p")
                    urllib.request.urlopen(self.url("/p")).close()
                    self.assertRequested("/p", method="GET")

                def test_two(self):
                    self.assertRequestCount(0)
        """)
        import tempfile
        with tempfile.TemporaryDirectory() as directory:
            path = f"{directory}/test_collected.py"
            with open(path, "w") as file:
                file.write(source)
            completed = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", path],
                capture_output=True, text=True, timeout=120,
                env={**__import__("os").environ, "PYTHONPATH": str(__import__("pathlib").Path(__file__).parent.parent)})
        self.assertEqual(completed.returncode, 0, completed.stdout + completed.stderr)
        self.assertIn("2 passed", completed.stdout)


class HTTPSTest(ServerTestCase, unittest.TestCase):
    server_tls = True

    def test_served_over_tls_trusting_server_ca_file(self) -> None:
        import ssl
        self.stub("GET", "/secure").respond(text="secret")
        self.assertRegex(self.server_url, r"^https://127\.0\.0\.1:\d+$")
        context = ssl.create_default_context(cafile=self.server_ca_file)
        with urllib.request.urlopen(self.url("/secure"), context=context) as response:
            self.assertEqual(response.read(), b"secret")
        request = self.assertRequested("/secure")
        self.assertTrue(request.url.startswith("https://"))


class AssertionPassTest(ServerTestCase, unittest.TestCase):
    app = echo_app

    def test_returns_the_most_recent_match(self) -> None:
        get(self.url("/a"), b"1")
        get(self.url("/a"), b"2")
        self.assertEqual(self.assertRequested("/a", method="post").body, b"2")

    def test_every_criterion(self) -> None:
        get(self.url("/items/7?page=2&x=y"), b'{"k": [1]}',
            {"Content-Type": "application/json", "X-Token": "secret"}, method="PUT")
        get(self.url("/form"), b"a=1&b=2&b=3", {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertRequested("/items/7", "PUT", query={"page": "2"}, headers={"x-token": "secret"},
                             json={"k": [1]}, status=200, body='{"k": [1]}')
        self.assertRequested("/items/7?page=2", query={"x": ["y"]})
        self.assertRequested(re.compile(r"/items/\d+"), count=1)
        self.assertRequested(None, "POST", form={"b": ["2", "3"]})
        self.assertRequested("/form", form={"a": "1"}, count=1)
        self.assertRequested("/nothing", count=0)
        self.assertNotRequested("/items/7", "GET")
        self.assertNotRequested(re.compile("/item"))  # a regex must match the whole path
        self.assertRequestCount(2)
        self.assertRequestsInOrder(("PUT", "/items/7"), "/form")


class AssertionFailureTest(ServerTestCase, unittest.TestCase):
    app = echo_app
    longMessage = True

    def failure(self, assertion: object, *args: object, **kwargs: object) -> str:
        with self.assertRaises(self.failureException) as caught:
            assertion(*args, **kwargs)  # type: ignore[operator]
        return str(caught.exception)

    def test_the_issue_example(self) -> None:
        get(self.url("/uplod"), b"x")
        get(self.url("/other?q=1"))
        self.assertEqual(self.failure(self.assertRequested, "/upload", method="POST"), textwrap.dedent("""\
            Expected a request matching POST /upload; 0 of 2 recorded requests match.
            Closest recorded requests:
              POST /uplod          path '/uplod' != '/upload'
              GET  /other?q=1      method 'GET' != 'POST'; path '/other' != '/upload'"""))

    def test_no_requests(self) -> None:
        self.assertEqual(self.failure(self.assertRequested, "/upload", json={"a": 1}),
                         "Expected a request matching /upload with json {'a': 1}; "
                         "no requests were recorded.")

    def test_field_differences(self) -> None:
        get(self.url("/u?page=1"), b'{"a": 2}', {"X-Token": "wrong"})
        get(self.url("/u"), b"not json")
        text = self.failure(self.assertRequested, "/u", "POST", query={"page": "2"},
                            headers={"X-Token": "right"}, json={"a": 1}, status=201)
        self.assertEqual(text, textwrap.dedent("""\
            Expected a request matching POST /u with query {'page': '2'}, headers {'X-Token': 'right'}, json {'a': 1}, status 201; 0 of 2 recorded requests match.
            Closest recorded requests:
              POST /u?page=1       query 'page': '1' != '2'; header 'X-Token': 'wrong' != 'right'; json $.a: 2 != 1; status 200 != 201
              POST /u              query 'page': missing; header 'X-Token': missing; json body is not JSON (got b'not json'); status 200 != 201"""))

    def test_count(self) -> None:
        for _ in range(3):
            get(self.url("/r"))
        get(self.url("/s"))
        self.assertEqual(self.failure(self.assertRequested, "/r", count=2), textwrap.dedent("""\
            Expected 2 requests matching /r; 3 of 4 recorded requests match.
            Closest recorded requests:
              GET /r              (matches)
              GET /r              (matches)
              GET /r              (matches)
              GET /s              path '/s' != '/r'"""))

    def test_long_lists_are_capped(self) -> None:
        self.maxRequestsShown = 2
        for i in range(5):
            get(self.url(f"/n{i}"))
        self.assertEqual(self.failure(self.assertRequested, "/x"), textwrap.dedent("""\
            Expected a request matching /x; 0 of 5 recorded requests match.
            Closest recorded requests:
              GET /n0             path '/n0' != '/x'
              GET /n1             path '/n1' != '/x'
              ... and 3 more; set maxRequestsShown = None on the test case to see all"""))
        self.maxRequestsShown = None
        self.assertEqual(self.failure(self.assertRequested, "/x").count("\n"), 6)

    def test_msg_follows_long_message(self) -> None:
        text = self.failure(self.assertRequested, "/x", msg="the uploader never called")
        self.assertEqual(text, "Expected a request matching /x; no requests were recorded. : "
                               "the uploader never called")
        self.longMessage = False
        self.assertEqual(self.failure(self.assertRequested, "/x", msg="only this"), "only this")

    def test_not_requested(self) -> None:
        get(self.url("/secret"))
        get(self.url("/public"))
        self.assertEqual(self.failure(self.assertNotRequested, "/secret"), textwrap.dedent("""\
            Expected no request matching /secret; 1 of 2 recorded requests matches.
            Matching recorded requests:
              GET /secret         (matches)"""))

    def test_request_count(self) -> None:
        get(self.url("/one"))
        self.assertEqual(self.failure(self.assertRequestCount, 2), textwrap.dedent("""\
            Expected 2 requests; 1 request recorded.
            Recorded requests:
              GET /one"""))

    def test_unknown_criterion_names_the_valid_ones(self) -> None:
        with self.assertRaises(TypeError) as caught:
            self.assertRequested("/x", colour="red")  # type: ignore[call-arg]
        self.assertEqual(str(caught.exception), "unknown request criterion 'colour'; expected one "
                                                "of query, headers, body, json, form, files, cookies, auth, host, "
                                                "target, status, predicate")
        # Every criterion the signatures declare is one the matching knows (None: any value).
        for name in ExchangeCriteria.__annotations__:
            with self.subTest(criterion=name):
                self.assertNotRequested("/x", **{name: None})

    def test_requests_in_order(self) -> None:
        get(self.url("/login"), b"")
        get(self.url("/download"))
        get(self.url("/upload"), b"x")
        text = self.failure(self.assertRequestsInOrder, ("POST", "/login"), ("POST", "/upload"),
                            ("GET", "/download"))
        self.assertEqual(text, textwrap.dedent("""\
            Expected requests in this order: POST /login, POST /upload, GET /download
            Found 2 of 3 in order; no GET /download after POST /upload (request #3).
            Recorded requests, in order:
              1. POST /login
              2. GET  /download
              3. POST /upload"""))


if __name__ == "__main__":
    unittest.main()
