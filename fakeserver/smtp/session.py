"""SMTP on one connection: read commands, keep the transaction state, reply.

This module owns the wire protocol for a single client connection: RFC 5321
with the 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), SIZE (RFC 1870),
PIPELINING (RFC 2920), STARTTLS (RFC 3207) and AUTH PLAIN/LOGIN (RFC 4954)
extensions, reply codes for out-of-order, unknown and malformed commands,
and the configured refusals. It knows nothing of sockets being accepted, of
threads, or of how messages are recorded: it asks its :class:`SMTPHost`.
Reading lines and switching to TLS is its :class:`Channel`'s job.

A command line over the channel's limit (1000 octets, 12288 for ``AUTH``
and its responses) gets 500. A data line over 1000 octets, not counting a
transparency dot, is read and discarded to the end of the message, which
then gets 500 and is not recorded: a client that relies on servers
re-wrapping long lines is buggy, and a test should say so. Only
``<CRLF>.<CRLF>`` ends the data (a bare-LF ``.`` does not, as in the
SMTP-smuggling fixes of real servers).
"""

from __future__ import annotations

import logging
import re
import ssl
from typing import Callable, Mapping, Protocol

from .._http.serving import Connection
from .auth import MECHANISMS, AuthError, read_credentials
from .channel import MAX_AUTH_LINE, MAX_LINE, Channel, Disconnected

__all__ = ["COMMANDS", "SMTPHost", "Session"]

logger = logging.getLogger("fakeserver")

_PATH = re.compile(r"(?P<keyword>[A-Za-z]+):\s*<(?P<address>[^<>]*)>(?P<params>(?:\s.*)?)")
_NOT_IMPLEMENTED = frozenset({"EXPN", "TURN", "ETRN", "BDAT"})
_END_OF_DATA = b".\r\n"
_LINE_TOO_LONG = (500, f"Line too long (the limit is {MAX_LINE} octets)")
_AUTH_LINE_TOO_LONG = (500, f"Line too long (the limit is {MAX_AUTH_LINE} octets for AUTH)")
_NEEDS_SMTPUTF8 = (553, "Non-ASCII address needs the SMTPUTF8 parameter")
_NEEDS_TLS = (530, "Must issue a STARTTLS command first")


class SMTPHost(Protocol):
    """What a session needs from the server that accepted its connection."""

    hostname: str
    max_size: int | None
    drop_after_data: bool
    #: True: ``MAIL`` and ``AUTH`` are refused until the connection uses TLS.
    require_tls: bool
    #: The server-side context for ``STARTTLS``; None without TLS.
    ssl_context: ssl.SSLContext | None

    @property
    def starttls(self) -> bool:
        """True: ``STARTTLS`` is offered until the connection uses TLS."""

    def refusal(self, stage: str) -> tuple[int, str] | None:
        """The configured reply replacing the normal one at *stage*, or None."""

    def rejects_recipient(self, address: str) -> bool:
        """True if ``RCPT TO:<address>`` must get 550."""

    def requires_auth(self) -> bool:
        """True if ``MAIL`` must wait for a successful AUTH."""

    def accepts_login(self, user: str, password: str) -> bool:
        """True if *user* may log in with *password*."""

    def record(self, *, mail_from: str, rcpt_tos: list[str], data: bytes, peer: tuple,
               user: str | None, mail_options: list[str], tls: bool) -> None:
        """Keep an accepted message; called before the 250 reply."""


class _Hangup(Exception):
    """The server ends the conversation after its last reply."""


class _ShuttingDown(Exception):
    """``stop()`` asked the connection to end between two commands."""


