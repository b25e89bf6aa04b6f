"""The request criteria beyond path and method: files=, cookies=, auth= and host=, with real clients."""

from __future__ import annotations

import http.client
import http.cookiejar
import textwrap
import unittest
import urllib.error
import urllib.request

from fakeserver import ServerTestCase, StubApp, match
from tests.support import basic_auth, call, failure_message, import_extra, multipart

CSV = b"id,qty\n1,3\n"


def post(url: str, fields: dict[str, str], files: dict[str, object]) -> int:
    """POST a multipart form with urllib; return the status (404 included)."""
    body, content_type = multipart(fields, files)
    return call(url, body, {"Content-Type": content_type})[0]


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
        self.stub("POST", "/upload")
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
        self.stub("POST", "/many")
        post(self.url("/many"), {}, {"doc": [("a.txt", "text/plain", b"A"),
                                             ("b.txt", "text/plain", b"B")]})
        self.assertRequested("/many", files={"doc": "b.txt"})
        self.assertRequested("/many", files={"doc": ["a.txt", b"B"]})
        self.assertNotRequested("/many", files={"doc": ["b.txt", "a.txt"]})
        self.assertNotRequested("/many", files={"doc": ["a.txt"]})
        self.assertEqual(failure_message(self, self.assertRequested, "/many",
                                         files={"doc": ["a.txt", "c.txt"]}).splitlines()[-1],
                         "  POST /many           file 'doc'[1] filename: 'b.txt' != 'c.txt'")
        self.assertEqual(failure_message(self, self.assertRequested, "/many",
                                         files={"doc": ["a.txt"]}).splitlines()[-1],
                         "  POST /many           file 'doc': 2 files != 1 file")

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

    def test_matchers_and_absence(self) -> None:
        self.stub("POST", "/upload")
        post(self.url("/upload"), {}, {"report": ("r.csv", "text/csv", CSV)})
        self.assertRequested("/upload", files={"report": match.regex(r"\.csv$")})
        self.assertRequested("/upload", files={"report": {"content": match.contains(b"1,3"),
                                                          "content_type": match.ANY}})
        self.assertRequested("/upload", files={"image": match.ABSENT})
        self.assertNotRequested("/upload", files={"report": match.ABSENT})
        with self.assertRaises(self.failureException) as caught:
            self.assertRequested("/upload", files={"report": {"content": CSV + b"2,4\n"},
                                                   "image": match.ANY})
        self.assertEqual(str(caught.exception).splitlines()[-1],
                         "  POST /upload         file 'report' content: b'id,qty\\n1,3\\n' != "
                         "b'id,qty\\n1,3\\n2,4\\n'; file 'image': missing")

    def test_the_report_shows_what_was_uploaded(self) -> None:
        self.stub("POST", "/upload")
        post(self.url("/upload"), {}, {"report": ("r.csv", "text/csv", CSV)})
        with self.assertRaises(self.failureException) as caught:
            self.assertRequested("/upload", files={"report": "s.csv", "image": b"\x89PNG"})
        self.assertEqual(str(caught.exception), textwrap.dedent("""\
            Expected a request matching /upload with files {'report': 's.csv', 'image': b'\\x89PNG'}; 0 of 1 recorded request match.
            Closest recorded requests:
              POST /upload         file 'report' filename: 'r.csv' != 's.csv'; file 'image': missing"""))

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


