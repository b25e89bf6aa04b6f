"""The stub-file fields snapshots write: responses, base64 bodies, kept headers, exact requests."""

from __future__ import annotations

import base64
import http.client
import json
import os
import tempfile
import unittest

from fakeserver import ServerTestCase, StubApp
from tests.support import multipart
from tests.support.upstreams import fetch


def write(test: unittest.TestCase, content: object) -> str:
    handle, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(handle, "w") as file:
        file.write(json.dumps(content))
    test.addCleanup(os.unlink, path)
    return path


class FieldsTest(ServerTestCase, unittest.TestCase):
    def test_responses_play_in_order_the_last_repeating(self) -> None:
        self.load_stubs(write(self, [{"request": {"path": "/job"}, "responses": [
            {"status": 202, "json": {"state": "running"}},
            {"json": {"state": "done"}, "headers": {"Set-Cookie": ["a=1", "b=2"]}}]}]))
        answers = [fetch(self.url("/job")) for _ in range(3)]
        self.assertEqual([(status, json.loads(body)["state"]) for status, _, body in answers],
                         [(202, "running"), (200, "done"), (200, "done")])
        self.assertEqual(answers[2][1].get_all("Set-Cookie"), ["a=1", "b=2"])

    def test_bodies_in_base64(self) -> None:
        data = bytes(range(256))
        self.load_stubs(write(self, [{
            "request": {"method": "POST", "path": "/bin",
                        "body_base64": base64.b64encode(data).decode()},
            "response": {"body_base64": base64.b64encode(data[::-1]).decode()}}]))
        self.assertEqual(fetch(self.url("/bin"), data)[2], data[::-1])
        self.allow_unmatched_requests = True
        self.assertEqual(fetch(self.url("/bin"), data[1:])[0], 404)

    def test_match_headers_names_the_headers_matched(self) -> None:
        self.load_stubs(write(self, [{
            "request": {"path": "/h", "headers": {"X-Kept": "1", "X-Matched": "2"},
                        "match_headers": ["x-matched"]}, "response": {"text": "ok"}}]))
        self.assertEqual(fetch(self.url("/h"), headers={"X-Matched": "2"})[2], b"ok")
        self.allow_unmatched_requests = True
        self.assertEqual(fetch(self.url("/h"), headers={"X-Kept": "1"})[0], 404)

    def test_an_exact_request_has_no_more_and_no_less(self) -> None:
        self.load_stubs(write(self, [
            {"request": {"exact": True, "method": "GET", "path": "/a{b}?c", "query": {"x": "1"}},
             "response": {"text": "literal"}},
            {"request": {"exact": True, "method": "POST", "path": "/form",
                         "form": {"a": "<redacted>", "b": ["1", "2"]}},
             "response": {"text": "form"}},
        ]))
        self.assertEqual(fetch(self.url("/a%7Bb%7D%3Fc?x=1"))[2], b"literal")
        self.assertEqual(fetch(self.url("/form"), b"b=1&a=anything&b=2")[2], b"form")
        self.allow_unmatched_requests = True
        for target, body in (("/a%7Bb%7D%3Fc?x=1&y=2", None), ("/a%7Bb%7D%3Fc", None),
                             ("/form", b"b=1&a=x&b=2&c=3"), ("/form", b"b=1&b=2")):
            with self.subTest(target=target, body=body):
                self.assertEqual(fetch(self.url(target), body)[0], 404)

    def test_files_with_binary_content(self) -> None:
        png = b"\x89PNG\r\n\x1a\n\x00"
        self.load_stubs(write(self, [{"request": {"exact": True, "method": "POST", "path": "/up",
                                                  "files": {"image": [{
                                                      "filename": "i.png",
                                                      "content_base64": base64.b64encode(png).decode(),
                                                      "content_type": "image/png"}]}},
                                      "response": {"status": 201}}]))
        body, content_type = multipart({}, {"image": ("i.png", "image/png", png)})
        self.assertEqual(fetch(self.url("/up"), body, {"Content-Type": content_type})[0], 201)
        self.allow_unmatched_requests = True
        body, content_type = multipart({}, {"image": ("i.png", "image/png", png),
                                            "extra": ("e.txt", "text/plain", b"e")})
        self.assertEqual(fetch(self.url("/up"), body, {"Content-Type": content_type})[0], 404)

    def test_target_is_the_path_and_query_whole(self) -> None:
        self.load_stubs(write(self, [
            {"request": {"target": "/items?page=2&size=5"}, "response": {"text": "exact"}},
            {"request": {"target": {"$regex": "^/search\\?q=[a-z]+$"}},
             "response": {"text": "regex"}}]))
        self.assertEqual(fetch(self.url("/items?page=2&size=5"))[2], b"exact")
        self.assertEqual(fetch(self.url("/search?q=abc"))[2], b"regex")
        self.allow_unmatched_requests = True
        for target in ("/items?size=5&page=2", "/items?page=2&size=5&x=1", "/items",
                       "/search?q=abc&x=1"):
            with self.subTest(target=target):
                self.assertEqual(fetch(self.url(target))[0], 404)
        self.assertEqual(self.stubs.near_miss_report(self.stubs.unmatched[1]).splitlines()[2],
                         "  * *               target '/items?page=2&size=5&x=1' != "
                         "'/items?page=2&size=5'")

    def test_a_response_can_be_a_fault(self) -> None:
        self.load_stubs(write(self, [{"request": {"path": "/flaky"}, "responses": [
            {"fault": "close"}, {"text": "cut short", "fault": "truncate"}, {"text": "fine"}]}]))
        with self.assertRaises(http.client.RemoteDisconnected):
            fetch(self.url("/flaky"))
        with self.assertRaises(http.client.IncompleteRead) as caught:
            fetch(self.url("/flaky"))
        self.assertEqual(caught.exception.partial, b"cut short")
        self.assertEqual(fetch(self.url("/flaky"))[2], b"fine")


