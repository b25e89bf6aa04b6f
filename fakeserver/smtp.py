"""A fake SMTP server that records the messages it receives.

This module owns the SMTP side of fakeserver: :class:`SMTPServer`, its
settings (credentials, size limit, configured refusals), the journal of
:class:`ReceivedMessage` objects, and :class:`SMTPServerTestCase`, the
unittest mixin with ``assertMailSent`` / ``assertNoMailSent``. The SMTP
conversation itself lives in ``_smtpsession``; the lifecycle (bind, accept,
stop) in ``_serving``; matching, near-miss ranking and failure text in
``_matching``.

Example::

    with SMTPServer() as server:
        with smtplib.SMTP(*server.address) as client:
            client.sendmail("ann@example.com", ["bob@example.com"], b"Subject: hi\\r\\n\\r\\nhello")
        [message] = server.messages
        assert message.message["Subject"] == "hi"
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from typing import Any, Callable, Collection, Mapping, Sequence, Union

from ._matching import Criterion, Expectation, equal, format_report, rank, shorten
from ._serving import Connection, ServerThread
from ._smtpsession import COMMANDS, Session

__all__ = ["ReceivedMessage", "SMTPServer", "SMTPServerTestCase"]

__unittest = True  # hide this module's frames from test failure tracebacks

#: Who ``reject_recipients`` refuses: addresses (case-insensitive) or a predicate.
RecipientRule = Union[Collection[str], Callable[[str], bool], None]

_PARSER = BytesParser(EmailMessage, policy=default)

#: The stages ``fail_with`` accepts besides command names.
_SPECIAL_STAGES = ("connect", "message")
#: The settings of :class:`SMTPServer` a test may reassign for itself alone.
_SETTINGS = ("users", "max_size", "reject_recipients", "fail_with", "drop_after_data", "hostname")


@dataclass(frozen=True, eq=False)
class ReceivedMessage:
    """One message the server accepted; you get one from :attr:`SMTPServer.messages`.

    Its fields do not change after receipt. ``data`` is exactly what the
    client sent after ``DATA``, dot-unstuffed, with its line endings as
    received and without the final ``.`` line; ``message`` is ``data``
    parsed with ``email.policy.default`` after turning CRLF into the ``\\n``
    the email package uses, so that ``get_content()`` returns text as the
    sender's ``set_content()`` had it.
    """

    #: The reverse path of ``MAIL FROM:<...>``; ``""`` for the null path ``<>``.
    mail_from: str
    #: The accepted ``RCPT TO`` addresses, in the order given.
    rcpt_tos: list[str]
    data: bytes = field(repr=False)
    message: EmailMessage = field(repr=False)
    #: ``time.time()`` when the end of the data arrived.
    time: float
    #: The client's socket address.
    peer: tuple
    #: The name the client authenticated as, or None.
    user: str | None
    #: The ``MAIL FROM`` parameters as sent, e.g. ``["SIZE=120", "SMTPUTF8"]``.
    mail_options: list[str]


class SMTPServer(ServerThread):
    """An SMTP server (RFC 5321) on a thread of the test process.

    Speaks ESMTP with ``8BITMIME``, ``SMTPUTF8``, ``SIZE``, ``PIPELINING``
    and ``AUTH PLAIN LOGIN``; records each accepted message in
    :attr:`messages` *before* replying 250, so a client's send has been
    recorded by the time it returns. The socket listens once ``__init__``
    returns; :meth:`start`, :meth:`stop` and the context manager come from
    the shared server lifecycle (``stop()`` is prompt, idempotent and leaves
    no thread or socket behind).

    Settings (all may be reassigned at any time, from any thread; each
    session reads them afresh for every command, so tests can change them
    between or during conversations):

    ``users``
        None: AUTH is optional and accepts any credentials. A mapping of
        user name to password: AUTH is required before ``MAIL`` (530),
        and wrong credentials get 535.
    ``max_size``
        The largest message in bytes, advertised as ``SIZE``; a larger
        ``MAIL FROM ... SIZE=`` or ``DATA`` gets 552. None: no limit.
    ``reject_recipients``
        An address, a collection of addresses (compared case-insensitively)
        or a predicate taking an address; matching ``RCPT TO`` get 550.
    ``fail_with``
        A mapping of stage to ``(code, text)``: the reply that replaces the
        normal one at that stage, whatever the session's state, e.g.
        ``{"MAIL": (451, "try again later")}``. Stages are command names
        (``"EHLO"``, ``"AUTH"``, ``"MAIL"``, ``"RCPT"``, ``"DATA"``, ...),
        ``"connect"`` (the greeting) and ``"message"`` (the reply after the
        message data; the message is not recorded). Codes are 4xx or 5xx.
        After a 421 the server closes the connection (RFC 5321 3.8); after
        any other refused greeting it answers 503 to all but ``QUIT``
        (RFC 5321 3.1).
    ``drop_after_data``
        True: close the connection after reading the message data instead
        of replying; the message is not recorded.
    ``hostname``
        The name in the greeting and the ``EHLO`` reply.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 users: Mapping[str, str] | None = None,
                 max_size: int | None = None,
                 reject_recipients: RecipientRule = None,
                 fail_with: Mapping[str, tuple[int, str]] | None = None,
                 drop_after_data: bool = False,
                 hostname: str = "localhost") -> None:
        super().__init__(host, port, name="fakeserver-smtp")
        self.users = users
        self.max_size = max_size
        self.reject_recipients = reject_recipients
        self.fail_with = fail_with or {}
        self.drop_after_data = drop_after_data
        self.hostname = hostname
        self._messages: list[ReceivedMessage] = []
        self._messages_lock = threading.Lock()

    # -- settings that need checking --------------------------------------------

    @property
    def reject_recipients(self) -> RecipientRule:
        """Recipients refused with 550: addresses, a predicate, or None."""
        return self._recipient_rule[0]

    @reject_recipients.setter
    def reject_recipients(self, rule: RecipientRule) -> None:
        if rule is None:
            predicate: Callable[[str], bool] = _accept_everyone
        elif callable(rule):
            predicate = rule
        else:
            refused = frozenset(a.lower() for a in ([rule] if isinstance(rule, str) else rule))

            def predicate(address: str) -> bool:
                return address.lower() in refused
        # One tuple, so that a session never sees a rule with another's predicate.
        self._recipient_rule = (rule, predicate)

    @property
    def fail_with(self) -> dict[str, tuple[int, str]]:
        """A copy of the configured refusals, keyed by upper-cased stage.

        Assigning replaces them all; raises ValueError for an unknown stage
        or a code outside 400-599, leaving the refusals as they were.
        """
        return dict(self._fail_with)

    @fail_with.setter
    def fail_with(self, refusals: Mapping[str, tuple[int, str]]) -> None:
        checked = {}
        for stage, (code, text) in refusals.items():
            if stage.upper() not in COMMANDS and stage.lower() not in _SPECIAL_STAGES:
                raise ValueError(f"unknown stage {stage!r}: use 'connect', 'message' "
                                 f"or an SMTP command such as 'MAIL'")
            if not isinstance(code, int) or not 400 <= code <= 599:
                raise ValueError(f"refusal code for {stage!r} must be 4xx or 5xx, not {code!r}")
            checked[stage.upper()] = (code, str(text))
        self._fail_with = checked

    # -- the journal -------------------------------------------------------------

    @property
    def messages(self) -> list[ReceivedMessage]:
        """A copy of the messages received so far, oldest first; thread-safe."""
        with self._messages_lock:
            return list(self._messages)

    def clear(self) -> None:
        """Forget the messages received so far; thread-safe."""
        with self._messages_lock:
            self._messages.clear()

    # -- what a session asks of its server ---------------------------------------

    def handle_connection(self, connection: Connection) -> None:
        """Hold one SMTP conversation; runs in the connection's thread."""
        Session(connection, self).serve()

    def refusal(self, stage: str) -> tuple[int, str] | None:
        """The configured ``(code, text)`` for *stage* (any case), or None."""
        return self._fail_with.get(stage.upper())

    def rejects_recipient(self, address: str) -> bool:
        """True if ``reject_recipients`` refuses *address*."""
        return bool(self._recipient_rule[1](address))

    def requires_auth(self) -> bool:
        """True if ``users`` is set, so that ``MAIL`` must wait for AUTH."""
        return self.users is not None

    def accepts_login(self, user: str, password: str) -> bool:
        """True if *user* may log in with *password* under ``users``."""
        users = self.users
        return users is None or (user in users and users[user] == password)

    def record(self, *, mail_from: str, rcpt_tos: list[str], data: bytes, peer: tuple,
               user: str | None, mail_options: list[str]) -> None:
        """Parse and append a message to :attr:`messages`; thread-safe."""
        message = ReceivedMessage(
            mail_from=mail_from, rcpt_tos=list(rcpt_tos), data=data,
            message=_PARSER.parsebytes(data.replace(b"\r\n", b"\n")),
            time=time.time(), peer=peer, user=user, mail_options=list(mail_options))
        with self._messages_lock:
            self._messages.append(message)


