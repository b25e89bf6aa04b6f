"""The SMTP server against smtplib, and against a raw socket for what smtplib will not send."""

from __future__ import annotations

import base64
import os
import smtplib
import threading
import time
import unittest
from email.message import EmailMessage

from fakeserver.smtp import ReceivedMessage, SMTPServer
from tests.support.smtp import RawSMTPClient

TIMEOUT = 5.0


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


class ServerTestCase(unittest.TestCase):
    """Each test gets a fresh server; clients made here close before it stops."""

    server_options: dict = {}

    def setUp(self) -> None:
        super().setUp()
        self.server = SMTPServer(**self.server_options)
        self.server.start()
        self.addCleanup(self.server.stop)

    def smtp(self) -> smtplib.SMTP:
        client = smtplib.SMTP(*self.server.address, timeout=TIMEOUT)
        self.addCleanup(client.close)
        return client

    def raw(self, ehlo: bool = True) -> RawSMTPClient:
        client = RawSMTPClient(self.server.address, timeout=TIMEOUT)
        self.addCleanup(client.close)
        self.assertEqual(client.reply()[0], 220)
        if ehlo:
            self.assertEqual(client.code("EHLO client.example"), 250)
        return client

    def start_transaction(self, client: RawSMTPClient, *params: str) -> None:
        self.assertEqual(client.code(" ".join(("MAIL FROM:<ann@example.com>",) + params)), 250)
        self.assertEqual(client.code("RCPT TO:<bob@example.com>"), 250)


