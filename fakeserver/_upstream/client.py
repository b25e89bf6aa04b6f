"""A lean HTTP/1.1 client connection: one request at a time to an upstream, kept alive.

Owns the client side of RFC 9112 for the forwarder: sending a request (its
head checked and rendered by ``wire``, as every head the server writes),
reading the response head in as few ``recv`` calls as it takes (usually
one, which brings a small body along) and parsing its field lines with the
server's own parser, skipping interim ``1xx`` answers, and reading the body
as it is delimited: by ``Content-Length``, by chunks, or by the end of the
connection; none after ``HEAD`` and for ``1xx``, ``204`` and ``304``
(section 6.3). It takes the place of ``http.client``, whose email-based
header parsing and one write per header cost more than everything else a
forwarded request adds. Knows nothing of WSGI, pools or what a proxy adds or
removes.

Call flow, in the thread that holds the connection::

    connection.send(write_request_head(...), body)  # connects first if need be
    response = connection.read_response(method)     # the head; 1xx skipped
    while piece := response.read1(size): ...        # the body, as it arrives
    response.reusable                               # True: keep the connection
"""

from __future__ import annotations

import re
import socket
import ssl
import struct
import sys

from .._http.memo import Memo
from .._http.wire import (
    MAX_HEAD_BYTES, MAX_HEADERS, ClientError, content_length, head_end, parse_fields, tokens,
)

__all__ = ["Disconnected", "ProtocolError", "Response", "UpstreamConnection"]

_READ_SIZE = 65536
# chunk-size [ chunk-ext ]: the size in at most 64 bits; extensions are skipped.
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;.*)?\r?\n", re.DOTALL).fullmatch
_MAX_TRAILERS = 100
# HTTP-version SP status-code [ SP reason-phrase ] (RFC 9112 section 4); the reason may be
# empty or missing, but hold no control character other than HTAB.
_STATUS_LINE = re.compile(rb"HTTP/1\.([0-9]) ([1-9][0-9][0-9])(?: ([^\x00-\x08\x0a-\x1f\x7f]*))?"
                          rb"\r?\n").match
_NO_BODY_STATUSES = frozenset({204, 304})
_NO_TOKENS: frozenset[str] = frozenset()
#: Response heads parsed lately (their status lines and field sections): an upstream
#: answers alike time after time, but for its ``Date``, which changes every second.
_HEADS: Memo[bytes, tuple[int, str, str, tuple[tuple[str, str], ...]]] = Memo(256)
#: Where the kernel can bound each send and receive (``SO_SNDTIMEO``, ``SO_RCVTIMEO``,
#: as a 64-bit ``struct timeval``), a plain connection's socket blocks and lets it: a
#: socket with a Python timeout polls before every send and every receive, a system
#: call more each, and a release of the GIL that another thread may take meanwhile,
#: which together were a good part of what a proxied request adds. TLS connections
#: keep Python's timeout: ``ssl`` retries a blocking read that the kernel timed out.
_KERNEL_TIMEOUTS = sys.platform.startswith("linux") and struct.calcsize("l") == 8


class ProtocolError(Exception):
    """The upstream's answer breaks HTTP/1.1: a malformed head, framing or chunk."""


class Disconnected(ConnectionResetError):
    """The upstream closed the connection before the status line of its answer.

    A :class:`ConnectionError`, as any failure of a connection that was
    idle: the request may be sent again on a new one if it had no body.
    """

    def __init__(self) -> None:
        super().__init__("Remote end closed connection without response")


