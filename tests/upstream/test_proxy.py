"""ProxyApp against local upstreams: what it forwards, what it drops, what it rewrites, how it fails."""

from __future__ import annotations

import gzip
import http.client
import json
import shutil
import ssl
import subprocess
import threading
import unittest

from fakeserver import CA_FILE, ProxyApp, Recorder
from fakeserver._upstream.forwarding import UpstreamError, _relocated
from fakeserver._upstream.pool import Origin
from tests.support import import_extra, read_body
from tests.support.upstreams import (
    TIMEOUT, ScriptedUpstream, describe_app, fetch, serve, unused_port,
)


class ProxyCase(unittest.TestCase):
    """A fake (a Recorder around a ProxyApp) in front of an upstream serving *upstream_app*."""

    upstream_app = staticmethod(describe_app)
    upstream_tls = False

    def setUp(self) -> None:
        self.upstream = serve(self, self.upstream_app, tls=self.upstream_tls, record=True)
        self.proxy = self.make_proxy(self.upstream.url)
        self.fake = serve(self, Recorder(self.proxy))
        self.recorder: Recorder = self.fake.app  # type: ignore[assignment]

    def make_proxy(self, upstream: str, **options: object) -> ProxyApp:
        proxy = ProxyApp(upstream, **options)  # type: ignore[arg-type]
        self.addCleanup(proxy.close)
        return proxy

    def described(self, body: bytes) -> dict:
        return json.loads(body)


class ForwardingTest(ProxyCase):
    def test_method_target_body_and_host(self) -> None:
        status, headers, body = fetch(self.fake.url + "/a%20b/c?x=1&x=2", b"payload",
                                      {"Content-Type": "text/plain"}, method="PUT")
        self.assertEqual(status, 200)
        seen = self.described(body)
        self.assertEqual((seen["method"], seen["target"], seen["body"]),
                         ("PUT", "/a%20b/c?x=1&x=2", "payload"))
        host = dict((name.lower(), value) for name, value in seen["headers"])["host"]
        self.assertEqual(host, "127.0.0.1:%d" % self.upstream.address[1])
        self.assertEqual(headers["Content-Type"], "application/json")

    def test_hop_by_hop_headers_stay_on_their_side(self) -> None:
        connection = http.client.HTTPConnection(*self.fake.address, timeout=TIMEOUT)
        self.addCleanup(connection.close)
        connection.request("GET", "/", headers={
            "Connection": "keep-alive, X-Private", "X-Private": "for the fake",
            "Keep-Alive": "timeout=5", "TE": "trailers", "Proxy-Authorization": "Basic eDp5",
            "X-Kept": "yes"})
        seen = self.described(connection.getresponse().read())
        names = {name.lower() for name, _ in seen["headers"]}
        self.assertIn("x-kept", names)
        self.assertFalse(names & {"x-private", "keep-alive", "te", "proxy-authorization"},
                         seen["headers"])
        self.assertNotIn("keep-alive, x-private", [value.lower() for _, value in seen["headers"]])

    def test_the_response_loses_hop_by_hop_fields_and_the_upstream_date(self) -> None:
        def app(environ, start_response):
            start_response("200 OK", [("Connection", "X-Hop"), ("X-Hop", "1"), ("X-End", "2"),
                                      ("Date", "Thu, 01 Jan 1970 00:00:00 GMT"),
                                      ("Content-Length", "2")])
            return [b"ok"]
        fake = serve(self, self.make_proxy(serve(self, app).url))
        status, headers, body = fetch(fake.url)
        self.assertEqual((status, body, headers["X-End"]), (200, b"ok", "2"))
        self.assertIsNone(headers["X-Hop"])
        self.assertEqual(len(headers.get_all("Date")), 1)
        self.assertNotIn("1970", headers["Date"])

    def test_chunked_and_binary_bodies_both_ways(self) -> None:
        data = bytes(range(256)) * 300
        connection = http.client.HTTPConnection(*self.fake.address, timeout=TIMEOUT)
        self.addCleanup(connection.close)
        connection.request("POST", "/bin", body=iter([data[:1000], data[1000:]]),
                           encode_chunked=True)
        response = connection.getresponse()
        seen = self.described(response.read())
        self.assertEqual(seen["body"].encode("latin-1"), data)
        self.assertIn(["Transfer-Encoding", "chunked"], seen["headers"])
        self.assertEqual(self.recorder.settle()[0].body, data)

    def test_head_keeps_the_length_and_sends_no_body(self) -> None:
        connection = http.client.HTTPConnection(*self.fake.address, timeout=TIMEOUT)
        self.addCleanup(connection.close)
        connection.request("HEAD", "/")
        response = connection.getresponse()
        self.assertEqual(response.read(), b"")
        self.assertGreater(int(response.headers["Content-Length"]), 0)
        connection.request("GET", "/")  # the connection is still in step
        self.assertEqual(self.described(connection.getresponse().read())["method"], "GET")

    def test_gzip_passes_through_untouched(self) -> None:
        packed = gzip.compress(b'{"a": 1}', mtime=0)

        def app(environ, start_response):
            start_response("200 OK", [("Content-Encoding", "gzip"), ("Content-Length", str(len(packed)))])
            return [packed]
        fake = serve(self, self.make_proxy(serve(self, app).url))
        status, headers, body = fetch(fake.url, headers={"Accept-Encoding": "gzip"})
        self.assertEqual((status, body, headers["Content-Encoding"]), (200, packed, "gzip"))

    def test_a_base_path_prefixes_every_target(self) -> None:
        fake = serve(self, self.make_proxy(self.upstream.url + "/v3/"))
        seen = self.described(fetch(fake.url + "/users?page=2")[2])
        self.assertEqual(seen["target"], "/v3/users?page=2")