def _accept_everyone(address: str) -> bool:
    return False


# -- the unittest mixin ----------------------------------------------------------

class SMTPServerTestCase:
    """Mix into a ``unittest.TestCase`` (listed first) to test code that sends mail.

    Once per class, ``setUpClass`` starts an :class:`SMTPServer`
    (``self.smtp_server``, listening on ``self.smtp_host``:``self.smtp_port``);
    it is stopped by a class cleanup registered at once, so it stops even if
    a subclass's ``setUpClass`` fails afterwards. Each test starts with an
    empty :attr:`outbox`, and settings a test reassigns on
    ``self.smtp_server`` (``fail_with``, ``reject_recipients``, ...) are put
    back after it. Cooperates through ``super()``, so it combines with
    ``ServerTestCase`` in one class.
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
    #: How many sent messages a failure message lists (None: all).
    maxMessagesShown: int | None = 10

    # State set by setUpClass
    smtp_server: SMTPServer
    smtp_host: str
    smtp_port: int

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()  # type: ignore[misc]
        cls.smtp_server = SMTPServer(cls.smtp_bind_host, cls.smtp_bind_port,
                                     users=cls.smtp_users, max_size=cls.smtp_max_size)
        cls.addClassCleanup(cls.smtp_server.stop)  # type: ignore[attr-defined]
        cls.smtp_server.start()
        cls.smtp_host, cls.smtp_port = cls.smtp_server.address

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self.smtp_server.clear()
        saved = {name: getattr(self.smtp_server, name) for name in _SETTINGS}
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

    def assertMailSent(self, to: str | Sequence[str] | None = None, sender: str | None = None,
                       subject: str | None = None, count: int | None = None,
                       msg: str | None = None) -> EmailMessage | None:
        """Fail unless at least one (or exactly *count*) sent messages match.

        *to* is an address, or a list of addresses that must all be among the
        envelope recipients (``RCPT TO``); *sender* is the envelope sender
        (``MAIL FROM``); both compare case-insensitively. *subject* must
        equal the Subject header. Returns the most recent match's parsed
        message, its :attr:`ReceivedMessage.message` (None when *count* is
        0); for its envelope (recipients, sender, AUTH user) look in
        :attr:`outbox`, where it is the ``message`` of one entry.
        """
        expectation = _mail_expectation(to, sender, subject)
        sent = self.smtp_server.messages
        matching = [message for message in sent if expectation.matches(message)]
        if (len(matching) == count) if count is not None else matching:
            return matching[-1].message if matching else None
        wanted = "a message" if count is None else _plural(count, "message")
        if expectation.description:
            wanted += " " + expectation.description
        if not sent:
            tally = "no messages were sent."
        else:
            verb = "matches" if len(matching) == 1 else "match"
            tally = f"{len(matching)} of {_plural(len(sent), 'sent message')} {verb}."
        self._fail_mail(f"Expected {wanted}; {tally}", rank(expectation, sent),
                        "Closest sent messages", msg)
        return None

    def assertNoMailSent(self, msg: str | None = None) -> None:
        """Fail if any message was sent during this test, listing them."""
        sent = self.smtp_server.messages
        if sent:
            verb = "was" if len(sent) == 1 else "were"
            self._fail_mail(f"Expected no mail to be sent; {_plural(len(sent), 'message')} {verb} sent.",
                            [(message, None) for message in sent], "Sent messages", msg)

    def _fail_mail(self, headline: str, ranked: Sequence[tuple[ReceivedMessage, Any]],
                   title: str, msg: str | None) -> None:
        report = format_report(headline, ranked, _message_label, title=title,
                               limit=self.maxMessagesShown,
                               hint="set maxMessagesShown = None on the test case to see all")
        self.fail(self._formatMessage(msg, report))  # type: ignore[attr-defined]


def _mail_expectation(to: str | Sequence[str] | None, sender: str | None,
                      subject: str | None) -> Expectation:
    """An expectation on a :class:`ReceivedMessage`; its description names what was asked."""
    criteria: list[Criterion] = []
    parts = []
    if sender is not None:
        criteria.append(_address_criterion("sender", sender, lambda m: m.mail_from))
        parts.append(f"from {shorten(sender)}")
    if to is not None:
        addresses = to if isinstance(to, str) else list(to)
        criteria.append(_address_criterion("to", addresses, lambda m: m.rcpt_tos))
        parts.append(f"to {shorten(addresses)}")
    if subject is not None:
        criteria.append(equal("subject", subject, _subject))
        parts.append(f"with subject {shorten(subject)}")
    return Expectation(" ".join(parts), criteria)


def _address_criterion(field: str, expected: str | list[str],
                       get: Callable[[ReceivedMessage], str | list[str]]) -> Criterion:
    """Every expected address is among the record's (one or a list), ignoring case."""
    wanted = [address.lower() for address in _listed(expected)]

    def test(record: ReceivedMessage) -> tuple[bool, str]:
        actual = get(record)
        listed = _listed(actual)
        present = {address.lower() for address in listed}
        shown = listed[0] if len(listed) == 1 else listed
        return all(address in present for address in wanted), shorten(shown)
    return Criterion(field, shorten(expected), test)


def _listed(addresses: str | list[str]) -> list[str]:
    return [addresses] if isinstance(addresses, str) else addresses


def _subject(record: ReceivedMessage) -> str | None:
    subject = record.message["Subject"]
    return None if subject is None else str(subject)


def _message_label(record: ReceivedMessage) -> tuple[str, str, str, str]:
    """The columns that name a message in reports: sender -> recipients, and subject."""
    recipients = record.rcpt_tos
    shown = ", ".join(recipients[:2]) + (f" (+{len(recipients) - 2} more)" if len(recipients) > 2 else "")
    subject = _subject(record)
    return (record.mail_from or "<>", "->", shown,
            "(no subject)" if subject is None else shorten(subject, 40))


def _plural(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
