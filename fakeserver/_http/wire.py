"""HTTP/1.1 heads on the wire: reading a request's, writing a response's, and refusing a client.

Owns the bytes before a body in both directions (RFC 9112 sections 2 to 5):
the limits on a request line and its header fields, the one function that
renders every status line and header block the server sends, the reason
phrase of a status code, and :class:`ClientError`, the refusal that carries
the status to answer. Knows nothing of WSGI, sockets being accepted, or
threads.
"""

from __future__ import annotations

import re
import socket
from http import HTTPStatus
from typing import Any, Iterable, NamedTuple

__all__ = ["MAX_HEAD_BYTES", "MAX_HEADERS", "ClientError", "RequestHead", "read_head",
           "reason_phrase", "send_error", "tokens", "write_head"]

#: The longest request line or header line, and the most header bytes.
MAX_HEAD_BYTES = 65536
#: The most header fields in one request.
MAX_HEADERS = 100

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VERSION = re.compile(rb"HTTP/1\.[0-9]")

# RFC 9110 renamed four statuses; http.HTTPStatus follows from Python 3.13 on
# (https://github.com/python/cpython/issues/102247). Taking the new names on
# every version keeps the bytes on the wire independent of the interpreter.
_REASONS = {status.value: status.phrase for status in HTTPStatus}
_REASONS.update({413: "Content Too Large", 414: "URI Too Long", 416: "Range Not Satisfiable",
                 422: "Unprocessable Content"})


def reason_phrase(status: int) -> str:
    """The reason phrase of *status* as :class:`http.HTTPStatus` names it; else ``Unknown``."""
    return _REASONS.get(status, "Unknown")


def write_head(status: int, headers: Iterable[tuple[str, str]], *,
               reason: str | None = None) -> bytes:
    """Render a response head: the status line, *headers* in order, and the blank line.

    Every status line the server sends comes from here, interim (``100
    Continue``) and final alike. *reason* defaults to :func:`reason_phrase`.
    Adds no field of its own. Raises :class:`UnicodeEncodeError` for text
    outside Latin-1, before anything is sent.
    """
    if reason is None:
        reason = reason_phrase(status)
    lines = [f"HTTP/1.1 {status} {reason}\r\n"]
    lines += [f"{name}: {value}\r\n" for name, value in headers]
    lines.append("\r\n")
    return "".join(lines).encode("latin-1")


def tokens(value: str) -> set[str]:
    """The comma-separated tokens of a header value, lowercased (``Connection``)."""
    return {token.strip().lower() for token in value.split(",")}


class ClientError(Exception):
    """The client sent something we must refuse, answered with *status*.

    The reason phrase follows from the status; *detail* says what was wrong,
    for the log and the body of the answer. ``status`` 0 means no answer is
    possible (the client is gone). Raised into the app from ``wsgi.input``
    too: an app that lets it propagate gets the status answered for it, and
    it is not counted as an application error.
    """

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail

    @property
    def reason(self) -> str:
        """The reason phrase of :attr:`status`; empty when no answer is possible."""
        return reason_phrase(self.status) if self.status else ""


class RequestHead(NamedTuple):
    """A request line and its header fields, as :func:`read_head` returns them."""

    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]


def read_head(rfile: Any) -> RequestHead | None:
    """Read a request line and its header fields; None at a clean end of stream.

    Blocks on *rfile* (a buffered binary stream). Raises :class:`ClientError`
    for a head that breaks the limits or the syntax, and lets the stream's
    :class:`OSError` through.
    """
    line = rfile.readline(MAX_HEAD_BYTES + 1)
    while line in (b"\r\n", b"\n"):  # RFC 9112 2.2: ignore blank lines before a request
        line = rfile.readline(MAX_HEAD_BYTES + 1)
    if not line:
        return None
    if len(line) > MAX_HEAD_BYTES:
        raise ClientError(414, f"request line over {MAX_HEAD_BYTES} bytes")
    if not line.endswith(b"\n"):
        raise ClientError(0, "connection closed in the middle of the request line")
    parts = line.split()
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]):
        raise ClientError(400, f"malformed request line {line[:80]!r}")
    method, target, version = parts
    if not _VERSION.fullmatch(version):
        if version.startswith(b"HTTP/") and version[5:6].isdigit():
            raise ClientError(505, f"version {version!r}")
        raise ClientError(400, f"malformed request line {line[:80]!r}")
    headers: list[tuple[str, str]] = []
    total = len(line)
    while True:
        line = rfile.readline(MAX_HEAD_BYTES + 1)
        total += len(line)
        if line in (b"\r\n", b"\n"):
            break
        if total > MAX_HEAD_BYTES:
            raise ClientError(431, f"header section over {MAX_HEAD_BYTES} bytes")
        if not line.endswith(b"\n"):
            raise ClientError(0, "connection closed in the middle of the request head")
        if len(headers) >= MAX_HEADERS:
            raise ClientError(431, f"more than {MAX_HEADERS} header fields")
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):  # also rejects obsolete line folding
            raise ClientError(400, f"malformed header line {line[:80]!r}")
        headers.append((name.decode("latin-1"), value.strip().decode("latin-1")))
    return RequestHead(method.decode("latin-1"), target.decode("latin-1"),
                       version.decode("latin-1"), headers)


def send_error(sock: socket.socket, error: ClientError) -> None:
    """Answer *error* with its status and a one-line plain-text body, announcing the close.

    Sending failures are ignored: the client is gone, and the caller closes.
    """
    body = f"{error.status} {error.reason}: {error.detail}\n".encode("latin-1", "replace")
    head = write_head(error.status, [("Content-Type", "text/plain; charset=latin-1"),
                                     ("Content-Length", str(len(body))), ("Connection", "close")])
    try:
        sock.sendall(head + body)
    except OSError:
        pass