class MistakesTest(unittest.TestCase):
    def test_each_names_the_entry_and_the_field(self) -> None:
        cases = [
            ([{"request": {}, "response": {}, "responses": [{}]}],
             "entry 0: give 'response' or 'responses', not both"),
            ([{"request": {}, "responses": []}],
             "entry 0: 'responses' must be a non-empty list of objects"),
            ([{"request": {}, "responses": [{}, 3]}], "entry 0: responses[1] must be an object"),
            ([{"request": {}, "responses": [{}, {"status": "200"}]}],
             "entry 0: responses[1].status must be an integer, not '200'"),
            ([{"request": {}, "responses": [{"body": "a", "body_base64": "YQ=="}]}],
             "entry 0: responses[0]: give at most one of body=, text= and json="),
            ([{"request": {"body": "a", "body_base64": "YQ=="}}],
             "entry 0: give request.body or request.body_base64, not both"),
            ([{"request": {"body_base64": "not base64!"}}],
             "entry 0: request.body_base64 is not valid base64: 'not base64!'"),
            ([{"request": {"headers": {"A": "1"}, "match_headers": ["B"]}}],
             "entry 0: request.match_headers names 'B', which request.headers does not give"),
            ([{"request": {"match_headers": "A"}}],
             "entry 0: request.match_headers must be a list, not 'A'"),
            ([{"request": {"exact": 1}}], "entry 0: request.exact must be true or false, not 1"),
            ([{"request": {"files": {"f": {"content_base64": "!"}}}}],
             "entry 0: request.files['f'].content_base64 is not valid base64: '!'"),
            ([{"request": {"files": {"f": [{"content": "a", "content_base64": "YQ=="}]}}}],
             "entry 0: request.files['f']: give content or content_base64, not both"),
            ([{"request": {"path": "/a"}}, {"request": {}, "times": 0}],
             "entry 1: times must be at least 1, not 0"),
            ([{"request": {}, "response": {"headers": {"X": ["a", 1]}}}],
             "entry 0: response.headers['X'] must be a string or a list of strings, not ['a', 1]"),
            ([{"request": {}, "responses": [{}, {"fault": "explode"}]}],
             "entry 0: responses[1].fault must be one of reset, close, malformed, truncate, "
             "dribble, not 'explode'"),
            ([{"request": {"target": 5}}],
             "entry 0: request.target must be a string or a matcher, not 5"),
        ]
        for content, message in cases:
            with self.subTest(message=message):
                path = write(self, content)
                app = StubApp()
                with self.assertRaises(ValueError) as caught:
                    app.load(path)
                self.assertEqual(str(caught.exception), f"{path}: {message}")
                self.assertEqual(app.stubs, [])  # none of the file's stubs


if __name__ == "__main__":
    unittest.main()
