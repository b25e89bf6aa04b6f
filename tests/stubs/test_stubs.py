"""Stubs: matching, scripted answers, near-miss reports and declarative files."""

from __future__ import annotations

import json
import os
import re
import tempfile
import textwrap
import threading
import time
import unittest

import fakeserver
from fakeserver import AppRunner, Recorder, Response, ServerTestCase, StubApp
from tests.support import call, echo_app, json_file, run_case


class IssueExampleTest(ServerTestCase, unittest.TestCase):
    """The example of the issue, with a small client doing what ``client.run`` did."""

    def test_retry(self) -> None:
        self.stub("GET", "/items", query={"page": ["2"]}).respond(json=[1, 2])
        self.stub("POST", "/upload").respond(503).then(201, json={"ok": True})
        self.stub("GET", "/slow").respond(200, delay=0.05)
        self.stub("GET", "/down").fault("reset")

        self.assertEqual(call(self.url("/items?page=2"))[:2], (200, b"[1, 2]"))
        statuses = [call(self.url("/upload"), b"x")[0] for _ in range(2)]
        self.assertEqual(statuses, [503, 201])
        started = time.monotonic()
        self.assertEqual(call(self.url("/slow"))[0], 200)
        self.assertGreaterEqual(time.monotonic() - started, 0.05)
        with self.assertRaises(ConnectionError):
            call(self.url("/down"))
        self.assertRequested("/upload", method="POST", count=2)
        self.assertAllStubsUsed()


class MatchingTest(ServerTestCase, unittest.TestCase):
    def test_method_any_and_path_kinds(self) -> None:
        self.stub(None, "/any").respond(text="any")
        self.stub("GET", re.compile(r"/re/\d+")).respond(text="regex")
        self.stub("GET", "/items/{id}/parts/{part}").respond(text="template")
        self.assertEqual(call(self.url("/any"), b"", method="DELETE")[1], b"any")
        self.assertEqual(call(self.url("/re/42"))[1], b"regex")
        self.assertEqual(call(self.url("/items/7/parts/a"))[1], b"template")
        self.assertEqual(call(self.url("/re/42x"))[0], 404)
        self.assertEqual(call(self.url("/items/7/parts"))[0], 404)
        self.allow_unmatched_requests = True

    def test_query_headers_body_json_form_predicate(self) -> None:
        self.stub("GET", "/q", query={"page": "2"}).respond(text="query")
        self.stub("GET", "/h", headers={"x-api-key": "k"}).respond(text="headers")
        self.stub("POST", "/b", body="raw").respond(text="body")
        self.stub("POST", "/j", json={"a": [1]}).respond(text="json")
        self.stub("POST", "/f", form={"name": "x"}).respond(text="form")
        self.stub("POST", "/p", predicate=lambda request: request.body.startswith(b"ok")
                  ).respond(text="predicate")
        self.assertEqual(call(self.url("/q?page=2&other=1"))[1], b"query")
        self.assertEqual(call(self.url("/h"), headers={"X-API-Key": "k"})[1], b"headers")
        self.assertEqual(call(self.url("/b"), b"raw")[1], b"body")
        self.assertEqual(call(self.url("/j"), b'{"a": [1]}')[1], b"json")
        self.assertEqual(call(self.url("/f"), b"name=x&more=y")[1], b"form")
        self.assertEqual(call(self.url("/p"), b"ok then")[1], b"predicate")
        for url, data in (("/q?page=3", None), ("/h", None), ("/b", b"other"),
                          ("/j", b'{"a": [2]}'), ("/f", b"name=y"), ("/p", b"no")):
            with self.subTest(url=url):
                self.assertEqual(call(self.url(url), data)[0], 404)
        self.allow_unmatched_requests = True

    def test_newest_wins_unless_priority_says_otherwise(self) -> None:
        self.stub("GET", "/x").respond(text="old")
        self.stub("GET", "/x").respond(text="new")
        self.assertEqual(call(self.url("/x"))[1], b"new")
        self.stub("GET", "/x", priority=5).respond(text="important")
        self.stub("GET", "/x").respond(text="newest")
        self.assertEqual(call(self.url("/x"))[1], b"important")


