"""SMTPServerTestCase: its lifecycle, assertMailSent and assertNoMailSent, with smtplib as the client."""

from __future__ import annotations

import smtplib
import threading
import unittest
import urllib.request
from email.message import EmailMessage

from fakeserver import ServerTestCase
from fakeserver.smtp import ReceivedMessage, SMTPServer, SMTPServerTestCase
from tests.support import assert_outer_server_survives, failure_message, run_case
from tests.support.smtp import send

TIMEOUT = 5.0


def send_welcome(host: str, port: int) -> None:
    """The code under test of the issue's example."""
    send(host, port, "hello@example.com", "ann@example.com", "Welcome",
         "Follow the link to activate your account.")


def alive(name: str) -> bool:
    """True if a thread called *name* is running."""
    return any(thread.name == name for thread in threading.enumerate())


class IssueExampleTest(SMTPServerTestCase, unittest.TestCase):

    def test_welcome(self) -> None:
        send_welcome(host=self.smtp_host, port=self.smtp_port)
        msg = self.assertMailSent(to="ann@example.com", subject="Welcome")
        self.assertIn("activate", msg.get_body().get_content())


class MailTestCase(SMTPServerTestCase, unittest.TestCase):
    """Helpers for the tests of the assertions."""

    def send(self, sender: str, recipients: str | list[str], subject: str | None = None,
             body: str = "hello") -> None:
        send(self.smtp_host, self.smtp_port, sender, recipients, subject, body)

    def assertFailure(self, expected: str, assertion, *args, **kwargs) -> None:
        self.assertEqual(failure_message(self, assertion, *args, **kwargs), expected)


