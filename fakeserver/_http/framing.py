"""A response's head and framing: what the server adds to what the app gave.

Owns three steps of every response (RFC 9112 section 6, PEP 3333 on
hop-by-hop fields): checking and rendering the status and header fields an
app hands to ``start_response`` (:class:`AppHead`), with the checks
``wire`` applies to every head; deciding, once the head is due, how the
body is delimited and whether the connection carries another request
(:class:`Framing`); and putting the head together with ``Server`` and
``Date`` (:func:`render_head`). Then :class:`Framing` holds the body to
that decision, piece by piece. Sends nothing, and knows nothing of sockets,
threads or the WSGI environ.
"""

from __future__ import annotations

import logging
import sys
import time
from email.utils import formatdate

from .memo import Memo
from .wire import (
    RequestHead, checked_field_lines, content_length, field_lines, status_line, tokens,
)

__all__ = ["AppHead", "Framing", "render_head"]

logger = logging.getLogger("fakeserver")

_HOP_BY_HOP = frozenset({
    "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
    "trailers", "transfer-encoding", "upgrade",
})
_NO_BODY_STATUSES = frozenset({204, 304})
_SERVER = ("Server", "fakeserver Python/%d.%d" % sys.version_info[:2])
_CHUNKED = ("Transfer-Encoding", "chunked")
_CLOSE = ("Connection", "close")
_KEEP_ALIVE = ("Connection", "keep-alive")
_LAST_CHUNK = b"0\r\n\r\n"
#: Each status an app gave lately, with its code and its status line as checked and
#: rendered; and each head (its status and fields), with what AppHead made of it.
_STATUS_LINES: Memo[str, tuple[int, bytes]] = Memo(256)
_APP_HEADS: Memo[tuple[str, tuple[tuple[str, str], ...]],
                 tuple[int, bytes, bytes, int | None, bool, bool]] = Memo(256)


class AppHead:
    """The status and header fields an app gave ``start_response``, checked and rendered.

    Raises :class:`ValueError` or :class:`TypeError` into the app, as
    ``start_response`` does: for a status not like ``"200 OK"``, for fields
    that are not str and for hop-by-hop fields, which are the server's to
    set (PEP 3333); and for whatever :func:`status_line` and
    :func:`field_lines` refuse in every head, because it would split or
    garble the response on the wire.
    """

    __slots__ = ("status", "code", "headers", "length", "connection", "close", "status_line",
                 "field_lines")

    def __init__(self, status: str, headers: list[tuple[str, str]]) -> None:
        fields = tuple(headers)
        #: The status as given, e.g. ``"200 OK"``.
        self.status = status
        self.headers = list(fields)
        seen = _APP_HEADS.made((status, fields), _check, status, fields, length=_rendered_length)
        self.code: int
        #: The status line and the app's fields, as they go on the wire.
        self.status_line: bytes
        self.field_lines: bytes
        #: The app's own ``Content-Length``, if it gave a valid one.
        self.length: int | None
        #: True if the app gave a ``Connection`` field (the server then adds none).
        self.connection: bool
        #: True if that field asks to close the connection.
        self.close: bool
        (self.code, self.status_line, self.field_lines, self.length, self.connection,
         self.close) = seen


def _check(status: str, fields: tuple[tuple[str, str], ...]
           ) -> tuple[int, bytes, bytes, int | None, bool, bool]:
    """What :class:`AppHead` holds of *status* and *fields*, checked and rendered; raises
    as it does."""
    known = _STATUS_LINES.get(status) if isinstance(status, str) else None
    if known is None and not (isinstance(status, str) and len(status) >= 4
                              and status[:3].isdigit() and status[:3].isascii()
                              and status[3] == " "):
        raise ValueError(f"status must be a str like '200 OK', not {status!r}")
    length = None
    connection = close = False
    for name, value in fields:
        if not (isinstance(name, str) and isinstance(value, str)):
            raise TypeError(f"header names and values must be str: {(name, value)!r}")
        lower = name.lower()
        if lower in _HOP_BY_HOP:
            raise ValueError(f"hop-by-hop header {name!r} is the server's to set (PEP 3333)")
        if lower == "content-length":
            length = content_length(value)  # field_lines() below refuses an invalid one
        elif lower == "connection":
            connection = True
            close = close or "close" in tokens(value)
    if known is None:  # checked last, as before the status lines were remembered
        code = int(status[:3])
        known = _STATUS_LINES.remember(status, (code, status_line(code, status[4:])))
    # Rendered anew: the head is remembered whole, its fields with it.
    return known[0], known[1], checked_field_lines(fields), length, connection, close


def _rendered_length(seen: tuple[int, bytes, bytes, int | None, bool, bool]) -> int:
    """How long the fields of a head that :func:`_check` made are on the wire."""
    return len(seen[2])


