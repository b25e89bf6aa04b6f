"""The files= criterion: multipart uploads matched by field, whatever the boundary."""

from __future__ import annotations

import http.client
import textwrap
import unittest
import urllib.request

from fakeserver import ServerTestCase, StubApp
from tests.support import import_extra, multipart

CSV = b"id,qty\n1,3\n"


def post(url: str, fields: dict[str, str], files: dict[str, object]) -> int:
    """POST a multipart form with urllib; return the status (404 included)."""
    body, content_type = multipart(fields, files)
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        with error:
            return error.code


class FilesTest(ServerTestCase, unittest.TestCase):
    def test_a_stub_matches_the_upload_whatever_the_boundary(self) -> None:
        self.stub("POST", "/upload", files={"report": {"filename": "r.csv", "content": CSV,
                                                        "content_type": "text/csv"}}
                  ).respond(201)
        for _ in range(2):  # a fresh boundary each time
            self.assertEqual(post(self.url("/upload"), {"note": "x"},
                                  {"report": ("r.csv", "text/csv", CSV)}), 201)
        self.assertEqual(self.stubs.stubs[0].calls, 2)

    def test_filename_content_or_dict(self) -> None:
        post(self.url("/upload"), {}, {"report": ("r.csv", "text/csv", CSV)})
        self.assertRequested("/upload", files={"report": "r.csv"})
        self.assertRequested("/upload", files={"report": CSV})
        self.assertRequested("/upload", files={"report": {"content": CSV.decode()}})  # str: UTF-8
        self.assertRequested("/upload", files={"report": {"content_type": "text/csv"}})
        for wrong in ("other.csv", b"other", {"filename": "r.csv", "content_type": "text/plain"}):
            with self.subTest(wrong=wrong):
                self.assertNotRequested("/upload", files={"report": wrong})
        self.assertNotRequested("/upload", files={"missing": "r.csv"})

    def test_one_spec_is_one_of_the_files_a_list_is_all_of_them(self) -> None:
        post(self.url("/many"), {}, {"doc": [("a.txt", "text/plain", b"A"),
                                             ("b.txt", "text/plain", b"B")]})
        self.assertRequested("/many", files={"doc": "b.txt"})
        self.assertRequested("/many", files={"doc": ["a.txt", b"B"]})
        self.assertNotRequested("/many", files={"doc": ["b.txt", "a.txt"]})
        self.assertNotRequested("/many", files={"doc": ["a.txt"]})

    def test_other_clients(self) -> None:
        self.stub("POST", "/upload", files={"report": {"filename": "r.csv", "content": CSV}}
                  ).respond(201)
        requests = import_extra("requests")
        response = requests.post(self.url("/upload"), files={"report": ("r.csv", CSV, "text/csv")},
                                 data={"note": "x"}, timeout=10)
        self.assertEqual(response.status_code, 201)
        body, content_type = multipart({}, {"report": ("r.csv", "text/csv", CSV)})
        connection = http.client.HTTPConnection(*self.server.address, timeout=10)
        self.addCleanup(connection.close)
        connection.request("POST", "/upload", body, {"Content-Type": content_type})
        self.assertEqual(connection.getresponse().status, 201)

    def test_the_report_shows_what_was_uploaded(self) -> None:
        post(self.url("/upload"), {}, {"report": ("r.csv", "text/csv", CSV)})
        with self.assertRaises(self.failureException) as caught:
            self.assertRequested("/upload", files={"report": "s.csv", "image": b"\x89PNG"})
        self.assertEqual(str(caught.exception), textwrap.dedent("""\
            Expected a request matching /upload with files {'report': 's.csv', 'image': b'\\x89PNG'}; 0 of 1 recorded request match.
            Closest recorded requests:
              POST /upload         files {'report': ["'r.csv' text/csv 11 bytes"], 'image': '<missing>'} != {'report': 's.csv', 'image': b'\\x89PNG'}"""))

    def test_bad_specs_say_what_is_expected(self) -> None:
        with self.assertRaises(ValueError) as caught:
            StubApp().stub("POST", "/", files={"report": {"name": "r.csv"}})
        self.assertEqual(str(caught.exception),
                         "files['report']: unknown key 'name'; expected filename, content, content_type")
        with self.assertRaises(TypeError) as caught:
            StubApp().stub("POST", "/", files={"report": 3})  # type: ignore[dict-item]
        self.assertEqual(str(caught.exception),
                         "files['report'] must be a filename (str), a content (bytes) or a dict of "
                         "filename, content, content_type, not 3")


if __name__ == "__main__":
    unittest.main()