class UpstreamConnection:
    """One connection to ``host:port``, carrying one request at a time; kept alive.

    Connects on the first :meth:`send` (TLS when given an *ssl_context*,
    which checks the certificate against *host*); *timeout* bounds
    connecting and every read. :attr:`sock` is None until then and after
    :meth:`close`. Not thread-safe: a pool hands it to one thread at a time.
    Raises :class:`OSError` for the network's failures (``ssl.SSLError`` and
    timeouts included) and :class:`ProtocolError` for a malformed answer.
    """

    __slots__ = ("host", "port", "timeout", "ssl_context", "sock", "_buffer", "_pos")

    def __init__(self, host: str, port: int, *, timeout: float,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.sock: socket.socket | None = None
        # Received and not yet consumed: self._buffer[self._pos:].
        self._buffer = b""
        self._pos = 0

    def send(self, data: bytes, more: bytes = b"") -> None:
        """Send *data* and then *more* whole, connecting first if need be; blocks until the
        kernel took them.

        Both go in one system call where the socket gathers them itself (a
        plain one): a request head and the first piece of its body, without
        copying the piece (64 KiB, say) behind the head first.
        """
        sock = self.sock
        if sock is None:
            sock = self.sock = self._connect()
        try:
            if not (data and more):
                sock.sendall(data or more)
            elif isinstance(sock, ssl.SSLSocket) or not hasattr(sock, "sendmsg"):
                sock.sendall(data + more)
            else:
                sent = sock.sendmsg((data, more))
                if sent < len(data):
                    sock.sendall(data[sent:])
                    sent = len(data)
                if sent < len(data) + len(more):
                    sock.sendall(memoryview(more)[sent - len(data):])
        except BlockingIOError:  # the kernel's timeout (see _KERNEL_TIMEOUTS)
            raise socket.timeout("timed out") from None

    def read_response(self, method: str) -> Response:
        """Read the head of the final answer to a *method* request; blocks until it is in.

        Interim answers (``100 Continue``, ``103 Early Hints``) are read and
        dropped. Raises :class:`Disconnected` if the connection ends first.
        """
        while True:
            status, reason, version, headers = self._read_head()
            if not (100 <= status < 200) or status == 101:
                return Response(self, method, status, reason, version, headers)

    def close(self) -> None:
        """Close the socket; idempotent. The response in progress, if any, ends with it."""
        sock, self.sock = self.sock, None
        self._buffer, self._pos = b"", 0
        if sock is not None:
            sock.close()

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.ssl_context is not None:
                return self.ssl_context.wrap_socket(sock, server_hostname=self.host)
            if _KERNEL_TIMEOUTS and self.timeout:  # None: no timeout, as Python has it
                seconds, fraction = divmod(self.timeout, 1)
                timeval = struct.pack("ll", int(seconds), max(1, int(fraction * 1e6)))
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
                sock.settimeout(None)
        except BaseException:
            sock.close()
            raise
        return sock

    def _recv(self, size: int) -> bytes:
        """What one ``recv`` of up to *size* bytes brings; b"" at the end of the stream."""
        assert self.sock is not None, "nothing was sent on this connection"
        try:
            return self.sock.recv(size)
        except BlockingIOError:  # the kernel's timeout (see _KERNEL_TIMEOUTS)
            raise socket.timeout("timed out") from None

    def _read_head(self) -> tuple[int, str, str, list[tuple[str, str]]]:
        """The status, reason, version and header fields of the next answer."""
        buffer, start = self._buffer, self._pos
        while True:
            if start < len(buffer):
                fields_end, end = head_end(buffer, start)
                if end >= 0:
                    break
                if len(buffer) - start > MAX_HEAD_BYTES:
                    raise ProtocolError(f"response head over {MAX_HEAD_BYTES} bytes")
            data = self._recv(_READ_SIZE)
            if not data:
                if start < len(buffer):
                    raise ProtocolError("connection closed in the middle of the response head")
                raise Disconnected()
            buffer, start = buffer[start:] + data if start < len(buffer) else data, 0
        if end - start > MAX_HEAD_BYTES:
            raise ProtocolError(f"response head over {MAX_HEAD_BYTES} bytes")
        self._buffer, self._pos = (buffer, end) if end < len(buffer) else (b"", 0)
        head = buffer[start:fields_end]
        known = _HEADS.get(head)
        if known is not None:
            return known[0], known[1], known[2], list(known[3])
        status_line = _STATUS_LINE(buffer, start)
        if status_line is None:
            line = buffer[start:buffer.index(b"\n", start) + 1]
            raise ProtocolError(f"invalid status line {line[:80]!r}")
        minor, code, reason = status_line.groups()
        fields_start = status_line.end()
        try:
            headers = parse_fields(buffer[fields_start:fields_end]) if fields_end > fields_start \
                else []
        except ClientError as error:
            raise ProtocolError(f"invalid response: {error.detail}") from None
        if len(headers) > MAX_HEADERS:
            raise ProtocolError(f"more than {MAX_HEADERS} header fields in the response")
        parsed = (int(code), reason.strip().decode("latin-1") if reason else "",
                  "HTTP/1.0" if minor == b"0" else "HTTP/1.1", headers)
        _HEADS.remember(head, parsed[:3] + (tuple(headers),), len(head))
        return parsed

    def _receive(self) -> bool:
        """Append what arrives next to the buffer; False at the end of the stream."""
        data = self._recv(_READ_SIZE)
        if not data:
            return False
        rest = self._buffer[self._pos:] if self._pos < len(self._buffer) else b""
        self._buffer, self._pos = rest + data, 0
        return True

    def _consumed(self, end: int) -> None:
        """Drop the buffer up to *end*."""
        if end >= len(self._buffer):
            self._buffer, self._pos = b"", 0
        else:
            self._pos = end

    def _take(self, size: int) -> bytes:
        """Up to *size* bytes: buffered ones, else one ``recv``; b"" at the end of the stream."""
        buffer, pos = self._buffer, self._pos
        if pos < len(buffer):
            end = pos + size
            self._consumed(end)
            return buffer[pos:end] if pos or end < len(buffer) else buffer
        return self._recv(size)

    def _line(self, limit: int) -> bytes:
        """The next line, ending in LF; ProtocolError past *limit* bytes or at the end."""
        while True:
            end = self._buffer.find(b"\n", self._pos)
            if end >= 0:
                line = self._buffer[self._pos:end + 1]
                self._consumed(end + 1)
                return line
            if len(self._buffer) - self._pos > limit:
                raise ProtocolError(f"line over {limit} bytes in the response body")
            if not self._receive():
                raise ConnectionError("closed in the middle of its chunked body")


class Response:
    """The answer read by :meth:`UpstreamConnection.read_response`: its head, then its body.

    :attr:`headers` are the fields as received, in order. :attr:`length` is
    how many body bytes are still to come when ``Content-Length`` says so,
    None for a chunked or close-delimited body. :meth:`read1` gives the
    body (decoded from chunks) as it arrives. Once it is read to its end
    (:attr:`done`), :attr:`reusable` says whether the connection may carry
    another request.
    """

    __slots__ = ("status", "reason", "version", "headers", "connection_options", "length",
                 "chunked", "will_close", "done", "_connection", "_chunk_left")

    def __init__(self, connection: UpstreamConnection, method: str, status: int, reason: str,
                 version: str, headers: list[tuple[str, str]]) -> None:
        self.status = status
        self.reason = reason
        #: ``HTTP/1.1`` or ``HTTP/1.0``, as the upstream answered.
        self.version = version
        self.headers = headers
        self._connection = connection
        self._chunk_left = 0
        length = None
        chunked = False
        connection_tokens: frozenset[str] | set[str] = _NO_TOKENS
        coding = None
        for name, value in headers:
            lower = name.lower()
            if lower == "content-length":
                value_length = content_length(value)
                if value_length is None or length is not None and length != value_length:
                    raise ProtocolError(f"invalid Content-Length {value[:40]!r} in the response")
                length = value_length
            elif lower == "transfer-encoding":
                coding = value if coding is None else f"{coding},{value}"
            elif lower == "connection":
                connection_tokens = connection_tokens | tokens(value)
        #: The lower-cased tokens of its ``Connection`` fields: options, and the names of
        #: fields meant for this connection only (RFC 9110 section 7.6.1).
        self.connection_options = connection_tokens
        if version == "HTTP/1.0":
            will_close = "keep-alive" not in connection_tokens
        else:
            will_close = "close" in connection_tokens
        if method == "HEAD" or status < 200 or status in _NO_BODY_STATUSES:
            length = 0
            will_close = will_close or status == 101  # the connection speaks another protocol
        elif coding is not None:  # RFC 9112 section 6.3: it overrides any Content-Length
            length = None
            chunked = coding.rpartition(",")[2].strip().lower() == "chunked"
            will_close = will_close or not chunked
        elif length is None:
            will_close = True  # the body ends with the connection
        self.length: int | None = length
        #: The body comes in chunks (:meth:`read1` decodes them).
        self.chunked = chunked
        #: The upstream ends the connection after this answer.
        self.will_close = will_close
        #: True once :meth:`read1` has reached the end of the body.
        self.done = False

    @property
    def reusable(self) -> bool:
        """True once the body was read to its end on a connection that stays open and in step."""
        connection = self._connection
        return self.done and not self.will_close and connection._pos == len(connection._buffer)

    def read1(self, size: int) -> bytes:
        """Between 1 and *size* bytes of the body (at most one ``recv``), or b"" at its end.

        Raises :class:`ConnectionError` if the connection ends before the
        body does, :class:`ProtocolError` for malformed chunks, and the
        socket's errors.
        """
        if self.done:
            return b""
        connection = self._connection
        if self.chunked:
            return self._read_chunk(size)
        remaining = self.length
        if remaining is None:  # until the connection ends
            data = connection._take(size)
            self.done = not data
            return data
        if remaining == 0:
            self.done = True
            return b""
        data = connection._take(min(size, remaining))
        if not data:
            raise ConnectionError(f"closed {remaining} bytes short of its Content-Length")
        self.length = remaining = remaining - len(data)
        self.done = not remaining  # so that reading a whole body takes one call
        return data

    def _read_chunk(self, size: int) -> bytes:
        connection = self._connection
        if self._chunk_left == 0:
            line = connection._line(1024)
            match = _CHUNK_SIZE(line)
            if match is None:
                raise ProtocolError(f"invalid chunk size line {line[:40]!r} in the response")
            self._chunk_left = int(match[1], 16)
            if self._chunk_left == 0:
                self._skip_trailers()
                self.done = True
                return b""
        data = connection._take(min(size, self._chunk_left))
        if not data:
            raise ConnectionError("closed in the middle of its chunked body")
        self._chunk_left -= len(data)
        if self._chunk_left == 0 and connection._line(2) not in (b"\r\n", b"\n"):
            raise ProtocolError("chunk not followed by CRLF in the response")
        return data

    def _skip_trailers(self) -> None:
        """Read the trailer section to its end, keeping none (as ``http.client`` does)."""
        for _ in range(_MAX_TRAILERS):
            if self._connection._line(MAX_HEAD_BYTES) in (b"\r\n", b"\n"):
                return
        raise ProtocolError(f"more than {_MAX_TRAILERS} trailer fields in the response")
