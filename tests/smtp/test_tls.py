"""TLS for the SMTP server: STARTTLS, implicit TLS (SMTPS) and require_tls, with smtplib."""

from __future__ import annotations

import smtplib
import socket
import ssl
import unittest
from typing import Any

import fakeserver
from fakeserver import client_ssl_context
from fakeserver.smtp import SMTPServer, SMTPServerTestCase
from fakeserver.tls import server_ssl_context
from tests.support import (
    assert_nothing_left, assert_stops_promptly, CapturedWarnings, open_fd_count,
    wait_for_server_threads,
)
from tests.support.smtp import RawSMTPClient

TIMEOUT = 5.0
MESSAGE = b"Subject: hi\r\n\r\nhello\r\n"


class TLSServerTestCase(unittest.TestCase):
    """Each test gets its own servers, and the warnings they log."""

    def setUp(self) -> None:
        super().setUp()
        self.warnings = CapturedWarnings.during(self)

    def start(self, **options: Any) -> SMTPServer:
        server = SMTPServer(**options)
        server.start()
        self.addCleanup(server.stop)
        return server

    def smtp(self, server: SMTPServer) -> smtplib.SMTP:
        client = smtplib.SMTP(*server.address, local_hostname="client.example", timeout=TIMEOUT)
        self.addCleanup(client.close)
        return client

    def raw(self, server: SMTPServer, context: ssl.SSLContext | None = None) -> RawSMTPClient:
        client = RawSMTPClient(server.address, context, timeout=TIMEOUT)
        self.addCleanup(client.close)
        self.assertEqual(client.reply()[0], 220)
        return client

    def raw_after_starttls(self, server: SMTPServer) -> RawSMTPClient:
        client = self.raw(server)
        self.assertEqual(client.command("EHLO client.example")[0], 250)
        self.assertEqual(client.command("STARTTLS"), (220, ["Ready to start TLS"]))
        client.start_tls(client_ssl_context())
        return client