class Session:
    """One SMTP conversation: the state of RFC 5321 4.1.4 and the replies.

    *tls* says the connection already uses TLS (SMTPS: the server
    handshook before the greeting). Runs in, and only in, the connection's
    thread.
    """

    def __init__(self, connection: Connection, host: SMTPHost, *, tls: bool = False) -> None:
        self._connection = connection
        self._host = host
        self._channel = Channel(connection)
        self._peer = "%s:%s" % connection.address[:2]
        self._tls = tls
        self._in_service = True
        self._forget_client()

    def _forget_client(self) -> None:
        """Back to the state of a fresh connection: no EHLO, no AUTH, no transaction."""
        self._hello: str | None = None
        self._esmtp = False
        self._user: str | None = None
        self._reset()

    def _reset(self) -> None:
        self._mail_from: str | None = None
        self._mail_options: list[str] = []
        self._smtputf8 = False
        self._rcpt_tos: list[str] = []

    def serve(self) -> None:
        """Greet the client and answer its commands until either side ends; blocks."""
        try:
            if not self._refused("connect"):
                self._channel.reply(220, f"{self._host.hostname} ESMTP fakeserver")
            while True:
                self._next_command()
        except _Hangup:
            pass
        except _ShuttingDown:
            logger.debug("%s: closing, the server is stopping", self._peer)
            try:
                self._channel.reply(421, f"{self._host.hostname} Service shutting down")
            except OSError:  # stop() may have shut the socket down already
                pass
        except (Disconnected, OSError) as error:
            self._log_disconnect(error)

    def _log_disconnect(self, error: Exception) -> None:
        how = "disconnected" if isinstance(error, Disconnected) else f"lost the connection ({error})"
        if self._mail_from is not None:
            logger.warning("%s %s mid-transaction; nothing delivered", self._peer, how)
        elif isinstance(error, Disconnected) or self._connection.closing:
            logger.debug("%s %s", self._peer, how)
        else:
            logger.warning("%s %s", self._peer, how)

    def _next_command(self) -> None:
        if not self._connection.idle():
            raise _ShuttingDown
        line = self._channel.read_line(MAX_AUTH_LINE)  # the longest a command may be
        if not self._connection.busy():
            raise _ShuttingDown
        if line is None:
            return self._error(*_AUTH_LINE_TOO_LONG)
        is_auth = line[:5].upper() == b"AUTH "
        if len(line) > MAX_LINE and not is_auth:
            return self._error(*_LINE_TOO_LONG)
        try:
            text = line.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            return self._error(500, "Syntax error: command is not UTF-8")
        verb, _, arg = text.partition(" ")
        verb, arg = verb.upper(), arg.strip()
        shown = f"AUTH {arg.partition(' ')[0]}" if verb == "AUTH" else text  # no credentials
        logger.debug("%s sent %s", self._peer, shown)
        handler = COMMANDS.get(verb)
        if handler is None:
            if verb in _NOT_IMPLEMENTED:
                return self._error(502, f"{verb} not implemented")
            return self._error(500, "Syntax error: command unrecognized")
        if not self._in_service and verb != "QUIT":
            return self._error(503, "No service: only QUIT is accepted")
        if not self._refused(verb):
            handler(self, arg)

    def _error(self, code: int, text: str) -> None:
        logger.warning("%s: %d %s", self._peer, code, text)
        self._channel.reply(code, text)

    def _refused(self, stage: str) -> bool:
        """Send the configured refusal for *stage*, if any; True if one was sent."""
        refusal = self._host.refusal(stage)
        if refusal is None:
            return False
        code, text = refusal
        logger.info("%s: %s refused as configured: %d %s", self._peer, stage, code, text)
        self._channel.reply(code, text)
        if code == 421:
            raise _Hangup
        if stage == "connect":
            self._in_service = False
        return True

    # -- commands --------------------------------------------------------------

    def _ehlo(self, arg: str) -> None:
        if not arg:
            return self._error(501, "Syntax: EHLO domain")
        self._reset()
        self._hello, self._esmtp = arg, True
        size = self._host.max_size
        extensions = ["8BITMIME", "SMTPUTF8", "SIZE" if size is None else f"SIZE {size}",
                      "PIPELINING"]
        if self._host.starttls and not self._tls:
            extensions.append("STARTTLS")
        if self._tls or not self._host.require_tls:  # no credentials in the clear
            extensions.append("AUTH " + " ".join(MECHANISMS))
        self._channel.reply(250, f"{self._host.hostname} Hello {arg}", *extensions)

    def _helo(self, arg: str) -> None:
        if not arg:
            return self._error(501, "Syntax: HELO domain")
        self._reset()
        self._hello, self._esmtp = arg, False
        self._channel.reply(250, self._host.hostname)

    def _starttls(self, arg: str) -> None:
        if self._tls:
            return self._error(503, "TLS already active")
        context = self._host.ssl_context
        if not self._host.starttls or context is None:
            return self._error(502, "STARTTLS not implemented")
        if arg:
            return self._error(501, "Syntax: STARTTLS (no parameters allowed)")
        self._channel.reply(220, "Ready to start TLS")
        # Idle during the handshake, so that stop() ends a silent client at once.
        if not self._connection.idle() or not self._channel.start_tls(context):
            raise _Hangup
        self._tls = True
        self._forget_client()  # RFC 3207 4.2: the client must EHLO again
        logger.debug("%s: TLS started", self._peer)

    def _auth(self, arg: str) -> None:
        if not self._esmtp:
            return self._error(503, "Send EHLO first")
        if self._host.require_tls and not self._tls:
            return self._error(*_NEEDS_TLS)
        if self._user is not None:
            return self._error(503, "Already authenticated")
        if self._mail_from is not None:
            return self._error(503, "AUTH not allowed during a mail transaction")
        mechanism, _, initial = arg.partition(" ")
        if mechanism.upper() not in MECHANISMS:
            if not mechanism:
                return self._error(501, "Syntax: AUTH mechanism [initial-response]")
            return self._error(504, f"Unrecognized authentication type {mechanism}")
        try:
            user, password = read_credentials(mechanism.upper(), initial.strip() or None, self._ask)
        except AuthError as error:
            return self._error(*error.reply)
        if not self._host.accepts_login(user, password):
            return self._error(535, "Authentication credentials invalid")
        self._user = user
        self._channel.reply(235, "Authentication successful")

    def _ask(self, challenge: str) -> str:
        """Send an AUTH challenge and return the client's answer."""
        self._channel.reply(334, challenge)
        line = self._channel.read_line(MAX_AUTH_LINE)
        if line is None:
            raise AuthError(*_AUTH_LINE_TOO_LONG)
        return line.decode("ascii", "replace").strip()

    def _mail(self, arg: str) -> None:
        if self._hello is None:
            return self._error(503, "Send EHLO or HELO first")
        if self._mail_from is not None:
            return self._error(503, "Nested MAIL command")
        if self._host.require_tls and not self._tls:
            return self._error(*_NEEDS_TLS)
        if self._user is None and self._host.requires_auth():
            return self._error(530, "Authentication required")
        match = _PATH.fullmatch(arg)
        if match is None or match["keyword"].upper() != "FROM":
            return self._error(501, "Syntax: MAIL FROM:<address> [parameters]")
        params = match["params"].split()
        smtputf8 = any(param.upper() == "SMTPUTF8" for param in params)
        problem = _check_mail_params(params, self._host.max_size)
        if problem is None and not smtputf8 and not match["address"].isascii():
            problem = _NEEDS_SMTPUTF8
        if problem is not None:
            return self._error(*problem)
        self._mail_from, self._mail_options, self._smtputf8 = match["address"], params, smtputf8
        self._channel.reply(250, "OK")

    def _rcpt(self, arg: str) -> None:
        if self._mail_from is None:
            return self._error(503, "Send MAIL first")
        match = _PATH.fullmatch(arg)
        if match is None or match["keyword"].upper() != "TO" or not match["address"]:
            return self._error(501, "Syntax: RCPT TO:<address>")
        address = match["address"]
        if match["params"].strip():
            return self._error(555, "RCPT TO parameters not recognized")
        if not self._smtputf8 and not address.isascii():
            return self._error(*_NEEDS_SMTPUTF8)
        if self._host.rejects_recipient(address):
            logger.info("%s: recipient %s refused as configured", self._peer, address)
            return self._channel.reply(550, f"Mailbox unavailable: {address}")
        self._rcpt_tos.append(address)
        self._channel.reply(250, "OK")

    def _data(self, arg: str) -> None:
        if arg:
            return self._error(501, "Syntax: DATA")
        if self._mail_from is None:
            return self._error(503, "Send MAIL first")
        if not self._rcpt_tos:
            return self._error(503, "Send RCPT first")
        self._channel.reply(354, "End data with <CR><LF>.<CR><LF>")
        data, problem = self._read_data()
        try:
            if self._host.drop_after_data:
                logger.info("%s: dropping the connection after DATA as configured", self._peer)
                raise _Hangup
            if problem is not None:
                return self._error(*problem)
            if self._refused("message"):
                return None
            self._host.record(mail_from=self._mail_from, rcpt_tos=self._rcpt_tos, data=data,
                              peer=self._connection.address, user=self._user,
                              mail_options=self._mail_options, tls=self._tls)
            self._channel.reply(250, "OK: message accepted")
        finally:
            self._reset()

    def _read_data(self) -> tuple[bytes, tuple[int, str] | None]:
        """Read up to the end-of-data line; the unstuffed data and any problem found."""
        lines: list[bytes] = []
        size, limit = 0, self._host.max_size
        problem: tuple[int, str] | None = None
        while True:
            # One octet more than the limit: the transparency dot does not count.
            line = self._channel.read_line(MAX_LINE + 1)
            if line == _END_OF_DATA:
                # The CRLF before "." belongs to the end-of-data mark, not the
                # message (RFC 1870 3): smtplib's SIZE= does not count it either.
                if limit is not None and lines and lines[-1].endswith(b"\r\n"):
                    size -= 2
                if problem is None and limit is not None and size > limit:
                    problem, lines = _too_big(limit), []
                return b"".join(lines), problem
            if problem is not None:
                continue
            if line is not None and line.startswith(b"."):  # RFC 5321 4.5.2: transparency
                line = line[1:]
            if line is None or len(line) > MAX_LINE:  # RFC 5321 4.5.3.1.6
                problem, lines = _LINE_TOO_LONG, []
                continue
            size += len(line)
            if limit is not None and size > limit + 2:  # + the CRLF that may end the message
                problem, lines = _too_big(limit), []
                continue
            lines.append(line)

    def _rset(self, arg: str) -> None:
        if arg:
            return self._error(501, "Syntax: RSET")
        self._reset()
        self._channel.reply(250, "OK")

    def _noop(self, arg: str) -> None:
        self._channel.reply(250, "OK")

    def _vrfy(self, arg: str) -> None:
        if not arg:
            return self._error(501, "Syntax: VRFY address")
        self._channel.reply(252, "Cannot VRFY user, but will accept message and attempt delivery")

    def _help(self, arg: str) -> None:
        self._channel.reply(214, "Commands: " + " ".join(sorted(COMMANDS)), "End of HELP info")

    def _quit(self, arg: str) -> None:
        self._channel.reply(221, f"{self._host.hostname} Bye")
        raise _Hangup


