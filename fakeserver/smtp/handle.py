"""FakeSMTPServer: the fake SMTP server with snake_case assertions, as ``fake_smtp`` gives it.

The mail checks, worded as ``SMTPServerTestCase`` words them, on an
:class:`SMTPServer` of its own. Imports no pytest.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Sequence

from .._matching.values import Expected
from .._testing.base import HandleBase
from .checks import mail_arrived, mail_sent, no_mail_sent
from .server import ReceivedMessage, SMTPServer

__all__ = ["FakeSMTPServer"]


class FakeSMTPServer(SMTPServer, HandleBase):
    """An :class:`SMTPServer` with assertions; you get one from ``fake_smtp``.

    :meth:`assert_mail_sent` and :meth:`assert_no_mail_sent` word their
    failures as ``SMTPServerTestCase``'s.
    """

    #: How many sent messages a failure message lists (None: all; reset per test).
    max_messages_shown: int | None = 10

    @property
    def outbox(self) -> list[ReceivedMessage]:
        """The messages sent during this test, oldest first (a copy; thread-safe)."""
        return self.messages

    def assert_mail_sent(self, to: Expected[str] | Sequence[Expected[str]] | None = None,
                         sender: Expected[str] | None = None, subject: Expected[str] | None = None,
                         count: int | None = None) -> EmailMessage | None:
        """Raise unless at least one (or exactly *count*) sent messages match; return the latest.

        Matching as ``SMTPServerTestCase.assertMailSent``; the parsed message
        is returned (None when *count* is 0), its envelope is in :attr:`outbox`.
        """
        __tracebackhide__ = True
        match, report = mail_sent(self.messages, to, sender, subject, count,
                                  style=self._style("max_messages_shown"))
        self._check(report)
        return match.message if match is not None else None

    def wait_for_mail(self, to: Expected[str] | Sequence[Expected[str]] | None = None,
                      sender: Expected[str] | None = None, subject: Expected[str] | None = None,
                      *, timeout: float = 5.0) -> EmailMessage:
        """Block until a matching message is sent and return it, as ``waitForMail`` does.

        Raises ``AssertionError`` listing the messages sent after *timeout* seconds.
        """
        __tracebackhide__ = True
        match, report = mail_arrived(self, to, sender, subject, timeout=timeout,
                                     style=self._style("max_messages_shown"))
        self._check(report)
        assert match is not None  # a check for at least one message passed
        return match.message

    def assert_no_mail_sent(self) -> None:
        """Raise if any message was sent during this test, listing them."""
        __tracebackhide__ = True
        self._check(no_mail_sent(self.messages, style=self._style("max_messages_shown")))
