"""The line I/O of one SMTP connection: read-ahead, line limits, the STARTTLS swap.

This module owns the bytes of an SMTP connection: reading CRLF-terminated
lines through a read-ahead buffer of its own, enforcing the line limit,
writing replies, and switching the socket to TLS (RFC 3207) with the
read-ahead thrown away. It knows nothing of commands or session state:
the :class:`Session` on top of it does.

Line limits: RFC 5321 4.5.3.1 sets 1000 octets (CRLF included) for text
lines and asks servers to accept command lines of at least 512; RFC 4954 4
raises it to 12288 for ``AUTH`` lines. The reader takes a limit per line
(the session knows which applies); a longer line is read to its end and
reported as such, so that the session can answer it and stay in step with
the client.
"""

from __future__ import annotations

import logging
import ssl

from .._http.serving import Connection

__all__ = ["MAX_AUTH_LINE", "MAX_LINE", "Channel", "Disconnected"]

logger = logging.getLogger("fakeserver")

#: The longest line, CRLF included, for commands and data (RFC 5321 4.5.3.1).
MAX_LINE = 1000
#: The longest ``AUTH`` command or response line, CRLF included (RFC 4954 4).
MAX_AUTH_LINE = 12288
#: How much is asked of the socket at a time.
_RECV_SIZE = 65536


class Disconnected(Exception):
    """The client closed its side (or ``stop()`` shut the socket down)."""


class Channel:
    """Reads lines from and writes replies to one client socket.

    The read-ahead buffer is ours rather than a ``makefile()`` reader's, so
    that :meth:`start_tls` knows exactly which plaintext bytes it throws
    away. Used only by the connection's thread.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._buffer = bytearray()

    def read_line(self, limit: int = MAX_LINE) -> bytes | None:
        """Return the next line with its ending, or None if it exceeded *limit* octets.

        Blocks. An over-long line is read to its end and dropped. Raises
        :class:`Disconnected` at the end of the stream, dropping any
        unterminated last line.
        """
        scanned = 0
        while True:
            end = self._buffer.find(b"\n", scanned, limit)
            if end >= 0:
                line = bytes(self._buffer[:end + 1])
                del self._buffer[:end + 1]
                return line
            if len(self._buffer) >= limit:
                self._discard_rest_of_line()
                return None
            scanned = len(self._buffer)
            self._receive()

    def _discard_rest_of_line(self) -> None:
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                del self._buffer[:end + 1]
                return
            self._buffer.clear()
            self._receive()

    def _receive(self) -> None:
        data = self._connection.sock.recv(_RECV_SIZE)
        if not data:
            raise Disconnected
        self._buffer += data

    def reply(self, code: int, *lines: str) -> None:
        """Send a reply, multi-line if given several lines (RFC 5321 4.2.1)."""
        text = "".join(f"{code}-{line}\r\n" for line in lines[:-1]) + f"{code} {lines[-1]}\r\n"
        self._connection.sock.sendall(text.encode("utf-8"))

    def start_tls(self, context: ssl.SSLContext) -> bool:
        """Handshake as the server on this connection; True once it is done.

        Call it after the reply that invites the handshake, with the
        connection idle (see :meth:`Connection.start_tls`, which also
        logs a failure). Bytes read ahead from the plaintext socket are
        discarded, never read as lines: RFC 3207 4.2 forbids pipelining past
        ``STARTTLS``, and executing them would let a man in the middle
        inject commands into the protected session (CVE-2011-0411).
        """
        if self._buffer:
            logger.warning("%s: discarded %d bytes sent after STARTTLS before the TLS handshake",
                           "%s:%s" % self._connection.address[:2], len(self._buffer))
            self._buffer.clear()
        return self._connection.start_tls(context)