class AssertMailSentTest(MailTestCase):

    def test_attributes_and_outbox(self) -> None:
        self.assertIsInstance(self.smtp_server, SMTPServer)
        self.assertEqual((self.smtp_host, self.smtp_port), self.smtp_server.address)
        self.assertNotEqual(self.smtp_port, 0)
        self.assertEqual(self.outbox, [])
        self.send("noreply@example.com", "ann@example.com", "Welcome")
        [received] = self.outbox
        self.assertIsInstance(received, ReceivedMessage)
        self.assertEqual(received.rcpt_tos, ["ann@example.com"])

    def test_each_criterion_passes_alone_and_together(self) -> None:
        self.send("noreply@example.com", "ann@example.com", "Welcome")
        self.assertMailSent()
        self.assertMailSent(to="ann@example.com")
        self.assertMailSent(sender="noreply@example.com")
        self.assertMailSent(subject="Welcome")
        self.assertMailSent(to="ann@example.com", sender="noreply@example.com", subject="Welcome")

    def test_returns_the_parsed_message_of_the_most_recent_match(self) -> None:
        self.send("noreply@example.com", "ann@example.com", "Welcome", "first")
        self.send("noreply@example.com", "bob@example.com", "Welcome", "other")
        self.send("noreply@example.com", "ann@example.com", "Welcome", "second")
        message = self.assertMailSent(to="ann@example.com")
        self.assertIsInstance(message, EmailMessage)
        self.assertEqual(message.get_content(), "second\n")
        self.assertIs(message, self.outbox[2].message)

    def test_addresses_compare_case_insensitively(self) -> None:
        self.send("NoReply@Example.com", "Ann@Example.com", "Welcome")
        self.assertMailSent(to="ann@example.com", sender="noreply@example.com")
        self.assertMailSent(to="ANN@EXAMPLE.COM", sender="NOREPLY@EXAMPLE.COM")

    def test_a_list_of_recipients_must_all_be_among_the_envelope_recipients(self) -> None:
        self.send("noreply@example.com", ["ann@example.com", "bob@example.com", "cy@example.com"],
                  "Party")
        self.assertMailSent(to=["cy@example.com", "ann@example.com"])
        self.assertMailSent(to=("bob@example.com",))
        self.assertFailure(
            "Expected a message to ['ann@example.com', 'dee@example.com']; "
            "0 of 1 sent message match.\n"
            "Closest sent messages:\n"
            "  noreply@example.com -> ann@example.com, bob@example.com (+1 more) 'Party'         "
            "to ['ann@example.com', 'bob@example.com', 'cy@example.com'] "
            "!= ['ann@example.com', 'dee@example.com']",
            self.assertMailSent, to=["ann@example.com", "dee@example.com"])

    def test_failure_lists_the_closest_messages_first(self) -> None:
        self.send("noreply@example.com", "bob@example.com", "Hello")
        self.send("noreply@example.com", "bob@example.com", "Welcome")
        self.assertFailure(
            "Expected a message to 'ann@example.com' with subject 'Welcome'; "
            "0 of 2 sent messages match.\n"
            "Closest sent messages:\n"
            "  noreply@example.com -> bob@example.com 'Welcome'       "
            "to 'bob@example.com' != 'ann@example.com'\n"
            "  noreply@example.com -> bob@example.com 'Hello'         "
            "to 'bob@example.com' != 'ann@example.com'; subject 'Hello' != 'Welcome'",
            self.assertMailSent, to="ann@example.com", subject="Welcome")

    def test_failure_shows_sender_null_path_and_missing_subject(self) -> None:
        self.send("", "ann@example.com")
        self.assertFailure(
            "Expected a message from 'noreply@example.com' with subject 'Welcome'; "
            "0 of 1 sent message match.\n"
            "Closest sent messages:\n"
            "  <> -> ann@example.com (no subject)    "
            "sender '' != 'noreply@example.com'; subject None != 'Welcome'",
            self.assertMailSent, sender="noreply@example.com", subject="Welcome")

    def test_failure_when_nothing_was_sent(self) -> None:
        self.assertFailure("Expected a message to 'ann@example.com'; no messages were sent.",
                           self.assertMailSent, to="ann@example.com")
        self.assertFailure("Expected a message; no messages were sent.", self.assertMailSent)

    def test_count(self) -> None:
        self.send("noreply@example.com", "ann@example.com", "Welcome")
        self.send("noreply@example.com", "bob@example.com", "Welcome")
        self.send("noreply@example.com", "ann@example.com", "Reminder")
        self.assertMailSent(subject="Welcome", count=2)
        self.assertMailSent(count=3)
        self.assertIsNone(self.assertMailSent(to="cy@example.com", count=0))
        self.assertFailure(
            "Expected 1 message to 'ann@example.com'; 2 of 3 sent messages match.\n"
            "Closest sent messages:\n"
            "  noreply@example.com -> ann@example.com 'Welcome'       (matches)\n"
            "  noreply@example.com -> ann@example.com 'Reminder'      (matches)\n"
            "  noreply@example.com -> bob@example.com 'Welcome'       "
            "to 'bob@example.com' != 'ann@example.com'",
            self.assertMailSent, to="ann@example.com", count=1)
        self.assertFailure(
            "Expected 0 messages with subject 'Reminder'; 1 of 3 sent messages matches.\n"
            "Closest sent messages:\n"
            "  noreply@example.com -> ann@example.com 'Reminder'      (matches)\n"
            "  noreply@example.com -> ann@example.com 'Welcome'       "
            "subject 'Welcome' != 'Reminder'\n"
            "  noreply@example.com -> bob@example.com 'Welcome'       "
            "subject 'Welcome' != 'Reminder'",
            self.assertMailSent, subject="Reminder", count=0)

    def test_the_list_is_capped_with_a_hint(self) -> None:
        for number in range(12):
            self.send("noreply@example.com", "bob@example.com", f"News {number:02}")
        rows = [f"  noreply@example.com -> bob@example.com 'News {number:02}'       "
                f"subject 'News {number:02}' != 'Welcome'" for number in range(12)]
        headline = "Expected a message with subject 'Welcome'; 0 of 12 sent messages match."
        self.assertFailure("\n".join([headline, "Closest sent messages:", *rows[:10],
                                      "  ... and 2 more; set maxMessagesShown = None "
                                      "on the test case to see all"]),
                           self.assertMailSent, subject="Welcome")
        self.maxMessagesShown = None
        self.assertFailure("\n".join([headline, "Closest sent messages:", *rows]),
                           self.assertMailSent, subject="Welcome")

    def test_msg_follows_long_message(self) -> None:
        expected = "Expected a message; no messages were sent."
        self.assertFailure(f"{expected} : no welcome", self.assertMailSent, msg="no welcome")
        self.longMessage = False
        self.assertFailure("no welcome", self.assertMailSent, msg="no welcome")
        self.assertFailure(expected, self.assertMailSent)


