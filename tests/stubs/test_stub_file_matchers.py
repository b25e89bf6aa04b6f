"""Stub files: matchers as one-key objects, the new criteria, and the errors naming entry and field."""

from __future__ import annotations

import json
import textwrap
import unittest

from fakeserver import ServerTestCase, StubApp
from tests.support import basic_auth, call, json_file, multipart


class StubFileMatchersTest(ServerTestCase, unittest.TestCase):
    def test_every_matcher_written_in_json(self) -> None:
        self.load_stubs(json_file(self, [
            {"request": {"method": "GET", "path": {"$regex": "^/users/[0-9]+$"},
                         "headers": {"X-Id": {"$regex": "^[0-9]+$"}, "X-Debug": {"$absent": True}},
                         "query": {"page": {"$any": True}, "sort": {"$one_of": ["asc", "desc"]}}},
             "response": {"text": "user"}},
            {"request": {"method": "POST", "path": "/orders", "body": {"$contains": "A1"},
                         "json": {"$json_contains": {"customer": {"vip": True},
                                                     "coupon": {"$absent": True}}}},
             "response": {"status": 201}},
            {"request": {"method": "POST", "path": "/mongo", "json": {"$set": {"a": 1}}},
             "response": {"text": "literal"}},
        ]))
        self.assertEqual(call(self.url("/users/7?page=1&sort=asc"), headers={"X-Id": "7"})[:2],
                         (200, b"user"))
        order = {"customer": {"vip": True, "name": "Ann"}, "items": [{"sku": "A1"}]}
        self.assertEqual(call(self.url("/orders"), json.dumps(order).encode())[0], 201)
        self.assertEqual(call(self.url("/mongo"), b'{"$set": {"a": 1}}')[:2], (200, b"literal"))
        self.allow_unmatched_requests = True
        for url, data, headers in (("/users/7?page=1&sort=up", None, {"X-Id": "7"}),
                                   ("/users/7?sort=asc", None, {"X-Id": "7"}),
                                   ("/users/7?page=1", None, {"X-Id": "7", "X-Debug": "1"}),
                                   ("/users/x?page=1", None, {"X-Id": "7"}),
                                   ("/orders", json.dumps({**order, "coupon": "X"}).encode(), {})):
            with self.subTest(url=url, data=data):
                self.assertEqual(call(self.url(url), data, headers)[0], 404)

    def test_the_near_miss_report_words_file_matchers_too(self) -> None:
        self.load_stubs(json_file(self, [{"request": {"path": "/a", "headers": {"X-Id": {"$regex": "^[0-9]+$"}}}}]))
        self.allow_unmatched_requests = True
        self.assertEqual(call(self.url("/a"), headers={"X-Id": "abc"})[:2], (404, textwrap.dedent("""\
            No stub matched GET /a; 1 stub declared.
            Closest stubs:
              * /a              header 'X-Id' does not match /^[0-9]+$/ (got 'abc')
            """).encode()))

    def test_files_cookies_auth_and_host(self) -> None:
        self.load_stubs(json_file(self, [
            {"request": {"path": "/upload",
                         "files": {"report": {"filename": {"$regex": "\\.csv$"}, "content": "a,b\n"},
                                   "image": {"$absent": True}},
                         "cookies": {"sid": {"$any": True}},
                         "auth": ["ann", {"$regex": "^s"}],
                         "host": "api.example.com"},
             "response": {"status": 201}},
        ]))
        body, content_type = multipart({}, {"report": ("r.csv", "text/csv", b"a,b\n")})
        headers = {"Content-Type": content_type, "Cookie": "sid=1", **basic_auth("ann", "secret"),
                   "Host": "api.example.com"}
        self.assertEqual(call(self.url("/upload"), body, headers)[0], 201)
        self.allow_unmatched_requests = True
        self.assertEqual(call(self.url("/upload"), body, {**headers, "Host": "other.example.com"})[0],
                         404)


class StubFileErrorsTest(unittest.TestCase):
    def test_each_mistake_names_the_entry_and_the_field(self) -> None:
        cases = [
            ({"headers": {"X-Id": {"$regex": 5}}},
             "entry 0: request.headers['X-Id']: $regex must be a string, not 5"),
            ({"path": {"$regex": "("}},
             "entry 0: request.path: $regex: invalid pattern '(': missing ), unterminated "
             "subpattern at position 0"),
            ({"query": {"page": {"$any": False}}},
             "entry 0: request.query['page']: $any must be true, not False"),
            ({"form": {"role": {"$one_of": "admin"}}},
             "entry 0: request.form['role']: $one_of must be a non-empty list, not 'admin'"),
            ({"body": {"$contains": ["x"]}}, "entry 0: request.body: $contains must be a string, not ['x']"),
            ({"headers": {"X-Id": {"$regexp": "x"}}},
             "entry 0: request.headers['X-Id']: unknown matcher '$regexp'; expected one of $regex, "
             "$contains, $any, $absent, $one_of, $json_contains"),
            ({"json": {"$json_contains": {"a": {"$one_of": 1}}}},
             "entry 0: request.json: $json_contains['a']: $one_of must be a non-empty list, not 1"),
            ({"auth": ["ann"]}, "entry 0: request.auth must be a list of user and password, not ['ann']"),
            ({"auth": "ann:secret"},
             "entry 0: request.auth must be a list of user and password, not 'ann:secret'"),
            ({"cookies": {"sid": 1}},
             "entry 0: request.cookies['sid'] must be a string, a matcher or a list of them, not 1"),
            ({"host": 80}, "entry 0: request.host must be a string or a matcher, not 80"),
            ({"files": {"report": {"name": "r.csv"}}},
             "entry 0: request: files['report']: unknown key 'name'; expected filename, content, "
             "content_type"),
        ]
        for request, message in cases:
            with self.subTest(message=message):
                path = json_file(self, [{"request": {"path": "/ok"}}, {"request": request}])
                stubs = StubApp()
                with self.assertRaises(ValueError) as caught:
                    stubs.load(path)
                self.assertEqual(str(caught.exception), f"{path}: {message.replace('entry 0', 'entry 1')}")
                self.assertEqual(stubs.stubs, [])  # all or nothing


if __name__ == "__main__":
    unittest.main()
