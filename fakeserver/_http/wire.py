"""The request head on the wire: request line and header fields, and refusing them.

Owns the limits on what a client may send before its body (RFC 9112
sections 2 to 5: request line, field lines, their sizes and syntax) and the
plain ``4xx`` answer when it breaks them. Knows nothing of WSGI.
"""

from __future__ import annotations

import re
import socket
from typing import Any

from .body import ClientError

__all__ = ["MAX_HEAD_BYTES", "MAX_HEADERS", "read_head", "send_error"]

#: The longest request line or header line, and the most header bytes.
MAX_HEAD_BYTES = 65536
#: The most header fields in one request.
MAX_HEADERS = 100

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VERSION = re.compile(rb"HTTP/1\.[0-9]")


def read_head(rfile: Any) -> tuple[str, str, str, list[tuple[str, str]]] | None:
    """Read a request line and its header fields; None at a clean end of stream."""
    line = rfile.readline(MAX_HEAD_BYTES + 1)
    while line in (b"\r\n", b"\n"):  # RFC 9112 2.2: ignore blank lines before a request
        line = rfile.readline(MAX_HEAD_BYTES + 1)
    if not line:
        return None
    if len(line) > MAX_HEAD_BYTES:
        raise ClientError(414, "URI Too Long", f"request line over {MAX_HEAD_BYTES} bytes")
    if not line.endswith(b"\n"):
        raise ClientError(0, "", "connection closed in the middle of the request line")
    parts = line.split()
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]):
        raise ClientError(400, "Bad Request", f"malformed request line {line[:80]!r}")
    method, target, version = parts
    if not _VERSION.fullmatch(version):
        if version.startswith(b"HTTP/") and version[5:6].isdigit():
            raise ClientError(505, "HTTP Version Not Supported", f"version {version!r}")
        raise ClientError(400, "Bad Request", f"malformed request line {line[:80]!r}")
    headers: list[tuple[str, str]] = []
    total = len(line)
    while True:
        line = rfile.readline(MAX_HEAD_BYTES + 1)
        total += len(line)
        if line in (b"\r\n", b"\n"):
            break
        if total > MAX_HEAD_BYTES:
            raise ClientError(431, "Request Header Fields Too Large",
                              f"header section over {MAX_HEAD_BYTES} bytes")
        if not line.endswith(b"\n"):
            raise ClientError(0, "", "connection closed in the middle of the request head")
        if len(headers) >= MAX_HEADERS:
            raise ClientError(431, "Request Header Fields Too Large",
                              f"more than {MAX_HEADERS} header fields")
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):  # also rejects obsolete line folding
            raise ClientError(400, "Bad Request", f"malformed header line {line[:80]!r}")
        headers.append((name.decode("latin-1"), value.strip().decode("latin-1")))
    return (method.decode("latin-1"), target.decode("latin-1"),
            version.decode("latin-1"), headers)


def send_error(sock: socket.socket, error: ClientError) -> None:
    body = f"{error.status} {error.reason}: {error.detail}\n".encode("latin-1", "replace")
    head = (f"HTTP/1.1 {error.status} {error.reason}\r\n"
            "Content-Type: text/plain; charset=latin-1\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    try:
        sock.sendall(head.encode("latin-1") + body)
    except OSError:
        pass