class AssertNoMailSentTest(MailTestCase):

    def test_passes_when_nothing_was_sent(self) -> None:
        self.assertNoMailSent()

    def test_fails_listing_the_sent_messages(self) -> None:
        self.send("noreply@example.com", "ann@example.com", "Welcome")
        self.assertFailure("Expected no mail to be sent; 1 message was sent.\n"
                           "Sent messages:\n"
                           "  noreply@example.com -> ann@example.com 'Welcome'",
                           self.assertNoMailSent)
        self.send("alerts@example.com", ["ops@example.com", "dev@example.com"], "Disk full")
        self.assertFailure("Expected no mail to be sent; 2 messages were sent.\n"
                           "Sent messages:\n"
                           "  noreply@example.com -> ann@example.com                  'Welcome'\n"
                           "  alerts@example.com  -> ops@example.com, dev@example.com 'Disk full' "
                           ": nothing to send",
                           self.assertNoMailSent, msg="nothing to send")


class LifecycleTest(unittest.TestCase):

    def test_one_server_per_class_an_empty_outbox_per_test_and_stopped_after(self) -> None:
        seen = []

        class Mail(SMTPServerTestCase, unittest.TestCase):
            def test_1(self) -> None:
                self.check()

            def test_2(self) -> None:
                self.check()

            def check(self) -> None:
                seen.append(self.smtp_server)
                self.assertEqual(self.outbox, [])
                send(self.smtp_host, self.smtp_port, "a@example.com", "b@example.com", "hi")
                self.assertEqual(len(self.outbox), 1)

        result = run_case(Mail)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(result.testsRun, 2)
        self.assertIs(seen[0], seen[1])
        self.assertFalse(seen[0].is_alive())
        self.assertFalse(alive(seen[0].name))

    def test_settings_a_test_reassigns_are_put_back_after_it(self) -> None:
        class Mail(SMTPServerTestCase, unittest.TestCase):
            @classmethod
            def setUpClass(cls) -> None:
                super().setUpClass()
                cls.smtp_server.reject_recipients = ["spam@example.com"]

            def test_1_refuse_mail(self) -> None:
                self.smtp_server.fail_with = {"MAIL": (451, "try again later")}
                self.smtp_server.reject_recipients = None
                with self.assertRaises(smtplib.SMTPSenderRefused):
                    send(self.smtp_host, self.smtp_port, "a@example.com", "b@example.com")

            def test_2_settings_are_back(self) -> None:
                self.assertEqual(self.smtp_server.fail_with, {})
                self.assertEqual(self.smtp_server.reject_recipients, ["spam@example.com"])
                send(self.smtp_host, self.smtp_port, "a@example.com", "b@example.com")
                self.assertMailSent(to="b@example.com")

        result = run_case(Mail)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(result.testsRun, 2)

    def test_a_failing_subclass_setupclass_still_stops_the_server(self) -> None:
        class Broken(SMTPServerTestCase, unittest.TestCase):
            @classmethod
            def setUpClass(cls) -> None:
                super().setUpClass()
                cls.server_was_alive = alive(cls.smtp_server.name)  # the check below is not vacuous
                raise RuntimeError("setUpClass failed")

            def test_never_runs(self) -> None:
                raise AssertionError("unreachable")

        result = run_case(Broken)
        self.assertEqual(result.testsRun, 0)
        [(_, error)] = result.errors
        self.assertIn("RuntimeError: setUpClass failed", error)
        self.assertTrue(Broken.server_was_alive)
        self.assertFalse(alive(Broken.smtp_server.name))
        self.assertFalse(Broken.smtp_server.is_alive())

    def test_a_class_run_inside_a_test_leaves_the_server_running(self) -> None:
        def use_server(case: SMTPServerTestCase) -> None:
            send_welcome(case.smtp_host, case.smtp_port)
            case.assertMailSent(to="ann@example.com")
        assert_outer_server_survives(self, SMTPServerTestCase, use_server)

    def test_configured_host_and_port(self) -> None:
        probe = SMTPServer()  # find a free port, then free it
        port = probe.address[1]
        probe.stop()

        class Mail(SMTPServerTestCase, unittest.TestCase):
            smtp_bind_port = port

            def test_address(self) -> None:
                self.assertEqual((self.smtp_host, self.smtp_port), ("127.0.0.1", port))

        result = run_case(Mail)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)

    def test_combined_with_server_test_case_both_fixtures_run_and_both_servers_stop(self) -> None:
        # Here, not in CombinedTest: before 3.10 all classes share one list of class
        # cleanups, so a class run inside another class's run stops the outer servers.
        servers = []

        class Both(ServerTestCase, SMTPServerTestCase, unittest.TestCase):
            def test_one(self) -> None:
                servers.extend([self.server, self.smtp_server])
                self.assertEqual(self.requests, [])
                self.assertEqual(self.outbox, [])

        result = run_case(Both)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(len(servers), 2)
        for server in servers:
            self.assertFalse(server.is_alive())
            self.assertFalse(alive(server.name))


