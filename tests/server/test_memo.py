"""What the server core remembers of heads that come again: bounded, never a refusal, never
shared in a way an app could change, and the same answer as made anew."""

from __future__ import annotations

import enum
import http.client
import unittest
from typing import Any, Callable

from fakeserver import AppRunner
from fakeserver._http import environ, framing, target, wire
from fakeserver._http.framing import AppHead
from fakeserver._http.memo import LARGEST, Memo
from fakeserver._http.wire import ClientError, field_lines, parse_fields, write_request_head
from tests.support import exchange, status_of


def _forgetting(test: unittest.TestCase, memo: Memo) -> None:
    """Empty *memo* for *test*, and put back what it held afterwards."""
    saved = dict(memo)
    memo.clear()
    test.addCleanup(lambda: (memo.clear(), memo.update(saved)))


class MemoTest(unittest.TestCase):
    def test_remember_returns_the_value_and_get_finds_it(self) -> None:
        memo: Memo[str, int] = Memo(3)
        self.assertEqual(memo.remember("a", 1), 1)
        self.assertEqual((memo.get("a"), memo.get("b")), (1, None))

    def test_a_part_longer_than_the_largest_is_not_kept(self) -> None:
        memo: Memo[str, int] = Memo(3)
        self.assertEqual(memo.remember("long", 1, LARGEST + 1), 1)
        memo.remember("short", 2, LARGEST)
        self.assertEqual(dict(memo), {"short": 2})

    def test_made_makes_once_and_remembers_no_refusal_nor_unhashable_key(self) -> None:
        memo: Memo[Any, str] = Memo(8)
        calls: list[object] = []

        def make(part: object) -> str:
            calls.append(part)
            if part == "bad":
                raise ValueError("refused")
            return f"made of {part}"
        for _ in range(2):
            self.assertEqual(memo.made("a", make, "a", length=len), "made of a")
            self.assertEqual(memo.made(["a"], make, "list", length=len), "made of list")
            with self.assertRaisesRegex(ValueError, "refused"):
                memo.made("bad", make, "bad", length=len)
        self.assertEqual(memo.made("long", make, "long", length=lambda made: LARGEST + 1),
                         "made of long")
        self.assertEqual(calls, ["a", "list", "bad", "list", "bad", "long"])
        self.assertEqual(dict(memo), {"a": "made of a"})

    def test_full_it_forgets_everything_and_keeps_the_newest(self) -> None:
        memo: Memo[int, int] = Memo(3)
        for number in range(3):
            memo.remember(number, number)
        memo.remember(3, 3)
        self.assertEqual(dict(memo), {3: 3})
        for number in range(100):
            memo.remember(number, number)
            self.assertLessEqual(len(memo), 3)