class Framing:
    """How one response's body is delimited, and whether its connection lives on.

    Decided by the constructor when the head is due; its :attr:`fields` end
    the head. Then :meth:`frame` shapes each piece of the body and
    :meth:`end` finishes it. Used by the exchange's thread only.
    """

    __slots__ = ("request", "send_body", "chunked", "length", "keep_alive", "tunnel", "fields",
                 "sent")

    def __init__(self, request: RequestHead, head: AppHead, length: int | None,
                 keep_alive: bool) -> None:
        """Decide the framing of the response to *request* with *head*.

        *length* is the body length known by now (the app's Content-Length,
        the size of a one-piece body, or 0 for none), None if unknown: then
        HTTP/1.1 gets chunks and HTTP/1.0 a close at the end of the body.
        *keep_alive* is what the request and the app ask for.

        A 2xx answer to ``CONNECT`` gets no framing fields at all (RFC 9110
        section 9.3.6): what follows its head would be the tunnel's, which
        this server does not open, so the body goes as it is and the
        connection closes after it.
        """
        version = request.version
        code = head.code
        bodyless = code < 200 or code in _NO_BODY_STATUSES
        send_body = not bodyless and request.method != "HEAD"
        tunnel = request.method == "CONNECT" and 200 <= code < 300
        chunked = False
        fields = []
        if tunnel:
            length, keep_alive = None, False
        elif length is None and send_body:
            if version == "HTTP/1.0":
                keep_alive = False
            else:
                chunked = True
                fields.append(_CHUNKED)
        if length is not None and head.length is None and not bodyless:
            fields.append(("Content-Length", str(length)))
        if not head.connection:
            if not keep_alive:
                fields.append(_CLOSE)
            elif version == "HTTP/1.0":
                fields.append(_KEEP_ALIVE)
        self.request = request
        #: False for ``HEAD`` and for statuses without a body (1xx, 204, 304).
        self.send_body = send_body
        #: The body goes out as chunks, ended by a zero-size one.
        self.chunked = chunked
        #: The ``Content-Length`` the body is held to, or None.
        self.length = length
        #: Whether the connection may carry another request after this one.
        self.keep_alive = keep_alive
        #: A 2xx answer to CONNECT: the app's Content-Length is not sent either.
        self.tunnel = tunnel
        #: The framing fields the server adds after the app's.
        self.fields = fields
        #: The body bytes sent so far, not counting chunk framing.
        self.sent = 0

    def frame(self, data: bytes) -> bytes:
        """*data* as it goes on the wire: as is, as one chunk, cut to the length, or nothing.

        More than the announced Content-Length is cut off, logged, and ends
        keep-alive: the client would read the excess as the next response.
        """
        if not self.send_body or not data:
            return b""
        if self.chunked:
            self.sent += len(data)
            return b"%x\r\n%s\r\n" % (len(data), data)
        if self.length is not None:
            room = self.length - self.sent
            if len(data) > room:
                logger.warning("%s %s: app sent more than its Content-Length of %d; truncated",
                               self.request.method, self.request.target, self.length)
                self.keep_alive = False
                data = data[:room]
        self.sent += len(data)
        return data

    def end(self) -> bytes:
        """What ends the body on the wire: the last chunk, or nothing.

        A body short of its Content-Length is logged and ends keep-alive:
        the client is still waiting for the rest.
        """
        if self.chunked:
            return _LAST_CHUNK
        if self.length is not None and self.send_body and self.sent < self.length:
            logger.warning("%s %s: app sent %d of its Content-Length of %d bytes; closing",
                           self.request.method, self.request.target, self.sent, self.length)
            self.keep_alive = False
        return b""


def render_head(head: AppHead, framing: Framing) -> bytes:
    """The response head: status line, ``Server``, ``Date``, the app's fields, the framing's.

    Pure but for reading the clock. The app's part was checked and rendered
    by :class:`AppHead`; the server's own fields are rendered the same way.
    """
    app_fields = head.field_lines
    if framing.tunnel:
        app_fields = field_lines(field for field in head.headers
                                 if field[0].lower() != "content-length")
    server_fields = field_lines(framing.fields) if framing.fields else b""
    return b"".join((head.status_line, _server_and_date(), app_fields, server_fields, b"\r\n"))


_date_cache: tuple[int, bytes] = (0, b"")


def _server_and_date() -> bytes:
    """The ``Server`` and ``Date`` fields, rendered once a second (RFC 9110 section 6.6.1).

    Thread-safe: a race renders the same second twice.
    """
    global _date_cache
    second, rendered = _date_cache
    now = int(time.time())
    if second != now:
        rendered = field_lines([_SERVER, ("Date", formatdate(now, usegmt=True))])
        _date_cache = (now, rendered)
    return rendered