class AuthTest(SMTPServerTestCase, unittest.TestCase):
    smtp_users = {"ann": "secret"}
    smtp_max_size = 2000

    def test_login_is_required_and_recorded(self) -> None:
        with self.assertRaises(smtplib.SMTPSenderRefused) as caught:
            send(self.smtp_host, self.smtp_port, "ann@example.com", "bob@example.com", "Hi")
        self.assertEqual(caught.exception.smtp_code, 530)
        with self.assertRaises(smtplib.SMTPAuthenticationError):
            send(self.smtp_host, self.smtp_port, "ann@example.com", "bob@example.com", "Hi",
                 login=("ann", "wrong"))
        self.assertNoMailSent()
        send(self.smtp_host, self.smtp_port, "ann@example.com", "bob@example.com", "Hi",
             login=("ann", "secret"))
        self.assertMailSent(to="bob@example.com", subject="Hi")
        self.assertEqual(self.outbox[0].user, "ann")

    def test_max_size(self) -> None:
        with self.assertRaises(smtplib.SMTPSenderRefused) as caught:
            send(self.smtp_host, self.smtp_port, "ann@example.com", "bob@example.com", "Big",
                 "x" * 3000, login=("ann", "secret"))
        self.assertEqual(caught.exception.smtp_code, 552)
        self.assertNoMailSent()


class CombinedTest(ServerTestCase, SMTPServerTestCase, unittest.TestCase):
    """An HTTP server and an SMTP server in one class, each with its own assertions."""

    def test_both_servers_and_both_assertion_families(self) -> None:
        self.stub("GET", "/signup")
        with urllib.request.urlopen(self.url("/signup"), timeout=TIMEOUT) as response:
            response.read()
        send_welcome(self.smtp_host, self.smtp_port)
        self.assertRequested("/signup", "GET")
        self.assertMailSent(to="ann@example.com", subject="Welcome")
        self.assertEqual(failure_message(self, self.assertNoMailSent),
                         "Expected no mail to be sent; 1 message was sent.\n"
                         "Sent messages:\n"
                         "  hello@example.com -> ann@example.com 'Welcome'")
        self.assertEqual(failure_message(self, self.assertRequested, "/login"),
                         "Expected a request matching /login; 0 of 1 recorded request match.\n"
                         "Closest recorded requests:\n"
                         "  GET /signup         path '/signup' != '/login'")


if __name__ == "__main__":
    unittest.main()