class ResponseTest(ServerTestCase, unittest.TestCase):
    def test_respond_options(self) -> None:
        self.stub("GET", "/bytes").respond(202, body=b"\x00\x01", headers={"X-Tag": "t"})
        self.stub("GET", "/text").respond(text="caf\u00e9")
        self.stub("GET", "/json").respond(json={"k": None})
        self.stub("GET", "/empty")
        status, body, headers = call(self.url("/bytes"))
        self.assertEqual((status, body, headers["X-Tag"]), (202, b"\x00\x01", "t"))
        self.assertEqual(headers["Content-Type"], "application/octet-stream")
        status, body, headers = call(self.url("/text"))
        self.assertEqual((body, headers["Content-Type"]), ("caf\u00e9".encode(), "text/plain; charset=utf-8"))
        status, body, headers = call(self.url("/json"))
        self.assertEqual((json.loads(body), headers["Content-Type"]), ({"k": None}, "application/json"))
        self.assertEqual(call(self.url("/empty"))[:2], (200, b""))

    def test_sequence_repeats_its_last_answer(self) -> None:
        self.stub("GET", "/s").respond(500).then(502).then(200, text="ok")
        self.assertEqual([call(self.url("/s"))[0] for _ in range(5)], [500, 502, 200, 200, 200])

    def test_times_expires_a_stub(self) -> None:
        self.stub("GET", "/t").respond(text="fallback")
        self.stub("GET", "/t", times=2).respond(text="twice")
        self.assertEqual([call(self.url("/t"))[1] for _ in range(3)], [b"twice", b"twice", b"fallback"])

    def test_call_handler_with_response_or_tuple(self) -> None:
        self.stub("POST", "/echo").call(lambda request: Response(201, text=request.text.upper()))
        self.stub("GET", "/tuple").call(lambda request: (418, [("X-Teapot", "yes")], "short"))
        self.assertEqual(call(self.url("/echo"), b"abc")[:2], (201, b"ABC"))
        status, body, headers = call(self.url("/tuple"))
        self.assertEqual((status, body, headers["X-Teapot"]), (418, b"short", "yes"))

    def test_handler_returning_nonsense_fails_the_test_with_its_reason(self) -> None:
        class Case(ServerTestCase, unittest.TestCase):
            def test(self) -> None:
                self.stub("GET", "/bad").call(lambda request: 42)
                self.assertEqual(call(self.url("/bad"))[0], 500)

        with self.assertLogs("fakeserver", "WARNING"):
            result = run_case(Case)
        self.assertIn("must return a fakeserver.Response or a (status, headers, body) tuple, "
                      "not 42", result.failures[0][1])

    def test_recorded_requests_know_their_stub(self) -> None:
        stub = self.stub("GET", "/r").respond(text="r")
        call(self.url("/r"))
        [request] = self.requests
        self.assertIs(request.stub, stub)
        self.assertFalse(request.unmatched)
        self.assertEqual(stub.calls, 1)


