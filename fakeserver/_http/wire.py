"""HTTP/1.1 heads on the wire: reading a request's, writing a response's, and refusing a client.

Owns the bytes before a body in both directions (RFC 9112 sections 2 to 5):
the limits and syntax of a request line and its field lines; the checks
and rendering of every status line and header field the server sends, in
one place, so that nothing an app, a stub or a fault gives can split a
response; the reason phrase of a status code; what makes a
Content-Length; and :class:`ClientError`, the refusal that carries the
status to answer. Knows nothing of WSGI, sockets being accepted, or
threads.
"""

from __future__ import annotations

import re
import socket
from http import HTTPStatus
from typing import Any, Iterable, NamedTuple

from .memo import Memo

__all__ = ["CONTROLS", "MAX_HEAD_BYTES", "MAX_HEADERS", "ClientError", "RequestHead",
           "checked_field_lines", "content_length", "field_line", "field_lines", "head_end",
           "parse_fields", "read_head", "reason_phrase", "send_error", "status_line", "tokens",
           "write_head", "write_request_head"]

#: The longest request line or header line, and the most header bytes.
MAX_HEAD_BYTES = 65536
#: The most header fields in one request.
MAX_HEADERS = 100
#: The most digits of a Content-Length: 20 hold any 64-bit size (as h11 has it).
MAX_LENGTH_DIGITS = 20

#: The control characters a field value may not hold: all but HTAB (RFC 9110
#: section 5.5), as the inside of a bytes regex character class.
CONTROLS = rb"\x00-\x08\x0a-\x1f\x7f"

_TOKEN_TEXT = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"  # RFC 9110 section 5.6.2
_TOKEN = re.compile(_TOKEN_TEXT.encode("ascii"))
_VERSION = re.compile(rb"HTTP/1\.[0-9]")
# A field line: name, colon, the value between optional spaces and tabs, the line end.
_FIELD_LINE = re.compile(b"(" + _TOKEN_TEXT.encode("ascii") + b"):[ \t]*([^" + CONTROLS
                         + b"]*)\r?\n").fullmatch
# The same on a whole field section decoded as latin-1: each line's name and its value
# without the spaces and tabs around it, found at once; a line that is no field is not found.
_FIELDS = re.compile(r"(?m)^(" + _TOKEN_TEXT + r"):[ \t]*((?:[^" + CONTROLS.decode("ascii")
                     + r"]*[^ \t" + CONTROLS.decode("ascii") + r"])?)[ \t]*\r?\n").findall
# What must never reach a response head from outside: each would end a line.
_LINE_BREAKING = re.compile(r"[\r\n\x00]").search
_FIELD_NAME = re.compile(_TOKEN_TEXT).fullmatch
# A request line as a client sends it: method, a target without spaces or controls.
_REQUEST_LINE = re.compile(_TOKEN_TEXT + r" [^\x00-\x20\x7f]+").fullmatch

# RFC 9110 renamed four statuses; http.HTTPStatus follows from Python 3.13 on
# (https://github.com/python/cpython/issues/102247). Taking the new names on
# every version keeps the bytes on the wire independent of the interpreter.
_REASONS = {status.value: status.phrase for status in HTTPStatus}
_REASONS.update({413: "Content Too Large", 414: "URI Too Long", 416: "Range Not Satisfiable",
                 422: "Unprocessable Content"})

#: Request heads and field sections parsed lately, and field lines checked and rendered
#: lately (see ``memo``).
_HEADS: Memo[bytes, tuple[str, str, str, tuple[tuple[str, str], ...]]] = Memo(256)
_SECTIONS: Memo[bytes, tuple[tuple[str, str], ...]] = Memo(256)
_FIELD_LINES: Memo[tuple[tuple[str, str], ...], bytes] = Memo(256)
_REQUEST_HEADS: Memo[tuple[str, str, tuple[tuple[str, str], ...]], bytes] = Memo(256)


def reason_phrase(status: int) -> str:
    """The reason phrase of *status* as :class:`http.HTTPStatus` names it; else ``Unknown``."""
    return _REASONS.get(status, "Unknown")


def write_head(status: int, fields: Iterable[tuple[str, str]], *,
               reason: str | None = None) -> bytes:
    """Check and render a response head: the status line, *fields* in order, the blank line.

    Every head the server sends is made of :func:`status_line` and
    :func:`field_lines`, here or, for a WSGI app's, in pieces by
    ``render_head``: whoever gave the head (an app, a stub's ``Response``,
    a fault), nothing that would split or garble it is sent. Raises what
    they raise. Adds no field of its own.
    """
    return status_line(status, reason) + field_lines(fields) + b"\r\n"


