"""Heads handled whole: a request head read at once agrees with one read line by line, a field
section parsed at once agrees with field_line, and a request head for an upstream is
checked."""

from __future__ import annotations

import io
import unittest
from typing import Any

from fakeserver._http.wire import (
    MAX_HEADERS, ClientError, field_line, head_end, parse_fields, read_head, write_request_head,
)


class _Trickle(io.RawIOBase):
    """A raw stream giving one byte per read: a buffer over it never holds a whole head, so
    that read_head reads it line by line."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._pos >= len(self._data):
            return 0
        buffer[0] = self._data[self._pos]
        self._pos += 1
        return 1


def outcome(stream: io.BufferedReader) -> tuple[object, bytes | None]:
    """What read_head makes of *stream*: the head and what it left unread, or the refusal (the
    connection then closes: what is left does not matter)."""
    try:
        return read_head(stream), stream.read()
    except ClientError as error:
        return (error.status, error.detail), None


HEADS = {
    "fields and a body": b"POST /a?b=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
    "no fields": b"GET / HTTP/1.0\r\n\r\n",
    "bare line feeds": b"GET / HTTP/1.1\nHost: x\nX-A: 1\n\n",
    "spaces around values": b"GET / HTTP/1.1\r\nHost:x\r\nX-A: \t a b \t\r\nX-Empty:\r\n\r\n",
    "repeated fields": b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nx-a: 2\r\n\r\n",
    "two requests": b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n",
    "blank lines first": b"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "the most fields": b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * MAX_HEADERS + b"\r\n",
    "too many fields": b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * (MAX_HEADERS + 1) + b"\r\n",
    "obsolete folding": b"GET / HTTP/1.1\r\nX-A: 1\r\n 2\r\n\r\n",
    "space before the colon": b"GET / HTTP/1.1\r\nX-A : 1\r\n\r\n",
    "no colon": b"GET / HTTP/1.1\r\nHost x\r\n\r\n",
    "a bare CR in a value": b"GET / HTTP/1.1\r\nX-A: 1\r2\r\n\r\n",
    "a control character": b"GET / HTTP/1.1\r\nX-A: 1\x01\r\n\r\n",
    "malformed line, then too many": b"GET / HTTP/1.1\r\nbad\r\n" + b"X: y\r\n" * 200 + b"\r\n",
    "a bad request line": b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
    "another version": b"GET / HTTP/2.0\r\nHost: x\r\n\r\n",
    "cut off": b"GET / HTTP/1.1\r\nHost: x\r\n",
    "nothing": b"",
}


class ReadHeadTest(unittest.TestCase):
    def test_at_once_as_line_by_line(self) -> None:
        for name, data in HEADS.items():
            with self.subTest(name):
                whole = outcome(io.BufferedReader(io.BytesIO(data)))
                self.assertEqual(whole, outcome(io.BufferedReader(_Trickle(data))))

    def test_what_is_read(self) -> None:
        head, rest = outcome(io.BufferedReader(io.BytesIO(HEADS["fields and a body"])))
        self.assertEqual((head, rest), (("POST", "/a?b=1", "HTTP/1.1",
                                          [("Host", "x"), ("Content-Length", "3")]), b"abc"))
        spaced = read_head(io.BufferedReader(io.BytesIO(HEADS["spaces around values"])))
        self.assertEqual(spaced and spaced.headers,
                         [("Host", "x"), ("X-A", "a b"), ("X-Empty", "")])
        stream = io.BufferedReader(io.BytesIO(HEADS["two requests"]))
        heads = [read_head(stream), read_head(stream), read_head(stream)]
        self.assertEqual([head and head.target for head in heads], ["/1", "/2", None])


class ParseFieldsTest(unittest.TestCase):
    def test_as_field_line_on_each_line(self) -> None:
        lines = [b"Host: x\r\n", b"X-A:\t a b \t\r\n", b"X-B:\n", b"X-C: \xe9\r\n",
                 b"X-D: a:b\r\n"]
        self.assertEqual(parse_fields(b"".join(lines)), [field_line(line) for line in lines])

    def test_the_first_bad_line_is_named(self) -> None:
        for block, detail in {
                b"X-A: 1\r\nBad Name: 2\r\nX: \x01\r\n": "malformed header line b'Bad Name: 2\\r\\n'",
                b"X-A: 1\r2\r\nBad: \r\n": "control character in header field b'X-A: 1\\r2\\r\\n'",
                b"X-A: 1\r\n folded\r\n": "malformed header line b' folded\\r\\n'"}.items():
            with self.subTest(block=block), self.assertRaises(ClientError) as caught:
                parse_fields(block)
            self.assertEqual((caught.exception.status, caught.exception.detail), (400, detail))


class HeadEndTest(unittest.TestCase):
    def test_where_heads_end(self) -> None:
        self.assertEqual(head_end(b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody\n\n", 0), (23, 25))
        self.assertEqual(head_end(b"HTTP/1.1 200 OK\nA: b\n\nbody\r\n\r\n", 0), (21, 22))
        self.assertEqual(head_end(b"HTTP/1.1 200 OK\r\n\r\n", 0), (17, 19))
        self.assertEqual(head_end(b"xxHTTP/1.1 200 OK\r\n\r\n", 2), (19, 21))
        self.assertEqual(head_end(b"HTTP/1.1 200 OK\r\nA: b\r\n", 0), (-1, -1))


class WriteRequestHeadTest(unittest.TestCase):
    def test_a_head(self) -> None:
        self.assertEqual(write_request_head("GET", "/a?b=%20", [("Host", "x"), ("X-A", "1")]),
                         b"GET /a?b=%20 HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\r\n")

    def test_what_no_upstream_is_sent(self) -> None:
        for (method, target, fields), message in {
                ("GET", "/a b", ()): "invalid request line 'GET /a b'",
                ("GET", "/a\x00", ()): "invalid request line 'GET /a\\x00'",
                ("GET", "/a\x7f", ()): "invalid request line 'GET /a\\x7f'",
                ("GE T", "/", ()): "invalid request line 'GE T /'",
                ("GET", "", ()): "invalid request line 'GET '",
                ("GET", "/", (("X-A", "1\r\nX-B: 2"),)): "invalid value of header X-A",
                ("GET", "/", (("X A", "1"),)): "invalid header name 'X A'"}.items():
            with self.subTest(method=method, target=target), self.assertRaises(ValueError) as caught:
                write_request_head(method, target, fields)
            self.assertTrue(str(caught.exception).startswith(message), caught.exception)


if __name__ == "__main__":
    unittest.main()
