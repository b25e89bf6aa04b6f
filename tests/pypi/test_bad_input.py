"""PackageIndex against hostile input: credentials, paths, filenames, forms, archives, sidecars.

Every refusal is a 4xx with the reason in the status line, never a 500,
and stores nothing; each test runs against the index in memory and in a
directory, where names become paths.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import tempfile
import unittest
import urllib.request
import zipfile
from typing import Any
from wsgiref.util import setup_testing_defaults

from fakeserver.pypi import PackageIndex
from fakeserver.pypi.files import digests_of
from tests.pypi import test_index
from tests.support import exchange, status_of
from tests.support.distributions import Reply, build_sdist, build_wheel, fetch
from tests.support.forms import field_part, multipart_body

_BASIC = "Basic " + base64.b64encode(b"ann:pw").decode()


def _docs_zip(compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr("index.html", "<h1>Demo docs</h1>")
    return buffer.getvalue()


def _upload_parts(filename_params: str, data: bytes, *, version: str = "1.0",
                  summary_headers: tuple[str, ...] = ()) -> list[bytes]:
    """The parts of an sdist upload of demo *version*, with the content's filename as given."""
    fields = {":action": "file_upload", "protocol_version": "1", "metadata_version": "2.1",
              "name": "demo", "version": version, "filetype": "sdist",
              "sha256_digest": hashlib.sha256(data).hexdigest()}
    parts = [field_part(key, value) for key, value in fields.items()]
    parts.append(field_part("summary", "The demo package", *summary_headers))
    parts.append(field_part("content", data, "Content-Type: application/octet-stream",
                            params=filename_params))
    return parts