def write_request_head(method: str, target: str, fields: Iterable[tuple[str, str]]) -> bytes:
    """Check and render a request head, as a client sends it to an upstream.

    The request line (``method target HTTP/1.1``), *fields* in order, the
    blank line. Raises :class:`ValueError` for a method that is not a token
    or a target with a space or a control character, and what
    :func:`field_lines` raises.
    """
    fields = tuple(fields)
    return _REQUEST_HEADS.made((method, target, fields), _checked_request_head, method, target,
                               fields, length=len)


def _checked_request_head(method: str, target: str, fields: tuple[tuple[str, str], ...]) -> bytes:
    line = "".join((method, " ", target))
    if not _REQUEST_LINE(line):
        raise ValueError(f"invalid request line {line[:80]!r}: the method must be a token "
                         "and the target free of spaces and control characters")
    # field_lines() remembers the fields apart from the target: a client sends the same
    # fields to many targets.
    return (line + " HTTP/1.1\r\n").encode("latin-1") + field_lines(fields) + b"\r\n"


def status_line(status: int, reason: str | None = None) -> bytes:
    """``HTTP/1.1 <status> <reason>`` and CRLF, checked; *reason* defaults to :func:`reason_phrase`.

    Raises :class:`ValueError` for a *status* that is not an int from 100 to
    999 and for CR, LF or NUL in *reason*; :class:`UnicodeEncodeError` for
    text outside Latin-1.
    """
    if not (isinstance(status, int) and 100 <= status <= 999):
        raise ValueError(f"invalid status {status!r}: must be an int from 100 to 999")
    if reason is None:
        reason = reason_phrase(status)
    elif _LINE_BREAKING(reason):
        raise ValueError(f"invalid reason phrase {reason!r}: CR, LF and NUL are not allowed")
    return f"HTTP/1.1 {status} {reason}\r\n".encode("latin-1")


def field_lines(fields: Iterable[tuple[str, str]]) -> bytes:
    """Each ``name: value`` of *fields* and CRLF, checked (RFC 9110 section 5).

    Raises :class:`ValueError` for a name that is not a token, CR, LF or NUL
    in a value, and a ``Content-Length`` that is not a decimal or differs
    from another; :class:`UnicodeEncodeError` for text outside Latin-1.
    """
    fields = tuple(fields)
    return _FIELD_LINES.made(fields, checked_field_lines, fields, length=len)


def checked_field_lines(fields: Iterable[tuple[str, str]]) -> bytes:
    """:func:`field_lines`, made anew: for a caller that remembers what it makes itself."""
    lines = []
    length = None
    for name, value in fields:
        if not _FIELD_NAME(name):
            raise ValueError(f"invalid header name {name!r}: "
                             "must be a token (RFC 9110 section 5.1)")
        if _LINE_BREAKING(value):
            raise ValueError(f"invalid value of header {name}: {value!r}: "
                             "CR, LF and NUL are not allowed")
        if len(name) == 14 and name.lower() == "content-length":
            if content_length(value) is None:
                raise ValueError(f"invalid Content-Length {value!r}: must be a non-negative "
                                 f"decimal of at most {MAX_LENGTH_DIGITS} digits")
            if length is not None and value != length:
                raise ValueError(f"conflicting Content-Length values {length!r} and {value!r}")
            length = value
        lines.append("".join((name, ": ", value, "\r\n")))  # the text checked, whatever its type
    return "".join(lines).encode("latin-1")


def content_length(value: str) -> int | None:
    """*value* as a ``Content-Length``: a decimal of at most 20 digits; None if it is not one."""
    if len(value) <= MAX_LENGTH_DIGITS and value.isdigit() and value.isascii():
        return int(value)
    return None


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
    head = _buffered_head(rfile)
    if head is not None:
        return head
    line = rfile.readline(MAX_HEAD_BYTES + 1)
    while line in (b"\r\n", b"\n"):  # RFC 9112 2.2: ignore blank lines before a request
        line = rfile.readline(MAX_HEAD_BYTES + 1)
    if not line:
        return None
    if len(line) > MAX_HEAD_BYTES:
        raise ClientError(414, f"request line over {MAX_HEAD_BYTES} bytes")
    if not line.endswith(b"\n"):
        raise ClientError(0, "connection closed in the middle of the request line")
    method, target, version = _request_line(line)
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
        headers.append(field_line(line))
    return RequestHead(method, target, version, headers)


