"""PackageIndex over HTTP with urllib and raw sockets: uploads, pages, storage, the mixin."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import socket
import tempfile
import threading
import unittest
import urllib.request
import zipfile
from typing import Any

from fakeserver import AppRunner, ServerTestCase
from fakeserver.pypi import PackageIndex, PackageIndexTestCase
from tests.support import assert_outer_server_survives, failure_message, run_case
from tests.support.distributions import Reply, build_sdist, build_wheel, distutils_upload, fetch

USERS = {"__token__": "pypi-secret", "ann": "pw"}
TOKEN = ("__token__", "pypi-secret")
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


class IndexTest(unittest.TestCase):
    """A fresh index served for each test."""

    root: str | None = None

    def setUp(self) -> None:
        self.index = PackageIndex(self.root, users=USERS)
        self.runner = AppRunner(self.index)
        self.addCleanup(self.runner.stop)
        self.runner.start()
        self.upload_url = self.runner.url + "/legacy/"

    def tearDown(self) -> None:
        self.assertEqual(self.runner.errors, [])

    def upload(self, dist: tuple[str, bytes], **fields: Any) -> Reply:
        fields.setdefault("auth", TOKEN)
        return distutils_upload(self.upload_url, *dist, **fields)

    def get(self, path: str, **headers: str) -> Reply:
        return fetch(self.runner.url + path, headers)

    def assertRefused(self, reply: Reply, status: int, reason: str) -> None:
        self.assertEqual((reply.status, reply.reason), (status, reason))
        self.assertEqual(reply.body, f"{status} {reason}\n".encode())
        self.assertEqual(self.index.files, [])


class UploadTest(IndexTest):
    def test_distutils_upload_is_stored_with_its_metadata(self) -> None:
        filename, data = build_wheel()
        reply = self.upload((filename, data), auth=("ann", "pw"))
        self.assertEqual((reply.status, reply.reason), (200, "OK"))
        [record] = self.index.files
        self.assertEqual((record.filename, record.name, record.version, record.filetype,
                          record.pyversion, record.requires_python, record.summary,
                          record.uploader, record.size, record.data),
                         (filename, "demo", "1.0", "bdist_wheel", "py3", ">=3.8",
                          "The demo test package", "ann", len(data), data))
        self.assertEqual(record.digests["sha256"], hashlib.sha256(data).hexdigest())
        self.assertEqual(record.metadata["classifiers"],
                         ["Programming Language :: Python :: 3", "License :: OSI Approved"])
        self.assertEqual(self.upload(build_sdist(), auth=TOKEN).status, 200)
        other = build_sdist("other")
        self.assertEqual(distutils_upload(self.runner.url + "/", *other, name="other").status, 401)
        self.assertEqual(distutils_upload(self.runner.url + "/", *other, name="other",
                                          auth=TOKEN).status, 200)

    def test_credentials(self) -> None:
        reply = self.upload(build_wheel(), auth=None)
        self.assertRefused(reply, 401, "Credentials required: use HTTP Basic authentication.")
        self.assertEqual(reply.headers["WWW-Authenticate"], 'Basic realm="fakeserver"')
        for auth in (("__token__", "pypi-wrong"), ("bob", "pw"), ("ann", "")):
            self.assertRefused(self.upload(build_wheel(), auth=auth), 403,
                               "Invalid or non-existent authentication information.")

    def test_anyone_may_upload_without_users(self) -> None:
        self.index.users = None
        self.assertEqual(self.upload(build_wheel(), auth=None).status, 200)
        self.assertEqual(self.upload(build_sdist(), auth=("x", "y")).status, 200)
        self.assertEqual([record.uploader for record in self.index.files], [None, "x"])

    def test_the_digests_must_match_the_file(self) -> None:
        wheel = build_wheel()
        self.assertRefused(self.upload(wheel, sha256_digest="0" * 64), 400,
                           "The sha256 digest supplied does not match a digest calculated "
                           "from the uploaded file.")
        self.assertRefused(self.upload(wheel, md5_digest="0" * 32), 400,
                           "The md5 digest supplied does not match a digest calculated "
                           "from the uploaded file.")
        self.assertRefused(self.upload(wheel, md5_digest=None, sha256_digest=None), 400,
                           "Include at least one message digest "
                           "(sha256_digest, blake2_256_digest or md5_digest).")
        blake2 = hashlib.blake2b(wheel[1], digest_size=32).hexdigest()
        self.assertEqual(self.upload(wheel, md5_digest=None, sha256_digest=None,
                                     blake2_256_digest=blake2.upper()).status, 200)

    def test_a_missing_field_is_named(self) -> None:
        for field in ("name", "version", "filetype", "metadata_version", "protocol_version"):
            with self.subTest(field=field):
                self.assertRefused(self.upload(build_wheel(), **{field: None}), 400,
                                   f"Missing required field {field!r}.")
        self.assertRefused(self.upload(build_wheel(), pyversion=""), 400,
                           "Missing required field 'pyversion'.")
        self.assertRefused(self.upload(build_wheel(), content=None), 400,
                           "Missing required field 'content' (the file).")
        self.assertRefused(self.upload(build_wheel(), protocol_version="2"), 400,
                           "Unknown protocol version: use protocol_version 1.")

    def test_the_filename_must_agree_with_the_metadata(self) -> None:
        cases = [
            (build_wheel("other"), {},
             "The filename 'other-1.0-py3-none-any.whl' does not start with the project name 'demo'."),
            (build_sdist(version="1.1"), {},
             "The filename 'demo-1.1.tar.gz' is for version '1.1', not '1.0'."),
            (build_wheel(), {"filetype": "sdist"},
             "Invalid filename 'demo-1.0-py3-none-any.whl' for filetype 'sdist': "
             "bdist_wheel files end in .whl."),
            (build_sdist(), {"filetype": "bdist_wheel", "pyversion": "py3"},
             "Invalid filename 'demo-1.0.tar.gz' for filetype 'bdist_wheel': "
             "sdist files end in .tar.gz or .zip."),
            (("demo-1.0.exe", b"MZ"), {},
             "Invalid file extension of 'demo-1.0.exe': use .tar.gz, .whl or .zip."),
            (("demo-1.0.whl", b"PK"), {"filetype": "bdist_wheel"},
             "Invalid wheel filename 'demo-1.0.whl': expected "
             "{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl."),
            (build_sdist(), {"filetype": "bdist_egg"},
             "Invalid value for filetype: 'bdist_egg'; use sdist or bdist_wheel."),
            (build_sdist(), {"name": "-demo"},
             "Invalid value for name: '-demo' is not a valid project name."),
            (build_sdist(), {"version": "one"},
             "Invalid value for version: 'one' is not a PEP 440 version."),
        ]
        for dist, fields, reason in cases:
            with self.subTest(reason=reason):
                self.assertRefused(self.upload(dist, **fields), 400, reason)

    def test_names_and_versions_compare_normalized(self) -> None:
        self.assertEqual(self.upload(build_wheel("Demo.Pkg"), name="demo_pkg").status, 200)
        self.assertEqual(self.upload(build_sdist("Demo.Pkg", "1.0.0"), name="DEMO-pkg").status, 200)
        self.assertEqual([record.project for record in self.index.files], ["demo-pkg"] * 2)

    def test_a_duplicate_file_is_refused_as_pypi_does(self) -> None:
        wheel = build_wheel()
        self.assertEqual(self.upload(wheel).status, 200)
        reply = self.upload(wheel)
        sha256 = hashlib.sha256(wheel[1]).hexdigest()
        self.assertEqual((reply.status, reply.reason), (
            400, f"File already exists ('demo-1.0-py3-none-any.whl', with sha256 hash '{sha256}')."))
        self.assertEqual(len(self.index.files), 1)

    def test_the_same_file_under_another_name_is_refused(self) -> None:
        sdist = build_sdist(version="3.0")
        self.assertEqual(self.upload(sdist, version="3.0").status, 200)
        sha256 = hashlib.sha256(sdist[1]).hexdigest()
        already = f"File already exists ('{{}}', with sha256 hash '{sha256}'): {{}}."
        cases = [
            (("demo-3.0.zip", sdist[1]), "the same content as 'demo-3.0.tar.gz'"),
            (("Demo-3.0.tar.gz", b"other bytes"), "the same file as 'demo-3.0.tar.gz'"),
            (build_sdist(version="3.0.0"), "the same file as 'demo-3.0.tar.gz'"),
            (("demo-3.0.0.zip", b"a zip"),
             "release 3.0 of demo already has the sdist 'demo-3.0.tar.gz'"),
        ]
        for (filename, data), reason in cases:
            with self.subTest(filename=filename):
                reply = self.upload((filename, data), version="3.0")
                self.assertEqual((reply.status, reply.reason),
                                 (400, already.format(filename, reason)))
        self.assertEqual([record.filename for record in self.index.files], ["demo-3.0.tar.gz"])
        self.assertEqual(self.upload(build_wheel(version="3.0"), version="3.0").status, 200)
        self.assertRaises(ValueError, self.index.add, "demo-3.0.0.zip", b"more bytes")

    def test_local_versions_are_refused(self) -> None:
        self.assertRefused(self.upload(("demo-1.0+evil.tar.gz", build_sdist()[1])), 400,
                           "Invalid filename 'demo-1.0+evil.tar.gz': '1.0+evil' has the local "
                           "version label 'evil'; local versions cannot be uploaded to an index.")
        self.assertRefused(self.upload(build_sdist(version="1.0+evil"), version="1.0+evil"), 400,
                           "Invalid value for version: '1.0+evil' has the local version label "
                           "'evil'; local versions cannot be uploaded to an index.")

    def test_other_actions(self) -> None:
        self.assertEqual(self.upload(build_sdist(), action="submit", content=None).status, 200)
        self.assertRefused(self.upload(build_sdist(), action="remove"), 400,
                           "Unknown action 'remove': use file_upload or doc_upload.")
        self.assertRefused(self.upload(build_sdist(), action=None), 400,
                           "Missing required field ':action'.")
        request = urllib.request.Request(self.upload_url, data=b"name=demo", headers={
            "Authorization": "Basic " + base64.b64encode(b"ann:pw").decode()})
        self.assertRefused(fetch(request), 400,
                           "Invalid request: send the upload as multipart/form-data.")
        self.assertEqual(self.get("/legacy/").status, 405)
        self.assertEqual(self.get("/legacy/").headers["Allow"], "POST")

    def test_uploaded_docs_are_served(self) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("index.html", "<h1>Demo docs</h1>")
            archive.writestr("api/index.html", "<h1>API</h1>")
            archive.writestr("style.css", "h1 {}")
        self.assertRefused(self.upload(("docs.zip", b"not a zip"), action="doc_upload"), 400,
                           "Invalid documentation upload: 'content' must be a zip file.")
        reply = self.upload(("docs.zip", buffer.getvalue()), action="doc_upload", name="Demo")
        self.assertEqual(reply.status, 200)
        reply = self.get("/docs/demo/")
        self.assertEqual((reply.status, reply.headers["Content-Type"], reply.body),
                         (200, "text/html; charset=utf-8", b"<h1>Demo docs</h1>"))
        self.assertEqual(self.get("/docs/demo/api/").body, b"<h1>API</h1>")
        self.assertEqual(self.get("/docs/demo/style.css").headers["Content-Type"],
                         "text/css; charset=utf-8")
        reply = self.get("/docs/Demo")
        self.assertEqual((reply.status, reply.headers["Location"]), (301, "/docs/demo/"))
        self.assertEqual(self.get("/docs/demo/missing.html").status, 404)
        self.assertEqual(self.get("/docs/other/").status, 404)


class ConcurrencyTest(IndexTest):
    def test_concurrent_uploads_are_all_kept_and_a_duplicate_only_once(self) -> None:
        dists = [build_wheel(version=f"1.{i}") for i in range(8)] + [build_sdist()] * 8
        statuses: list[int] = []

        def upload(dist: tuple[str, bytes]) -> None:
            version = dist[0].split("-")[1].replace(".tar.gz", "")
            statuses.append(self.upload(dist, version=version).status)
        threads = [threading.Thread(target=upload, args=(dist,)) for dist in dists]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(sorted(statuses), [200] * 9 + [400] * 7)
        self.assertEqual(len({record.serial for record in self.index.files}), 9)

    def test_a_client_that_vanishes_mid_upload_leaves_nothing(self) -> None:
        filename, data = build_wheel()
        head = (f"POST /legacy/ HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                f"boundary=b\r\nContent-Length: 100000\r\nAuthorization: Basic "
                f"{base64.b64encode(b'ann:pw').decode()}\r\n\r\n").encode()
        part = (b'--b\r\nContent-Disposition: form-data; name="content"; filename="'
                + filename.encode() + b'"\r\n\r\n' + data[:500])
        with socket.create_connection(self.runner.address) as sock:
            sock.sendall(head + part)
        self.runner.stop()
        self.assertEqual(self.index.files, [])


class SimpleAPITest(IndexTest):
    def setUp(self) -> None:
        super().setUp()
        self.wheel = self.index.add(*build_wheel("Demo.Pkg"), requires_python="<4,>=3.8")
        self.sdist = self.index.add(*build_sdist("Demo.Pkg"))
        self.index.add(*build_wheel("other", "2.0"))

    def test_html_pages(self) -> None:
        reply = self.get("/simple/")
        self.assertEqual(reply.headers["Content-Type"], "text/html; charset=utf-8")
        self.assertIn(b'<meta name="pypi:repository-version" content="1.1">', reply.body)
        self.assertIn(b'<a href="/simple/demo-pkg/">demo_pkg</a>', reply.body)
        self.assertIn(b'<a href="/simple/other/">other</a>', reply.body)
        reply = self.get("/simple/demo-pkg/")
        url = f"{self.runner.url}/packages/demo_pkg-1.0-py3-none-any.whl"
        self.assertIn(f'<a href="{url}#sha256={self.wheel.digests["sha256"]}" '
                      f'data-requires-python="&lt;4,&gt;=3.8">demo_pkg-1.0-py3-none-any.whl</a>'
                      .encode(), reply.body)
        self.assertIn(f'#sha256={self.sdist.digests["sha256"]}">demo_pkg-1.0.tar.gz</a>'.encode(),
                      reply.body)
        self.assertEqual(reply.headers["Vary"], "Accept")

    def test_json_pages(self) -> None:
        reply = self.get("/simple/", Accept=SIMPLE_JSON)
        self.assertEqual(reply.headers["Content-Type"], SIMPLE_JSON)
        self.assertEqual(json.loads(reply.body), {"meta": {"api-version": "1.1"}, "projects": [
            {"name": "demo_pkg"}, {"name": "other"}]})
        page = json.loads(self.get("/simple/demo-pkg/", Accept=SIMPLE_JSON).body)
        self.assertEqual((page["meta"], page["name"], page["versions"]),
                         ({"api-version": "1.1"}, "demo-pkg", ["1.0"]))
        wheel = page["files"][0]
        self.assertEqual({key: wheel[key] for key in ("filename", "url", "hashes", "requires-python",
                                                      "yanked", "size")},
                         {"filename": "demo_pkg-1.0-py3-none-any.whl",
                          "url": f"{self.runner.url}/packages/demo_pkg-1.0-py3-none-any.whl",
                          "hashes": {"sha256": self.wheel.digests["sha256"]},
                          "requires-python": "<4,>=3.8", "yanked": False, "size": self.wheel.size})
        self.assertRegex(wheel["upload-time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
        self.assertNotIn("requires-python", page["files"][1])

    def test_content_negotiation(self) -> None:
        cases = {
            "": "text/html; charset=utf-8",
            "*/*": "text/html; charset=utf-8",
            "application/*": "application/vnd.pypi.simple.v1+html; charset=utf-8",
            "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.1, "
            "text/html;q=0.01": SIMPLE_JSON,
            "text/html;q=0.5, application/vnd.pypi.simple.v1+json;q=0.4": "text/html; charset=utf-8",
            "application/vnd.pypi.simple.latest+json": SIMPLE_JSON,
            "application/vnd.pypi.simple.v1+html": "application/vnd.pypi.simple.v1+html; charset=utf-8",
            "*/*;q=0.1, application/json": "text/html; charset=utf-8",
            "application/vnd.pypi.simple.v1+json;q=0, */*": "text/html; charset=utf-8",
        }
        for accept, content_type in cases.items():
            with self.subTest(accept=accept):
                reply = self.get("/simple/demo-pkg/", Accept=accept)
                self.assertEqual((reply.status, reply.headers["Content-Type"]), (200, content_type))
        for accept in ("application/json", "text/html;q=0, application/xml"):
            reply = self.get("/simple/demo-pkg/", Accept=accept)
            self.assertEqual(reply.status, 406)
            self.assertIn(b"application/vnd.pypi.simple.v1+json", reply.body)
        for query in (SIMPLE_JSON.replace("+", "%2B"), SIMPLE_JSON):  # "+" escaped, or not
            reply = self.get("/simple/demo-pkg/?format=" + query)
            self.assertEqual((reply.status, reply.headers["Content-Type"]), (200, SIMPLE_JSON))

    def test_names_redirect_to_their_normalized_form(self) -> None:
        for path, location in (("/simple", "/simple/"), ("/simple/Demo_Pkg/", "/simple/demo-pkg/"),
                               ("/simple/demo-pkg", "/simple/demo-pkg/"),
                               ("/simple/DEMO.pkg?format=x", "/simple/demo-pkg/?format=x")):
            with self.subTest(path=path):
                reply = self.get(path)
                self.assertEqual((reply.status, reply.headers["Location"]), (301, location))
        self.assertEqual(self.get("/simple/missing/").status, 404)
        self.assertEqual(self.get("/simple/a/b/").status, 404)

    def test_files_are_served_byte_for_byte(self) -> None:
        reply = self.get("/packages/demo_pkg-1.0.tar.gz", **{"Accept-Encoding": "gzip"})
        self.assertEqual((reply.status, reply.headers["Content-Type"], reply.body),
                         (200, "application/gzip", self.sdist.data))
        self.assertIsNone(reply.headers["Content-Encoding"])  # no client may gunzip it
        self.assertEqual(hashlib.sha256(reply.body).hexdigest(), self.sdist.digests["sha256"])
        reply = self.get("/packages/demo_pkg-1.0-py3-none-any.whl")
        self.assertEqual(reply.headers["Content-Type"], "application/octet-stream")
        reply = fetch(self.runner.url + "/packages/demo_pkg-1.0.tar.gz", method="HEAD")
        self.assertEqual((reply.status, reply.headers["Content-Length"], reply.body),
                         (200, str(self.sdist.size), b""))
        self.assertEqual(self.get("/packages/missing-1.0.tar.gz").status, 404)
        self.assertEqual(fetch(self.runner.url + "/simple/", method="PUT").status, 405)

    def test_json_api(self) -> None:
        self.index.add(*build_sdist("demo.pkg", "1.1"), summary="Newer")
        self.index.add(*build_sdist("demo.pkg", "2.0rc1"))
        document = json.loads(self.get("/pypi/Demo.Pkg/json").body)
        self.assertEqual((document["info"]["name"], document["info"]["version"],
                          document["info"]["summary"]), ("demo_pkg", "1.1", "Newer"))
        self.assertEqual(sorted(document["releases"]), ["1.0", "1.1", "2.0rc1"])
        self.assertEqual([entry["filename"] for entry in document["urls"]], ["demo_pkg-1.1.tar.gz"])
        wheel = document["releases"]["1.0"][0]
        self.assertEqual({key: wheel[key] for key in ("filename", "packagetype", "python_version",
                                                      "requires_python", "size", "url")},
                         {"filename": "demo_pkg-1.0-py3-none-any.whl", "packagetype": "bdist_wheel",
                          "python_version": "py3", "requires_python": "<4,>=3.8",
                          "size": self.wheel.size, "url": self.wheel and
                          f"{self.runner.url}/packages/demo_pkg-1.0-py3-none-any.whl"})
        self.assertEqual(wheel["digests"], {"sha256": self.wheel.digests["sha256"],
                                            "md5": self.wheel.digests["md5"],
                                            "blake2b_256": self.wheel.digests["blake2_256"]})
        document = json.loads(self.get("/pypi/demo-pkg/1.0/json").body)
        self.assertEqual(document["info"]["version"], "1.0")
        self.assertNotIn("releases", document)
        self.assertEqual(len(document["urls"]), 2)
        for path in ("/pypi/missing/json", "/pypi/demo-pkg/9.9/json"):
            reply = self.get(path)
            self.assertEqual((reply.status, json.loads(reply.body)), (404, {"message": "Not Found"}))


class DirectoryTest(IndexTest):
    def setUp(self) -> None:
        self.root = tempfile.mkdtemp()
        self.addCleanup(__import__("shutil").rmtree, self.root)
        super().setUp()

    def listing(self) -> list[str]:
        return sorted(os.listdir(self.root)) + sorted(os.listdir(os.path.join(self.root, ".fakeserver")))

    def test_uploads_survive_a_restart_and_dropped_files_are_listed(self) -> None:
        wheel, sdist = build_wheel(), build_sdist()
        self.assertEqual(self.upload(wheel).status, 200)
        with open(os.path.join(self.root, sdist[0]), "wb") as file:
            file.write(sdist[1])
        with open(os.path.join(self.root, "notes.txt"), "w") as file:
            file.write("not a distribution")
        reopened = PackageIndex(self.root)
        uploaded, dropped = reopened.files
        self.assertEqual((uploaded.filename, uploaded.summary, uploaded.uploader, uploaded.data),
                         (wheel[0], "The demo test package", "__token__", wheel[1]))
        self.assertEqual((dropped.filename, dropped.version, dropped.filetype, dropped.uploader,
                          dropped.digests["sha256"]),
                         (sdist[0], "1.0", "sdist", None, hashlib.sha256(sdist[1]).hexdigest()))
        reopened.remove(wheel[0])
        self.assertEqual(self.listing(), [".fakeserver", "demo-1.0.tar.gz", "notes.txt", "docs"])

    def test_a_file_replaced_by_hand_loses_its_stale_metadata(self) -> None:
        filename, data = build_wheel()
        self.assertEqual(self.upload((filename, data)).status, 200)
        with open(os.path.join(self.root, filename), "wb") as file:
            file.write(data + b"\0")
        [record] = PackageIndex(self.root).files
        self.assertEqual((record.uploader, record.size), (None, len(data) + 1))

    def test_refused_and_broken_uploads_leave_no_file_behind(self) -> None:
        self.assertEqual(self.upload(build_wheel(), sha256_digest="0" * 64).status, 400)
        self.assertEqual(self.upload(build_wheel(), auth=("ann", "no")).status, 403)
        ConcurrencyTest.test_a_client_that_vanishes_mid_upload_leaves_nothing(self)  # type: ignore[arg-type]
        self.assertEqual(self.listing(), [".fakeserver", "docs"])
        self.assertEqual(PackageIndex(self.root).files, [])

    def test_docs_name_must_be_a_project_name(self) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("index.html", "<h1>Evil docs</h1>")
        outside = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, outside)
        target = os.path.join(outside, "evil")
        for name in (target, "a/b", "..", "-demo"):
            with self.subTest(name=name):
                self.assertRefused(self.upload(("docs.zip", buffer.getvalue()),
                                               action="doc_upload", name=name), 400,
                                   f"Invalid value for name: {name!r} is not a valid project name.")
        self.assertEqual(os.listdir(outside), [])
        self.assertEqual(self.listing(), [".fakeserver", "docs"])
        self.assertEqual(self.get("/docs/../").status, 404)
        # Below the upload checks, the storage refuses such names too.
        self.assertRaises(ValueError, self.index._store.write_docs, target, buffer.getvalue())
        self.assertRaises(ValueError, self.index._store.write_docs, "Demo", buffer.getvalue())
        self.assertEqual(os.listdir(outside), [])

    def test_remove_stays_in_the_directory(self) -> None:
        outside = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, outside)
        victim = os.path.join(outside, "demo-1.0.tar.gz")
        with open(victim, "wb") as file:
            file.write(b"not ours")
        self.index.remove(os.path.relpath(victim, self.root))
        self.index.remove(victim)
        self.assertTrue(os.path.exists(victim))


class PackageIndexTestCaseTest(PackageIndexTestCase, unittest.TestCase):
    index_users = USERS

    def upload(self, dist: tuple[str, bytes], **fields: Any) -> None:
        reply = distutils_upload(self.upload_url, *dist, auth=self.index_credentials, **fields)
        self.assertEqual(reply.status, 200, reply.reason)

    def test_assert_uploaded_returns_the_latest_match(self) -> None:
        self.assertEqual(self.index_url, self.index_server.url + "/simple/")
        self.upload(build_sdist())
        self.upload(build_wheel())
        self.assertEqual(self.assertUploaded("Demo").filetype, "bdist_wheel")
        record = self.assertUploaded("demo", "1.0", "sdist")
        self.assertEqual((record.filename, record.uploader), ("demo-1.0.tar.gz", "__token__"))
        self.assertNotUploaded("demo", "2.0")
        self.assertNotUploaded("other")
        self.assertEqual([r.method for r in self.index_recorder.requests], ["POST", "POST"])

    def test_assert_uploaded_lists_the_closest_uploads(self) -> None:
        self.upload(build_wheel(version="1.1"), version="1.1")
        self.upload(build_sdist())
        failure = failure_message(self, self.assertUploaded, "demo", "1.0", "bdist_wheel")
        self.assertEqual(failure, "\n".join([
            "Expected an upload of demo 1.0 (bdist_wheel); 0 of 2 uploads match.",
            "Closest uploads:",
            "  demo 1.1 bdist_wheel     version '1.1' != '1.0'",
            "  demo 1.0 sdist           filetype 'sdist' != 'bdist_wheel'",
        ]))
        failure = failure_message(self, self.assertUploaded, "other",
                                  msg="the release script uploads other")
        self.assertEqual(failure, "\n".join([
            "Expected an upload of other; 0 of 2 uploads match.",
            "Closest uploads:",
            "  demo 1.1 bdist_wheel     name 'demo' != 'other'",
            "  demo 1.0 sdist           name 'demo' != 'other' : the release script uploads other",
        ]))
        failure = failure_message(self, self.assertNotUploaded, "DEMO", filetype="sdist")
        self.assertEqual(failure, "\n".join([
            "Expected no upload of DEMO (sdist); 1 of 2 uploads matches.",
            "Matching uploads:",
            "  demo 1.0 sdist           (matches)",
        ]))

    def test_messages_when_nothing_was_uploaded_and_when_capped(self) -> None:
        failure = failure_message(self, self.assertUploaded, "demo")
        self.assertEqual(failure, "Expected an upload of demo; nothing was uploaded.")
        for minor in range(3):
            self.upload(build_wheel(version=f"0.{minor}"), version=f"0.{minor}")
        self.maxUploadsShown = 1
        failure = failure_message(self, self.assertUploaded, "demo", "1.0")
        self.assertEqual(failure, "\n".join([
            "Expected an upload of demo 1.0; 0 of 3 uploads match.",
            "Closest uploads:",
            "  demo 0.0 bdist_wheel     version '0.0' != '1.0'",
            "  ... and 2 more; set maxUploadsShown = None on the test case to see all",
        ]))

    def test_files_added_by_the_test_are_no_uploads(self) -> None:
        added = self.index.add(*build_wheel(version="0.9"))
        self.upload(build_sdist())
        self.assertEqual([record.filename for record in self.uploads], ["demo-1.0.tar.gz"])
        self.assertNotUploaded("demo", "0.9")
        self.assertFalse(added.uploaded)
        self.assertTrue(self.assertUploaded("demo").uploaded)

    def test_client_settings(self) -> None:
        self.assertEqual(self.index_credentials, ("__token__", "pypi-secret"))
        self.assertEqual(self.pypirc("local"), (
            "[distutils]\nindex-servers =\n    local\n\n[local]\n"
            f"repository = {self.upload_url}\nusername = __token__\npassword = pypi-secret\n"))
        env = self.twine_env()
        self.assertEqual({key: env[key] for key in env if key.startswith("TWINE_")}, {
            "TWINE_REPOSITORY_URL": self.upload_url, "TWINE_USERNAME": "__token__",
            "TWINE_PASSWORD": "pypi-secret", "TWINE_NON_INTERACTIVE": "1"})
        self.assertEqual(env["PYTHON_KEYRING_BACKEND"], "keyring.backends.null.Keyring")
        self.assertEqual(env["PATH"], os.environ["PATH"])
        pip = self.pip_env()
        self.assertEqual({key: pip[key] for key in pip if key.startswith("PIP_")}, {
            "PIP_INDEX_URL": self.index_url, "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_CACHE_DIR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})


class LifecycleTest(unittest.TestCase):
    def test_uploads_are_removed_after_each_test_unless_kept(self) -> None:
        seen: list[list[str]] = []

        class Case(PackageIndexTestCase, unittest.TestCase):
            @classmethod
            def setUpClass(cls) -> None:
                super().setUpClass()
                cls.index.add(*build_sdist("seed"))

            def test_1(self) -> None:
                seen.append([record.filename for record in self.index.files])
                distutils_upload(self.upload_url, *build_wheel())
                self.assertUploaded("demo")

            test_2 = test_1

        result = run_case(Case)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(seen, [["seed-1.0.tar.gz"]] * 2)

        class Kept(Case):
            index_keep_uploads = True

        seen.clear()
        result = run_case(Kept)
        self.assertEqual([len(files) for files in seen], [1, 2])
        # The second upload of the kept file is refused, so that test saw none of its own.
        [(_, failure)] = result.failures
        self.assertIn("Expected an upload of demo; nothing was uploaded.", failure)

    def test_the_server_stops_even_if_a_subclass_setup_fails(self) -> None:
        servers = []

        class Broken(PackageIndexTestCase, unittest.TestCase):
            @classmethod
            def setUpClass(cls) -> None:
                super().setUpClass()
                servers.append(cls.index_server)
                raise RuntimeError("broken fixture")

            def test_nothing(self) -> None:
                pass

        result = run_case(Broken)
        self.assertEqual(len(result.errors), 1)
        self.assertFalse(servers[0].running)

    def test_a_class_run_inside_a_test_leaves_the_server_running(self) -> None:
        def use_server(case: PackageIndexTestCase) -> None:
            distutils_upload(case.upload_url, *build_sdist())
            case.assertUploaded("demo", "1.0", "sdist")
        assert_outer_server_survives(self, PackageIndexTestCase, use_server)

    def test_an_exception_in_the_index_fails_the_test_that_caused_it(self) -> None:
        def broken(*args: Any) -> Any:
            raise ZeroDivisionError("the index divided by zero")

        class Case(PackageIndexTestCase, unittest.TestCase):
            def test_1_breaks(self) -> None:
                self.index._get = broken  # type: ignore[method-assign]
                self.assertEqual(fetch(self.index_url).status, 500)
                del self.index._get

            def test_2_passes(self) -> None:
                self.assertEqual(fetch(self.index_url).status, 200)

        result = run_case(Case)
        [(case, failure)] = result.failures
        self.assertEqual(case.id().rsplit(".", 1)[-1], "test_1_breaks")
        self.assertIn("the package index raised 1 exception during this test:\nTraceback", failure)
        self.assertIn("ZeroDivisionError: the index divided by zero", failure)
        self.assertEqual(result.testsRun, 2)

    def test_combines_with_server_test_case(self) -> None:
        class Both(PackageIndexTestCase, ServerTestCase, unittest.TestCase):
            def test_both(self) -> None:
                self.stub("GET", "/hello")
                urllib.request.urlopen(self.url("/hello")).close()
                distutils_upload(self.upload_url, *build_sdist())
                self.assertRequested("/hello")
                self.assertUploaded("demo", "1.0", "sdist")

        result = run_case(Both)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)


if __name__ == "__main__":
    unittest.main()