def _check_mail_params(params: list[str], max_size: int | None) -> tuple[int, str] | None:
    """Check the ``MAIL FROM`` parameters; the error reply, or None if all is well."""
    for param in params:
        keyword, equals, value = param.partition("=")
        keyword = keyword.upper()
        if keyword == "SIZE":
            if not (value.isascii() and value.isdigit()):
                return 501, "Syntax: SIZE=<number of bytes>"
            if max_size is not None and int(value) > max_size:
                return _too_big(max_size)
        elif keyword == "BODY":
            if value.upper() not in ("7BIT", "8BITMIME"):
                return 501, "Syntax: BODY=7BIT or BODY=8BITMIME"
        elif keyword == "SMTPUTF8" and not equals:
            pass
        elif keyword != "AUTH":  # RFC 4954 5: AUTH=<mailbox> may be ignored
            return 555, f"MAIL FROM parameter not recognized: {param}"
    return None


def _too_big(limit: int) -> tuple[int, str]:
    return 552, f"Message exceeds the fixed maximum size of {limit} bytes"


#: Every implemented command and its handler.
COMMANDS: Mapping[str, Callable[[Session, str], None]] = {
    "AUTH": Session._auth, "DATA": Session._data, "EHLO": Session._ehlo,
    "HELO": Session._helo, "HELP": Session._help, "MAIL": Session._mail,
    "NOOP": Session._noop, "QUIT": Session._quit, "RCPT": Session._rcpt,
    "RSET": Session._rset, "STARTTLS": Session._starttls, "VRFY": Session._vrfy,
}