class StreamingTest(ProxyCase):
    def test_the_request_body_reaches_the_upstream_as_it_arrives(self) -> None:
        first_seen = threading.Event()

        def app(environ, start_response):
            first = environ["wsgi.input"].read(5)
            first_seen.set()
            rest = read_body(environ)
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [first + b"|" + rest]

        def pieces():
            yield b"first"
            # Buffered whole, the body would not reach the upstream before this returns.
            self.assertTrue(first_seen.wait(TIMEOUT), "the first piece was not forwarded alone")
            yield b"second"
        fake = serve(self, self.make_proxy(serve(self, app).url))
        connection = http.client.HTTPConnection(*fake.address, timeout=TIMEOUT)
        self.addCleanup(connection.close)
        connection.request("POST", "/", body=pieces(), encode_chunked=True)
        self.assertEqual(connection.getresponse().read(), b"first|second")

    def test_the_answer_reaches_the_client_as_the_upstream_sends_it(self) -> None:
        client_has_first = threading.Event()
        self.addCleanup(client_has_first.set)

        def app(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            yield b"first"
            client_has_first.wait(TIMEOUT)
            yield b"second"
        fake = serve(self, self.make_proxy(serve(self, app).url))
        connection = http.client.HTTPConnection(*fake.address, timeout=TIMEOUT)
        self.addCleanup(connection.close)
        connection.request("GET", "/")
        response = connection.getresponse()
        self.assertEqual(response.headers["Transfer-Encoding"], "chunked")
        self.assertEqual(response.read(5), b"first")  # before the upstream sent the rest
        client_has_first.set()
        self.assertEqual(response.read(), b"second")


class RedirectTest(ProxyCase):
    def test_a_redirect_to_the_upstream_stays_on_the_fake(self) -> None:
        def app(environ, start_response):
            if environ["PATH_INFO"] == "/old":
                start_response("301 Moved Permanently",
                               [("Location", f"http://{environ['HTTP_HOST']}/new?x=1")])
                return [b""]
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [environ["RAW_URI"].encode()]
        fake = serve(self, Recorder(self.make_proxy(serve(self, app).url)))
        status, _, body = fetch(fake.url + "/old")
        self.assertEqual((status, body), (200, b"/new?x=1"))
        first, second = fake.app.settle()  # type: ignore[attr-defined]
        self.assertEqual(first.response.headers["Location"], fake.url + "/new?x=1")
        self.assertEqual(second.target, "/new?x=1")

    def test_which_locations_are_rewritten(self) -> None:
        origin, _ = Origin.parse("https://api.example.com")
        own = "http://127.0.0.1:8000"
        cases = {
            "https://api.example.com/a?b=1#c": own + "/a?b=1#c",
            "https://API.example.com:443/a": own + "/a",
            "//api.example.com/a": own + "/a",
            "https://api.example.com": own + "/",
            "http://api.example.com/a": "http://api.example.com/a",  # another scheme
            "https://api.example.com:8443/a": "https://api.example.com:8443/a",
            "https://other.example.com/a": "https://other.example.com/a",
            "/relative": "/relative",
            "relative": "relative",
            "https://api.example.com:bad/": "https://api.example.com:bad/",
        }
        for location, expected in cases.items():
            with self.subTest(location=location):
                self.assertEqual(_relocated(location, origin, "", own), expected)
        for location, expected in {"https://api.example.com/v3/a": own + "/a",
                                   "/v3/a": "/a", "/v3": "/", "/v30": "/v30",
                                   "https://api.example.com/other": "https://api.example.com/other"
                                   }.items():
            with self.subTest(location=location, base="/v3"):
                self.assertEqual(_relocated(location, origin, "/v3", own), expected)


class FailureTest(ProxyCase):
    def test_an_unreachable_upstream_is_a_502_naming_it(self) -> None:
        upstream = "http://127.0.0.1:%d" % unused_port()
        fake = serve(self, Recorder(self.make_proxy(upstream)))
        with self.assertLogs("fakeserver", "WARNING"):
            status, headers, body = fetch(fake.url + "/x")
        self.assertEqual(status, 502)
        self.assertTrue(body.decode().startswith(
            f"502 Bad Gateway: cannot reach upstream {upstream}: [Errno 111]"), body)
        [record] = fake.app.settle()  # type: ignore[attr-defined]
        self.assertIsInstance(record.error, UpstreamError)
        self.assertIsInstance(record.error.__cause__, ConnectionRefusedError)
        self.assertEqual(body.decode(), f"502 Bad Gateway: {record.error}\n")
        self.assertEqual(fake.errors, [])  # answered, not an app error

    def test_an_upstream_too_slow_is_a_504(self) -> None:
        release = threading.Event()
        self.addCleanup(release.set)

        def slow(environ, start_response):
            release.wait(TIMEOUT)
            start_response("200 OK", [])
            return [b"late"]
        upstream = serve(self, slow).url
        fake = serve(self, Recorder(self.make_proxy(upstream, timeout=0.2)))
        with self.assertLogs("fakeserver", "WARNING"):
            status, _, body = fetch(fake.url)
        self.assertEqual((status, body.decode()), (
            504, f"504 Gateway Timeout: upstream {upstream} did not answer within 0.2 s: "
                 "timed out\n"))
        [record] = fake.app.settle()  # type: ignore[attr-defined]
        self.assertIn("did not answer within 0.2 s", str(record.error))

    def test_an_upstream_breaking_off_a_small_answer_is_a_502(self) -> None:
        upstream = ScriptedUpstream(self, [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten.."])
        fake = serve(self, Recorder(self.make_proxy(upstream.url)))
        with self.assertLogs("fakeserver", "WARNING"):
            status, _, body = fetch(fake.url)
        [record] = fake.app.settle()  # type: ignore[attr-defined]
        self.assertEqual((status, body.decode()), (502, f"502 Bad Gateway: {record.error}\n"))
        self.assertIsInstance(record.error, UpstreamError)
        self.assertEqual(str(record.error), f"upstream {upstream.url} broke off its answer: "
                                            "closed 90 bytes short of its Content-Length")

    def test_an_upstream_breaking_off_a_streamed_answer_cuts_the_client_off(self) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n"
        upstream = ScriptedUpstream(self, [head + b"x" * 100000])
        fake = serve(self, Recorder(self.make_proxy(upstream.url)))
        connection = http.client.HTTPConnection(*fake.address, timeout=TIMEOUT)
        self.addCleanup(connection.close)
        with self.assertLogs("fakeserver", "WARNING"):
            connection.request("GET", "/")
            response = connection.getresponse()
            self.assertEqual(response.status, 200)  # sent before the upstream broke off
            with self.assertRaises(http.client.IncompleteRead):
                response.read()
            [record] = fake.app.settle()  # type: ignore[attr-defined]
        self.assertIsInstance(record.error, UpstreamError)
        self.assertIn(f"upstream {upstream.url} broke off its answer", str(record.error))
        self.assertEqual(fake.errors, [record.error])  # the app failed mid-answer

    def test_bad_upstream_urls(self) -> None:
        for url, message in {
                "ftp://example.com": "upstream must be an http:// or https:// URL with a host, "
                                     "not 'ftp://example.com'",
                "https://": "upstream must be an http:// or https:// URL with a host, not 'https://'",
                "http://example.com/?q=1": "upstream must not have a query or fragment: "
                                           "'http://example.com/?q=1'"}.items():
            with self.subTest(url=url), self.assertRaises(ValueError) as caught:
                ProxyApp(url)
            self.assertEqual(str(caught.exception), message)


class HTTPSUpstreamTest(ProxyCase):
    upstream_tls = True

    def test_the_bundled_ca_is_trusted_by_default(self) -> None:
        self.assertTrue(self.upstream.url.startswith("https://"))
        status, _, body = fetch(self.fake.url + "/secure")
        self.assertEqual((status, self.described(body)["target"]), (200, "/secure"))

    def test_a_context_of_your_own_decides(self) -> None:
        fake = serve(self, self.make_proxy(self.upstream.url, ssl_context=ssl.create_default_context()))
        with self.assertLogs("fakeserver", "WARNING"):
            status, _, body = fetch(fake.url)
        self.assertEqual(status, 502)
        self.assertIn(b"CERTIFICATE_VERIFY_FAILED", body)
        trusting = ssl.create_default_context(cafile=CA_FILE)
        fake = serve(self, self.make_proxy(self.upstream.url, ssl_context=trusting))
        self.assertEqual(fetch(fake.url)[0], 200)

    def test_a_tls_fake_in_front_of_a_tls_upstream(self) -> None:
        fake = serve(self, self.proxy, tls=True)
        context = ssl.create_default_context(cafile=CA_FILE)
        status, _, body = fetch(fake.url + "/both", context=context)
        self.assertEqual((status, self.described(body)["target"]), (200, "/both"))


class ClientsTest(ProxyCase):
    def test_requests(self) -> None:
        requests = import_extra("requests")
        with requests.Session() as session:
            for number in range(3):
                response = session.post(self.fake.url + "/items", json={"n": number},
                                        timeout=TIMEOUT)
                self.assertEqual(json.loads(response.json()["body"]), {"n": number})

    def test_curl(self) -> None:
        curl = shutil.which("curl")
        if curl is None:
            self.skipTest("curl is not installed")
        result = subprocess.run(
            [curl, "--silent", "--show-error", "--noproxy", "*", "-H", "Transfer-Encoding: chunked",
             "--data-binary", "streamed by curl", self.fake.url + "/curl"],
            capture_output=True, timeout=TIMEOUT, check=True)
        seen = self.described(result.stdout)
        self.assertEqual((seen["target"], seen["body"]), ("/curl", "streamed by curl"))
        self.assertIn(["Transfer-Encoding", "chunked"], seen["headers"])


if __name__ == "__main__":
    unittest.main()