def _buffered_head(rfile: Any) -> RequestHead | None:
    """The head, taken in one read and parsed at once when the buffer of *rfile* holds it all.

    The usual case: a request head arrives in one segment, and reading it
    line by line costs more than the rest of serving it. None, with nothing
    consumed, where :func:`read_head` reads line by line: a head not all in
    the buffer yet, blank lines before it, more than :data:`MAX_HEADERS`
    fields. Blocks (in ``peek``) only when the buffer is empty.
    """
    buffered = rfile.peek()
    fields_end, end = head_end(buffered, 0)
    if (end < 0 or end > MAX_HEAD_BYTES or buffered[:1] in (b"\r", b"\n")
            or buffered.count(b"\n", 0, fields_end) > MAX_HEADERS + 1):
        return None
    head = rfile.read(end)
    known = _HEADS.get(head)
    if known is not None:
        return RequestHead(known[0], known[1], known[2], list(known[3]))
    line_end = head.index(b"\n") + 1
    method, target, version = _request_line(head[:line_end])
    headers = parse_fields(head[line_end:fields_end]) if fields_end > line_end else []
    _HEADS.remember(head, (method, target, version, tuple(headers)), end)
    return RequestHead(method, target, version, headers)


def _request_line(line: bytes) -> tuple[str, str, str]:
    """The method, target and version of a request *line*; ClientError 400 or 505 if it is none."""
    parts = line.split()
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]):
        raise ClientError(400, f"malformed request line {line[:80]!r}")
    method, target, version = parts
    if not _VERSION.fullmatch(version):
        if version.startswith(b"HTTP/") and version[5:6].isdigit():
            raise ClientError(505, f"version {version!r}")
        raise ClientError(400, f"malformed request line {line[:80]!r}")
    return method.decode("latin-1"), target.decode("latin-1"), version.decode("latin-1")


def head_end(buffer: bytes, start: int) -> tuple[int, int]:
    """Where the field lines of the head beginning at *start* in *buffer* end, and where the
    head ends, past its empty line; ``(-1, -1)`` if the head is not all in yet.

    Lines may end in CRLF or a bare LF (RFC 9112 section 2.2).
    """
    crlf = buffer.find(b"\n\r\n", start)
    if crlf >= 0:  # the usual end; a bare LF one can only be before it (not past the body)
        lf = buffer.find(b"\n\n", start, crlf + 1)
        return (crlf + 1, crlf + 3) if lf < 0 else (lf + 1, lf + 2)
    lf = buffer.find(b"\n\n", start)
    return (lf + 1, lf + 2) if lf >= 0 else (-1, -1)


def field_line(line: bytes, kind: str = "header") -> tuple[str, str]:
    """The name and value of a field *line* (ending in LF or CRLF) of a *kind* section.

    The value loses the spaces and tabs around it, and nothing else (RFC
    9112 section 5.1). Raises :class:`ClientError` 400 for a line that is no
    ``name: value`` (obsolete line folding included) or whose value holds a
    control character other than HTAB (RFC 9110 section 5.5).
    """
    match = _FIELD_LINE(line)
    if match is None:
        name, colon, _ = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):  # also rejects obsolete line folding
            raise ClientError(400, f"malformed {kind} line {line[:80]!r}")
        raise ClientError(400, f"control character in {kind} field {line[:80]!r}")
    name, value = match.groups()
    return name.decode("latin-1"), value.rstrip(b" \t").decode("latin-1")


def parse_fields(block: bytes, kind: str = "header") -> list[tuple[str, str]]:
    """The names and values of a section of field lines (each ending in LF or CRLF).

    As :func:`field_line` on each line, but in a few C calls rather than a
    regex and two decodes per line: heads read whole (a request's, an
    upstream's answer) are parsed so. Raises :class:`ClientError` as
    :func:`field_line` does for the first line that is not a field.
    """
    known = _SECTIONS.get(block)
    if known is not None:
        return list(known)
    text = block.decode("latin-1")
    fields = _FIELDS(text)
    if len(fields) == text.count("\n"):
        _SECTIONS.remember(block, tuple(fields), len(block))
        return fields
    # Some line is no field: the first one raises, split where a line reader would split.
    return [field_line(line + b"\n", kind) for line in block.split(b"\n")[:-1]]


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
