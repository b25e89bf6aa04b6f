"""FakeProxy in-process: absolute-form requests, CONNECT tunnels, routes, the journal, stopping.

The client is ``http.client`` (``set_tunnel`` for HTTPS, as urllib uses it)
or a raw socket where the test needs a byte-exact request.
"""

from __future__ import annotations

import gc
import http.client
import json
import os
import socket
import ssl
import tempfile
import unittest
import warnings
from typing import Any, Callable

from fakeserver import AppRunner, client_ssl_context
from fakeserver.proxy import FakeProxy
from fakeserver.pypi import PackageIndex
from tests.support import (
    CapturedWarnings, assert_nothing_left, assert_stops_promptly, echo_app, failing_app,
    read_response, read_until_closed, status_of, wait_for_server_threads,
)

TIMEOUT = 10.0


def origin_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Answer with what the app sees of the request's origin, as JSON."""
    keys = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "PATH_INFO",
            "QUERY_STRING")
    body = json.dumps({key: environ.get(key) for key in keys}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


def tunnel(proxy: FakeProxy, host: str, port: int = 443,
           context: ssl.SSLContext | None = None) -> http.client.HTTPSConnection:
    """An HTTPS connection to *host* through *proxy*, trusting the proxy's CA."""
    context = context or ssl.create_default_context(cafile=proxy.ca_file)
    connection = http.client.HTTPSConnection(*proxy.address, timeout=TIMEOUT, context=context)
    connection.set_tunnel(host, port)
    return connection


def plain(proxy: FakeProxy) -> http.client.HTTPConnection:
    """A plain connection to the proxy, for absolute-form requests."""
    return http.client.HTTPConnection(*proxy.address, timeout=TIMEOUT)


def fetch(connection: http.client.HTTPConnection, target: str, method: str = "GET",
          body: bytes | None = None) -> tuple[int, bytes]:
    connection.request(method, target, body)
    response = connection.getresponse()
    return response.status, response.read()


def raw_connect(proxy: FakeProxy, authority: str) -> tuple[socket.socket, bytes]:
    """Send ``CONNECT authority``; return the socket and the proxy's answer head."""
    sock = socket.create_connection(proxy.address, timeout=TIMEOUT)
    sock.sendall(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        piece = sock.recv(1)
        if not piece:
            break
        answer += piece
    return sock, answer


def proxy_files() -> set[str]:
    """The temporary files and directories of proxies (other programs share the directory)."""
    return {name for name in os.listdir(tempfile.gettempdir())
            if name.startswith("fakeserver-proxy-")}


class ProxyTestCase(unittest.TestCase):
    """A started proxy per test, stopped by a cleanup."""

    def setUp(self) -> None:
        self.proxy = FakeProxy()
        self.addCleanup(self.proxy.stop)
        self.proxy.start()

    def connection(self, connection: http.client.HTTPConnection) -> http.client.HTTPConnection:
        self.addCleanup(connection.close)
        return connection


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
                b"400 Bad Request: expected host:port, not 'api.github.com'\n"))