class SendingTest(ServerTestCase):

    def test_sendmail_records_envelope_data_and_parsed_message(self) -> None:
        client = self.smtp()
        before = time.time()
        refused = client.sendmail("ann@example.com", ["bob@example.com"],
                                  b"Subject: hello\r\n\r\nHi Bob.\r\n")
        self.assertEqual(refused, {})
        [message] = self.server.messages
        self.assertIsInstance(message, ReceivedMessage)
        self.assertEqual(message.mail_from, "ann@example.com")
        self.assertEqual(message.rcpt_tos, ["bob@example.com"])
        self.assertEqual(message.data, b"Subject: hello\r\n\r\nHi Bob.\r\n")
        self.assertEqual(message.message["Subject"], "hello")
        self.assertEqual(message.message.get_content(), "Hi Bob.\n")
        self.assertLessEqual(before, message.time)
        self.assertLessEqual(message.time, time.time())
        self.assertEqual(message.peer, client.sock.getsockname())
        self.assertIsNone(message.user)
        self.assertEqual(message.mail_options, [f"size={len(message.data)}"])

    def test_send_message_with_several_recipients(self) -> None:
        email = EmailMessage()
        email["From"] = "ann@example.com"
        email["To"] = "bob@example.com, cy@example.com"
        email["Cc"] = "dee@example.com"
        email["Subject"] = "minutes"
        email.set_content("See attached.\n")
        self.smtp().send_message(email)
        [message] = self.server.messages
        self.assertEqual(message.rcpt_tos, ["bob@example.com", "cy@example.com", "dee@example.com"])
        self.assertEqual(message.message["Cc"], "dee@example.com")
        self.assertEqual(message.message.get_content(), "See attached.\n")

    def test_8bit_body_with_8bitmime(self) -> None:
        email = EmailMessage()
        email["Subject"] = "café"
        email.set_content("Crème brûlée\n", cte="8bit")
        self.smtp().send_message(email, "ann@example.com", ["bob@example.com"],
                                 mail_options=["BODY=8BITMIME"])
        [message] = self.server.messages
        self.assertIn("BODY=8BITMIME", message.mail_options)
        self.assertIn("Crème brûlée".encode("utf-8"), message.data)
        self.assertEqual(message.message["Subject"], "café")
        self.assertEqual(message.message.get_content(), "Crème brûlée\n")

    def test_utf8_addresses_and_headers_with_smtputf8(self) -> None:
        email = EmailMessage()
        email["From"] = "Zoë <zoë@example.com>"
        email["To"] = "Jürgen <jürgen@example.com>"
        email["Subject"] = "Grüße"
        email.set_content("Hallo\n")
        self.smtp().send_message(email)  # smtplib adds SMTPUTF8 for the addresses
        [message] = self.server.messages
        self.assertEqual(message.mail_from, "zoë@example.com")
        self.assertEqual(message.rcpt_tos, ["jürgen@example.com"])
        self.assertIn("SMTPUTF8", message.mail_options)
        self.assertEqual(message.message["Subject"], "Grüße")
        self.assertEqual(str(message.message["From"]), "Zoë <zoë@example.com>")

    def test_sendmail_with_smtputf8_mail_option(self) -> None:
        client = self.smtp()
        client.sendmail("zoë@example.com", ["bob@example.com"],
                        "Subject: Grüße\r\n\r\nHallo\r\n".encode("utf-8"),
                        mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        [message] = self.server.messages
        self.assertEqual(message.mail_from, "zoë@example.com")
        self.assertEqual(message.message["Subject"], "Grüße")

    def test_binary_attachment(self) -> None:
        payload = bytes(range(256)) * 40
        email = EmailMessage()
        email["Subject"] = "report"
        email.set_content("The report is attached.\n")
        email.add_attachment(payload, maintype="application", subtype="octet-stream",
                             filename="report.bin")
        self.smtp().send_message(email, "ann@example.com", ["bob@example.com"])
        [message] = self.server.messages
        [attachment] = message.message.iter_attachments()
        self.assertEqual(attachment.get_filename(), "report.bin")
        self.assertEqual(attachment.get_content(), payload)

    def test_dot_stuffed_lines_are_unstuffed(self) -> None:
        body = b".leading dot\r\n..two dots\r\n.\r\nlast\r\n"
        self.smtp().sendmail("ann@example.com", ["bob@example.com"], b"\r\n" + body)
        client = self.raw()
        self.start_transaction(client)
        self.assertEqual(client.code("DATA"), 354)
        self.assertEqual(client.code(b"\r\n..leading dot\r\n...two dots\r\n..\r\nlast\r\n."), 250)
        self.assertEqual([m.data for m in self.server.messages], [b"\r\n" + body] * 2)

    def test_only_crlf_dot_crlf_ends_the_data(self) -> None:
        client = self.raw()
        self.start_transaction(client)
        self.assertEqual(client.code("DATA"), 354)
        self.assertEqual(client.code(b"\r\none\n.\ntwo\r\n."), 250)
        self.assertEqual(self.server.messages[0].data, b"\r\none\n\ntwo\r\n")

    def test_null_reverse_path(self) -> None:
        self.smtp().sendmail("", ["bob@example.com"], b"\r\nbounce\r\n")
        self.assertEqual(self.server.messages[0].mail_from, "")

    def test_messages_is_a_copy_and_clear_empties_it(self) -> None:
        client = self.smtp()
        client.sendmail("ann@example.com", ["bob@example.com"], b"\r\none\r\n")
        self.server.messages.clear()
        self.assertEqual(len(self.server.messages), 1)
        self.server.clear()
        self.assertEqual(self.server.messages, [])
        client.sendmail("ann@example.com", ["bob@example.com"], b"\r\ntwo\r\n")
        self.assertEqual([m.data for m in self.server.messages], [b"\r\ntwo\r\n"])

    def test_helo_session_without_extensions(self) -> None:
        client = self.smtp()
        self.assertEqual(client.helo("client.example")[0], 250)
        client.sendmail("ann@example.com", ["bob@example.com"], b"\r\nplain\r\n")
        self.assertEqual(len(self.server.messages), 1)

    def test_vrfy_help_noop_rset(self) -> None:
        client = self.smtp()
        client.ehlo()
        self.assertEqual(client.verify("bob@example.com")[0], 252)
        self.assertIn(b"MAIL", client.help())
        self.assertEqual(client.noop()[0], 250)
        self.assertEqual(client.mail("ann@example.com")[0], 250)
        self.assertEqual(client.rset()[0], 250)
        with self.assertLogs("fakeserver", "WARNING"):
            self.assertEqual(client.rcpt("bob@example.com")[0], 503)  # RSET ended the transaction

    def test_pipelined_commands_are_answered_in_order(self) -> None:
        client = self.raw(ehlo=False)
        client.send(b"EHLO client.example\r\nMAIL FROM:<ann@example.com>\r\n"
                    b"RCPT TO:<bob@example.com>\r\nRCPT TO:<cy@example.com>\r\nDATA\r\n"
                    b"Subject: piped\r\n\r\nbody\r\n.\r\nNOOP\r\nQUIT\r\n")
        codes = [client.reply()[0] for _ in range(7)]
        self.assertEqual(codes, [250, 250, 250, 250, 354, 250, 250])
        self.assertEqual(client.reply()[0], 221)
        self.assertIsNone(client.reply())
        [message] = self.server.messages
        self.assertEqual(message.rcpt_tos, ["bob@example.com", "cy@example.com"])
        self.assertEqual(message.message["Subject"], "piped")

    def test_many_clients_at_once(self) -> None:
        errors: list[BaseException] = []

        def send(n: int) -> None:
            try:
                with smtplib.SMTP(*self.server.address, timeout=TIMEOUT) as client:
                    for i in range(5):
                        client.sendmail(f"sender{n}@example.com", ["bob@example.com"],
                                        f"Subject: {n}-{i}\r\n\r\nbody\r\n".encode("ascii"))
            except BaseException as error:  # reported in the test thread below
                errors.append(error)

        threads = [threading.Thread(target=send, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        subjects = sorted(m.message["Subject"] for m in self.server.messages)
        self.assertEqual(subjects, sorted(f"{n}-{i}" for n in range(20) for i in range(5)))


class AuthTest(ServerTestCase):

    server_options = {"users": {"ann": "secret"}}

    def test_plain_with_initial_response(self) -> None:
        client = self.smtp()
        client.ehlo()
        client.user, client.password = "ann", "secret"
        self.assertEqual(client.auth("PLAIN", client.auth_plain)[0], 235)
        client.sendmail("ann@example.com", ["bob@example.com"], b"\r\nhi\r\n")
        self.assertEqual(self.server.messages[0].user, "ann")

    def test_login_with_initial_response(self) -> None:
        client = self.smtp()
        client.ehlo()
        client.user, client.password = "ann", "secret"
        self.assertEqual(client.auth("LOGIN", client.auth_login)[0], 235)

    def test_plain_and_login_after_a_challenge(self) -> None:
        client = self.raw()
        self.assertEqual(client.command("AUTH PLAIN"), (334, [""]))
        self.assertEqual(client.code(b64("\0ann\0secret")), 235)
        client = self.raw()
        self.assertEqual(client.command("AUTH LOGIN"), (334, ["VXNlcm5hbWU6"]))
        self.assertEqual(client.command(b64("ann")), (334, ["UGFzc3dvcmQ6"]))
        self.assertEqual(client.code(b64("secret")), 235)

    def test_smtplib_login(self) -> None:
        client = self.smtp()
        self.assertEqual(client.login("ann", "secret")[0], 235)

    def test_wrong_password_gets_535(self) -> None:
        client = self.smtp()
        with self.assertLogs("fakeserver", "WARNING") as logs:
            with self.assertRaises(smtplib.SMTPAuthenticationError) as caught:
                client.login("ann", "wrong")
        self.assertEqual(caught.exception.smtp_code, 535)
        self.assertIn("535 Authentication credentials invalid", logs.output[0])

    def test_mail_before_auth_gets_530(self) -> None:
        client = self.smtp()
        with self.assertLogs("fakeserver", "WARNING"):
            with self.assertRaises(smtplib.SMTPSenderRefused) as caught:
                client.sendmail("ann@example.com", ["bob@example.com"], b"\r\nhi\r\n")
        self.assertEqual(caught.exception.smtp_code, 530)
        self.assertEqual(self.server.messages, [])

    def test_malformed_exchanges(self) -> None:
        client = self.raw()
        with self.assertLogs("fakeserver", "WARNING"):
            self.assertEqual(client.code("AUTH"), 501)
            self.assertEqual(client.code("AUTH CRAM-MD5"), 504)
            self.assertEqual(client.code("AUTH PLAIN not-base64!"), 501)
            self.assertEqual(client.code("AUTH PLAIN " + b64("no nuls")), 501)
            self.assertEqual(client.code("AUTH PLAIN " + b64("bob\0ann\0secret")), 535)
            self.assertEqual(client.code("AUTH LOGIN"), 334)
            self.assertEqual(client.code("*"), 501)  # the client cancels
            helo = self.raw(ehlo=False)
            self.assertEqual(helo.code("HELO client.example"), 250)
            self.assertEqual(helo.code("AUTH PLAIN " + b64("\0ann\0secret")), 503)  # needs EHLO
            self.assertEqual(client.code("AUTH PLAIN " + b64("\0ann\0secret")), 235)
            self.assertEqual(client.code("AUTH PLAIN " + b64("\0ann\0secret")), 503)  # done

    def test_no_auth_during_a_transaction(self) -> None:
        self.server.users = None
        client = self.raw()
        self.assertEqual(client.code("MAIL FROM:<ann@example.com>"), 250)
        with self.assertLogs("fakeserver", "WARNING"):
            self.assertEqual(client.code("AUTH PLAIN " + b64("\0ann\0secret")), 503)

    def test_auth_lines_may_be_longer_than_other_commands(self) -> None:
        # RFC 4954 4: 12288 octets for AUTH and its responses, not 1000.
        self.server.users = {"ann": "p" * 3000}
        client = self.smtp()
        client.login("ann", "p" * 3000)  # AUTH PLAIN with a 4000-octet initial response
        client = self.smtp()
        client.ehlo()
        client.user, client.password = "ann", "p" * 3000
        self.assertEqual(client.auth("LOGIN", client.auth_login, initial_response_ok=False)[0],
                         235)  # the password is a 4000-octet response to a challenge
        raw = self.raw()
        with self.assertLogs("fakeserver", "WARNING"):
            self.assertEqual(raw.command("AUTH PLAIN " + "A" * 12_300),
                             (500, ["Line too long (the limit is 12288 octets for AUTH)"]))
            self.assertEqual(raw.code("AUTH LOGIN"), 334)
            self.assertEqual(raw.code("A" * 12_300), 500)
            self.assertEqual(raw.command("NOOP " + "x" * 2000),
                             (500, ["Line too long (the limit is 1000 octets)"]))
        self.assertEqual(raw.code("NOOP"), 250)

    def test_any_credentials_when_users_is_none(self) -> None:
        self.server.users = None
        client = self.smtp()
        client.login("anyone", "anything")
        client.sendmail("ann@example.com", ["bob@example.com"], b"\r\nhi\r\n")
        self.assertEqual(self.server.messages[0].user, "anyone")
        self.smtp().sendmail("ann@example.com", ["bob@example.com"], b"\r\nno auth\r\n")
        self.assertIsNone(self.server.messages[1].user)


class ProtocolErrorTest(ServerTestCase):

    server_options = {"max_size": 1000}

    def assertCodes(self, client: RawSMTPClient, expected: dict[str, int]) -> None:
        with self.assertLogs("fakeserver", "WARNING"):
            for line, code in expected.items():
                self.assertEqual(client.code(line), code, line)

    def test_out_of_order_commands_get_503(self) -> None:
        client = self.raw(ehlo=False)
        self.assertCodes(client, {"MAIL FROM:<ann@example.com>": 503})
        client.code("EHLO client.example")
        self.assertCodes(client, {"RCPT TO:<bob@example.com>": 503, "DATA": 503})
        self.assertEqual(client.code("MAIL FROM:<ann@example.com>"), 250)
        self.assertCodes(client, {"DATA": 503, "MAIL FROM:<ann@example.com>": 503})

    def test_unknown_and_unimplemented_commands(self) -> None:
        client = self.raw()
        self.assertCodes(client, {"FROBNICATE": 500, "": 500, "EXPN staff": 502, "TURN": 502,
                                  b"MAIL FROM:<\xff>": 500})

    def test_syntax_errors_get_501(self) -> None:
        client = self.raw(ehlo=False)
        self.assertCodes(client, {"EHLO": 501, "HELO": 501})
        client.code("EHLO client.example")
        self.assertCodes(client, {
            "MAIL FROM:ann@example.com": 501, "MAIL TO:<ann@example.com>": 501,
            "MAIL FROM:<ann@example.com> SIZE=big": 501,
            "MAIL FROM:<ann@example.com> BODY=9BIT": 501,
            "MAIL FROM:<ann@example.com> NOTIFY=NEVER": 555,
            "MAIL FROM:<zoë@example.com>": 553,
            "RSET now": 501, "VRFY": 501,
        })
        self.start_transaction(client)
        self.assertCodes(client, {"RCPT TO:<>": 501, "RCPT TO:bob": 501, "DATA now": 501,
                                  "RCPT TO:<cy@example.com> NOTIFY=NEVER": 555})

    def test_too_long_command_line_gets_500(self) -> None:
        client = self.raw()
        self.assertEqual(client.code("NOOP " + "x" * 993), 250)  # 1000 octets with CRLF
        self.assertCodes(client, {"NOOP " + "x" * 994: 500, "NOOP " + "x" * 100_000: 500})
        self.assertEqual(client.code("NOOP"), 250)

    def test_too_long_data_line_gets_500_and_nothing_is_recorded(self) -> None:
        self.server.max_size = None
        client = self.raw()
        self.start_transaction(client)
        self.assertEqual(client.code("DATA"), 354)
        self.assertCodes(client, {"x" * 5000 + "\r\nmore\r\n.": 500})
        self.assertEqual(client.code("NOOP"), 250)
        self.assertEqual(self.server.messages, [])

    def test_a_dot_stuffed_line_may_have_1001_octets(self) -> None:
        # RFC 5321 4.5.3.1.6: the 1000-octet limit does not count the transparency dot.
        self.server.max_size = None
        longest = b"x" * 998
        body = b"Subject: dots\r\n\r\n." + longest[1:] + b"\r\n" + longest + b"\r\n"
        self.smtp().sendmail("ann@example.com", ["bob@example.com"], body)
        self.assertEqual(self.server.messages[0].data, body)
        client = self.raw()
        self.start_transaction(client)
        self.assertEqual(client.code("DATA"), 354)
        self.assertCodes(client, {"..x" + "x" * 997 + "\r\n.": 500})  # 999 once unstuffed
        self.assertEqual(len(self.server.messages), 1)

    def test_a_message_of_exactly_the_size_limit_is_accepted(self) -> None:
        self.server.max_size = 100
        body = b"Subject: size\r\n\r\n" + b"x" * 83
        self.assertEqual(len(body), 100)  # smtplib sends SIZE=100, then adds a final CRLF
        self.smtp().sendmail("ann@example.com", ["bob@example.com"], body)
        self.smtp().sendmail("ann@example.com", ["bob@example.com"], body[:-2] + b"\r\n")
        self.assertEqual([m.data for m in self.server.messages],
                         [body + b"\r\n", body[:-2] + b"\r\n"])
        with self.assertLogs("fakeserver", "WARNING"):
            with self.assertRaises(smtplib.SMTPSenderRefused) as caught:
                self.smtp().sendmail("ann@example.com", ["bob@example.com"], body + b"x")
        self.assertEqual(caught.exception.smtp_code, 552)
        client = self.raw()  # the same, without SIZE= to refuse it early
        self.start_transaction(client)
        self.assertEqual(client.code("DATA"), 354)
        self.assertCodes(client, {(body + b"x\r\n.").decode(): 552})
        self.assertEqual(len(self.server.messages), 2)

    def test_size_over_the_limit_at_mail_gets_552(self) -> None:
        client = self.smtp()
        client.ehlo()
        self.assertEqual(client.esmtp_features["size"], "1000")
        with self.assertLogs("fakeserver", "WARNING"):
            with self.assertRaises(smtplib.SMTPSenderRefused) as caught:
                client.sendmail("ann@example.com", ["bob@example.com"], b"\r\n" + b"x" * 1000)
        self.assertEqual(caught.exception.smtp_code, 552)

    def test_data_over_the_limit_gets_552_after_all_is_read(self) -> None:
        client = self.raw()
        self.start_transaction(client)
        self.assertEqual(client.code("DATA"), 354)
        self.assertCodes(client, {("x" * 98 + "\r\n") * 11 + ".": 552})
        self.assertEqual(client.code("NOOP"), 250)  # the rest of the data was not taken as commands
        self.start_transaction(client, "SIZE=1000")
        self.assertEqual(client.code("DATA"), 354)
        self.assertEqual(client.code(("x" * 98 + "\r\n") * 10 + "."), 250)
        self.assertEqual(len(self.server.messages[0].data), 1000)

    def test_garbage_costs_only_its_own_connection(self) -> None:
        garbage = self.raw(ehlo=False)
        with self.assertLogs("fakeserver", "WARNING"):
            garbage.send(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\x00\xff\xfe\r\n")
            self.assertEqual(garbage.reply()[0], 500)
            self.assertEqual(garbage.reply()[0], 500)
        garbage.close()
        self.smtp().sendmail("ann@example.com", ["bob@example.com"], b"\r\nfine\r\n")
        self.assertEqual(len(self.server.messages), 1)

    def test_disconnect_mid_data_delivers_nothing(self) -> None:
        with self.assertLogs("fakeserver", "WARNING") as logs:
            client = self.raw()
            self.start_transaction(client)
            self.assertEqual(client.code("DATA"), 354)
            client.send(b"Subject: half\r\n\r\nthe first half\r\n")
            client.close()
            self.smtp().sendmail("ann@example.com", ["bob@example.com"], b"\r\nwhole\r\n")
            self.server.stop()  # waits for the first session to end, and to log
        self.assertIn("disconnected mid-transaction; nothing delivered", "\n".join(logs.output))
        self.assertEqual([m.data for m in self.server.messages], [b"\r\nwhole\r\n"])


class RefusalTest(ServerTestCase):

    def send(self) -> dict:
        with smtplib.SMTP(*self.server.address, timeout=TIMEOUT) as client:
            return client.sendmail("ann@example.com", ["bob@example.com", "cy@example.com"],
                                   b"\r\nhi\r\n")

    def test_reject_recipients_by_address_or_predicate(self) -> None:
        self.server.reject_recipients = {"Bob@Example.com"}
        self.assertEqual(self.send(),
                         {"bob@example.com": (550, b"Mailbox unavailable: bob@example.com")})
        self.assertEqual(self.server.messages[0].rcpt_tos, ["cy@example.com"])
        self.server.reject_recipients = lambda address: address.endswith("@example.com")
        with self.assertRaises(smtplib.SMTPRecipientsRefused):
            self.send()
        self.server.reject_recipients = None
        self.assertEqual(self.send(), {})

    def test_temporary_failure_at_mail_then_recovery(self) -> None:
        self.server.fail_with = {"MAIL": (451, "try again later")}
        with self.assertRaises(smtplib.SMTPSenderRefused) as caught:
            self.send()
        self.assertEqual((caught.exception.smtp_code, caught.exception.smtp_error),
                         (451, b"try again later"))
        self.server.fail_with = {}
        self.send()
        self.assertEqual(len(self.server.messages), 1)

    def test_refusals_at_rcpt_data_and_after_the_message(self) -> None:
        self.server.fail_with = {"rcpt": (450, "mailbox busy")}
        with self.assertRaises(smtplib.SMTPRecipientsRefused):
            self.send()
        self.server.fail_with = {"DATA": (451, "local error")}
        with self.assertRaises(smtplib.SMTPDataError) as caught:
            self.send()
        self.assertEqual(caught.exception.smtp_code, 451)
        self.server.fail_with = {"message": (554, "looks like spam")}
        with self.assertRaises(smtplib.SMTPDataError) as caught:
            self.send()
        self.assertEqual(caught.exception.smtp_code, 554)
        self.assertEqual(self.server.messages, [])

    def test_greeting_421_closes(self) -> None:
        self.server.fail_with = {"connect": (421, "too busy")}
        with self.assertRaises(smtplib.SMTPConnectError) as caught:
            smtplib.SMTP(*self.server.address, timeout=TIMEOUT)
        self.assertEqual(caught.exception.smtp_code, 421)

    def test_greeting_554_then_503_until_quit(self) -> None:
        self.server.fail_with = {"connect": (554, "no service")}
        client = RawSMTPClient(self.server.address, timeout=TIMEOUT)
        self.addCleanup(client.close)
        self.assertEqual(client.reply(), (554, ["no service"]))
        with self.assertLogs("fakeserver", "WARNING"):
            self.assertEqual(client.code("EHLO client.example"), 503)
        self.assertEqual(client.code("QUIT"), 221)

    def test_421_at_any_command_closes_the_connection(self) -> None:
        self.server.fail_with = {"RCPT": (421, "shutting down")}
        client = self.raw()
        self.assertEqual(client.code("MAIL FROM:<ann@example.com>"), 250)
        self.assertEqual(client.code("RCPT TO:<bob@example.com>"), 421)
        self.assertIsNone(client.reply())

    def test_drop_after_data(self) -> None:
        self.server.drop_after_data = True
        with self.assertRaises(smtplib.SMTPServerDisconnected):
            self.send()
        self.assertEqual(self.server.messages, [])

    def test_invalid_refusals_are_rejected_at_once(self) -> None:
        with self.assertRaises(ValueError):
            self.server.fail_with = {"MIAL": (451, "typo")}
        with self.assertRaises(ValueError):
            self.server.fail_with = {"MAIL": (250, "not a refusal")}
        self.assertEqual(self.server.fail_with, {})


class LifecycleTest(unittest.TestCase):

    def test_stop_is_prompt_with_an_idle_client(self) -> None:
        server = SMTPServer()
        server.start()
        client = smtplib.SMTP(*server.address, timeout=TIMEOUT)
        self.addCleanup(client.close)
        client.ehlo()
        started = time.monotonic()
        server.stop()
        self.assertLess(time.monotonic() - started, 1.0)
        self.assertFalse(server.is_alive())
        try:  # 421 if stop() caught the session just before it went idle
            code = client.noop()[0]
        except smtplib.SMTPServerDisconnected:
            code = None
        self.assertIn(code, (None, 421))

    def test_stop_is_idempotent_and_final(self) -> None:
        with SMTPServer() as server:
            host, port = server.address
            self.assertEqual(host, "127.0.0.1")
            self.assertNotEqual(port, 0)
        server.stop()
        with self.assertRaises(RuntimeError):
            server.start()

    def test_no_thread_or_socket_leaks(self) -> None:
        fds = "/proc/self/fd"
        if not os.path.isdir(fds):
            self.skipTest("needs /proc/self/fd")
        threads, open_fds = threading.active_count(), len(os.listdir(fds))
        for _ in range(20):
            with SMTPServer() as server:
                idle = RawSMTPClient(server.address, timeout=TIMEOUT)
                with smtplib.SMTP(*server.address, timeout=TIMEOUT) as client:
                    client.sendmail("ann@example.com", ["bob@example.com"], b"\r\nhi\r\n")
            idle.close()
        self.assertEqual(threading.active_count(), threads)
        self.assertEqual(len(os.listdir(fds)), open_fds)


if __name__ == "__main__":
    unittest.main()