class StartTLSTest(TLSServerTestCase):

    def test_starttls_then_login_and_sendmail(self) -> None:
        server = self.start(starttls=True, users={"ann": "secret"})
        client = self.smtp(server)
        client.ehlo()
        self.assertTrue(client.has_extn("starttls"))
        self.assertEqual(client.starttls(context=client_ssl_context())[0], 220)
        client.ehlo()
        self.assertFalse(client.has_extn("starttls"))  # offered only in the clear
        self.assertIsInstance(client.sock, ssl.SSLSocket)
        client.login("ann", "secret")
        client.sendmail("ann@example.com", ["bob@example.com"], MESSAGE)
        [message] = server.messages
        self.assertTrue(message.tls)
        self.assertEqual((message.user, message.rcpt_tos), ("ann", ["bob@example.com"]))
        self.assertEqual(message.message["Subject"], "hi")
        self.assertEqual(self.warnings.messages, [])

    def test_without_starttls_the_message_says_so(self) -> None:
        server = self.start(starttls=True)
        self.smtp(server).sendmail("ann@example.com", ["bob@example.com"], MESSAGE)
        [message] = server.messages
        self.assertFalse(message.tls)

    def test_the_session_starts_over_after_the_handshake(self) -> None:
        server = self.start(starttls=True)
        client = self.raw(server)
        code, lines = client.command("EHLO client.example")
        self.assertIn("STARTTLS", lines)
        self.assertEqual(client.command("MAIL FROM:<ann@example.com>")[0], 250)
        self.assertEqual(client.command("STARTTLS")[0], 220)
        client.start_tls(client_ssl_context())
        # RFC 3207 4.2: the EHLO and the transaction from before are forgotten.
        self.assertEqual(client.command("RCPT TO:<bob@example.com>")[0], 503)
        self.assertEqual(client.command("MAIL FROM:<ann@example.com>"),
                         (503, ["Send EHLO or HELO first"]))
        code, lines = client.command("EHLO client.example")
        self.assertEqual(code, 250)
        self.assertNotIn("STARTTLS", lines)
        self.assertIn("AUTH PLAIN LOGIN", lines)

    def test_commands_pipelined_after_starttls_are_discarded(self) -> None:
        server = self.start(starttls=True)
        client = self.raw(server)
        self.assertEqual(client.command("EHLO client.example")[0], 250)
        # A man in the middle appends commands to the client's STARTTLS, in
        # the clear, hoping the server runs them inside the TLS session.
        client.sock.sendall(b"STARTTLS\r\nEHLO evil.example\r\nMAIL FROM:<evil@example.com>\r\n"
                            b"RCPT TO:<victim@example.com>\r\nDATA\r\nSubject: injected\r\n\r\n.\r\n")
        self.assertEqual(client.reply()[0], 220)
        client.start_tls(client_ssl_context())
        # Had they run, the next reply would answer the injected EHLO.
        self.assertEqual(client.command("NOOP"), (250, ["OK"]))
        self.assertEqual(client.command("RCPT TO:<bob@example.com>"), (503, ["Send MAIL first"]))
        self.assertEqual(client.command("QUIT")[0], 221)
        self.assertEqual(server.messages, [])
        self.assertTrue(self.warnings.wait_for("discarded"), self.warnings.messages)

    def test_starttls_errors(self) -> None:
        for options, command, expected in [
                ({}, "STARTTLS", 502),                          # not offered
                ({"starttls": True}, "STARTTLS now", 501),      # no parameters allowed
                ({"tls": True}, "STARTTLS", 503)]:              # already TLS
            with self.subTest(options=options, command=command):
                server = self.start(**options)
                client = self.raw(server, client_ssl_context() if server.tls else None)
                self.assertEqual(client.command("EHLO client.example")[0], 250)
                self.assertEqual(client.command(command)[0], expected)
                self.assertEqual(client.command("NOOP")[0], 250)  # still in step

    def test_starttls_twice_gets_503(self) -> None:
        client = self.raw_after_starttls(self.start(starttls=True))
        self.assertEqual(client.command("EHLO client.example")[0], 250)
        self.assertEqual(client.command("STARTTLS"), (503, ["TLS already active"]))

    def test_refusing_starttls_as_configured(self) -> None:
        server = self.start(starttls=True, fail_with={"STARTTLS": (454, "TLS not available")})
        client = self.smtp(server)
        with self.assertRaises(smtplib.SMTPResponseException) as caught:
            client.starttls(context=client_ssl_context())
        self.assertEqual(caught.exception.smtp_code, 454)
        client.sendmail("ann@example.com", ["bob@example.com"], MESSAGE)  # in the clear
        self.assertFalse(server.messages[0].tls)

    def test_untrusting_client_fails_and_the_server_keeps_serving(self) -> None:
        server = self.start(starttls=True)
        client = self.smtp(server)
        with self.assertRaises(ssl.SSLCertVerificationError):
            client.starttls(context=ssl.create_default_context())  # not the test CA
        self.assertTrue(self.warnings.wait_for("TLS handshake with"), self.warnings.messages)
        trusting = self.smtp(server)
        trusting.starttls(context=client_ssl_context())
        trusting.sendmail("ann@example.com", ["bob@example.com"], MESSAGE)
        self.assertTrue(server.messages[0].tls)

    def test_a_context_of_your_own(self) -> None:
        names: list[str | None] = []
        context = server_ssl_context()
        context.sni_callback = lambda sock, name, ctx: names.append(name)
        server = self.start(starttls=True, ssl_context=context)
        self.assertIs(server.ssl_context, context)
        client = smtplib.SMTP("localhost", server.address[1], timeout=TIMEOUT)
        self.addCleanup(client.close)
        client.starttls(context=client_ssl_context())
        self.assertEqual(client.noop()[0], 250)
        self.assertEqual(names, ["localhost"])

    def test_inconsistent_options_are_refused_before_binding(self) -> None:
        fds = open_fd_count()
        for options in [{"starttls": True, "tls": True},
                        {"ssl_context": server_ssl_context()},
                        {"starttls": True, "ssl_context": client_ssl_context()},
                        {"require_tls": True}]:
            with self.subTest(options=options), self.assertRaises(ValueError):
                SMTPServer(**options)
        self.assertEqual(open_fd_count(), fds)
        with self.assertRaises(ValueError):
            self.start().require_tls = True
        self.assertIsNone(self.start().ssl_context)