class RememberedHeadsTest(unittest.TestCase):
    def test_status_lines(self) -> None:
        first, again = AppHead("299 Remembered", []), AppHead("299 Remembered", [])
        self.assertEqual((again.code, again.status_line), (299, b"HTTP/1.1 299 Remembered\r\n"))
        self.assertIs(again.status_line, first.status_line)
        for _ in range(2):  # a refused status is never remembered
            with self.assertRaisesRegex(ValueError, "invalid reason phrase"):
                AppHead("200 OK\r\nX: y", [])
        self.assertNotIn("200 OK\r\nX: y", framing._STATUS_LINES)

    def test_app_heads_give_what_a_new_check_gives(self) -> None:
        _forgetting(self, framing._APP_HEADS)
        fields = [("Content-Type", "text/plain"), ("Content-Length", "5"), ("Connection", "close")]
        first, again = AppHead("200 OK", fields), AppHead("200 OK", list(fields))
        for head in (first, again):
            self.assertEqual((head.code, head.length, head.connection, head.close, head.field_lines),
                             (200, 5, True, True, b"Content-Type: text/plain\r\n"
                              b"Content-Length: 5\r\nConnection: close\r\n"))
        self.assertIs(again.field_lines, first.field_lines)
        self.assertEqual(len(framing._APP_HEADS), 1)

    def test_an_app_head_keeps_its_own_list_of_fields(self) -> None:
        fields = [("X-A", "1")]
        head = AppHead("200 OK", fields)
        fields.append(("X-B", "2"))
        self.assertEqual((head.headers, AppHead("200 OK", [("X-A", "1")]).headers),
                         ([("X-A", "1")], [("X-A", "1")]))

    def test_a_refused_app_head_is_refused_every_time(self) -> None:
        _forgetting(self, framing._APP_HEADS)
        cases: dict[str, tuple[Any, type[Exception], str]] = {
            "hop-by-hop": ([("Transfer-Encoding", "chunked")], ValueError, "hop-by-hop"),
            "not str": ([("X-Count", 3)], TypeError, "must be str"),
            "a list": ([["X-List", 1]], TypeError, "must be str"),
            "line break": ([("X-A", "1\r\nX-B: 2")], ValueError, "invalid value"),
            "bad length": ([("Content-Length", "5x")], ValueError, "invalid Content-Length"),
        }
        for label, (fields, error, message) in cases.items():
            for _ in range(2):
                with self.subTest(label), self.assertRaisesRegex(error, message):
                    AppHead("200 OK", fields)
        self.assertEqual(len(framing._APP_HEADS), 0)

    def test_fields_given_as_lists_are_checked_every_time(self) -> None:
        _forgetting(self, framing._APP_HEADS)
        for _ in range(2):
            head = AppHead("200 OK", [["X-List", "1"]])  # type: ignore[list-item]
            self.assertEqual(head.field_lines, b"X-List: 1\r\n")
        self.assertEqual(len(framing._APP_HEADS), 0)

    def test_field_sections_are_copies(self) -> None:
        block = b"Host: example.test\r\nX-Remembered: 1\r\n"
        first = parse_fields(block)
        first.append(("X-Added", "by the app"))
        self.assertEqual(parse_fields(block), [("Host", "example.test"), ("X-Remembered", "1")])
        self.assertIn(block, wire._SECTIONS)

    def test_a_refused_field_section_is_refused_every_time(self) -> None:
        for _ in range(2):
            with self.assertRaisesRegex(ClientError, "malformed header line"):
                parse_fields(b"Host: example.test\r\nBad Name: 1\r\n")
        self.assertNotIn(b"Host: example.test\r\nBad Name: 1\r\n", wire._SECTIONS)

    def test_long_parts_are_not_remembered(self) -> None:
        long = "x" * LARGEST
        block = f"X-Long: {long}\r\n".encode()
        self.assertEqual(parse_fields(block), [("X-Long", long)])
        self.assertNotIn(block, wire._SECTIONS)
        fields = [("X-Long", long)]
        self.assertEqual(field_lines(fields), block)
        self.assertEqual(write_request_head("GET", "/", fields), b"GET / HTTP/1.1\r\n" + block
                         + b"\r\n")
        self.assertEqual(AppHead("200 OK", fields).field_lines, block)
        self.assertEqual(environ.field_facts(fields)[0], {"HTTP_X_LONG": long})
        for memo in (wire._FIELD_LINES, wire._REQUEST_HEADS, framing._APP_HEADS,
                     environ._FIELD_FACTS):
            self.assertFalse(any(long in repr(key) for key in memo), memo)

    def test_what_is_sent_is_the_text_checked_whatever_the_type_of_str(self) -> None:
        class Mime(str, enum.Enum):
            JSON = "application/json"

        class Sneaky(str):
            """Text that formats itself as something else, a line break included."""

            def __str__(self) -> str:
                return "1\r\nSet-Cookie: injected=1"

            def __format__(self, spec: str) -> str:
                return str(self)

        for value, text in ((Mime.JSON, b"application/json"), (Sneaky("1"), b"1")):
            for fields in ([("X-Value", value)], [("X-Value", text.decode())]):
                with self.subTest(value=value, fields=fields):
                    self.assertEqual(field_lines(fields), b"X-Value: " + text + b"\r\n")
                    self.assertEqual(AppHead("200 OK", fields).field_lines,
                                     b"X-Value: " + text + b"\r\n")
                    self.assertEqual(write_request_head(Sneaky("GET"), "/", fields),
                                     b"GET / HTTP/1.1\r\nX-Value: " + text + b"\r\n\r\n")

    def test_hosts(self) -> None:
        target.check_host("remembered.test:8080")
        self.assertIn("remembered.test:8080", target._VALID_HOSTS)
        for _ in range(2):
            with self.assertRaisesRegex(ClientError, "invalid Host"):
                target.check_host("bad host")
        self.assertNotIn("bad host", target._VALID_HOSTS)

    def test_field_keys(self) -> None:
        self.assertEqual(environ._field_key("X-Request-Id"), ("x-request-id", "HTTP_X_REQUEST_ID"))
        self.assertEqual(environ._FIELD_KEYS["X-Request-Id"], ("x-request-id", "HTTP_X_REQUEST_ID"))

    def test_field_facts_give_what_a_new_reading_gives_and_refusals_every_time(self) -> None:
        _forgetting(self, environ._FIELD_FACTS)
        fields = [("Host", "a.test"), ("Content-Type", "text/plain"), ("X-Twice", "1"),
                  ("x-twice", "2"), ("Content-Length", "3"), ("Connection", "Keep-Alive, TE"),
                  ("Expect", "100-Continue"), ("Bad_Name", "dropped")]
        first, again = environ.field_facts(fields), environ.field_facts(list(fields))
        self.assertIs(again, first)
        self.assertEqual(first, ({"HTTP_HOST": "a.test", "CONTENT_TYPE": "text/plain",
                                  "HTTP_X_TWICE": "1,2", "HTTP_CONNECTION": "Keep-Alive, TE",
                                  "HTTP_EXPECT": "100-Continue"},
                                 "3", None, frozenset({"keep-alive", "te"}), "100-continue"))
        for fields in ([("Host", "a.test"), ("Host", "b.test")],
                       [("Host", "a.test"), ("Content-Length", "1"), ("Content-Length", "2")],
                       [("Host", "bad host")]):
            for _ in range(2):
                with self.assertRaises(ClientError):
                    environ.field_facts(fields)
        self.assertEqual(len(environ._FIELD_FACTS), 1)

    def test_request_heads_for_an_upstream_are_checked_every_time(self) -> None:
        fields = [("Host", "example.test"), ("X-A", "1")]
        self.assertEqual(write_request_head("GET", "/a", fields), write_request_head(
            "GET", "/a", list(fields)))
        for _ in range(2):
            with self.assertRaisesRegex(ValueError, "invalid value of header X-A"):
                write_request_head("GET", "/a", [("Host", "example.test"), ("X-A", "1\r\nX: 2")])


