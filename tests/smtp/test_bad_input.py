"""The SMTP server against hostile input: smuggled messages, recipient floods, control
characters, settings that would forge replies, charsets nobody knows."""

from __future__ import annotations

import smtplib
import unittest

from fakeserver._matching import ReportStyle
from fakeserver.smtp import SMTPServer
from fakeserver.smtp.checks import mail_sent
from tests.cli import test_cli
from tests.smtp import test_server
from tests.support.smtp import RawSMTPClient

SMUGGLED = (b"MAIL FROM:<mallory@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n"
            b"Subject: smuggled\r\n\r\nSent by nobody.\r\n")


class SmugglingTest(test_server.ServerTestCase):
    """Only <CRLF>.<CRLF> ends the data: nothing after a look-alike runs as a command."""

    def send_data(self, data: bytes) -> RawSMTPClient:
        client = self.raw()
        self.start_transaction(client)
        self.assertEqual(client.code("DATA"), 354)
        client.send(data)
        return client

    def test_a_look_alike_end_of_data_smuggles_nothing(self) -> None:
        for look_alike in (b"\n.\r\n", b"\r\n.\n", b"\n.\n", b"\r.\r\n", b"\r\n.\r", b"\r.\r"):
            with self.subTest(look_alike=look_alike):
                self.server.clear()
                client = self.send_data(b"Subject: one\r\n\r\nbody" + look_alike + SMUGGLED
                                        + b".\r\n")
                self.assertEqual(client.reply(), (250, ["OK: message accepted"]))
                self.assertEqual(client.code("QUIT"), 221)  # not the 250 of a smuggled MAIL
                [message] = self.server.messages
                self.assertEqual((message.mail_from, message.rcpt_tos),
                                 ("ann@example.com", ["bob@example.com"]))
                self.assertIn(SMUGGLED, message.data)
                self.assertEqual(message.message["Subject"], "one")

    def test_a_dot_after_a_bare_lf_is_content_not_transparency(self) -> None:
        client = self.send_data(b"Subject: dots\r\n\r\na\n..b\r\n..c\r\n.\r\n")
        self.assertEqual(client.reply()[0], 250)
        self.assertEqual(self.server.messages[0].data, b"Subject: dots\r\n\r\na\n..b\r\n.c\r\n")

    def test_an_over_long_line_ends_as_it_was_sent(self) -> None:
        # A dropped line ending with a bare LF: the ".\r\n" after it is content.
        client = self.send_data(b"x" * 5000 + b"\n.\r\n" + SMUGGLED + b".\r\n")
        self.assertEqual(client.reply(), (500, ["Line too long (the limit is 1000 octets)"]))
        self.assertEqual(client.code("QUIT"), 221)
        # One ending with CRLF, its LF in a later packet: the ".\r\n" after it ends the data.
        client = self.send_data(b"x" * 5000 + b"\r")
        client.send(b"\n.\r\n")
        self.assertEqual(client.reply()[0], 500)
        self.assertEqual(client.code("NOOP"), 250)
        self.assertEqual(self.server.messages, [])


class LimitsTest(test_server.ServerTestCase):
    def test_at_most_1000_recipients(self) -> None:
        client = self.raw()
        self.assertEqual(client.code("MAIL FROM:<ann@example.com>"), 250)
        client.send(b"".join(b"RCPT TO:<r%d@example.com>\r\n" % i for i in range(1001)))
        replies = [client.reply() for _ in range(1001)]
        self.assertEqual(replies[:1000], [(250, ["OK"])] * 1000)
        self.assertEqual(replies[1000], (452, ["Too many recipients (the limit is 1000)"]))
        self.assertEqual(client.code("DATA"), 354)
        self.assertEqual(client.code("Subject: many\r\n\r\nhi\r\n."), 250)
        [message] = self.server.messages
        self.assertEqual((len(message.rcpt_tos), message.rcpt_tos[-1]), (1000, "r999@example.com"))

    def test_control_characters_in_a_command_get_501(self) -> None:
        client = self.raw()
        refused = (501, ["Syntax error: control characters are not allowed"])
        self.assertEqual(client.command(b"MAIL FROM:<ann\x00@example.com>"), refused)
        self.assertEqual(client.code("MAIL FROM:<ann@example.com>"), 250)
        for address in (b"bob\r@example.com", b"bob\x00@example.com", b"bob@example.com\x1b[2J"):
            with self.subTest(address=address):
                self.assertEqual(client.command(b"RCPT TO:<" + address + b">"), refused)
        self.assertEqual(client.command(b"EHLO client\r250 forged"), refused)
        self.assertEqual(client.code("DATA"), 503)  # no recipient was taken
        self.assertEqual(client.code("RCPT TO:<bob@example.com>\t"), 250)  # HTAB is whitespace

    def test_texts_that_would_forge_a_reply_are_refused_when_configured(self) -> None:
        with self.assertRaisesRegex(ValueError, r"^hostname must not contain CR, LF or NUL: "
                                                r"'mx\\r\\n250 forged'$"):
            SMTPServer(hostname="mx\r\n250 forged")
        with self.assertRaisesRegex(ValueError, r"^refusal text for 'MAIL' must not contain CR, "
                                                r"LF or NUL: 'try\\nlater'$"):
            SMTPServer(fail_with={"MAIL": (451, "try\nlater")})
        for name in ("mx\n", "mx\r", "mx\x00"):
            with self.subTest(hostname=name), self.assertRaises(ValueError):
                self.server.hostname = name
        with self.assertRaises(ValueError):
            self.server.fail_with = {"RCPT": (550, "no\r\n250 OK")}
        self.assertEqual((self.server.hostname, self.server.fail_with), ("localhost", {}))
        self.server.hostname = "mx.example"
        self.assertEqual(self.raw(ehlo=False).command("EHLO client"),
                         (250, ["mx.example Hello client", "8BITMIME", "SMTPUTF8", "SIZE",
                                "PIPELINING", "AUTH PLAIN LOGIN"]))


