"""The fake SMTP server: its settings, TLS modes and journal of received messages.

This module owns :class:`SMTPServer` and :class:`ReceivedMessage`: the
settings a test changes (credentials, size limit, configured refusals, TLS),
and recording what arrived. The conversation on each connection is a
:class:`Session`'s; binding, accepting and stopping are the server core's
:class:`ServerThread`; the TLS context comes from :mod:`fakeserver.tls`. It
knows nothing of unittest.
"""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Callable, Collection, Mapping, Union

from .._http.serving import Connection, ServerThread
from .parsing import parse_message
from .session import COMMANDS, Session
from ..tls import server_ssl_context

__all__ = ["SETTINGS", "ReceivedMessage", "SMTPServer"]

#: Who ``reject_recipients`` refuses: addresses (case-insensitive) or a predicate.
RecipientRule = Union[Collection[str], Callable[[str], bool], None]

#: The stages ``fail_with`` accepts besides command names.
_SPECIAL_STAGES = ("connect", "message")
#: The settings of :class:`SMTPServer` a test may reassign for itself alone.
SETTINGS = ("users", "max_size", "reject_recipients", "fail_with", "drop_after_data", "hostname",
            "require_tls")


@dataclass(frozen=True, eq=False)
class ReceivedMessage:
    """One message the server accepted; you get one from :attr:`SMTPServer.messages`.

    Its fields do not change after receipt. ``data`` is exactly what the
    client sent after ``DATA``, dot-unstuffed, with its line endings as
    received and without the final ``.`` line; ``message`` is ``data``
    parsed with ``email.policy.default`` after turning CRLF into the ``\\n``
    the email package uses, so that ``get_content()`` returns text as the
    sender's ``set_content()`` had it. Text in a charset Python does not know
    reads as UTF-8, undecodable bytes replaced, so that no charset makes
    reading or printing a message raise.
    """

    #: The reverse path of ``MAIL FROM:<...>``; ``""`` for the null path ``<>``.
    mail_from: str
    #: The accepted ``RCPT TO`` addresses, in the order given.
    rcpt_tos: list[str]
    #: The message as sent after ``DATA`` (see above).
    data: bytes = field(repr=False)
    #: ``data`` parsed: ``message["Subject"]``, ``message.get_body().get_content()``.
    message: EmailMessage = field(repr=False)
    #: ``time.time()`` when the end of the data arrived.
    time: float
    #: The client's socket address.
    peer: tuple
    #: The name the client authenticated as, or None.
    user: str | None
    #: The ``MAIL FROM`` parameters as sent, e.g. ``["SIZE=120", "SMTPUTF8"]``.
    mail_options: list[str]
    #: True if the message arrived over TLS (after ``STARTTLS``, or on an SMTPS server).
    tls: bool