class CookiesAuthHostTest(ServerTestCase, unittest.TestCase):
    def test_cookies_from_a_cookie_jar(self) -> None:
        self.stub("GET", "/me", cookies={"sid": "s3cr3t", "theme": match.one_of("dark", "light")}
                  ).respond(text="you")
        jar = http.cookiejar.CookieJar()
        for name, value in (("sid", "s3cr3t"), ("theme", "dark")):
            jar.set_cookie(http.cookiejar.Cookie(
                0, name, value, None, False, "127.0.0.1", True, False, "/", True, False, None,
                False, None, None, {}))
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(self.url("/me"), timeout=10) as response:
            self.assertEqual(response.read(), b"you")
        self.assertRequested("/me", cookies={"sid": match.ANY, "lang": match.ABSENT})
        self.assertNotRequested("/me", cookies={"sid": "other"})

    def test_cookie_report(self) -> None:
        self.stub("GET", "/me")
        connection = http.client.HTTPConnection(*self.server.address, timeout=10)
        self.addCleanup(connection.close)
        connection.request("GET", "/me", headers={"Cookie": "sid=1; theme=dark"})
        connection.getresponse().read()
        with self.assertRaises(self.failureException) as caught:
            self.assertRequested("/me", cookies={"sid": "2", "theme": "dark", "lang": match.ANY})
        self.assertEqual(str(caught.exception), textwrap.dedent("""\
            Expected a request matching /me with cookies {'sid': '2', 'theme': 'dark', 'lang': match.ANY}; 0 of 1 recorded request match.
            Closest recorded requests:
              GET /me             cookie 'sid': '1' != '2'; cookie 'lang': missing"""))

    def test_basic_auth(self) -> None:
        self.stub("GET", "/private", auth=("ann", "secret")).respond(text="hello Ann")
        self.allow_unmatched_requests = True
        request = urllib.request.Request(self.url("/private"), headers=basic_auth("ann", "secret"))
        with urllib.request.urlopen(request, timeout=10) as response:
            self.assertEqual(response.read(), b"hello Ann")
        request = urllib.request.Request(self.url("/private"), headers=basic_auth("ann", "wrong"))
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        caught.exception.close()
        self.assertEqual(caught.exception.code, 404)
        self.assertRequested("/private", auth=("ann", match.ANY), count=2)
        self.assertRequested("/private", auth=(match.regex("^a"), lambda password: len(password) > 5))
        with self.assertRaises(self.failureException) as caught:
            self.assertRequested("/private", auth=("bob", "secret"), count=1)
        self.assertEqual(str(caught.exception), textwrap.dedent("""\
            Expected 1 request matching /private with auth ('bob', 'secret'); 0 of 2 recorded requests match.
            Closest recorded requests:
              GET /private        auth user: 'ann' != 'bob'
              GET /private        auth user: 'ann' != 'bob'; auth password: 'wrong' != 'secret'"""))

    def test_auth_with_requests_and_its_absence(self) -> None:
        self.stub("GET", "/r")
        requests = import_extra("requests")
        requests.get(self.url("/r"), auth=("ann", "pässword"), timeout=10).close()
        requests.get(self.url("/r"), headers={"Authorization": "Bearer t0ken"}, timeout=10).close()
        requests.get(self.url("/r"), timeout=10).close()
        self.assertRequested("/r", auth=("ann", "pässword"))  # requests sends latin-1
        self.assertRequested("/r", auth=match.ABSENT, count=1)
        with self.assertRaises(self.failureException) as caught:
            self.assertRequested("/r", auth=("ann", "x"), headers={"Authorization": match.ABSENT})
        self.assertEqual(str(caught.exception).splitlines()[2:], [  # closest first
            "  GET /r              auth: missing",
            "  GET /r              header 'Authorization': unexpected; auth password: 'pässword' != 'x'",
            "  GET /r              header 'Authorization': unexpected; auth is not Basic: 'Bearer t0ken'",
        ])

    def test_host(self) -> None:
        self.stub("GET", "/h")
        port = self.server.address[1]
        connection = http.client.HTTPConnection(*self.server.address, timeout=10)
        self.addCleanup(connection.close)
        for host in ("API.example.com", f"api.example.com:{port}", "[::1]:8080"):
            connection.request("GET", "/h", headers={"Host": host})
            connection.getresponse().read()
        self.assertRequested("/h", host="api.example.com", count=2)  # any port, any case
        self.assertRequested("/h", host=f"api.example.com:{port}", count=1)
        self.assertRequested("/h", host="::1", count=1)
        self.assertRequested("/h", host="[::1]", count=1)
        self.assertRequested("/h", host=match.regex(r"\.example\.com$"), count=2)
        urllib.request.urlopen(self.url("/h"), timeout=10).close()
        self.assertRequested("/h", host="127.0.0.1", count=1)
        with self.assertRaises(self.failureException) as caught:
            self.assertRequested("/h", host="api.example.com:1")
        self.assertEqual(str(caught.exception).splitlines()[2:], [
            "  GET /h              host 'api.example.com' != 'api.example.com:1'",
            f"  GET /h              host 'api.example.com:{port}' != 'api.example.com:1'",
            "  GET /h              host '[::1]:8080' != 'api.example.com:1'",
            f"  GET /h              host '127.0.0.1:{port}' != 'api.example.com:1'",
        ])


class TargetTest(ServerTestCase, unittest.TestCase):
    def test_the_path_and_query_whole(self) -> None:
        self.stub("GET", "/items")
        for target in ("/items?page=2&size=5", "/items?size=5&page=2"):
            call(self.url(target))
        self.assertRequested("/items", target="/items?page=2&size=5", count=1)
        self.assertRequested("/items", target=match.regex(r"[?&]page=2(&|$)"), count=2)
        self.assertNotRequested("/items", target="/items?page=2")
        with self.assertRaises(self.failureException) as caught:
            self.assertRequested("/items", target="/items?page=2")
        self.assertEqual(str(caught.exception).splitlines()[2:], [
            "  GET /items?page=2&size=5  target '/items?page=2&size=5' != '/items?page=2'",
            "  GET /items?size=5&page=2  target '/items?size=5&page=2' != '/items?page=2'",
        ])


if __name__ == "__main__":
    unittest.main()