class RequireTLSTest(TLSServerTestCase):

    def test_mail_and_auth_wait_for_starttls(self) -> None:
        server = self.start(starttls=True, require_tls=True, users={"ann": "secret"})
        client = self.raw(server)
        code, lines = client.command("EHLO client.example")
        self.assertNotIn("AUTH PLAIN LOGIN", lines)  # no credentials in the clear
        for command in ("MAIL FROM:<ann@example.com>", "AUTH PLAIN AGFubgBzZWNyZXQ="):
            self.assertEqual(client.command(command), (530, ["Must issue a STARTTLS command first"]))
        self.assertEqual(server.messages, [])

    def test_smtplib_upgrades_then_logs_in(self) -> None:
        server = self.start(starttls=True, require_tls=True, users={"ann": "secret"})
        client = self.smtp(server)
        with self.assertRaises(smtplib.SMTPNotSupportedError):
            client.login("ann", "secret")  # AUTH is not advertised before STARTTLS
        with self.assertRaises(smtplib.SMTPSenderRefused) as caught:
            client.sendmail("ann@example.com", ["bob@example.com"], MESSAGE)
        self.assertEqual(caught.exception.smtp_code, 530)
        client.starttls(context=client_ssl_context())
        client.login("ann", "secret")
        client.sendmail("ann@example.com", ["bob@example.com"], MESSAGE)
        self.assertTrue(server.messages[0].tls)

    def test_implicit_tls_satisfies_it(self) -> None:
        server = self.start(tls=True, require_tls=True)
        with smtplib.SMTP_SSL(*server.address, context=client_ssl_context(),
                              timeout=TIMEOUT) as client:
            client.sendmail("ann@example.com", ["bob@example.com"], MESSAGE)
        self.assertTrue(server.messages[0].tls)


class ImplicitTLSTest(TLSServerTestCase):

    def test_smtp_ssl_login_and_sendmail(self) -> None:
        server = self.start(tls=True, users={"ann": "secret"})
        self.assertTrue(server.tls)
        self.assertFalse(server.starttls)
        with smtplib.SMTP_SSL("localhost", server.address[1], context=client_ssl_context(),
                              timeout=TIMEOUT) as client:
            client.ehlo()
            self.assertFalse(client.has_extn("starttls"))
            client.login("ann", "secret")
            client.sendmail("ann@example.com", ["bob@example.com"], MESSAGE)
        [message] = server.messages
        self.assertTrue(message.tls)
        self.assertEqual(message.user, "ann")
        self.assertEqual(self.warnings.messages, [])

    def test_untrusting_client_fails_and_the_server_keeps_serving(self) -> None:
        server = self.start(tls=True)
        with self.assertRaises(ssl.SSLCertVerificationError):
            smtplib.SMTP_SSL(*server.address, context=ssl.create_default_context(),
                             timeout=TIMEOUT)
        self.assertTrue(self.warnings.wait_for("TLS handshake with"), self.warnings.messages)
        with smtplib.SMTP_SSL(*server.address, context=client_ssl_context(),
                              timeout=TIMEOUT) as client:
            self.assertEqual(client.noop()[0], 250)

    def test_plaintext_to_the_tls_port(self) -> None:
        server = self.start(tls=True)
        with socket.create_connection(server.address, timeout=TIMEOUT) as sock:
            sock.sendall(b"EHLO client.example\r\n")
            try:
                answer = sock.recv(4096)
            except ConnectionResetError:
                answer = b""
        self.assertFalse(answer.startswith(b"2"), answer)  # no SMTP reply in the clear
        self.assertTrue(self.warnings.wait_for("TLS handshake with"), self.warnings.messages)