class RoutingTest(ProxyTestCase):
    def test_an_unrouted_host_gets_a_502_naming_the_routed_ones(self) -> None:
        self.proxy.host("api.github.com")
        self.proxy.route("pypi.org", echo_app)
        expected = (b"502 Bad Gateway: no route for host 'evil.example' "
                    b"(routed hosts: api.github.com, pypi.org).\n"
                    b"Fake it with stubs for its URLs (proxy.stub(), fake_hosts, --stubs FILE) "
                    b"or serve an app there: proxy.route('evil.example', app).\n")
        self.assertEqual(fetch(self.connection(tunnel(self.proxy, "evil.example")), "/x"),
                         (502, expected))
        self.assertEqual(fetch(self.connection(plain(self.proxy)), "http://evil.example/y"),
                         (502, expected))
        self.assertEqual([r.url for r in self.proxy.unmatched],
                         ["https://evil.example/x", "http://evil.example/y"])

    def test_a_routed_host_without_a_matching_stub_is_unmatched_too(self) -> None:
        self.proxy.stub("GET", "https://api.github.com/users").respond(200)
        status, body = fetch(self.connection(tunnel(self.proxy, "api.github.com")), "/user")
        self.assertEqual(status, 404)
        self.assertIn(b"No stub matched GET /user; 1 stub declared.", body)
        [request] = self.proxy.unmatched
        self.assertEqual(self.proxy.routes.near_miss_report(request), (
            "No stub matched GET https://api.github.com/user; 1 stub declared.\n"
            "Closest stubs:\n"
            "  GET /users          path '/user' != '/users'"))

    def test_the_any_host_route(self) -> None:
        self.proxy.route("*", echo_app)
        self.proxy.stub("GET", "https://api.github.com/user").respond(text="stub")
        self.assertEqual(fetch(self.connection(tunnel(self.proxy, "any.example")), "/x", "POST",
                               b"echo"), (200, b"echo"))
        self.assertEqual(fetch(self.connection(tunnel(self.proxy, "api.github.com")), "/user"),
                         (200, b"stub"))
        self.assertEqual(self.proxy.unmatched, [])

    def test_app_errors_are_kept_and_answered_500(self) -> None:
        self.proxy.route("broken.example", failing_app)
        status, _ = fetch(self.connection(tunnel(self.proxy, "broken.example")), "/")
        self.assertEqual(status, 500)
        [error] = self.proxy.errors
        self.assertIsInstance(error, ZeroDivisionError)

    def test_host_names_are_spelled_one_way(self) -> None:
        stubs = self.proxy.host("API.GitHub.com.")
        self.assertIs(self.proxy.host("api.github.com"), stubs)
        self.assertIs(self.proxy.host("[::1]"), self.proxy.host("0:0::1"))
        self.assertEqual(self.proxy.routes.names, ["api.github.com", "::1"])
        self.assertIs(self.proxy.host("bücher.example"), self.proxy.host("xn--bcher-kva.example"))

    def test_misuses_say_what_to_write(self) -> None:
        self.proxy.route("pypi.org", echo_app)
        with self.assertRaisesRegex(TypeError, r"^pypi.org is routed to <function echo_app"):
            self.proxy.stub("GET", "https://pypi.org/simple/")
        with self.assertRaisesRegex(ValueError, r"^expected a full URL such as "
                                                r"'https://api.github.com/user', not '/user'$"):
            self.proxy.stub("GET", "/user")
        with self.assertRaisesRegex(ValueError, r"^not a host name: 'a b'$"):
            self.proxy.host("a b")
        with self.assertRaisesRegex(TypeError, "must be a WSGI callable, not 'app'"):
            self.proxy.route("x.example", "app")  # type: ignore[arg-type]

    def test_stubs_from_a_file_with_full_urls(self) -> None:
        path = self.write_json([
            {"request": {"method": "GET", "path": "https://api.github.com/user"},
             "response": {"json": {"login": "ann"}}},
            {"request": {"path": "http://example.com/x?q=1"}, "response": {"text": "x"}}])
        self.assertEqual(len(self.proxy.load_stubs(path)), 2)
        self.assertEqual([(host, stub.label) for host, stub in self.proxy.routes.stubs()],
                         [("api.github.com", ("GET", "/user")), ("example.com", ("*", "/x?q=1"))])
        self.assertEqual(fetch(self.connection(plain(self.proxy)), "http://example.com/x?q=1"),
                         (200, b"x"))

    def test_a_stub_file_needs_full_urls(self) -> None:
        path = self.write_json([{"request": {"path": "/user"}}])
        with self.assertRaisesRegex(ValueError, r"entry 0: request.path: expected a full URL"):
            self.proxy.load_stubs(path)
        path = self.write_json([{"request": {"method": "GET"}}])
        with self.assertRaisesRegex(ValueError, r"entry 0: request.path must be a full URL such "
                                                r"as 'https://api.github.com/user'$"):
            self.proxy.load_stubs(path)
        path = self.write_json([{"request": {"path": "https://a.example/", "verb": "GET"}}])
        with self.assertRaisesRegex(ValueError, "entry 0: request: unknown field 'verb'"):
            self.proxy.load_stubs(path)
        self.assertEqual(self.proxy.routes.names, [])

    def write_json(self, document: Any) -> str:
        descriptor, path = tempfile.mkstemp(suffix=".json")
        self.addCleanup(os.remove, path)
        with os.fdopen(descriptor, "w") as file:
            json.dump(document, file)
        return path


class EnvironmentTest(ProxyTestCase):
    def test_env_has_every_clients_variables(self) -> None:
        url, ca_file = self.proxy.url, self.proxy.ca_file
        self.assertEqual(self.proxy.env(base={}), {
            "http_proxy": url, "https_proxy": url, "HTTP_PROXY": url, "HTTPS_PROXY": url,
            "no_proxy": "localhost,127.0.0.1,::1", "NO_PROXY": "localhost,127.0.0.1,::1",
            "SSL_CERT_FILE": ca_file, "REQUESTS_CA_BUNDLE": ca_file, "CURL_CA_BUNDLE": ca_file,
            "PIP_CERT": ca_file, "GIT_SSL_CAINFO": ca_file, "NODE_EXTRA_CA_CERTS": ca_file})
        self.assertRegex(url, r"^http://127\.0\.0\.1:\d+$")

    def test_env_is_a_copy_of_os_environ_with_them(self) -> None:
        env = self.proxy.env()
        self.assertIsNot(env, os.environ)
        self.assertEqual(env["PATH"], os.environ["PATH"])
        self.assertEqual(env["https_proxy"], self.proxy.url)

    def test_a_routed_loopback_name_is_proxied(self) -> None:
        self.proxy.host("localhost")
        self.assertEqual(self.proxy.env(base={"no_proxy": "github.com"})["no_proxy"],
                         "127.0.0.1,::1")

    def test_patch_env_sets_and_restores(self) -> None:
        os.environ["https_proxy"] = "http://before.example:3128"
        self.addCleanup(os.environ.pop, "https_proxy", None)
        os.environ.pop("NODE_EXTRA_CA_CERTS", None)
        with self.proxy.patch_env():
            self.assertEqual(os.environ["https_proxy"], self.proxy.url)
            self.assertEqual(os.environ["NODE_EXTRA_CA_CERTS"], self.proxy.ca_file)
        self.assertEqual(os.environ["https_proxy"], "http://before.example:3128")
        self.assertNotIn("NODE_EXTRA_CA_CERTS", os.environ)


