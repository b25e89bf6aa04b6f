"""Failure messages show the difference: JSON paths, offsets in long bodies, only the differing keys."""

from __future__ import annotations

import json
import textwrap
import unicodedata
import unittest

from fakeserver import ServerTestCase
from fakeserver._matching.diff import differs
from tests.support import call, echo_app, failure_message

ORDER = {
    "customer": {"id": 7, "name": "Ann Example", "address": {"street": "1 Long Street " * 4}},
    "items": [{"sku": f"A{number}", "qty": number} for number in range(1, 5)],
    "extra": True,
}


class DifferenceTest(ServerTestCase, unittest.TestCase):
    app = echo_app

    def test_json_lists_the_differing_paths(self) -> None:
        call(self.url("/orders"), json.dumps(ORDER).encode())
        expected = json.loads(json.dumps(ORDER))
        expected["items"][3]["qty"] = 3
        expected["note"] = "gift"
        del expected["extra"]
        self.assertEqual(failure_message(self, self.assertRequested, "/orders", json=expected),
                         textwrap.dedent("""\
            Expected a request matching /orders with json {'customer': {'id': 7, 'nam[...]'qty': 3}], 'note': 'gift'}; 0 of 1 recorded request match.
            Closest recorded requests:
              POST /orders         json $.items[3].qty: 4 != 3; json $.note: missing; json $.extra: unexpected"""))

    def test_json_arrays_keys_and_types(self) -> None:
        call(self.url("/j"), b'{"list": [1, 2, 3], "two words": {"a": 1}, "n": null}')
        text = failure_message(self, self.assertRequested, "/j",
                               json={"list": [1, 2], "two words": [1], "n": 0})
        self.assertEqual(text.splitlines()[-1],
                         "  POST /j              json $.list[2]: unexpected; "
                         "json $['two words']: {'a': 1} != [1]; json $.n: None != 0")
        text = failure_message(self, self.assertRequested, "/j", json={"list": [1, 2, 3, 4]})
        self.assertIn("json $.list[3]: missing", text)

    def test_json_differences_are_capped(self) -> None:
        call(self.url("/many"), json.dumps({f"k{number}": number for number in range(9)}).encode())
        text = failure_message(self, self.assertRequested, "/many",
                               json={f"k{number}": -1 for number in range(9)})
        self.assertEqual(text.splitlines()[-1], "  POST /many           " + "; ".join(
            f"json $.k{number}: {number} != -1" for number in range(5))
            + "; json and 4 more differences")

    def test_a_long_body_shows_the_first_differing_offset_and_the_lengths(self) -> None:
        body = b"".join(b"line %04d\n" % number for number in range(500))
        call(self.url("/b"), body)
        changed = body.replace(b"line 0321", b"line 0x21")
        self.assertEqual(failure_message(self, self.assertRequested, "/b", body=changed),
                         textwrap.dedent("""\
            Expected a request matching /b with body b'line 0000\\nline 0001\\nlin[...]97\\nline 0498\\nline 0499\\n' (5000 bytes); 0 of 1 recorded request match.
            Closest recorded requests:
              POST /b              body at byte 3216: ...b' 0320\\nline 0321\\nline 032'... != ...b' 0320\\nline 0x21\\nline 032'... (lengths 5000 and 5000)"""))

    def test_a_body_cut_short_shows_where(self) -> None:
        body = b"x" * 100
        call(self.url("/b"), body)
        text = failure_message(self, self.assertRequested, "/b", body=body + b"END")
        self.assertEqual(text.splitlines()[-1],
                         "  POST /b              body at byte 100: ...b'xxxxxxxxxxxx' != "
                         "...b'xxxxxxxxxxxxEND' (lengths 100 and 103)")

    def test_the_offset_deep_in_a_large_body(self) -> None:
        body = bytes(200_000)
        zeros = r"\x00" * 12
        self.assertEqual(str(differs("body", body, body[:150_000] + b"\x01" + body[150_001:])),
                         f"body at byte 150000: ...b'{zeros}{zeros}'... != "
                         f"...b'{zeros}\\x01{zeros[:-4]}'... (lengths 200000 and 200000)")
        self.assertEqual(str(differs("body", body, body[:150_000])),
                         f"body at byte 150000: ...b'{zeros}{zeros}'... != ...b'{zeros}' "
                         f"(lengths 200000 and 150000)")

    def test_long_text_shows_the_first_differing_offset(self) -> None:
        value = "token-" + "a" * 70
        call(self.url("/t"), headers={"X-Token": value})
        text = failure_message(self, self.assertRequested, "/t",
                               headers={"X-Token": value[:40] + "b" + value[41:]})
        self.assertEqual(text.splitlines()[-1],
                         "  GET /t              header 'X-Token' at char 40: ...'aaaaaaaaaaaaaaaaaaaaaaaa'... "
                         "!= ...'aaaaaaaaaaaabaaaaaaaaaaa'... (lengths 76 and 76)")

    def test_headers_query_and_form_show_only_the_differing_keys(self) -> None:
        call(self.url("/f?page=1&tag=a&tag=b&keep=1"), b"name=Ann&role=user&same=1",
             {"X-One": "1", "X-Two": "2"})
        text = failure_message(self, self.assertRequested, "/f",
                               query={"page": "2", "tag": ["a", "c"], "keep": "1"},
                               headers={"x-one": "1", "X-Two": "3", "X-Three": "3"},
                               form={"name": "Ann", "role": "admin", "same": "1"})
        self.assertEqual(text.splitlines()[-1], (
            "  POST /f?page=1&tag=a&tag=b&keep=1  "
            "query 'page': '1' != '2'; query 'tag': ['a', 'b'] != ['a', 'c']; "
            "header 'X-Two': '2' != '3'; header 'X-Three': missing; form 'role': 'user' != 'admin'"))

    def test_closest_first_by_fields_then_by_differences(self) -> None:
        call(self.url("/r"), b'{"a": 0, "b": 0}')
        call(self.url("/r"), b'{"a": 1, "b": 0}')
        call(self.url("/other"), b'{"a": 1, "b": 2}')
        text = failure_message(self, self.assertRequested, "/r", json={"a": 1, "b": 2})
        self.assertEqual(text.splitlines()[2:], [
            "  POST /r              json $.b: 0 != 2",
            "  POST /other          path '/other' != '/r'",
            "  POST /r              json $.a: 0 != 1; json $.b: 0 != 2"])


