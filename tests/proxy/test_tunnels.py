"""FakeProxy's two ways in: CONNECT tunnels (TLS or plain inside) and absolute-form requests.

The client is ``http.client`` (``set_tunnel`` for HTTPS, as urllib uses it)
or a raw socket where the test needs a byte-exact request.
"""

from __future__ import annotations

import json
import socket
import ssl
import unittest

from fakeserver import client_ssl_context
from fakeserver.pypi import PackageIndex
from tests.proxy.support import (
    TIMEOUT, ProxyTestCase, fetch, origin_app, plain, raw_connect, tunnel,
)
from tests.support import (
    CapturedWarnings, echo_app, read_response, read_until_closed, status_of,
)


class HTTPSTest(ProxyTestCase):
    def test_a_tunnel_serves_the_hosts_stubs_with_keep_alive(self) -> None:
        self.proxy.stub("GET", "https://api.github.com/user").respond(json={"login": "ann"})
        connection = self.connection(tunnel(self.proxy, "api.github.com"))
        for _ in range(3):
            self.assertEqual(fetch(connection, "/user"), (200, b'{"login": "ann"}'))
        requests = self.proxy.requests
        self.assertEqual([r.url for r in requests], ["https://api.github.com/user"] * 3)
        self.assertEqual(len({r.client_address for r in requests}), 1)  # one tunnel

    def test_the_app_sees_the_real_origin(self) -> None:
        self.proxy.route("api.example", origin_app)
        status, body = fetch(self.connection(tunnel(self.proxy, "api.example", 8443)), "/a?b=1")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body), {
            "wsgi.url_scheme": "https", "HTTP_HOST": "api.example:8443",
            "SERVER_NAME": "api.example", "SERVER_PORT": "8443", "PATH_INFO": "/a",
            "QUERY_STRING": "b=1"})
        self.assertEqual(self.proxy.requests[0].url, "https://api.example:8443/a?b=1")

    def test_two_hosts_in_one_test(self) -> None:
        self.proxy.stub("GET", "https://api.github.com/user").respond(text="github")
        self.proxy.stub("GET", "https://api.gitlab.com/user").respond(text="gitlab")
        github = self.connection(tunnel(self.proxy, "api.github.com"))
        gitlab = self.connection(tunnel(self.proxy, "api.gitlab.com"))
        self.assertEqual(fetch(gitlab, "/user"), (200, b"gitlab"))
        self.assertEqual(fetch(github, "/user"), (200, b"github"))
        self.assertEqual([r.url for r in self.proxy.requests],
                         ["https://api.gitlab.com/user", "https://api.github.com/user"])

    def test_ip_literals_get_a_certificate_for_the_address(self) -> None:
        self.proxy.stub("GET", "https://10.1.2.3/v4").respond(text="four")
        self.proxy.stub("GET", "https://[2001:db8::1]/v6").respond(text="six")
        self.assertEqual(fetch(self.connection(tunnel(self.proxy, "10.1.2.3")), "/v4"),
                         (200, b"four"))
        # http.client brackets IPv6 tunnel hosts since 3.12 only: speak CONNECT by hand.
        sock, answer = raw_connect(self.proxy, "[2001:db8::1]:443")
        self.assertEqual(answer, b"HTTP/1.1 200 Connection established\r\n\r\n")
        context = ssl.create_default_context(cafile=self.proxy.ca_file)
        with context.wrap_socket(sock, server_hostname="2001:db8::1") as tls:
            tls.sendall(b"GET /v6 HTTP/1.1\r\nHost: [2001:db8::1]\r\n\r\n")
            self.assertTrue(read_response(tls).endswith(b"\r\n\r\nsix"))
        self.assertEqual([r.url for r in self.proxy.requests],
                         ["https://10.1.2.3/v4", "https://[2001:db8::1]/v6"])

    def test_alpn_offers_http_1_1_only(self) -> None:
        self.proxy.host("h2.example")
        context = ssl.create_default_context(cafile=self.proxy.ca_file)
        context.set_alpn_protocols(["h2", "http/1.1"])
        sock, _ = raw_connect(self.proxy, "h2.example:443")
        with context.wrap_socket(sock, server_hostname="h2.example") as tls:
            self.assertEqual(tls.selected_alpn_protocol(), "http/1.1")

    def test_a_client_not_trusting_the_ca_fails_its_handshake_only(self) -> None:
        warnings = CapturedWarnings.during(self)
        self.proxy.stub("GET", "https://api.github.com/user").respond(text="ok")
        with self.assertRaises(ssl.SSLCertVerificationError):
            fetch(self.connection(tunnel(self.proxy, "api.github.com", context=client_ssl_context())),
                  "/user")
        self.assertTrue(warnings.wait_for("TLS handshake with"))
        self.assertEqual(fetch(self.connection(tunnel(self.proxy, "api.github.com")), "/user"),
                         (200, b"ok"))

    def test_plain_http_inside_a_tunnel(self) -> None:
        self.proxy.stub("GET", "http://example.com/ws").respond(text="plain")
        sock, _ = raw_connect(self.proxy, "example.com:80")
        with sock:
            sock.sendall(b"GET /ws HTTP/1.1\r\nHost: example.com\r\n\r\n")
            self.assertTrue(read_response(sock).endswith(b"plain"))
        self.assertEqual(self.proxy.requests[0].url, "http://example.com/ws")

    def test_a_package_index_links_its_files_on_its_own_host(self) -> None:
        index = PackageIndex()
        index.add("demo-1.0.tar.gz", b"not really a tarball")
        self.proxy.route("pypi.org", index)
        connection = self.connection(tunnel(self.proxy, "pypi.org"))
        status, page = fetch(connection, "/simple/demo/?format=application/vnd.pypi.simple.v1+json")
        self.assertEqual(status, 200)
        [file] = json.loads(page)["files"]
        self.assertEqual(file["url"], "https://pypi.org/packages/demo-1.0.tar.gz")
        self.assertEqual(fetch(connection, "/packages/demo-1.0.tar.gz"),
                         (200, b"not really a tarball"))