class HostileUploadTest(test_index.IndexTest):
    """Uploads no client should send, each refused whole (the index in memory)."""

    def post(self, *parts: bytes, closed: bool = True) -> Reply:
        body, content_type = multipart_body(*parts, closed=closed)
        return fetch(urllib.request.Request(self.upload_url, data=body, headers={
            "Content-Type": content_type, "Authorization": _BASIC}))

    def test_non_ascii_credentials_are_refused_with_403(self) -> None:
        for credentials in ("\u00e9t\u00e9", base64.b64encode(b"ann:\xe9").decode()):
            with self.subTest(credentials=credentials):
                request = urllib.request.Request(self.upload_url, data=b"", headers={
                    "Authorization": f"Basic {credentials}"})  # sent as latin-1 bytes
                self.assertRefused(fetch(request), 403, "Invalid authentication information.")

    def test_control_characters_in_filenames_are_refused(self) -> None:
        filename, data = build_sdist()
        for encoded, shown in (("demo-1.0%0A.tar.gz", "demo-1.0\\n.tar.gz"),
                               ("demo-1.0%0D%0A.tar.gz", "demo-1.0\\r\\n.tar.gz"),
                               ("demo-1.0%00.tar.gz", "demo-1.0\\x00.tar.gz"),
                               ("demo-1.0%1B.tar.gz", "demo-1.0\\x1b.tar.gz")):
            with self.subTest(filename=encoded):
                # RFC 2231: the one way a multipart header can carry a line break.
                reply = self.post(*_upload_parts(f"; filename*=utf-8''{encoded}", data))
                self.assertRefused(reply, 400, f"Invalid filename '{shown}': "
                                               "control characters are not allowed.")
        wheel = build_wheel()
        reply = self.upload(("demo-1.0-py3-none\x00-any.whl", wheel[1]))
        self.assertRefused(reply, 400, "Invalid filename 'demo-1.0-py3-none\\x00-any.whl': "
                                       "control characters are not allowed.")
        self.assertEqual(self.upload((filename, data)).status, 200)  # the same file, named well

    def test_names_versions_and_filenames_too_long_for_a_file_system(self) -> None:
        name, digits = "a" * 300, "1" * 5000
        self.assertRefused(self.upload((f"{name}-1.0.tar.gz", b"x"), name=name), 400,
                           "Invalid value for name: 300 characters long; "
                           "a filename holds at most 240.")
        self.assertRefused(self.upload((f"demo-{digits}.tar.gz", b"x"), version=digits), 400,
                           "Invalid value for version: 5000 characters long; "
                           "a filename holds at most 240.")
        name = "a" * 230  # a valid name, in a filename of 241 bytes
        self.assertRefused(self.upload((f"{name}-1.0.tar.gz", b"x"), name=name), 400,
                           "Invalid filename: longer than 240 bytes.")
        self.assertRaisesRegex(ValueError, "^Invalid filename: longer than 240 bytes.$",
                               self.index.add, f"{name}-1.0.tar.gz", b"x")

    def test_a_field_in_an_unknown_charset_is_refused(self) -> None:
        filename, data = build_sdist()
        for charset in ("x-unknown", "rot13", "undefined"):
            with self.subTest(charset=charset):
                reply = self.post(*_upload_parts(
                    f'; filename="{filename}"', data,
                    summary_headers=(f"Content-Type: text/plain; charset={charset}",)))
                self.assertRefused(reply, 400, "Invalid request: the field 'summary' "
                                               f"is in an unknown charset '{charset}'.")

    def test_a_body_without_its_closing_boundary_is_refused(self) -> None:
        filename, data = build_sdist()
        reply = self.post(*_upload_parts(f'; filename="{filename}"', data), closed=False)
        self.assertRefused(reply, 400,
                           "Invalid request: the multipart body has no closing boundary.")
        reply = self.post(*_upload_parts(f'; filename="{filename}"', data))
        self.assertEqual(reply.status, 200)  # the same body, closed

    def test_encrypted_or_corrupt_documentation_is_refused(self) -> None:
        archive = bytearray(_docs_zip())
        for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            archive[archive.find(signature) + flags_at] |= 0x1  # "encrypted"
        self.assertRefused(self.upload(("docs.zip", bytes(archive)), action="doc_upload"), 400,
                           "Invalid documentation upload: 'index.html' in the zip file "
                           "is encrypted.")
        corrupt = _docs_zip().replace(b"Demo docs", b"Evil docs")  # the CRC no longer fits
        self.assertRefused(self.upload(("docs.zip", corrupt), action="doc_upload"), 400,
                           "Invalid documentation upload: 'index.html' in the zip file "
                           "cannot be read (Bad CRC-32 for file 'index.html').")
        deflated = _docs_zip(zipfile.ZIP_DEFLATED)
        start = deflated.find(b"index.html") + len("index.html")
        garbled = deflated[:start] + b"\xff" * 8 + deflated[start + 8:]
        reply = self.upload(("docs.zip", garbled), action="doc_upload")
        self.assertEqual(reply.status, 400)
        self.assertRegex(reply.reason, r"^Invalid documentation upload: 'index.html' in the "
                                       r"zip file cannot be read \(.+\)\.$")
        self.assertEqual(self.get("/docs/demo/").status, 404)
        self.assertEqual(self.upload(("docs.zip", _docs_zip()), action="doc_upload").status, 200)
        self.assertEqual(self.get("/docs/demo/").body, b"<h1>Demo docs</h1>")


class HostileUploadOnDiskTest(HostileUploadTest):
    """The same uploads, to an index in a directory: names there become paths."""

    def setUp(self) -> None:
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root)
        super().setUp()

    def assertRefused(self, reply: Reply, status: int, reason: str) -> None:
        super().assertRefused(reply, status, reason)
        self.assertEqual(sorted(os.listdir(self.root)), [".fakeserver"])
        self.assertEqual(os.listdir(os.path.join(self.root, ".fakeserver")), ["docs"])


