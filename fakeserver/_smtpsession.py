"""SMTP on one connection: read commands, keep the transaction state, reply.

This module owns the wire protocol for a single client connection: RFC 5321
with the 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), SIZE (RFC 1870),
PIPELINING (RFC 2920) and AUTH PLAIN/LOGIN (RFC 4954) extensions, reply
codes for out-of-order, unknown and malformed commands, and the configured
refusals. It knows nothing of sockets being accepted, of threads, or of how
messages are recorded: it asks its :class:`SMTPHost`.

Line limits: RFC 5321 4.5.3.1 sets 1000 octets (CRLF included) for text
lines and asks servers to accept command lines of at least 512. We accept
1000 for both and reply 500 beyond. A too-long line inside ``DATA`` is read
and discarded to the end of the message, which then gets 500 and is not
recorded: a client that relies on servers re-wrapping long lines is buggy,
and a test should say so. Only ``<CRLF>.<CRLF>`` ends the data (a bare-LF
``.`` does not, as in the SMTP-smuggling fixes of real servers).
"""

from __future__ import annotations

import base64
import logging
import re
from typing import Callable, Mapping, Protocol

from ._serving import Connection

__all__ = ["COMMANDS", "SMTPHost", "Session"]

logger = logging.getLogger("fakeserver")

#: The longest line, CRLF included, for commands, AUTH responses and data.
MAX_LINE = 1000
#: How much of an over-long line is read at a time while discarding it.
_DISCARD_CHUNK = 65536

_PATH = re.compile(r"(?P<keyword>[A-Za-z]+):\s*<(?P<address>[^<>]*)>(?P<params>(?:\s.*)?)")
_NOT_IMPLEMENTED = frozenset({"EXPN", "TURN", "ETRN", "BDAT", "STARTTLS"})
_END_OF_DATA = b".\r\n"
_LINE_TOO_LONG = (500, f"Line too long (the limit is {MAX_LINE} octets)")
_NEEDS_SMTPUTF8 = (553, "Non-ASCII address needs the SMTPUTF8 parameter")
# The challenges of AUTH LOGIN: base64 of "Username:" and "Password:".
_USERNAME_CHALLENGE = "VXNlcm5hbWU6"
_PASSWORD_CHALLENGE = "UGFzc3dvcmQ6"


class SMTPHost(Protocol):
    """What a session needs from the server that accepted its connection."""

    hostname: str
    max_size: int | None
    drop_after_data: bool

    def refusal(self, stage: str) -> tuple[int, str] | None:
        """The configured reply replacing the normal one at *stage*, or None."""

    def rejects_recipient(self, address: str) -> bool:
        """True if ``RCPT TO:<address>`` must get 550."""

    def requires_auth(self) -> bool:
        """True if ``MAIL`` must wait for a successful AUTH."""

    def accepts_login(self, user: str, password: str) -> bool:
        """True if *user* may log in with *password*."""

    def record(self, *, mail_from: str, rcpt_tos: list[str], data: bytes, peer: tuple,
               user: str | None, mail_options: list[str]) -> None:
        """Keep an accepted message; called before the 250 reply."""


class _Disconnected(Exception):
    """The client closed its side (or ``stop()`` shut the socket down)."""


class _Hangup(Exception):
    """The server ends the conversation after its last reply."""


class _ShuttingDown(Exception):
    """``stop()`` asked the connection to end between two commands."""