class UnmatchedTest(unittest.TestCase):
    def test_report_answered_with_404_and_recorded(self) -> None:
        stubs = StubApp()
        stubs.stub("POST", "/upload").respond(201)
        stubs.stub("GET", "/items", query={"page": "2"}).respond(json=[])
        recorder = Recorder(stubs)
        with AppRunner(recorder) as runner:
            status, body, headers = call(runner.url + "/uplod", b"x")
        self.assertEqual(status, 404)
        self.assertEqual(headers["Content-Type"], "text/plain; charset=utf-8")
        self.assertEqual(body.decode(), textwrap.dedent("""\
            No stub matched POST /uplod; 2 stubs declared.
            Closest stubs:
              POST /upload         path '/uplod' != '/upload'
              GET  /items          method 'POST' != 'GET'; path '/uplod' != '/items'; query 'page': missing
            """))
        [request] = stubs.unmatched
        self.assertTrue(request.unmatched)
        self.assertIs(recorder.requests[0], request)
        recorder.clear()

    def test_configurable_status_and_no_stubs(self) -> None:
        stubs = StubApp(unmatched_status=501)
        with AppRunner(stubs) as runner:
            status, body, _ = call(runner.url + "/x")
        self.assertEqual((status, body), (501, b"No stub matched GET /x; no stubs are declared.\n"))

    def test_expired_stub_explains_itself(self) -> None:
        stubs = StubApp()
        stubs.stub("GET", "/once", times=1)
        with AppRunner(stubs) as runner:
            call(runner.url + "/once")
            body = call(runner.url + "/once")[1].decode()
        self.assertIn("  GET /once           times 1 used != 1 allowed", body)

    def test_unmatched_request_fails_the_test_that_made_it(self) -> None:
        class Case(ServerTestCase, unittest.TestCase):
            def test(self) -> None:
                self.stub("GET", "/a").respond(text="a")
                call(self.url("/b"))

        result = run_case(Case)
        self.assertEqual(len(result.failures), 1)
        self.assertIn(textwrap.dedent("""\
            1 request matched no stub (set allow_unmatched_requests = True on the test case to allow it):
            No stub matched GET /b; 1 stub declared.
            Closest stubs:
              GET /a              path '/b' != '/a'"""), result.failures[0][1])

    def test_opt_out_per_class(self) -> None:
        class Case(ServerTestCase, unittest.TestCase):
            allow_unmatched_requests = True

            def test(self) -> None:
                self.stub("GET", "/a")
                self.assertEqual(call(self.url("/b"))[0], 404)

        self.assertTrue(run_case(Case).wasSuccessful())

    def test_without_stubs_a_request_fails_the_test_saying_how_to_fix_it(self) -> None:
        statuses = []

        class Case(ServerTestCase, unittest.TestCase):
            def test(self) -> None:
                statuses.append(call(self.url("/anything"))[0])

        result = run_case(Case)
        self.assertEqual(statuses, [404])
        [(_, text)] = result.failures
        self.assertIn(textwrap.dedent("""\
            1 request matched no stub (set allow_unmatched_requests = True on the test case to allow it):
            No stub matched GET /anything; no stubs are declared.

            No stubs are declared: declare one with self.stub(...), or set app = fakeserver.demo_app on the test case to accept any request.
            """).rstrip(), text)

    def test_the_demo_app_accepts_anything_when_asked_for(self) -> None:
        bodies = []

        class Case(ServerTestCase, unittest.TestCase):
            app = fakeserver.demo_app

            def test(self) -> None:
                bodies.append(call(self.url("/anything"))[1])

        result = run_case(Case)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(bodies, [b"Hello world!\n\nGET /anything\n"])

    def test_stubs_are_fresh_for_each_test(self) -> None:
        seen = []

        class Case(ServerTestCase, unittest.TestCase):
            allow_unmatched_requests = True

            def test_1(self) -> None:
                self.stub("GET", "/one").respond(text="1")
                seen.append(call(self.url("/one"))[0])

            def test_2(self) -> None:
                self.stub("GET", "/two")
                seen.append(call(self.url("/one"))[0])

        self.assertTrue(run_case(Case).wasSuccessful())
        self.assertEqual(seen, [200, 404])


class ClassStubsTest(unittest.TestCase):
    def test_a_stub_app_given_as_app_keeps_its_stubs_for_every_test(self) -> None:
        directory = tempfile.mkdtemp()
        self.addCleanup(os.rmdir, directory)
        path = os.path.join(directory, "stubs.json")
        with open(path, "w") as file:
            json.dump([{"request": {"method": "GET", "path": "/a"}, "response": {"text": "hi"}}], file)
        self.addCleanup(os.unlink, path)
        seen = []

        class Case(ServerTestCase, unittest.TestCase):
            app = StubApp.from_file(path)

            @classmethod
            def setUpClass(cls) -> None:
                super().setUpClass()
                cls.stubs.stub("GET", "/b").respond(text="class")

            def test_1(self) -> None:
                self.stub("GET", "/c").respond(text="only in test_1")
                seen.append([call(self.url(p))[1] for p in ("/a", "/b", "/c")])

            def test_2(self) -> None:
                seen.append([call(self.url(p))[1] for p in ("/a", "/b")])
                self.assertEqual(call(self.url("/c"))[0], 404)
                self.allow_unmatched_requests = True

        result = run_case(Case)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(seen, [[b"hi", b"class", b"only in test_1"], [b"hi", b"class"]])


