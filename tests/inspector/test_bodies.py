"""How bodies are judged, viewed and written into JSON, large ones piece by piece."""

from __future__ import annotations

import base64
import json
import unittest
import urllib.request

from fakeserver import AppRunner, RecordedRequest, Recorder
from fakeserver._inspector.bodies import INLINE_BYTES, body_view, hexdump, iter_json, text_or_none
from fakeserver._inspector.exchanges import exchange_json
from tests.support import echo_app


def recorded(body: bytes, content_type: str = "application/octet-stream") -> RecordedRequest:
    """The record of a real POST of *body* (echoed back, so the response has it too)."""
    recorder = Recorder(echo_app)
    with AppRunner(recorder) as runner:
        request = urllib.request.Request(runner.url + "/body", data=body,
                                         headers={"Content-Type": content_type})
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
        [record] = recorder.settle()
    return record


class TextTest(unittest.TestCase):
    def test_text_or_none(self) -> None:
        self.assertEqual(text_or_none("caf\u00e9\n\tok\r\n".encode()), "caf\u00e9\n\tok\r\n")
        self.assertIsNone(text_or_none(b"\x1b[31mred"))
        self.assertIsNone(text_or_none(b"\xff\xfe"))
        self.assertIsNone(text_or_none(b"nul\x00"))

    def test_a_prefix_may_end_inside_a_character(self) -> None:
        data = "\u00e9\u00e9".encode()[:3]
        self.assertIsNone(text_or_none(data))
        self.assertEqual(text_or_none(data, final=False), "\u00e9")

    def test_hexdump(self) -> None:
        self.assertEqual(hexdump(b"Hello, \x00\xffworld!!!\n" + b"AB"), "\n".join([
            "00000000  48 65 6c 6c 6f 2c 20 00  ff 77 6f 72 6c 64 21 21  |Hello, ..world!!|",
            "00000010  21 0a 41 42                                       |!.AB|"]))


class ViewTest(unittest.TestCase):
    def test_json_is_pretty_printed(self) -> None:
        view = body_view(recorded(b'{"b": [1, 2], "a": "\\u00e9"}', "application/json"), "x/body")
        self.assertEqual((view["kind"], view["text"]),
                         ("json", '{\n  "b": [\n    1,\n    2\n  ],\n  "a": "\u00e9"\n}'))
        self.assertEqual((view["size"], view["download"], view["truncated"]), (28, "x/body", False))

    def test_binary_gets_the_hex_view_only(self) -> None:
        view = body_view(recorded(bytes(range(256)) * 20), "x")
        self.assertEqual((view["kind"], view["text"]), ("binary", None))
        self.assertEqual(view["hex"].splitlines()[0],
                         "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|")
        self.assertEqual(len(view["hex"].splitlines()), 4096 // 16)
        self.assertTrue(view["hex_truncated"])

    def test_images_and_text_and_nothing(self) -> None:
        self.assertEqual(body_view(recorded(b"\x89PNG\r\n\x1a\n", "image/png"), "x")["kind"], "image")
        svg = body_view(recorded(b"<svg onload='x()'/>", "image/svg+xml"), "x")
        self.assertEqual((svg["kind"], svg["text"]), ("text", "<svg onload='x()'/>"))
        latin = body_view(recorded("caf\u00e9".encode("latin-1"), "text/plain; charset=latin-1"), "x")
        self.assertEqual((latin["kind"], latin["text"]), ("text", "caf\u00e9"))
        self.assertEqual(body_view(recorded(b""), "x")["kind"], "empty")

    def test_long_text_is_cut(self) -> None:
        view = body_view(recorded(b"line\n" * 100_000, "text/plain"), "x")
        self.assertEqual(view["kind"], "text")
        self.assertTrue(view["truncated"])
        self.assertEqual(len(view["text"]), 256 << 10)


class StreamedJSONTest(unittest.TestCase):
    def test_small_bodies_inline(self) -> None:
        document = exchange_json(recorded(b"\x00\x01", "application/octet-stream"))
        self.assertEqual(document["body_base64"], "AAE=")
        self.assertEqual(json.loads("".join(iter_json(document))), document)

    def test_large_bodies_are_streamed_in_pieces(self) -> None:
        for body in (("\u00e9t\u00e9 \"quoted\"\n" * (INLINE_BYTES // 8)).encode(),
                     bytes(range(256)) * (INLINE_BYTES // 128)):
            with self.subTest(text=body[:1] != b"\x00"):
                record = recorded(body)
                pieces = list(iter_json(exchange_json(record)))
                self.assertGreater(len(pieces), 10)
                self.assertLess(max(map(len, pieces)), len(body) // 2)  # never the body at once
                document = json.loads("".join(pieces))
                for side in (document, document["response"]):
                    if "body" in side:
                        self.assertEqual(side["body"].encode(), body)
                    else:
                        self.assertEqual(base64.b64decode(side["body_base64"]), body)

    def test_a_header_cannot_pose_as_a_streamed_body(self) -> None:
        recorder = Recorder(echo_app)
        with AppRunner(recorder) as runner:
            for value in ("\\u00000\\u0000", "0"):  # as a placeholder might look
                request = urllib.request.Request(runner.url + "/", data=b"x" * (INLINE_BYTES + 1),
                                                 headers={"X-Pose": value})
                with urllib.request.urlopen(request, timeout=10) as response:
                    response.read()
            for record in recorder.settle():
                document = json.loads("".join(iter_json(exchange_json(record))))
                self.assertIn(["X-Pose", record.headers["X-Pose"]], document["headers"])


if __name__ == "__main__":
    unittest.main()