class SMTPServer(ServerThread):
    """An SMTP server (RFC 5321) on a thread of the test process.

    Speaks ESMTP with ``8BITMIME``, ``SMTPUTF8``, ``SIZE``, ``PIPELINING``,
    ``AUTH PLAIN LOGIN`` and, if asked, ``STARTTLS``; records each accepted message in
    :attr:`messages` *before* replying 250, so a client's send has been
    recorded by the time it returns. The socket listens once ``__init__``
    returns; :meth:`start`, :meth:`stop` and the context manager come from
    the shared server lifecycle (``stop()`` is prompt, idempotent and leaves
    no thread or socket behind).

    TLS, fixed at construction, with the bundled ``localhost`` certificate
    (clients trust :data:`fakeserver.CA_FILE`) or the server-side
    *ssl_context* given: ``starttls=True`` offers ``STARTTLS`` (RFC 3207);
    ``tls=True`` handshakes right after accepting, before the greeting
    (implicit TLS, as on port 465). A failed handshake is logged as a
    warning and costs only its connection.

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
    ``require_tls``
        True: ``MAIL`` and ``AUTH`` before ``STARTTLS`` get 530, and ``AUTH``
        is not advertised before it. Needs ``starttls`` (or ``tls``).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 users: Mapping[str, str] | None = None,
                 max_size: int | None = None,
                 reject_recipients: RecipientRule = None,
                 fail_with: Mapping[str, tuple[int, str]] | None = None,
                 drop_after_data: bool = False,
                 hostname: str = "localhost",
                 starttls: bool = False,
                 tls: bool = False,
                 ssl_context: ssl.SSLContext | None = None,
                 require_tls: bool = False) -> None:
        if starttls and tls:
            raise ValueError("choose starttls=True (STARTTLS) or tls=True (implicit TLS), not both")
        if ssl_context is not None:
            if not (starttls or tls):
                raise ValueError("ssl_context needs starttls=True or tls=True")
            if ssl_context.check_hostname or ssl_context.protocol == ssl.PROTOCOL_TLS_CLIENT:
                raise ValueError("ssl_context must be a server-side context, "
                                 "such as fakeserver.tls.server_ssl_context()")
        elif starttls or tls:
            ssl_context = server_ssl_context()
        self._starttls, self._tls = starttls, tls
        #: The server-side TLS context, or None without TLS.
        self.ssl_context = ssl_context
        # Checked before binding: nothing to close on error.
        self.require_tls = require_tls
        self.fail_with = fail_with or {}
        self.hostname = hostname
        super().__init__(host, port, name="fakeserver-smtp")
        self.users = users
        self.max_size = max_size
        self.reject_recipients = reject_recipients
        self.drop_after_data = drop_after_data
        self._messages: list[ReceivedMessage] = []
        self._messages_lock = threading.Condition()  # notified as each message is recorded

    # -- settings that need checking --------------------------------------------

    @property
    def starttls(self) -> bool:
        """True if ``STARTTLS`` is offered; set at construction."""
        return self._starttls

    @property
    def tls(self) -> bool:
        """True if connections start with a TLS handshake (SMTPS); set at construction."""
        return self._tls

    @property
    def require_tls(self) -> bool:
        """True if ``MAIL`` and ``AUTH`` must wait for ``STARTTLS``.

        Assigning True raises ValueError unless the server offers TLS.
        """
        return self._require_tls

    @require_tls.setter
    def require_tls(self, required: bool) -> None:
        if required and self.ssl_context is None:
            raise ValueError("require_tls needs starttls=True (or tls=True)")
        self._require_tls = bool(required)

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
    def hostname(self) -> str:
        """The name in the greeting and the ``EHLO`` reply.

        Assigning one with CR, LF or NUL in it raises ValueError.
        """
        return self._hostname

    @hostname.setter
    def hostname(self, name: str) -> None:
        self._hostname = _one_line("hostname", name)

    @property
    def fail_with(self) -> dict[str, tuple[int, str]]:
        """A copy of the configured refusals, keyed by upper-cased stage.

        Assigning replaces them all; raises ValueError for an unknown stage,
        a code outside 400-599 or a text with CR, LF or NUL in it, leaving
        the refusals as they were.
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
            checked[stage.upper()] = (code, _one_line(f"refusal text for {stage!r}", str(text)))
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

    def wait_for(self, ready: Callable[[list[ReceivedMessage]], bool], timeout: float) -> bool:
        """Block until ``ready(messages)`` is true, or *timeout* seconds pass; return its last value.

        Checked at once and again as each message is recorded (no polling
        interval), while holding the journal's lock: *ready* must be quick.
        Thread-safe.
        """
        with self._messages_lock:
            return self._messages_lock.wait_for(lambda: ready(list(self._messages)), timeout)

    # -- what a session asks of its server ---------------------------------------

    def handle_connection(self, connection: Connection) -> None:
        """Hold one SMTP conversation; runs in the connection's thread."""
        if self._tls:
            context = self.ssl_context
            assert context is not None  # tls=True made one in __init__
            if not connection.start_tls(context):
                return
        Session(connection, self, tls=self._tls).serve()

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
               user: str | None, mail_options: list[str], tls: bool) -> None:
        """Parse and append a message to :attr:`messages`; thread-safe."""
        message = ReceivedMessage(
            mail_from=mail_from, rcpt_tos=list(rcpt_tos), data=data,
            message=parse_message(data),
            time=time.time(), peer=peer, user=user, mail_options=list(mail_options), tls=tls)
        with self._messages_lock:
            self._messages.append(message)
            self._messages_lock.notify_all()


def _accept_everyone(address: str) -> bool:
    return False


def _one_line(setting: str, text: str) -> str:
    """*text*, refused if a reply could not carry it on one line (CR or LF would forge one)."""
    if any(char in text for char in "\r\n\0"):
        raise ValueError(f"{setting} must not contain CR, LF or NUL: {text!r}")
    return text
