"""HTTPS: the bundled test CA, AppRunner(tls=True) and real TLS clients."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import unittest
import urllib.error
import urllib.request
from typing import Any, Callable

import fakeserver
from fakeserver import CA_FILE, AppRunner, client_ssl_context
from fakeserver.tls import CERT_FILE, KEY_FILE, server_ssl_context
from tests.support import (
    assert_nothing_left, assert_stops_promptly, CapturedWarnings, echo_app,
    import_extra, open_fd_count, read_until_closed, wait_for_server_threads,
)

#: Fail this long before the bundled certificates expire.
MIN_YEARS_LEFT = 20


def connection_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Answer with the URL scheme and the client's port, to tell connections apart."""
    body = "{} {}".format(environ["wsgi.url_scheme"], environ["REMOTE_PORT"]).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def years_left(cert: dict[str, Any]) -> float:
    """How many years until *cert* (as decoded by the ssl module) expires."""
    return (ssl.cert_time_to_seconds(cert["notAfter"]) - time.time()) / (365.25 * 86400)


class TLSTestCase(unittest.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.warnings = CapturedWarnings.during(self)

    def start(self, app: Any = connection_app, *, tls: bool = True, **kwargs: Any) -> AppRunner:
        """Start a server (HTTPS unless told otherwise), stopped after the test."""
        runner = AppRunner(app, tls=tls, **kwargs)
        runner.start()
        self.addCleanup(runner.stop)
        return runner

    def get(self, url: str, context: ssl.SSLContext | None = None) -> bytes:
        with urllib.request.urlopen(url, context=context or client_ssl_context()) as response:
            return response.read()

    def server_certificate(self) -> dict[str, Any]:
        """The certificate a TLS runner presents, as a trusting client decodes it."""
        runner = self.start()
        with socket.create_connection(runner.address) as plain:
            with client_ssl_context().wrap_socket(plain, server_hostname="localhost") as sock:
                return sock.getpeercert()

    def assert_refused_by_client(self, runner: AppRunner, context: ssl.SSLContext,
                                 server_hostname: str = "localhost") -> None:
        with socket.create_connection(runner.address) as sock:
            with self.assertRaises(ssl.SSLCertVerificationError):
                context.wrap_socket(sock, server_hostname=server_hostname).close()


class CertificateTest(TLSTestCase):
    def test_certificates_have_decades_left(self) -> None:
        (ca,) = client_ssl_context().get_ca_certs()
        for name, cert in [("CA_FILE", ca), ("CERT_FILE", self.server_certificate())]:
            self.assertGreater(
                years_left(cert), MIN_YEARS_LEFT,
                f"the bundled {name} expires on {cert['notAfter']}: "
                "run tools/make_certs.sh and commit fakeserver/certs/")

    def test_server_certificate_names_localhost_and_both_loopbacks(self) -> None:
        self.assertEqual(self.server_certificate()["subjectAltName"], (
            ("DNS", "localhost"), ("IP Address", "127.0.0.1"), ("IP Address", "0:0:0:0:0:0:0:1")))

    def test_strict_verification_accepts_them(self) -> None:
        # Python 3.13 sets VERIFY_X509_STRICT by default; check it everywhere.
        context = client_ssl_context()
        context.verify_flags |= ssl.VERIFY_X509_STRICT
        runner = self.start()
        self.assertTrue(self.get(runner.url, context).startswith(b"https "))

    def test_client_context_checks_host_names(self) -> None:
        context = client_ssl_context()
        self.assertTrue(context.check_hostname)
        self.assertEqual(context.verify_mode, ssl.CERT_REQUIRED)
        # Negative control: a name the certificate does not carry is refused.
        self.assert_refused_by_client(self.start(), context, server_hostname="example.com")

    def test_files_are_paths_to_pem(self) -> None:
        self.assertIs(fakeserver.CA_FILE, CA_FILE)
        for path in (CA_FILE, CERT_FILE, KEY_FILE):
            with open(path, encoding="ascii") as pem:
                self.assertTrue(pem.read().startswith("-----BEGIN "), path)


class HTTPSTest(TLSTestCase):
    def test_urllib_with_the_client_context(self) -> None:
        runner = self.start(echo_app)
        self.assertRegex(runner.url, r"^https://127\.0\.0\.1:\d+$")
        request = urllib.request.Request(runner.url + "/upload?x=1", data=b"secret")
        with urllib.request.urlopen(request, context=client_ssl_context()) as response:
            self.assertEqual(response.read(), b"secret")
            self.assertEqual(response.headers["X-Path"], "/upload")
        runner.stop()
        self.assertEqual(self.warnings.messages, [])

    def test_environ_says_https(self) -> None:
        runner = self.start()
        self.assertTrue(self.get(runner.url).startswith(b"https "))

    def test_plain_runner_is_unchanged(self) -> None:
        runner = self.start(tls=False)
        self.assertIsNone(runner.ssl_context)
        self.assertTrue(runner.url.startswith("http://"))
        with urllib.request.urlopen(runner.url) as response:
            self.assertTrue(response.read().startswith(b"http "))

    def test_http_client_keeps_one_tls_connection_alive(self) -> None:
        runner = self.start()
        connection = http.client.HTTPSConnection(
            "localhost", runner.address[1], context=client_ssl_context(), timeout=5)
        self.addCleanup(connection.close)
        answers, sockets = [], []
        for _ in range(3):
            connection.request("GET", "/")
            answers.append(connection.getresponse().read())
            sockets.append(connection.sock)
        self.assertEqual(len(set(answers)), 1, answers)  # the same client port each time
        self.assertTrue(answers[0].startswith(b"https "))
        self.assertIs(sockets[0], sockets[2])
        self.assertIsInstance(sockets[0], ssl.SSLSocket)

    def test_requests_with_verify_ca_file(self) -> None:
        requests = import_extra("requests")
        runner = self.start()
        with requests.Session() as session:
            response = session.get(runner.url + "/", verify=fakeserver.CA_FILE, timeout=5)
            self.assertEqual(response.status_code, 200)
            self.assertTrue(response.content.startswith(b"https "))
            with self.assertRaises(requests.exceptions.SSLError):
                session.get(runner.url + "/", timeout=5)  # the system CAs: not ours

    def test_untrusting_client_fails_and_the_server_keeps_serving(self) -> None:
        runner = self.start()
        untrusting = ssl.create_default_context()  # the system's CAs, not the test CA
        self.assert_refused_by_client(runner, untrusting)
        self.assertTrue(self.warnings.wait_for("TLS handshake with"), self.warnings.messages)
        self.assertTrue(self.get(runner.url).startswith(b"https "))

    def test_plain_http_to_the_tls_port_gets_an_answer_saying_so(self) -> None:
        runner = self.start()
        plain_url = "http://127.0.0.1:%d/" % runner.address[1]
        for _ in range(3):
            with self.assertRaises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(plain_url, timeout=5)
            with caught.exception as error:
                self.assertEqual(error.code, 400)
                self.assertEqual(error.read(), b"This port speaks HTTPS: use an https:// URL.\r\n\r\n")
        self.assertTrue(self.warnings.wait_for("plain HTTP from"), self.warnings.messages)
        self.assertTrue(self.get(runner.url).startswith(b"https "))

    def test_garbage_to_the_tls_port_fails_the_handshake(self) -> None:
        runner = self.start()
        with socket.create_connection(runner.address, timeout=5) as sock:
            sock.sendall(b"\x00\x01 not a TLS record\r\n")
            try:
                answer = read_until_closed(sock)
            except ConnectionResetError:  # closed with the bytes unread
                answer = b""
        self.assertEqual(answer, b"")
        self.assertTrue(self.warnings.wait_for("TLS handshake with"), self.warnings.messages)
        self.assertTrue(self.get(runner.url).startswith(b"https "))

    def test_sni_reaches_a_context_of_your_own(self) -> None:
        names: list[str | None] = []
        context = server_ssl_context()
        context.sni_callback = lambda sock, name, ctx: names.append(name)
        runner = self.start(ssl_context=context)
        self.assertIs(runner.ssl_context, context)
        self.assertTrue(runner.url.startswith("https://"))  # ssl_context implies TLS
        connection = http.client.HTTPSConnection(
            "localhost", runner.address[1], context=client_ssl_context(), timeout=5)
        self.addCleanup(connection.close)
        connection.request("GET", "/")
        self.assertTrue(connection.getresponse().read().startswith(b"https "))
        # Negative control: clients send no SNI for an IP address (RFC 6066).
        self.get(runner.url)
        self.assertEqual(names, ["localhost", None])

    def test_a_client_context_is_refused_before_binding(self) -> None:
        fds = open_fd_count()
        with self.assertRaisesRegex(ValueError, "server-side context"):
            AppRunner(ssl_context=client_ssl_context())
        self.assertEqual(open_fd_count(), fds)

    def test_ipv6_loopback(self) -> None:
        try:
            runner = self.start(host="::1")
        except OSError:
            self.skipTest("no IPv6 loopback")
        self.assertRegex(runner.url, r"^https://\[::1\]:\d+$")
        self.assertTrue(self.get(runner.url).startswith(b"https "))


class LifecycleTest(TLSTestCase):
    def test_stop_is_prompt_with_idle_and_handshakeless_clients(self) -> None:
        runner = AppRunner(connection_app, tls=True)
        runner.start()
        idle = http.client.HTTPSConnection(*runner.address, context=client_ssl_context())
        self.addCleanup(idle.close)
        idle.request("GET", "/")
        idle.getresponse().read()
        silent = socket.create_connection(runner.address)  # never sends a ClientHello
        self.addCleanup(silent.close)
        # Its handshake waits in its own thread, not in the accept loop.
        self.assertTrue(self.get(runner.url).startswith(b"https "))
        wait_for_server_threads(3)  # the accept loop and two connections
        assert_stops_promptly(self, runner)
        self.assertEqual(silent.recv(1), b"")
        self.assertEqual(self.warnings.messages, [])  # stopping is no handshake failure

    def test_no_thread_or_file_descriptor_left_after_many_cycles(self) -> None:
        untrusting = ssl.create_default_context()  # slow to make: once, not per cycle

        def cycle() -> None:
            with AppRunner(echo_app, tls=True) as runner:
                connection = http.client.HTTPSConnection(
                    *runner.address, context=client_ssl_context(), timeout=5)
                connection.request("POST", "/", body=b"abc")
                self.assertEqual(connection.getresponse().read(), b"abc")
                connection.close()
                self.assert_refused_by_client(runner, untrusting)

        assert_nothing_left(self, cycle, 30)


if __name__ == "__main__":
    unittest.main()
