"""Recorder.save_stubs: a journal recorded through a ProxyApp, written as stubs and replayed offline."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import os
import tempfile
import textwrap
import unittest
import urllib.parse
import zlib

from fakeserver import AppRunner, ProxyApp, Recorder, StubApp
from tests.support import import_extra, multipart
from tests.support.upstreams import TIMEOUT, api_app, fetch, serve, unused_port


class RecordingCase(unittest.TestCase):
    """Record through a proxy in front of :func:`api_app`, then replay what was saved."""

    def setUp(self) -> None:
        self.upstream = serve(self, api_app)
        self.proxy = ProxyApp(self.upstream.url)
        self.addCleanup(self.proxy.close)
        self.fake = serve(self, Recorder(self.proxy))
        self.recorder: Recorder = self.fake.app  # type: ignore[assignment]
        self.folder = tempfile.TemporaryDirectory()
        self.addCleanup(self.folder.cleanup)

    def save(self, name: str = "stubs.json", **options: object) -> tuple[str, str]:
        """Save the journal; return the path and the text written."""
        path = os.path.join(self.folder.name, name)
        self.recorder.save_stubs(path, **options)  # type: ignore[arg-type]
        with open(path, encoding="utf-8") as file:
            return path, file.read()

    def replay(self, path: str) -> AppRunner:
        """A server answering from the stub file at *path* (the upstream stopped first)."""
        self.upstream.stop()
        return serve(self, StubApp.from_file(path))

    def call(self, base: str, method: str, target: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """One request with http.client (no headers added but Host, Accept-Encoding, length)."""
        connection = http.client.HTTPConnection(urllib.parse.urlsplit(base).netloc,
                                                timeout=TIMEOUT)
        try:
            connection.request(method, target, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()


class ReplayTest(RecordingCase):
    def test_what_was_recorded_is_answered_offline(self) -> None:
        targets = ["/users/octocat?page=2", "/gzip", "/deflate", "/binary", "/redirect"]
        recorded = [fetch(self.fake.url + target) for target in targets]
        path, _ = self.save()
        replay = self.replay(path)
        for target, (status, headers, body) in zip(targets, recorded):
            with self.subTest(target=target):
                if headers["Content-Encoding"] == "gzip":  # stored decoded
                    body = gzip.decompress(body)
                elif headers["Content-Encoding"] == "deflate":
                    body = zlib.decompress(body)
                again = fetch(replay.url + target)
                self.assertEqual((again[0], again[2]), (status, body))
                self.assertEqual(again[1]["Content-Type"], headers["Content-Type"])

    def test_the_file_reads_as_the_exchange(self) -> None:
        self.call(self.fake.url, "POST", "/upload?draft=1", b'{"title": "x", "tags": ["a"]}',
                  {"Content-Type": "application/json", "Accept": "application/json"})
        _, text = self.save()
        self.assertEqual(text, textwrap.dedent("""\
            [
              {
                "request": {
                  "exact": true,
                  "headers": {
                    "Accept": "application/json",
                    "Accept-Encoding": "identity",
                    "Content-Type": "application/json"
                  },
                  "json": {
                    "tags": [
                      "a"
                    ],
                    "title": "x"
                  },
                  "match_headers": [],
                  "method": "POST",
                  "path": "/upload",
                  "query": {
                    "draft": "1"
                  }
                },
                "response": {
                  "headers": {
                    "Content-Type": "application/json"
                  },
                  "json": {
                    "received": 29
                  },
                  "status": 200
                }
              }
            ]
            """))

    def test_gzip_and_deflate_are_stored_decoded(self) -> None:
        for target in ("/gzip", "/deflate"):
            status, headers, body = self.call(self.fake.url, "GET", target)
            self.assertEqual(headers["Content-Encoding"], target[1:])  # as the upstream sent it
        path, text = self.save()
        entries = json.loads(text)
        for entry, name in zip(entries, ("gzip", "deflate")):
            self.assertEqual(entry["response"]["json"], {"compressed": name})
            self.assertEqual(entry["response"]["headers"], {"Content-Type": "application/json"})
        replay = self.replay(path)
        status, headers, body = self.call(replay.url, "GET", "/gzip")
        self.assertEqual(json.loads(body), {"compressed": "gzip"})
        self.assertNotIn("Content-Encoding", headers)
        self.assertEqual(int(headers["Content-Length"]), len(body))

    def test_binary_bodies_are_base64(self) -> None:
        data = bytes(range(256))
        self.call(self.fake.url, "POST", "/upload", data,
                  {"Content-Type": "application/octet-stream"})
        self.call(self.fake.url, "GET", "/binary")
        path, text = self.save()
        upload, binary = json.loads(text)
        self.assertEqual(base64.b64decode(upload["request"]["body_base64"]), data)
        self.assertEqual(base64.b64decode(binary["response"]["body_base64"]), data)
        replay = self.replay(path)
        self.assertEqual(self.call(replay.url, "GET", "/binary")[2], data)
        self.assertEqual(self.call(replay.url, "POST", "/upload", data,
                                   {"Content-Type": "application/octet-stream"})[0], 200)
        self.assertEqual(self.call(replay.url, "POST", "/upload", data[:-1],
                                   {"Content-Type": "application/octet-stream"})[0], 404)

    def test_repeated_requests_play_their_answers_in_order_the_last_repeating(self) -> None:
        api_app.calls = 0  # type: ignore[attr-defined]
        counts = [json.loads(fetch(self.fake.url + "/counter")[2])["count"] for _ in range(3)]
        self.assertEqual(counts, [1, 2, 3])
        for _ in range(3):
            fetch(self.fake.url + "/users/same")
        path, text = self.save()
        counter, same = json.loads(text)
        self.assertEqual([r["json"] for r in counter["responses"]],
                         [{"count": 1}, {"count": 2}, {"count": 3}])
        self.assertNotIn("responses", same)  # three equal answers: one, which repeats
        replay = self.replay(path)
        counts = [json.loads(fetch(replay.url + "/counter")[2])["count"] for _ in range(5)]
        self.assertEqual(counts, [1, 2, 3, 3, 3])

    def test_a_multipart_upload_matches_whatever_the_boundary(self) -> None:
        files = {"report": ("r.csv", "text/csv", b"id,qty\n1,3\n"),
                 "image": ("i.png", "image/png", b"\x89PNG\r\n\x1a\n\x00")}
        body, content_type = multipart({"note": "first"}, files)
        self.call(self.fake.url, "POST", "/upload", body, {"Content-Type": content_type})
        path, text = self.save()
        request = json.loads(text)[0]["request"]
        self.assertEqual(request["form"], {"note": "first"})
        self.assertEqual(request["files"]["report"], [{"content": "id,qty\n1,3\n",
                                                       "content_type": "text/csv",
                                                       "filename": "r.csv"}])
        self.assertIn("content_base64", request["files"]["image"][0])
        self.assertNotIn(content_type.split("=")[1], text)  # the boundary is not kept
        self.assertEqual(request["headers"]["Content-Type"], "multipart/form-data")
        replay = self.replay(path)
        again, other_type = multipart({"note": "first"}, files)  # a fresh boundary
        self.assertNotEqual(other_type, content_type)
        self.assertEqual(self.call(replay.url, "POST", "/upload", again,
                                   {"Content-Type": other_type})[0], 200)
        changed, changed_type = multipart({"note": "first"}, {**files, "report": (
            "r.csv", "text/csv", b"id,qty\n1,4\n")})
        status, _, report = self.call(replay.url, "POST", "/upload", changed,
                                      {"Content-Type": changed_type})
        self.assertEqual(status, 404)
        self.assertIn(b"POST /upload         file 'report'[0] content: b'id,qty\\n1,4\\n' != "
                      b"b'id,qty\\n1,3\\n'", report)

    def test_requests_uploads_match_too(self) -> None:
        requests = import_extra("requests")
        response = requests.post(self.fake.url + "/upload", data={"a": "1"},
                                 files={"f": ("f.txt", b"text")}, timeout=TIMEOUT)
        self.assertEqual(response.json(), {"received": len(response.request.body)})
        path, _ = self.save()
        replay = self.replay(path)
        again = requests.post(replay.url + "/upload", data={"a": "1"},
                              files={"f": ("f.txt", b"text")}, timeout=TIMEOUT)
        self.assertEqual(again.status_code, 200)

    def test_a_form_matches_as_its_fields(self) -> None:
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        self.call(self.fake.url, "POST", "/upload", b"a=1&b=2&b=3", form)
        path, text = self.save()
        self.assertEqual(json.loads(text)[0]["request"]["form"], {"a": "1", "b": ["2", "3"]})
        replay = self.replay(path)
        self.assertEqual(self.call(replay.url, "POST", "/upload", b"b=2&a=1&b=3", form)[0], 200)
        self.assertEqual(self.call(replay.url, "POST", "/upload", b"a=1&b=2", form)[0], 404)

    def test_a_query_or_body_not_recorded_is_not_answered(self) -> None:
        fetch(self.fake.url + "/users/octocat")
        path, _ = self.save()
        replay = self.replay(path)
        status, _, body = fetch(replay.url + "/users/octocat?page=3")
        self.assertEqual((status, body.decode()), (404, textwrap.dedent("""\
            No stub matched GET /users/octocat?page=3; 1 stub declared.
            Closest stubs:
              GET /users/octocat  query parameter 'page': unexpected
            """)))
        self.assertEqual(fetch(replay.url + "/users/octocat", b"a body")[0], 404)
        self.assertEqual(fetch(replay.url + "/users/octocat")[0], 200)

    def test_headers_are_kept_but_matched_only_when_named(self) -> None:
        self.call(self.fake.url, "GET", "/users/a", headers={"Accept": "application/json",
                                                            "User-Agent": "client/1"})
        path, text = self.save(match_headers=["accept"])
        request = json.loads(text)[0]["request"]
        self.assertEqual(request["headers"]["User-Agent"], "client/1")
        self.assertEqual(request["match_headers"], ["Accept"])
        replay = self.replay(path)
        for headers, status in (({"Accept": "application/json", "User-Agent": "client/2"}, 200),
                                ({"Accept": "text/html", "User-Agent": "client/1"}, 404),
                                ({"User-Agent": "client/1"}, 404)):
            with self.subTest(headers=headers):
                self.assertEqual(self.call(replay.url, "GET", "/users/a", headers=headers)[0],
                                 status)

    def test_head_keeps_the_length_of_the_body_it_describes(self) -> None:
        self.call(self.fake.url, "HEAD", "/users/a")
        _, text = self.save()
        self.assertEqual(json.loads(text)[0]["response"]["headers"]["Content-Length"], "27")

    def test_failed_and_unmatched_exchanges_are_left_out(self) -> None:
        broken = ProxyApp("http://127.0.0.1:%d" % unused_port())
        self.addCleanup(broken.close)
        stubs = StubApp()
        stubs.stub("GET", "/broken").proxy(broken)
        stubs.stub("GET", "/kept").respond(text="kept")
        fake = serve(self, Recorder(stubs))
        with self.assertLogs("fakeserver", "WARNING"):
            self.assertEqual(fetch(fake.url + "/broken")[0], 502)
        self.assertEqual(fetch(fake.url + "/missing")[0], 404)
        self.assertEqual(fetch(fake.url + "/kept")[0], 200)
        path = os.path.join(self.folder.name, "left-out.json")
        self.assertEqual(fake.app.save_stubs(path), 1)  # type: ignore[attr-defined]
        with open(path, encoding="utf-8") as file:
            self.assertEqual([entry["request"]["path"] for entry in json.load(file)], ["/kept"])


class StableOutputTest(RecordingCase):
    def traffic(self, base: str) -> None:
        api_app.calls = 0  # type: ignore[attr-defined]
        for target in ("/users/b?x=2&a=1", "/gzip", "/counter", "/counter", "/binary", "/redirect"):
            self.call(base, "GET", target, headers={"Accept": "*/*"})
        self.call(base, "POST", "/upload", b'{"z": 1, "a": [1, 2]}',
                  {"Content-Type": "application/json"})

    def test_recording_the_same_traffic_again_rewrites_the_file_byte_for_byte(self) -> None:
        self.traffic(self.fake.url)
        first_path, first = self.save("first.json")
        again = serve(self, Recorder(self.proxy))  # another server, another port
        self.traffic(again.url)
        second = os.path.join(self.folder.name, "second.json")
        again.app.save_stubs(second)  # type: ignore[attr-defined]
        with open(first_path, "rb") as one, open(second, "rb") as two:
            self.assertEqual(one.read(), two.read())
        self.assertTrue(first.endswith("]\n"))
        self.assertEqual(json.dumps(json.loads(first), sort_keys=True, indent=2,
                                    ensure_ascii=False) + "\n", first)


class RedactionTest(RecordingCase):
    SECRET = "s3cr3t-t0k3n"

    def test_credentials_are_redacted_by_default(self) -> None:
        self.call(self.fake.url, "GET", "/login", headers={
            "Authorization": f"Bearer {self.SECRET}", "Cookie": f"session={self.SECRET}",
            "X-Api-Key": self.SECRET, "Proxy-Authorization": f"Basic {self.SECRET}"})
        path, text = self.save()
        self.assertNotIn(self.SECRET, text)
        self.assertNotIn("s3cr3t", text)  # the upstream's Set-Cookie too
        entry = json.loads(text)[0]
        self.assertEqual(entry["request"]["headers"]["Authorization"], "<redacted>")
        self.assertEqual(entry["response"]["headers"]["Set-Cookie"], "<redacted>")

    def test_options_redact_more(self) -> None:
        self.call(self.fake.url, "POST", f"/users/{self.SECRET}?api_key=k1-key&page=2",
                  json.dumps({"user": {"password": "pw", "name": "n"}, "note": self.SECRET}).encode(),
                  {"Content-Type": "application/json", "X-Session": "abc"})
        self.call(self.fake.url, "GET", "/login")
        path, text = self.save(redact_headers=["X-Session"], redact_query=["api_key"],
                               redact_json=["password", "token"],
                               secrets={"<SECRET>": self.SECRET, "<KEY>": "k1-key"})
        for secret in (self.SECRET, "k1-key", "pw", "abc", "tok-12345"):
            self.assertNotIn(secret, text)
        user, login = json.loads(text)
        self.assertEqual(user["request"]["path"], "/users/<SECRET>")
        self.assertEqual(user["request"]["query"], {"api_key": "<redacted>", "page": "2"})
        self.assertEqual(user["request"]["json"],
                         {"note": "<SECRET>", "user": {"name": "n", "password": "<redacted>"}})
        self.assertEqual(user["response"]["json"], {"login": "<SECRET>",  # the upstream's echo
                                                    "query": "api_key=<KEY>&page=2"})
        self.assertEqual(login["response"]["json"], {"token": "<redacted>", "user": "octocat"})
        # A redacted value matches any value in replay.
        replay = self.replay(path)
        status, _, _ = self.call(replay.url, "POST", "/users/<SECRET>?api_key=other&page=2",
                                 json.dumps({"user": {"password": "other", "name": "n"},
                                             "note": "<SECRET>"}).encode(),
                                 {"Content-Type": "application/json"})
        self.assertEqual(status, 200)

    def test_bad_options(self) -> None:
        path = os.path.join(self.folder.name, "x.json")
        with self.assertRaises(TypeError) as caught:
            self.recorder.save_stubs(path, redact_body=["x"])  # type: ignore[call-arg]
        self.assertEqual(str(caught.exception), "unknown snapshot option 'redact_body'; expected "
                         "one of match_headers, redact_headers, redact_query, redact_json, secrets")
        with self.assertRaises(ValueError) as caught:
            self.recorder.save_stubs(path, secrets={"<EMPTY>": ""})
        self.assertEqual(str(caught.exception), "secrets must map placeholders to non-empty "
                                                "strings, not '<EMPTY>': ''")
        with self.assertRaises(TypeError) as caught:
            self.recorder.save_stubs(path, redact_json="password")  # type: ignore[arg-type]
        self.assertEqual(str(caught.exception),
                         "redact_json must be a list of names, not the string 'password'")
        self.assertFalse(os.path.exists(path))


if __name__ == "__main__":
    unittest.main()