class UnknownCharsetTest(test_server.ServerTestCase):
    def send(self, charset: bytes) -> None:
        client = self.raw()
        self.start_transaction(client)
        self.assertEqual(client.code("DATA"), 354)
        self.assertEqual(client.code(
            b"Subject: =?" + charset + b"?q?Hello?=\r\nContent-Type: text/plain; charset=\""
            + charset + b"\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncaf\xc3\xa9 \xff\r\n."), 250)

    def test_a_message_in_an_unknown_charset_is_accepted_and_reads_as_utf8(self) -> None:
        # The email package decodes a header's encoded word in an unknown charset as
        # ASCII, and leaves one it cannot decode at all ("undefined") as it was.
        hello = "'Hello'         subject 'Hello' != 'Bye'"
        for charset, subject, closest in (
                (b"x-unknown", "Hello", hello), (b"rot13", "Hello", hello),
                (b"undefined", "=?undefined?q?Hello?=",
                 "'=?undefined?q?Hello?='  subject '=?undefined?q?Hello?=' != 'Bye'"),
                (b"utf-8\x00", "=?utf-8\x00?q?Hello?=",
                 "'=?utf-8\\x00?q?Hello?='  subject '=?utf-8\\x00?q?Hello?=' != 'Bye'")):
            with self.subTest(charset=charset):
                self.server.clear()
                self.send(charset)
                [received] = self.server.messages
                self.assertIn("mail_from='ann@example.com'", repr(received))
                message = received.message
                self.assertEqual(message["Subject"], subject)
                self.assertEqual(message.get_content(), "caf\u00e9 \ufffd\n")
                self.assertEqual(message.get_body().get_content(), "caf\u00e9 \ufffd\n")
                self.assertTrue(str(message).endswith("\n\ncaf\u00e9 \ufffd\n"), str(message))
                self.assertEqual(message.as_bytes(), received.data.replace(b"\r\n", b"\n"))
                _, report = mail_sent(self.server.messages, subject="Bye",
                                      style=ReportStyle(10, "hint"))
                self.assertEqual(report, (
                    "Expected a message with subject 'Bye'; 0 of 1 sent message match.\n"
                    "Closest sent messages:\n"
                    f"  ann@example.com -> bob@example.com {closest}"))

    def test_known_charsets_read_as_before(self) -> None:
        client = self.raw()
        self.start_transaction(client)
        self.assertEqual(client.code("DATA"), 354)
        self.assertEqual(client.code(b"Content-Type: text/plain; charset=latin-1\r\n"
                                     b"Content-Transfer-Encoding: 8bit\r\n\r\ncaf\xe9\r\n."), 250)
        self.assertEqual(self.server.messages[0].message.get_content(), "caf\u00e9\n")


class CommandLineTest(unittest.TestCase):
    def test_a_message_in_an_unknown_charset_is_accepted_and_printed(self) -> None:
        cli = test_cli.CLI(self, "--smtp", "--port", "0")
        _, host, port = cli.serving()
        with smtplib.SMTP(host, port, timeout=test_cli.TIMEOUT) as client:
            refused = client.sendmail("ann@example.com", ["bob@example.com"],
                                      b"Subject: hi\r\nContent-Type: text/plain; charset=x-unknown"
                                      b"\r\n\r\ncaf\xc3\xa9\r\n")
        self.assertEqual(refused, {})
        block = cli.lines_until("text/plain:")
        self.assertIn("x-unknown", block[-2])
        self.assertTrue(cli.line().startswith("    caf"))
        self.assertEqual(cli.stop(), 0)


if __name__ == "__main__":
    unittest.main()