class PassthroughTest(unittest.TestCase):
    """Spy mode, against local upstreams (this machine reaches no other)."""

    def start(self, *servers: Any) -> None:
        for server in servers:
            self.addCleanup(server.stop)
            server.start()

    def test_https_to_an_unrouted_host_reaches_it(self) -> None:
        upstream = AppRunner(echo_app, "127.0.0.1", tls=True)
        proxy = FakeProxy(passthrough=True, upstream_ssl_context=client_ssl_context())
        self.start(upstream, proxy)
        proxy.stub("GET", "https://faked.example/").respond(text="faked")
        connection = tunnel(proxy, "localhost", upstream.address[1])
        self.addCleanup(connection.close)
        connection.request("POST", "/echo?x=1", b"payload", {"X-Test": "yes"})
        response = connection.getresponse()
        self.assertEqual((response.status, response.read()), (200, b"payload"))
        self.assertEqual((response.headers["X-Path"], response.headers["X-Query"]), ("/echo", "x=1"))
        [request] = proxy.requests
        self.assertEqual(request.url, f"https://localhost:{upstream.address[1]}/echo?x=1")
        self.assertEqual((request.response.status, request.response.body), (200, b"payload"))
        self.assertEqual(proxy.unmatched, [])
        faked = tunnel(proxy, "faked.example")
        self.addCleanup(faked.close)
        self.assertEqual(fetch(faked, "/"), (200, b"faked"))

    def test_plain_http_and_an_unreachable_upstream(self) -> None:
        warnings = CapturedWarnings.during(self)
        upstream = AppRunner(echo_app)
        proxy = FakeProxy(passthrough=True)
        self.start(upstream, proxy)
        connection = plain(proxy)
        self.addCleanup(connection.close)
        self.assertEqual(fetch(connection, upstream.url + "/p", "PUT", b"data"), (200, b"data"))
        upstream.stop()
        status, body = fetch(connection, upstream.url + "/p")
        self.assertEqual(status, 502)
        self.assertRegex(body.decode(), rf"^502 Bad Gateway: could not reach {upstream.url}: ")
        self.assertTrue(warnings.wait_for(f"passthrough to {upstream.url} failed"))


class LifecycleTest(unittest.TestCase):
    def test_stop_is_prompt_with_tunnels_open(self) -> None:
        proxy = FakeProxy()
        proxy.start()
        proxy.stub("GET", "https://api.github.com/user").respond(text="ok")
        idle = tunnel(proxy, "api.github.com")
        self.addCleanup(idle.close)
        self.assertEqual(fetch(idle, "/user"), (200, b"ok"))  # a tunnel kept alive
        waiting, answer = raw_connect(proxy, "api.github.com:443")  # no TLS started
        self.addCleanup(waiting.close)
        self.assertEqual(status_of(answer), 200)
        half, _ = raw_connect(proxy, "plain.example:80")
        self.addCleanup(half.close)
        half.sendall(b"GET / HTTP/1.1\r\nHost: plain.exa")  # a request head cut short
        wait_for_server_threads(4)  # the accept loop and three connections
        ca_file = proxy.ca_file
        assert_stops_promptly(self, proxy)
        self.assertFalse(os.path.exists(ca_file))
        for sock in (waiting, half):
            self.assertEqual(sock.recv(1), b"")

    def test_nothing_leaks_after_20_cycles(self) -> None:
        context_files: list[str] = []

        def cycle() -> None:
            with FakeProxy() as proxy:
                proxy.stub("GET", "https://api.example/x").respond(text="x")
                connection = tunnel(proxy, "api.example")
                self.assertEqual(fetch(connection, "/x"), (200, b"x"))
                connection.close()
                context_files.append(proxy.ca_file)

        temporary = proxy_files()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert_nothing_left(self, cycle, 20)
            gc.collect()
        self.assertEqual([str(warning.message) for warning in caught], [])
        self.assertEqual(len(context_files), 21)
        self.assertFalse(any(os.path.exists(path) for path in context_files))
        self.assertEqual(proxy_files(), temporary)

    def test_the_ca_is_made_at_first_use_and_gone_after_stop(self) -> None:
        with FakeProxy() as proxy:
            self.assertIsNone(proxy._authority._ca)
            ca_file = proxy.ca_file
            self.assertTrue(os.path.exists(ca_file))
        self.assertFalse(os.path.exists(ca_file))
        with self.assertRaisesRegex(RuntimeError, "start a new FakeProxy"):
            proxy.ca_file
        self.assertRegex(repr(proxy), r"^<FakeProxy http://127\.0\.0\.1:\d+ stopped routes=\[\]>$")


if __name__ == "__main__":
    unittest.main()