class HostilePathTest(test_index.IndexTest):
    """Paths and queries that must not reach a response header."""

    def setUp(self) -> None:
        super().setUp()
        self.index.add(*build_wheel())

    def raw_get(self, target: bytes) -> bytes:
        return exchange(self.runner.address, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n"
                                             b"Connection: close\r\n\r\n")

    def test_control_characters_in_a_project_name_get_404(self) -> None:
        for target in (b"/simple/demo%0D%0ASet-Cookie:%20evil=1/", b"/simple/Demo%0D%0A",
                       b"/simple/demo%0A/", b"/simple/demo%00/", b"/simple/demo%0D/",
                       b"/docs/Demo%0D%0ASet-Cookie:%20evil=1", b"/docs/demo%00/"):
            with self.subTest(target=target):
                response = self.raw_get(target)
                self.assertEqual(status_of(response), 404)
                self.assertNotIn(b"evil", response)
        self.assertEqual(status_of(self.raw_get(b"/simple/Demo")), 301)

    def test_what_the_request_sends_is_escaped_in_location(self) -> None:
        # Called as a WSGI app: the server in front may pass on what ours refuses.
        cases = [("/simple/Demo", "a=\x01\r\n\xe9&b=%41+c'", "/mount",
                  "/mount/simple/demo/?a=%01%0D%0A%E9&b=%41+c'"),
                 ("/docs/Demo", "", "/m o\r\nunt\xe9", "/m%20o%0D%0Aunt%E9/docs/demo/")]
        for path, query, script_name, location in cases:
            with self.subTest(path=path):
                environ: dict[str, Any] = {"PATH_INFO": path, "QUERY_STRING": query,
                                           "SCRIPT_NAME": script_name}
                setup_testing_defaults(environ)
                answered: list[Any] = []
                self.index(environ, lambda status, headers: answered.extend((status, headers)))
                self.assertEqual(answered[0], "301 Moved Permanently")
                self.assertIn(("Location", location), answered[1])


class MalformedSidecarTest(unittest.TestCase):
    """Metadata files in a directory index that do not check out are skipped, with a warning."""

    def setUp(self) -> None:
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root)
        self.filename, self.data = build_wheel()
        with open(os.path.join(self.root, self.filename), "wb") as file:
            file.write(self.data)
        self.digests = digests_of(self.data)
        self.sidecar = os.path.join(self.root, ".fakeserver", self.filename + ".json")
        os.makedirs(os.path.dirname(self.sidecar))

    def write_sidecar(self, text: str) -> None:
        with open(self.sidecar, "w", encoding="utf-8") as file:
            file.write(text)

    def test_each_malformed_sidecar_is_skipped_with_one_warning(self) -> None:
        good = {"digests": self.digests, "name": "Demo", "version": "1.0", "summary": "Fine",
                "uploader": "ann", "uploaded": True, "metadata": {"license": ["MIT"]}}
        cases = [
            ("{", "Expecting property name enclosed in double quotes"),
            ("[]", "not a JSON object"),
            ("[" * 100000, "maximum recursion depth exceeded"),
            (json.dumps({**good, "name": 5}), "'name' is 5"),
            (json.dumps({**good, "summary": ["a"]}), "'summary' is ['a']"),
            (json.dumps({**good, "metadata": {"license": "MIT"}}),
             "'metadata' is not lists of strings"),
            (json.dumps({**good, "upload_time": 1e300}), "'upload_time' is 1e+300"),
            (json.dumps({**good, "name": "other"}),
             "'name' is 'other', not the project of the file"),
            (json.dumps({**good, "version": "2.0"}),
             "'version' is '2.0', not the version of the file"),
        ]
        for text, reason in cases:
            with self.subTest(reason=reason):
                self.write_sidecar(text)
                with self.assertLogs("fakeserver", "WARNING") as logs:
                    [record] = PackageIndex(self.root).files
                [message] = logs.output
                self.assertTrue(message.startswith(
                    f"WARNING:fakeserver:ignoring the malformed metadata file {self.sidecar}: "),
                    message)
                self.assertIn(reason, message)
                self.assertEqual((record.filename, record.name, record.summary, record.uploader,
                                  record.metadata, record.data),
                                 (self.filename, "demo", None, None, {}, self.data))
        self.write_sidecar(json.dumps({**good, "future_field": 1}))  # unknown keys are no fault
        [record] = PackageIndex(self.root).files
        self.assertEqual((record.name, record.summary, record.uploader, record.metadata),
                         ("Demo", "Fine", "ann", {"license": ["MIT"]}))


if __name__ == "__main__":
    unittest.main()