class TwoSidesNeverPrintAlikeTest(unittest.TestCase):
    """The guard: a difference whose sides would print the same prints them otherwise."""

    def test_text_alike_on_screen_is_shown_in_ascii(self) -> None:
        composed, decomposed = "café", unicodedata.normalize("NFD", "café")
        self.assertEqual(str(differs("subject", composed, decomposed)),
                         r"subject 'caf\xe9' != 'cafe\u0301'")

    def test_values_whose_reprs_agree_show_their_types(self) -> None:
        class Reading(float):
            def __repr__(self) -> str:
                return "1.5"

        self.assertEqual(str(differs("json", 1.5, Reading(1.25), "json $.t")),
                         "json $.t: 1.5 (float) != 1.5 (Reading)")
        self.assertEqual(str(differs("json", float("nan"), float("nan"), "json $.x")),
                         "json $.x: nan (float) != nan (float), which prints alike but is not equal")

    def test_long_values_that_differ_in_the_middle(self) -> None:
        one = {"customer": {"id": 7, "name": "Ann" + "n" * 60, "city": "Paris"}}
        other = {"customer": {"id": 7, "name": "Ann" + "n" * 60, "city": "Rome"}}
        self.assertEqual(str(differs("json", [one], [other], "json $.list")),
                         "json $.list: ...', 'city': 'Paris'}}] != ...', 'city': 'Rome'}}]")
        long_text = "x" * 100
        for actual, expected in ((long_text + "a", long_text + "b"), ("a" + long_text, "b" + long_text),
                                 (long_text, long_text + "\u0301"), (b"\0" * 90, b"\0" * 91),
                                 ([1] * 40, [1] * 41), (tuple(range(30)), list(range(30))),
                                 ("é" * 50, unicodedata.normalize("NFD", "é" * 50))):
            with self.subTest(actual=actual, expected=expected):
                mismatch = differs("body", actual, expected)
                self.assertNotEqual(mismatch.actual, mismatch.expected)
                self.assertLess(len(str(mismatch)), 220)


if __name__ == "__main__":
    unittest.main()
