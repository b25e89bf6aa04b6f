"""SMTPServerTestCase: an SMTP server per test class, and assertions on what was sent.

This module owns the unittest side of the fake SMTP server: starting and
stopping it around a class, the per-test outbox, ``assertMailSent`` and
``assertNoMailSent``, whose checks and failure text the ``fake_smtp``
fixture shares. It knows nothing of sockets.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any, Mapping, Sequence

from .._matching.values import Expected
from .._testing.base import MixinBase
from .checks import mail_arrived, mail_sent, no_mail_sent
from .server import SETTINGS, ReceivedMessage, SMTPServer
from ..tls import CA_FILE

__all__ = ["SMTPServerTestCase"]

__unittest = True  # hide this module's frames from test failure tracebacks


class SMTPServerTestCase(MixinBase):
    """Mix into a ``unittest.TestCase`` (listed first) to test code that sends mail.

    Once per class, ``setUpClass`` starts an :class:`SMTPServer`
    (``self.smtp_server``, listening on ``self.smtp_host``:``self.smtp_port``);
    it is stopped by a class cleanup registered at once, so it stops even if
    a subclass's ``setUpClass`` fails afterwards. Each test starts with an
    empty :attr:`outbox`, and settings a test reassigns on
    ``self.smtp_server`` (``fail_with``, ``reject_recipients``, ...) are put
    back after it. Cooperates through ``super()``, so it combines with
    ``ServerTestCase`` in one class. With ``smtp_starttls`` or ``smtp_tls``
    clients trust :attr:`smtp_ca_file`.
    """

    # Configuration (override per subclass)
    #: None: AUTH is optional and any credentials pass. A mapping of user
    #: name to password: clients must log in with one of them.
    smtp_users: Mapping[str, str] | None = None
    #: The largest message in bytes, advertised as ``SIZE``; None: no limit.
    smtp_max_size: int | None = None
    #: The interface to bind; loopback unless you need another.
    smtp_bind_host: str = "127.0.0.1"
    #: The port to bind; 0 picks a free one.
    smtp_bind_port: int = 0
    #: True: offer ``STARTTLS`` with the bundled certificate.
    smtp_starttls: bool = False
    #: True: implicit TLS (SMTPS): clients handshake before the greeting.
    smtp_tls: bool = False
    #: True: refuse ``MAIL`` and ``AUTH`` before ``STARTTLS`` (530).
    smtp_require_tls: bool = False
    #: How many sent messages a failure message lists (None: all).
    maxMessagesShown: int | None = 10

    # Provided to tests
    #: The test CA's certificate (:data:`fakeserver.CA_FILE`), for clients
    #: of a TLS server to trust: ``ssl.create_default_context(cafile=...)``.
    smtp_ca_file: str = CA_FILE

    # State set by setUpClass
    smtp_server: SMTPServer
    smtp_host: str
    smtp_port: int

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.smtp_server = SMTPServer(cls.smtp_bind_host, cls.smtp_bind_port,
                                     users=cls.smtp_users, max_size=cls.smtp_max_size,
                                     starttls=cls.smtp_starttls, tls=cls.smtp_tls,
                                     require_tls=cls.smtp_require_tls)
        cls._start_for_class(cls.smtp_server)
        cls.smtp_host, cls.smtp_port = cls.smtp_server.address

    def setUp(self) -> None:
        super().setUp()
        self.smtp_server.clear()
        saved = {name: getattr(self.smtp_server, name) for name in SETTINGS}
        self.addCleanup(self._restore_smtp_settings, saved)  # type: ignore[attr-defined]

    def _restore_smtp_settings(self, saved: Mapping[str, Any]) -> None:
        for name, value in saved.items():
            setattr(self.smtp_server, name, value)

    @property
    def outbox(self) -> list[ReceivedMessage]:
        """The messages sent during this test, oldest first (a copy; thread-safe).

        The server records a message before it replies 250, so a message is
        here by the time the client's send returns.
        """
        return self.smtp_server.messages

    # -- assertions -----------------------------------------------------------------

    def assertMailSent(self, to: Expected[str] | Sequence[Expected[str]] | None = None,
                       sender: Expected[str] | None = None, subject: Expected[str] | None = None,
                       count: int | None = None,
                       msg: str | None = None) -> EmailMessage | None:
        """Fail unless at least one (or exactly *count*) sent messages match.

        *to* is an address, or a list of addresses that must all be among the
        envelope recipients (``RCPT TO``); *sender* is the envelope sender
        (``MAIL FROM``); both compare case-insensitively. *subject* must
        equal the Subject header. Each may be a matcher of
        :mod:`fakeserver.match`, or any callable returning a bool. Returns
        the most recent match's parsed message, its
        :attr:`ReceivedMessage.message` (None when *count* is 0); for its
        envelope (recipients, sender, AUTH user) look in :attr:`outbox`,
        where it is the ``message`` of one entry.
        """
        match, report = mail_sent(self.smtp_server.messages, to, sender, subject, count,
                                  style=self._style("maxMessagesShown"))
        self._check(report, msg)
        return match.message if match is not None else None

    def waitForMail(self, to: Expected[str] | Sequence[Expected[str]] | None = None,
                    sender: Expected[str] | None = None, subject: Expected[str] | None = None,
                    *, timeout: float = 5.0, msg: str | None = None) -> EmailMessage:
        """Block until a message matching (as in :meth:`assertMailSent`) is sent; return it.

        Returns the first match's parsed message as soon as it is recorded,
        for code that sends from a thread, a subprocess or an event loop;
        fails with the report of the messages sent after *timeout* seconds.
        """
        match, report = mail_arrived(self.smtp_server, to, sender, subject, timeout=timeout,
                                     style=self._style("maxMessagesShown"))
        self._check(report, msg)
        assert match is not None  # a check for at least one message passed
        return match.message

    def assertNoMailSent(self, msg: str | None = None) -> None:
        """Fail if any message was sent during this test, listing them."""
        self._check(no_mail_sent(self.smtp_server.messages, style=self._style("maxMessagesShown")),
                    msg)
