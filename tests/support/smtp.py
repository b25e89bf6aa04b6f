"""A raw SMTP client, for what smtplib will not send: bytes exactly as given, replies as read."""

from __future__ import annotations

import socket
import ssl

__all__ = ["RawSMTPClient"]


class RawSMTPClient:
    """A line-level SMTP client that can switch to TLS; sends bytes exactly as given.

    Not thread-safe; every read blocks for at most *timeout* seconds.
    """

    def __init__(self, address: tuple[str, int], context: ssl.SSLContext | None = None, *,
                 timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(address, timeout=timeout)
        if context is not None:
            self.start_tls(context)
        self._buffer = b""

    def start_tls(self, context: ssl.SSLContext) -> None:
        """Handshake on the connection, as a client does after ``220`` to ``STARTTLS``."""
        self.sock = context.wrap_socket(self.sock, server_hostname="localhost")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> tuple[int, list[str]] | None:
        """The next reply: its code and its lines of text; None if the server closed first."""
        lines = []
        while True:
            while b"\r\n" not in self._buffer:
                data = self.sock.recv(4096)
                if not data:
                    return None
                self._buffer += data
            line, self._buffer = self._buffer.split(b"\r\n", 1)
            lines.append(line[4:].decode("utf-8"))
            if line[3:4] != b"-":
                return int(line[:3]), lines

    def command(self, line: bytes | str) -> tuple[int, list[str]] | None:
        """Send *line* and CRLF; return the reply."""
        self.send((line.encode("utf-8") if isinstance(line, str) else line) + b"\r\n")
        return self.reply()

    def code(self, line: bytes | str) -> int | None:
        """Send *line* and CRLF; return the code of the reply."""
        reply = self.command(line)
        return None if reply is None else reply[0]

    def close(self) -> None:
        self.sock.close()