class SubsetTest(ServerTestCase, unittest.TestCase):
    def test_one_value_is_one_of_many_a_list_is_all_of_them(self) -> None:
        self.stub("GET", "/one", query={"tag": "b"}).respond(text="one")
        self.stub("GET", "/all", query={"tag": ["a", "b"]}).respond(text="all")
        self.assertEqual(call(self.url("/one?tag=a&tag=b"))[1], b"one")
        self.assertEqual(call(self.url("/all?tag=a&tag=b"))[1], b"all")
        self.assertEqual(call(self.url("/all?tag=b&tag=a"))[0], 404)
        self.allow_unmatched_requests = True
        self.assertRequested("/one", query={"tag": "a"})
        self.assertNotRequested("/one", query={"tag": ["a"]})


class AllStubsUsedTest(ServerTestCase, unittest.TestCase):
    def test_names_every_unused_stub_with_its_closest_request(self) -> None:
        self.stub("GET", "/items", query={"page": "2"}).respond(json=[])
        self.stub("POST", "/upload").respond(201)
        self.stub("GET", "/used").respond(text="u")
        call(self.url("/used"))
        with self.assertRaises(self.failureException) as caught:
            self.assertAllStubsUsed()
        self.assertEqual(str(caught.exception), textwrap.dedent("""\
            Expected every stub to be used; 2 of 3 never were.
            Unused stubs:
              GET  /items          closest request: GET /used -- path '/used' != '/items'; query 'page': missing
              POST /upload         closest request: GET /used -- method 'GET' != 'POST'; path '/used' != '/upload'"""))

    def test_with_no_requests(self) -> None:
        self.stub("GET", "/never")
        with self.assertRaises(self.failureException) as caught:
            self.assertAllStubsUsed(msg="the client did nothing")
        self.assertEqual(str(caught.exception), textwrap.dedent("""\
            Expected every stub to be used; 1 of 1 never were.
            Unused stubs:
              GET /never          no requests were recorded : the client did nothing"""))


class DeclarativeTest(ServerTestCase, unittest.TestCase):
    def write(self, content: object) -> str:
        return json_file(self, content)

    def test_load_stubs_from_a_file(self) -> None:
        path = self.write([
            {"request": {"method": "GET", "path": "/items", "query": {"page": "2"}},
             "response": {"json": [1, 2], "headers": {"X-Source": "file"}}},
            {"request": {"method": "POST", "path": "/upload", "json": {"a": 1}},
             "response": {"status": 201, "text": "created", "delay": 0.01}, "times": 1},
            {"request": {"path": "/raw", "body": "ping", "headers": {"X-Key": "k"}},
             "response": {"body": "pong"}},
        ])
        stubs = self.load_stubs(path)
        self.assertEqual(len(stubs), 3)
        status, body, headers = call(self.url("/items?page=2"))
        self.assertEqual((status, json.loads(body), headers["X-Source"]), (200, [1, 2], "file"))
        self.assertEqual(call(self.url("/upload"), b'{"a": 1}')[:2], (201, b"created"))
        self.assertEqual(call(self.url("/raw"), b"ping", {"X-Key": "k"})[1], b"pong")
        self.assertEqual(len(StubApp.from_file(path).stubs), 3)

    def test_invalid_files_name_the_entry_and_field(self) -> None:
        cases = [
            ({"stubs": []}, "expected a list of stubs, or a WireMock mapping"),
            ([{"request": {"method": 5}}], "entry 0: request.method must be a string, not 5"),
            ([{"request": {}}, {"response": {}}], "entry 1: 'request' must be an object"),
            ([{"request": {"verb": "GET"}}], "entry 0: request: unknown field 'verb'"),
            ([{"request": {}, "response": {"status": "200"}}],
             "entry 0: response.status must be an integer, not '200'"),
            ([{"request": {}, "response": {"text": "a", "json": 1}}],
             "entry 0: response: give at most one of body=, text= and json="),
            ([{"request": {}, "times": True}], "entry 0: times must be an integer, not True"),
            ([{"request": {}, "response": {"headers": {"X-Count": 3}}}],
             "entry 0: response.headers['X-Count'] must be a string or a list of strings, not 3"),
            ([{"request": {"headers": {"X-Id": 7}}}],
             "entry 0: request.headers['X-Id'] must be a string, a matcher or a list of them, not 7"),
            ([{"request": {"query": {"page": [1]}}}],
             "entry 0: request.query['page'] must be a string, a matcher or a list of them, "
             "not [1]"),
            ("[{", "not valid JSON"),
        ]
        for content, message in cases:
            with self.subTest(message=message):
                path = self.write(content)
                with self.assertRaises(ValueError) as caught:
                    StubApp.from_file(path)
                self.assertIn(message, str(caught.exception))
                self.assertTrue(str(caught.exception).startswith(path))