class LifecycleTest(TLSServerTestCase):

    def test_stop_is_prompt_with_idle_tls_clients(self) -> None:
        server = SMTPServer(starttls=True)
        server.start()
        upgraded = self.raw_after_starttls(server)
        self.assertEqual(upgraded.command("EHLO client.example")[0], 250)
        stalled = self.raw(server)  # asks for TLS, then never handshakes
        self.assertEqual(stalled.command("STARTTLS")[0], 220)
        implicit = SMTPServer(tls=True)
        implicit.start()
        silent = socket.create_connection(implicit.address)  # never sends a ClientHello
        self.addCleanup(silent.close)
        wait_for_server_threads(5)  # two accept loops and three connections
        assert_stops_promptly(self, server, implicit)
        self.assertEqual(silent.recv(1), b"")
        self.assertEqual(self.warnings.messages, [])  # stopping is no handshake failure

    def test_no_thread_or_file_descriptor_left_after_many_cycles(self) -> None:
        untrusting = ssl.create_default_context()  # slow to make: once, not per cycle

        def cycle() -> None:
            with SMTPServer(starttls=True) as server, SMTPServer(tls=True) as implicit:
                with smtplib.SMTP(*server.address, timeout=TIMEOUT) as client:
                    client.starttls(context=client_ssl_context())
                    client.sendmail("ann@example.com", ["bob@example.com"], MESSAGE)
                with smtplib.SMTP_SSL(*implicit.address, context=client_ssl_context(),
                                      timeout=TIMEOUT) as client:
                    client.sendmail("ann@example.com", ["bob@example.com"], MESSAGE)
                with self.assertRaises(ssl.SSLCertVerificationError):
                    smtplib.SMTP_SSL(*implicit.address, context=untrusting, timeout=TIMEOUT)
                self.assertEqual(len(server.messages) + len(implicit.messages), 2)

        assert_nothing_left(self, cycle, 20)


def send_over_starttls(host: str, port: int, ca_file: str) -> None:
    """Code under test: a mailer that upgrades to TLS, trusting *ca_file*."""
    context = ssl.create_default_context(cafile=ca_file)
    with smtplib.SMTP(host, port, timeout=TIMEOUT) as client:
        client.starttls(context=context)
        client.sendmail("ann@example.com", ["bob@example.com"], MESSAGE)


class StartTLSMixinTest(SMTPServerTestCase, unittest.TestCase):
    smtp_starttls = True
    smtp_require_tls = True

    def test_mail_arrives_over_tls(self) -> None:
        self.assertEqual(self.smtp_ca_file, fakeserver.CA_FILE)
        send_over_starttls(self.smtp_host, self.smtp_port, self.smtp_ca_file)
        self.assertMailSent(to="bob@example.com", subject="hi")
        self.assertTrue(self.outbox[0].tls)

    def test_a_mailer_that_does_not_upgrade_is_refused(self) -> None:
        with smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=TIMEOUT) as client:
            with self.assertRaises(smtplib.SMTPSenderRefused):
                client.sendmail("ann@example.com", ["bob@example.com"], MESSAGE)
        self.assertNoMailSent()

    def test_require_tls_is_put_back_after_a_test_changes_it(self) -> None:
        self.assertTrue(self.smtp_server.require_tls)
        self.smtp_server.require_tls = False  # the next test still sees True


class ImplicitTLSMixinTest(SMTPServerTestCase, unittest.TestCase):
    smtp_tls = True

    def test_mail_arrives_over_tls(self) -> None:
        context = ssl.create_default_context(cafile=self.smtp_ca_file)
        with smtplib.SMTP_SSL(self.smtp_host, self.smtp_port, context=context,
                              timeout=TIMEOUT) as client:
            client.sendmail("ann@example.com", ["bob@example.com"], MESSAGE)
        self.assertMailSent(to="bob@example.com")
        self.assertTrue(self.outbox[0].tls)


if __name__ == "__main__":
    unittest.main()