class PlainHTTPTest(ProxyTestCase):
    def test_absolute_form_requests(self) -> None:
        self.proxy.route("example.com", origin_app)
        status, body = fetch(self.connection(plain(self.proxy)), "http://Example.COM/p?q=1")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body), {
            "wsgi.url_scheme": "http", "HTTP_HOST": "example.com", "SERVER_NAME": "example.com",
            "SERVER_PORT": "80", "PATH_INFO": "/p", "QUERY_STRING": "q=1"})
        self.assertEqual(self.proxy.requests[0].url, "http://example.com/p?q=1")

    def test_the_scheme_of_an_absolute_url_is_read_in_any_case(self) -> None:
        self.proxy.route("example.com", origin_app)
        status, body = fetch(self.connection(plain(self.proxy)), "HTTPS://Example.COM:8443/p")
        self.assertEqual((status, json.loads(body)["wsgi.url_scheme"]), (200, "https"))
        self.assertEqual(self.proxy.requests[0].url, "https://example.com:8443/p")

    def test_bodies_and_keep_alive(self) -> None:
        self.proxy.route("echo.example", echo_app)
        connection = self.connection(plain(self.proxy))
        for size in (0, 10, 100000):
            self.assertEqual(fetch(connection, "http://echo.example:8080/up", "POST", b"x" * size),
                             (200, b"x" * size))
        self.assertEqual(self.proxy.requests[-1].url, "http://echo.example:8080/up")
        self.assertEqual(self.proxy.requests[-1].body_size, 100000)

    def test_a_request_without_an_origin_is_refused(self) -> None:
        sock = socket.create_connection(self.proxy.address, timeout=TIMEOUT)
        with sock:
            sock.sendall(b"GET /relative HTTP/1.0\r\n\r\n")
            answer = read_response(sock)
        self.assertEqual(status_of(answer), 400)
        self.assertTrue(answer.endswith(b"400 Bad Request: a proxy needs an absolute URL such as "
                                        b"http://example.com/ or a Host header, not "
                                        b"'/relative' alone\n"))

    def test_a_connect_without_a_port_is_refused(self) -> None:
        sock, answer = raw_connect(self.proxy, "api.github.com")
        with sock:
            self.assertEqual(status_of(answer), 400)
            self.assertTrue(read_until_closed(sock).endswith(
                b"400 Bad Request: CONNECT target 'api.github.com' is not host:port\n"))


if __name__ == "__main__":
    unittest.main()