class MisuseTest(unittest.TestCase):
    def test_stub_with_a_custom_app_explains(self) -> None:
        class Case(ServerTestCase, unittest.TestCase):
            app = echo_app

            def test(self) -> None:
                self.stub("GET", "/")

        result = run_case(Case)
        self.assertIn("stubs are served only when the app setting is None", result.errors[0][1])

    def test_bad_arguments(self) -> None:
        stubs = StubApp()
        with self.assertRaisesRegex(ValueError, "unknown fault 'explode'; choose one of reset"):
            stubs.stub("GET", "/").fault("explode")
        with self.assertRaisesRegex(ValueError, "times must be at least 1"):
            stubs.stub("GET", "/", times=0)
        with self.assertRaisesRegex(ValueError, "at most one of body=, text= and json="):
            stubs.stub("GET", "/").respond(body=b"x", json=1)
        with self.assertRaisesRegex(TypeError, "use text= for str"):
            stubs.stub("GET", "/").respond(body="x")

    def test_criteria_a_stub_cannot_match(self) -> None:
        stubs = StubApp()
        with self.assertRaises(TypeError) as caught:
            stubs.stub("GET", "/", status=200)  # type: ignore[call-arg]
        self.assertEqual(str(caught.exception),
                         "a stub matches requests before they are answered, so it takes no "
                         "status=; give the status it answers with to .respond(status)")
        with self.assertRaisesRegex(TypeError, "unknown request criterion 'header'; expected one "
                                               "of query, headers, body, json, form, files, cookies"):
            stubs.stub("GET", "/", header={"X-Key": "k"})  # type: ignore[call-arg]
        self.assertEqual(stubs.stubs, [])


class ThreadSafetyTest(unittest.TestCase):
    def test_stubs_added_while_requests_are_in_flight(self) -> None:
        stubs = StubApp()
        stubs.stub("GET", "/base").respond(text="base")
        statuses: list[int] = []
        stop = threading.Event()

        def client() -> None:
            while not stop.is_set() and len(statuses) < 2000:
                statuses.append(call(runner.url + "/base")[0])

        with AppRunner(stubs) as runner:
            threads = [threading.Thread(target=client) for _ in range(4)]
            for thread in threads:
                thread.start()
            for i in range(200):
                stubs.stub("GET", f"/new/{i}").respond(text=str(i))
            stop.set()
            for thread in threads:
                thread.join()
            self.assertEqual(call(runner.url + "/new/199")[1], b"199")
        self.assertEqual(set(statuses), {200})
        self.assertEqual(runner.errors, [])

    def test_stop_cuts_a_delay_short_without_the_mixin(self) -> None:
        stubs = StubApp()
        slow = stubs.stub("GET", "/slow").respond(text="late", delay=30)
        runner = AppRunner(stubs)
        runner.start()
        outcome: list = []

        def client() -> None:
            try:
                outcome.append(call(runner.url + "/slow")[1])
            except OSError as error:
                outcome.append(error)

        thread = threading.Thread(target=client)
        thread.start()
        deadline = time.monotonic() + 5
        while slow.calls == 0 and time.monotonic() < deadline:  # until it waits out its delay
            time.sleep(0.001)
        started = time.monotonic()
        runner.stop()
        self.assertLess(time.monotonic() - started, 1.0)
        thread.join(5)
        self.assertEqual(outcome, [b"late"])  # answered at once, not cut off
        self.assertFalse(any(t.name.startswith(runner.name) for t in threading.enumerate()))

    def test_times_is_exact_under_concurrency(self) -> None:
        stubs = StubApp()
        stubs.stub("GET", "/once", times=1).respond(text="won")
        barrier = threading.Barrier(10)
        bodies: list[bytes] = []

        def client() -> None:
            barrier.wait()
            bodies.append(call(runner.url + "/once")[1])

        with AppRunner(stubs) as runner:
            threads = [threading.Thread(target=client) for _ in range(10)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        self.assertEqual(bodies.count(b"won"), 1)
        self.assertEqual(len(stubs.unmatched), 9)


if __name__ == "__main__":
    unittest.main()
