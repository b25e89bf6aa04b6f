"""The mail checks take matchers for to=, sender= and subject=, worded in their reports."""

from __future__ import annotations

import unittest

from fakeserver import match
from fakeserver.smtp import SMTPServerTestCase
from tests.smtp.test_testcase import send
from tests.support import failure_message


class MailMatchersTest(SMTPServerTestCase, unittest.TestCase):
    def send(self, sender: str, recipients: str | list[str], subject: str | None = None) -> None:
        send(self.smtp_host, self.smtp_port, sender, recipients, subject)

    def test_matchers_for_each_field(self) -> None:
        self.send("noreply@example.com", ["Ann@Example.com", "bob@corp.example"], "Welcome, Ann")
        self.send("alerts@example.com", "ops@example.com")
        self.assertMailSent(to=match.regex(r"@corp\.example$"), sender=match.contains("noreply"),
                            subject=match.regex("^Welcome"))
        self.assertMailSent(to=[match.contains("Ann"), "ANN@example.com"], subject=match.ANY)
        self.assertMailSent(subject=match.ABSENT, sender=match.one_of("alerts@example.com", "x@y"))
        self.assertMailSent(to=lambda address: address.startswith("ops"), count=1)
        self.assertMailSent(subject=match.contains("Ann"), count=1)

    def test_reports_word_each_matcher(self) -> None:
        self.send("noreply@example.com", "ann@example.com", "Welcome")
        self.send("noreply@example.com", "ann@example.com")
        self.assertEqual(
            failure_message(self, self.assertMailSent, to=match.regex(r"@corp\.example$"),
                            subject=match.ABSENT),
            "Expected a message to match.regex('@corp\\\\.example$') with subject match.ABSENT; "
            "0 of 2 sent messages match.\n"
            "Closest sent messages:\n"
            "  noreply@example.com -> ann@example.com (no subject)    "
            "to does not match /@corp\\.example$/ (got 'ann@example.com')\n"
            "  noreply@example.com -> ann@example.com 'Welcome'       "
            "to does not match /@corp\\.example$/ (got 'ann@example.com'); subject: unexpected")
        self.assertEqual(
            failure_message(self, self.assertMailSent, subject=match.ANY, count=2).splitlines()[-1],
            "  noreply@example.com -> ann@example.com (no subject)    subject: missing")

    def test_a_long_subject_shows_where_it_differs(self) -> None:
        subject = "Your order 12345 has shipped and will arrive on Monday between 9 and 12"
        self.send("noreply@example.com", "ann@example.com", subject)
        self.assertMailSent(subject=subject)  # folded after "Subject:", the space is no part of it
        text = failure_message(self, self.assertMailSent, subject=subject.replace("Monday", "Sunday"))
        self.assertEqual(text.splitlines()[-1],
                         "  noreply@example.com -> ann@example.com 'Your order 12345[...]between 9 and 12'  "
                         "subject at char 48: ...'l arrive on Monday betwe'... != "
                         "...'l arrive on Sunday betwe'... (lengths 71 and 71)")


if __name__ == "__main__":
    unittest.main()