class _Channel:
    """Reads lines from and writes replies to one client socket.

    All I/O of a session goes through here so that STARTTLS can swap the
    socket in one place: wrap ``connection.sock``, assign the wrapped socket
    back to ``connection.sock`` (so that ``stop()`` and the final close act
    on it), and reopen the reader on it, discarding any buffered input
    (RFC 3207 4.2 forbids pipelining past STARTTLS). Used only by the
    connection's thread.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._reader = connection.sock.makefile("rb")

    def read_line(self) -> bytes | None:
        """Return the next line with its ending, or None if it exceeded :data:`MAX_LINE`.

        Blocks. An over-long line is read to its end and dropped. Raises
        :class:`_Disconnected` at the end of the stream, dropping any
        unterminated last line.
        """
        line = self._reader.readline(MAX_LINE)
        if line.endswith(b"\n"):
            return line
        if len(line) < MAX_LINE:
            raise _Disconnected
        while not line.endswith(b"\n"):
            line = self._reader.readline(_DISCARD_CHUNK)
            if not line:
                raise _Disconnected
        return None

    def reply(self, code: int, *lines: str) -> None:
        """Send a reply, multi-line if given several lines (RFC 5321 4.2.1)."""
        text = "".join(f"{code}-{line}\r\n" for line in lines[:-1]) + f"{code} {lines[-1]}\r\n"
        self._connection.sock.sendall(text.encode("utf-8"))

    def close(self) -> None:
        """Close the reader; the socket itself is closed by the server."""
        self._reader.close()


class Session:
    """One SMTP conversation: the state of RFC 5321 4.1.4 and the replies.

    Runs in, and only in, the connection's thread.
    """

    def __init__(self, connection: Connection, host: SMTPHost) -> None:
        self._connection = connection
        self._host = host
        self._channel = _Channel(connection)
        self._peer = "%s:%s" % connection.address[:2]
        self._hello: str | None = None
        self._esmtp = False
        self._in_service = True
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
        except (_Disconnected, OSError) as error:
            self._log_disconnect(error)
        finally:
            self._channel.close()

    def _log_disconnect(self, error: Exception) -> None:
        how = "disconnected" if isinstance(error, _Disconnected) else f"lost the connection ({error})"
        if self._mail_from is not None:
            logger.warning("%s %s mid-transaction; nothing delivered", self._peer, how)
        elif isinstance(error, _Disconnected) or self._connection.closing:
            logger.debug("%s %s", self._peer, how)
        else:
            logger.warning("%s %s", self._peer, how)

    def _next_command(self) -> None:
        if not self._connection.idle():
            raise _ShuttingDown
        line = self._channel.read_line()
        if not self._connection.busy():
            raise _ShuttingDown
        if line is None:
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
        self._channel.reply(250, f"{self._host.hostname} Hello {arg}", "8BITMIME", "SMTPUTF8",
                            "SIZE" if size is None else f"SIZE {size}",
                            "PIPELINING", "AUTH PLAIN LOGIN")

    def _helo(self, arg: str) -> None:
        if not arg:
            return self._error(501, "Syntax: HELO domain")
        self._reset()
        self._hello, self._esmtp = arg, False
        self._channel.reply(250, self._host.hostname)

    def _auth(self, arg: str) -> None:
        if not self._esmtp:
            return self._error(503, "Send EHLO first")
        if self._user is not None:
            return self._error(503, "Already authenticated")
        if self._mail_from is not None:
            return self._error(503, "AUTH not allowed during a mail transaction")
        mechanism, _, initial = arg.partition(" ")
        read = _MECHANISMS.get(mechanism.upper())
        if read is None:
            if not mechanism:
                return self._error(501, "Syntax: AUTH mechanism [initial-response]")
            return self._error(504, f"Unrecognized authentication type {mechanism}")
        credentials = read(self, initial.strip() or None)
        if credentials is None:  # already answered
            return None
        user, password = credentials
        if not self._host.accepts_login(user, password):
            return self._error(535, "Authentication credentials invalid")
        self._user = user
        self._channel.reply(235, "Authentication successful")

    def _auth_plain(self, initial: str | None) -> tuple[str, str] | None:
        response = self._sasl_response(initial, "")
        if response is None:
            return None
        parts = response.split(b"\0")
        try:
            authzid, user, password = (part.decode("utf-8") for part in parts)
        except ValueError:  # not three parts, or not UTF-8
            return self._error(501, "Malformed AUTH PLAIN response")
        if authzid not in ("", user):
            return self._error(535, f"{user} may not act as {authzid}")
        return user, password

    def _auth_login(self, initial: str | None) -> tuple[str, str] | None:
        user = self._sasl_response(initial, _USERNAME_CHALLENGE)
        password = None if user is None else self._sasl_response(None, _PASSWORD_CHALLENGE)
        if user is None or password is None:
            return None
        try:
            return user.decode("utf-8"), password.decode("utf-8")
        except UnicodeDecodeError:
            return self._error(501, "Malformed AUTH LOGIN response")

    def _sasl_response(self, initial: str | None, challenge: str) -> bytes | None:
        """Decode *initial*, or else a response to *challenge*; None if answered with an error."""
        if initial is None:
            self._channel.reply(334, challenge)
            line = self._channel.read_line()
            if line is None:
                return self._error(*_LINE_TOO_LONG)
            initial = line.decode("ascii", "replace").strip()
        if initial == "*":
            return self._error(501, "Authentication cancelled")
        if initial == "=":  # RFC 4954 4: an empty initial response
            return b""
        try:
            return base64.b64decode(initial, validate=True)
        except ValueError:
            return self._error(501, "Invalid base64 in AUTH response")

    def _mail(self, arg: str) -> None:
        if self._hello is None:
            return self._error(503, "Send EHLO or HELO first")
        if self._mail_from is not None:
            return self._error(503, "Nested MAIL command")
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
                              mail_options=self._mail_options)
            self._channel.reply(250, "OK: message accepted")
        finally:
            self._reset()

    def _read_data(self) -> tuple[bytes, tuple[int, str] | None]:
        """Read up to the end-of-data line; the unstuffed data and any problem found."""
        lines: list[bytes] = []
        size, limit = 0, self._host.max_size
        problem: tuple[int, str] | None = None
        while True:
            line = self._channel.read_line()
            if line == _END_OF_DATA:
                return b"".join(lines), problem
            if problem is not None:
                continue
            if line is None:
                problem, lines = _LINE_TOO_LONG, []
                continue
            if line.startswith(b"."):  # RFC 5321 4.5.2: transparency
                line = line[1:]
            size += len(line)
            if limit is not None and size > limit:
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
    "RSET": Session._rset, "VRFY": Session._vrfy,
}
_MECHANISMS: Mapping[str, Callable[[Session, str | None], tuple[str, str] | None]] = {
    "LOGIN": Session._auth_login, "PLAIN": Session._auth_plain,
}
