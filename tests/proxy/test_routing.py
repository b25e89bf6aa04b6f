"""Which app answers for which host: routes, stubs with full URLs, the 502, and spy mode.
"""

from __future__ import annotations

import json
import os
import tempfile
import unittest
from typing import Any

from fakeserver import AppRunner
from fakeserver._upstream.forwarding import UpstreamError
from fakeserver.proxy import FakeProxy
from tests.proxy.support import ProxyTestCase, fetch, plain, tunnel
from tests.support import CapturedWarnings, echo_app, failing_app
from tests.support.upstreams import describe_app, serve, unused_port


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

    def test_unmatched_requests_of_every_host_oldest_first_until_a_reset(self) -> None:
        self.proxy.stub("GET", "https://api.github.com/users").respond(200)
        github = self.connection(tunnel(self.proxy, "api.github.com"))
        self.assertEqual(fetch(github, "/user")[0], 404)
        self.assertEqual(fetch(self.connection(plain(self.proxy)), "http://evil.example/")[0], 502)
        self.assertEqual(fetch(github, "/user?again")[0], 404)
        self.assertEqual([r.url for r in self.proxy.unmatched],
                         ["https://api.github.com/user", "http://evil.example/",
                          "https://api.github.com/user?again"])
        self.proxy.routes.reset(keep=self.proxy.routes.save())
        self.assertEqual(self.proxy.unmatched, [])
        self.assertEqual([(host, stub.label) for host, stub in self.proxy.routes.stubs()],
                         [("api.github.com", ("GET", "/users"))])
        self.proxy.routes.reset()
        self.assertEqual(self.proxy.routes.names, [])

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
        for url in ("https://ann@api.github.com/user", "https://api.github.com:0/user"):
            with self.assertRaisesRegex(ValueError, rf"^expected a full URL such as "
                                                    rf"'https://api.github.com/user', not '{url}'$"):
                self.proxy.stub("GET", url)
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

    def test_a_stub_file_declares_nothing_if_a_host_is_routed_to_an_app(self) -> None:
        self.proxy.route("pypi.org", echo_app)
        path = self.write_json([{"request": {"path": "https://api.github.com/user"}},
                                {"request": {"path": "https://pypi.org/simple/"}}])
        with self.assertRaisesRegex(TypeError, r"^pypi.org is routed to <function echo_app"):
            self.proxy.load_stubs(path)
        self.assertEqual(self.proxy.routes.stubs(), [])

    def write_json(self, document: Any) -> str:
        descriptor, path = tempfile.mkstemp(suffix=".json")
        self.addCleanup(os.remove, path)
        with os.fdopen(descriptor, "w") as file:
            json.dump(document, file)
        return path


class PassthroughTest(unittest.TestCase):
    """Spy mode, against local upstreams (this machine reaches no other; the bundled CA,
    which the forwarding trusts beside the system's, vouches for ``localhost``)."""

    def start(self, *servers: Any) -> None:
        for server in servers:
            self.addCleanup(server.stop)
            server.start()

    def test_https_to_an_unrouted_host_reaches_it(self) -> None:
        upstream = AppRunner(echo_app, "127.0.0.1", tls=True)
        proxy = FakeProxy(passthrough=True)
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
        self.assertRegex(body.decode(),
                         rf"^502 Bad Gateway: cannot reach upstream {upstream.url}: ")
        self.assertTrue(warnings.wait_for(f"GET /p: cannot reach upstream {upstream.url}"))

    def test_forwarding_keeps_connections_alive_and_drops_hop_by_hop_fields(self) -> None:
        upstream = serve(self, describe_app, tls=True, record=True)
        proxy = FakeProxy(passthrough=True)
        self.start(proxy)
        connection = tunnel(proxy, "localhost", upstream.address[1])
        self.addCleanup(connection.close)
        for _ in range(2):
            connection.request("GET", "/x", headers={"Connection": "X-Private", "X-Private": "1"})
            response = connection.getresponse()
            self.assertEqual((response.status, response.read()[:1]), (200, b"{"))
        first, second = upstream.app.requests  # type: ignore[attr-defined]
        self.assertEqual(first.client_address, second.client_address)
        self.assertEqual((first.headers.get("X-Private"), first.headers.get("Connection")),
                         (None, None))

    def test_an_unreachable_host_is_a_502_naming_it_with_the_error_recorded(self) -> None:
        port = unused_port()
        proxy = FakeProxy(passthrough=True)
        self.start(proxy)
        connection = tunnel(proxy, "localhost", port)
        self.addCleanup(connection.close)
        with self.assertLogs("fakeserver", "WARNING"):
            status, body = fetch(connection, "/x")
        self.assertEqual(status, 502)
        [request] = proxy.requests
        self.assertIsInstance(request.error, UpstreamError)
        self.assertIsInstance(request.error.__cause__, ConnectionRefusedError)
        self.assertTrue(str(request.error).startswith(
            f"cannot reach upstream https://localhost:{port}: "), request.error)
        self.assertEqual(body.decode(), f"502 Bad Gateway: {request.error}\n")
        self.assertEqual((proxy.unmatched, proxy.errors), ([], []))


if __name__ == "__main__":
    unittest.main()
