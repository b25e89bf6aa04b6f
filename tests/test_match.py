"""fakeserver.match: value matchers in stubs and assertions, and how reports word them."""

from __future__ import annotations

import json
import textwrap
import unittest

from fakeserver import ServerTestCase, StubApp, demo_app, match
from tests.support import call, failure_message, import_extra

ORDER = {"id": 41, "customer": {"name": "Ann", "vip": True},
         "items": [{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": 1}], "note": None}


class MatchersTest(unittest.TestCase):
    """Each matcher alone: what it accepts, and how it is written."""

    def test_what_each_accepts(self) -> None:
        cases = [
            (match.regex(r"^[0-9]+$"), ["42", b"42", 42], ["4a2", None, ["42"]]),
            (match.regex(rb"^\x89PNG"), [b"\x89PNG..."], [b"GIF8", "\x89PNG"]),
            (match.contains("lo w"), ["hello world", b"hello world"], ["hello", 3]),
            (match.contains("a"), [["a", "b"]], [["ab"]]),
            (match.ANY, ["", 0, False], [None]),
            (match.ABSENT, [None], ["", 0]),
            (match.one_of("a", match.regex("^b")), ["a", "bee"], ["c", None]),
            (match.json_contains({"a": {"b": 1}}), [{"a": {"b": 1, "c": 2}, "d": 3}, '{"a": {"b": 1}}'],
             [{"a": {"b": 2}}, {"a": 1}, "not json"]),
            (match.json_contains([1, 2]), [[1, 2]], [[2, 1], [1, 2, 3]]),
            (match.json_contains([1, 2], any_order=True), [[2, 1]], [[1, 1], [1, 2, 3]]),
        ]
        for matcher, accepted, refused in cases:
            for value in accepted:
                with self.subTest(matcher=matcher, accepts=value):
                    self.assertTrue(matcher(value))
            for value in refused:
                with self.subTest(matcher=matcher, refuses=value):
                    self.assertFalse(matcher(value))

    def test_written_as_they_are_made(self) -> None:
        self.assertEqual(
            [repr(matcher) for matcher in (
                match.regex("^a+$"), match.contains(b"x"), match.ANY, match.ABSENT,
                match.one_of("a", 1), match.json_contains({"a": [1]}),
                match.json_contains([1], any_order=True))],
            ["match.regex('^a+$')", "match.contains(b'x')", "match.ANY", "match.ABSENT",
             "match.one_of('a', 1)", "match.json_contains({'a': [1]})",
             "match.json_contains([1], any_order=True)"])

    def test_a_type_is_refused_with_what_to_write(self) -> None:
        with self.assertRaises(TypeError) as caught:
            StubApp().stub("GET", "/", headers={"X-Id": int})  # type: ignore[dict-item]
        self.assertEqual(str(caught.exception),
                         "int is a type, not a matcher; to check the type of a value, give "
                         "lambda value: isinstance(value, int)")


class StubMatchersTest(ServerTestCase, unittest.TestCase):
    """Matchers in stubs, with the near-miss report as the client gets it."""

    def test_every_field_takes_matchers(self) -> None:
        self.stub("GET", match.regex(r"^/users/[0-9]+$"), headers={"X-Id": match.regex("^[0-9]+$")},
                  query={"page": match.ANY, "debug": match.ABSENT}).respond(text="user")
        self.stub("POST", match.one_of("/orders", "/v2/orders"),
                  json=match.json_contains({"customer": {"vip": True}, "items": [{"sku": "A1"}, {}]})
                  ).respond(201)
        self.stub("POST", "/form", form={"name": lambda name: name.istitle()}).respond(text="form")
        self.stub("POST", "/text", body=match.contains("needle")).respond(text="body")
        self.assertEqual(call(self.url("/users/7?page=2"), headers={"X-Id": "7"})[:2], (200, b"user"))
        self.assertEqual(call(self.url("/v2/orders"), json.dumps(ORDER).encode())[0], 201)
        self.assertEqual(call(self.url("/form"), b"name=Ann")[1], b"form")
        self.assertEqual(call(self.url("/text"), b"hay needle hay")[1], b"body")
        self.allow_unmatched_requests = True
        for url, data, headers in (("/users/7?page=2&debug=1", None, {"X-Id": "7"}),
                                   ("/users/7", None, {"X-Id": "7"}),
                                   ("/users/7?page=2", None, {"X-Id": "x7"}),
                                   ("/orders", b'{"customer": {"vip": false}}', {}),
                                   ("/form", b"name=ann", {}), ("/text", b"hay", {})):
            with self.subTest(url=url, data=data):
                self.assertEqual(call(self.url(url), data, headers)[0], 404)

    def test_the_near_miss_report_words_each_matcher(self) -> None:
        self.stub("GET", "/a", headers={"X-Id": match.regex(r"^[0-9]+$")},
                  query={"page": match.ANY, "debug": match.ABSENT,
                         "sort": match.one_of("asc", "desc"), "q": match.contains("shoe")})
        self.stub("POST", "/a", body=lambda body: len(body) < 3, json=match.json_contains(
            {"items": [{"sku": "A1", "qty": 3}, {"sku": "B2"}], "gift": match.ANY}))
        self.allow_unmatched_requests = True
        status, body, _ = call(self.url("/a?debug=1&sort=up&q=boot"), headers={"X-Id": "abc"})
        self.assertEqual(status, 404)
        self.assertEqual(body.decode(), textwrap.dedent("""\
            No stub matched GET /a?debug=1&sort=up&q=boot; 2 stubs declared.
            Closest stubs:
              POST /a              method 'GET' != 'POST'; json body is not JSON (got b'')
              GET  /a              query 'page': missing; query 'debug': unexpected; query 'sort' is not one of 'asc', 'desc' (got 'up'); query 'q' does not contain 'shoe' (got 'boot'); header 'X-Id' does not match /^[0-9]+$/ (got 'abc')
            """))
        body = call(self.url("/a"), json.dumps(ORDER).encode())[1]
        self.assertEqual(body.decode().splitlines()[2:], [
            "  POST /a              body does not satisfy <lambda>() (got b'{\"id\": 41, \"customer\": {\"[...] \"qty\": 1}], \"note\": null}' (127 bytes)); "
            "json $.items[0].qty: 2 != 3; json $.gift: missing",
            "  GET  /a              method 'POST' != 'GET'; query 'page': missing; query 'sort': missing; "
            "query 'q': missing; header 'X-Id': missing"])

    def test_a_callable_that_raises_is_a_no_with_its_reason(self) -> None:
        self.stub("GET", "/n", headers={"X-Count": lambda count: int(count) > 2})
        self.allow_unmatched_requests = True
        self.assertEqual(call(self.url("/n"), headers={"X-Count": "3"})[0], 200)
        self.assertEqual(call(self.url("/n"), headers={"X-Count": "many"})[1].decode().splitlines()[2],
                         "  GET /n              header 'X-Count' does not satisfy <lambda>() (got "
                         "'many'; it raised ValueError: invalid literal for int() with base 10: 'many')")

    def test_with_requests(self) -> None:
        requests = import_extra("requests")
        self.stub("PUT", "/orders/{id}", json=match.json_contains({"items": [{"sku": "B2"}, {"sku": "A1"}]},
                                                                  any_order=True),
                  headers={"Content-Type": match.contains("json")}).respond(204)
        response = requests.put(self.url("/orders/41"), json=ORDER, timeout=10)
        self.assertEqual(response.status_code, 204)


class AssertionMatchersTest(ServerTestCase, unittest.TestCase):
    """Matchers in assertRequested and assertNotRequested, and their failure texts."""

    app = demo_app

    def setUp(self) -> None:
        super().setUp()
        call(self.url("/orders"), json.dumps(ORDER).encode(), {"X-Id": "77"})

    def test_matchers_inside_a_whole_document(self) -> None:
        self.assertRequested("/orders", json={**ORDER, "id": match.ANY, "note": match.ANY,
                                              "customer": match.json_contains({"name": "Ann"})})
        self.assertNotRequested("/orders", json={**ORDER, "note": match.ABSENT})
        self.assertRequested("/orders", json=match.json_contains({"note": None, "gone": match.ABSENT}))
        self.assertNotRequested("/orders", json=match.json_contains({"items": [{"sku": "A1"}]}))
        self.assertRequested(match.contains("order"), "POST", headers={"X-Id": lambda id: int(id) > 9})

    def test_json_contains_reports_the_paths_it_misses(self) -> None:
        expected = match.json_contains({"customer": {"vip": False, "tier": "gold"},
                                        "items": [{"sku": "A1"}, {"sku": "C3"}], "note": match.ABSENT})
        self.assertEqual(failure_message(self, self.assertRequested, "/orders", json=expected),
                         textwrap.dedent("""\
            Expected a request matching /orders with json match.json_contains({'custo[...]'}], 'note': match.ABSENT}); 0 of 1 recorded request match.
            Closest recorded requests:
              POST /orders         json $.customer.vip: True != False; json $.customer.tier: missing; json $.items[1].sku: 'B2' != 'C3'; json $.note: unexpected"""))

    def test_in_any_order_an_item_without_a_match_is_named(self) -> None:
        expected = match.json_contains({"items": [{"sku": "B2"}, {"sku": "C3"}]}, any_order=True)
        text = failure_message(self, self.assertRequested, "/orders", json=expected)
        self.assertEqual(text.splitlines()[-1],
                         "  POST /orders         json $.items has no item matching {'sku': 'C3'}")
        expected = match.json_contains({"items": [{"sku": "B2"}]}, any_order=True)
        text = failure_message(self, self.assertRequested, "/orders", json=expected)
        self.assertEqual(text.splitlines()[-1], "  POST /orders         json $.items: 2 items != 1 item")

    def test_json_contains_parses_text(self) -> None:
        call(self.url("/meta"), b"not json", {"X-Meta": '{"v": 2, "w": 1}'})
        self.assertRequested("/meta", headers={"X-Meta": match.json_contains({"v": 2})})
        text = failure_message(self, self.assertRequested, "/meta",
                               headers={"X-Meta": match.json_contains({"v": 3})},
                               body=match.json_contains({"v": 2}))
        self.assertEqual(text.splitlines()[2], "  POST /meta           header 'X-Meta' $.v: 2 != 3; "
                                               "body is not JSON (got b'not json')")

    def test_not_requested_names_the_matcher(self) -> None:
        text = failure_message(self, self.assertNotRequested, match.regex("^/ord"),
                               headers={"X-Id": match.ANY})
        self.assertEqual(text, textwrap.dedent("""\
            Expected no request matching match.regex('^/ord') with headers {'X-Id': match.ANY}; 1 of 1 recorded request matches.
            Matching recorded requests:
              POST /orders         (matches)"""))


if __name__ == "__main__":
    unittest.main()