class ServedTest(unittest.TestCase):
    """The same, through a real server and real clients."""

    def serve(self, app: Callable[..., Any]) -> AppRunner:
        runner = AppRunner(app)
        runner.start()
        self.addCleanup(runner.stop)
        return runner

    def test_an_app_changing_the_fields_it_was_given_changes_no_later_request(self) -> None:
        def greedy(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            fields = environ["fakeserver.headers"]
            body = repr(fields).encode()
            fields.append(("X-Added", "by the app"))
            start_response("200 OK", [("Content-Length", str(len(body)))])
            return [body]
        runner = self.serve(greedy)
        connection = http.client.HTTPConnection(*runner.address, timeout=10)
        self.addCleanup(connection.close)
        answers = []
        for _ in range(3):
            connection.request("GET", "/", headers={"X-Same": "1"})
            answers.append(connection.getresponse().read())
        self.assertEqual(len(set(answers)), 1, answers)
        self.assertNotIn(b"X-Added", answers[0])

    def test_many_distinct_heads_are_all_answered_and_memory_stays_bounded(self) -> None:
        def echo_field(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            body = environ.get("HTTP_X_NUMBER", "").encode()
            start_response("200 OK", [("Content-Length", str(len(body))), ("X-Number", body.decode())])
            return [body]
        runner = self.serve(echo_field)
        connection = http.client.HTTPConnection(*runner.address, timeout=10)
        self.addCleanup(connection.close)
        for number in range(600):
            connection.request("GET", "/", headers={"X-Number": str(number)})
            response = connection.getresponse()
            self.assertEqual((response.read(), response.getheader("X-Number")),
                             (str(number).encode(), str(number)))
        for memo in (wire._SECTIONS, framing._APP_HEADS):
            self.assertLessEqual(len(memo), memo.size)

    def test_a_bad_host_after_good_ones_is_refused(self) -> None:
        runner = self.serve(lambda environ, start_response: (start_response("200 OK", []), [])[1])
        def status(host: str) -> int:
            return status_of(exchange(runner.address, f"GET / HTTP/1.1\r\nHost: {host}\r\n"
                                                      "Connection: close\r\n\r\n".encode()))
        self.assertEqual([status("good.test"), status("good.test")], [200, 200])
        with self.assertLogs("fakeserver", "WARNING") as logged:
            self.assertEqual(status("bad host"), 400)
        self.assertIn("invalid Host 'bad host'", logged.output[0])


if __name__ == "__main__":
    unittest.main()
