"""Request bodies as the app sees them: ``wsgi.input`` for each framing.

Owns reading exactly the bytes a request announced (``Content-Length``) or
decoding ``Transfer-Encoding: chunked`` as strictly as h11 does (RFC 9112
section 7.1: CRLF line endings, no space before a chunk size, well-formed
trailer fields), and turning a client that stops short, stalls or vanishes
into a :class:`ClientError` carrying the status to answer. Knows nothing of
WSGI environ building or of responses.
"""

from __future__ import annotations

import re
import socket
from typing import Any, Callable, Iterator

from .wire import CONTROLS, ClientError, field_line

__all__ = ["BodyReader", "ChunkedReader", "ContentLengthReader", "EmptyReader"]

# chunk-size [ chunk-ext ] CRLF, the size in at most 64 bits; extensions are
# skipped, but may hold no control character other than HTAB.
_CHUNK_LINE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^" + CONTROLS + rb"]*)?\r\n")
_READ_SIZE = 65536
#: The longest trailer field line, and the most trailer fields.
_MAX_TRAILER_LINE = 65536
_MAX_TRAILERS = 100


class BodyReader:
    """``wsgi.input``: a file-like reader of one request body.

    You get one from ``environ["wsgi.input"]``. Reads never go past the end
    of the body, so the next request on the connection stays intact.
    """

    #: Called once before the first byte is read (sends ``100 Continue``).
    before_first_read: Callable[[], None] | None = None

    def read(self, size: int | None = -1) -> bytes:
        """Read up to *size* bytes, or all that remain if *size* is negative."""
        pieces: list[bytes] = []
        if size is None or size < 0:
            while True:
                piece = self._read_some(_READ_SIZE)
                if not piece:
                    return b"".join(pieces)
                pieces.append(piece)
        while size > 0:
            piece = self._read_some(size)
            if not piece:
                break
            pieces.append(piece)
            size -= len(piece)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def read1(self, size: int | None = -1) -> bytes:
        """Read what has arrived, up to *size* bytes (at most one read of the connection):
        between 1 and *size* bytes, or b"" at the end of the body. For relaying a body
        as it comes."""
        return self._read1_some(_READ_SIZE if size is None or size < 0 else size)

    def readline(self, size: int | None = -1) -> bytes:
        """Read one line (up to *size* bytes), keeping its ending."""
        pieces = []
        limit = None if size is None or size < 0 else size
        while limit is None or limit > 0:
            piece = self._readline_some(_READ_SIZE if limit is None else limit)
            if not piece:
                break
            pieces.append(piece)
            if limit is not None:
                limit -= len(piece)
            if piece.endswith(b"\n"):
                break
        return b"".join(pieces)

    def readlines(self, hint: int = -1) -> list[bytes]:
        """Read lines until the end, or until *hint* bytes have been read."""
        lines, total = [], 0
        for line in self:
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def drain(self, limit: int) -> bool:
        """Discard the rest of the body; False if more than *limit* bytes remain."""
        while limit >= 0:
            piece = self._read_some(min(_READ_SIZE, limit + 1))
            if not piece:
                return True
            limit -= len(piece)
        return False

    @property
    def left(self) -> int | None:
        """How many bytes of the body are still unread: 0 at its end, None if unknown."""
        raise NotImplementedError

    def _read_some(self, size: int) -> bytes:
        """Return between 1 and *size* bytes, or b"" at the end of the body."""
        raise NotImplementedError

    def _readline_some(self, size: int) -> bytes:
        """Like :meth:`_read_some`, but stop after a newline."""
        raise NotImplementedError

    def _read1_some(self, size: int) -> bytes:
        """Like :meth:`_read_some`, without waiting for more than has arrived."""
        raise NotImplementedError

    def _start(self) -> None:
        hook, self.before_first_read = self.before_first_read, None
        if hook is not None:
            hook()


class EmptyReader(BodyReader):
    """The body of a request that has none."""

    left = 0

    def _read_some(self, size: int) -> bytes:
        return b""

    _readline_some = _read1_some = _read_some


class _StreamReader(BodyReader):
    """Reads from the connection's buffered stream, mapping failures to ClientError."""

    def __init__(self, rfile: Any) -> None:
        self._rfile = rfile

    def _call(self, method: Callable[[int], bytes], size: int) -> bytes:
        self._start()
        try:
            return method(size)
        except socket.timeout as error:
            raise ClientError(408, "the client stalled while sending the body") from error
        except OSError as error:
            raise ClientError(0, f"connection lost while reading the body: {error}") from error

    def _read_some(self, size: int) -> bytes:
        return self._take(self._rfile.read, size)

    def _readline_some(self, size: int) -> bytes:
        return self._take(self._rfile.readline, size)

    def _read1_some(self, size: int) -> bytes:
        return self._take(self._rfile.read1, size)

    def _take(self, method: Callable[[int], bytes], size: int) -> bytes:
        """Up to *size* bytes of this body by *method* of the stream (``read``, ``readline``,
        ``read1``); b"" at its end."""
        raise NotImplementedError


class ContentLengthReader(_StreamReader):
    """A body of exactly ``Content-Length`` bytes."""

    def __init__(self, rfile: Any, length: int) -> None:
        super().__init__(rfile)
        self.length = length
        self._remaining = length

    @property
    def left(self) -> int:
        return self._remaining

    def _take(self, method: Callable[[int], bytes], size: int) -> bytes:
        if self._remaining <= 0:
            return b""
        data = self._call(method, min(size, self._remaining))
        if not data:
            raise ClientError(400, f"body ended after {self.length - self._remaining} "
                              f"of {self.length} bytes announced by Content-Length")
        self._remaining -= len(data)
        return data


class ChunkedReader(_StreamReader):
    """A ``Transfer-Encoding: chunked`` body, decoded; trailers are discarded."""

    def __init__(self, rfile: Any, limit: int | None = None) -> None:
        super().__init__(rfile)
        self._limit = limit
        self._chunk_left = 0
        self._total = 0
        self._done = False

    @property
    def left(self) -> int | None:
        return 0 if self._done else None

    def _take(self, method: Callable[[int], bytes], size: int) -> bytes:
        if self._chunk_left == 0 and not self._next_chunk():
            return b""
        data = self._call(method, min(size, self._chunk_left))
        if not data:
            raise ClientError(400, "chunked body ended in the middle of a chunk")
        self._chunk_left -= len(data)
        if self._chunk_left == 0:
            self._expect_line_end()
        return data

    def _next_chunk(self) -> bool:
        """Read the next chunk-size line; False after the last chunk."""
        if self._done:
            return False
        line = self._call(self._rfile.readline, 1024)
        match = _CHUNK_LINE.fullmatch(line)
        if match is None:
            raise ClientError(400, f"invalid chunk size line {line[:40]!r}")
        size = int(match[1], 16)
        if size == 0:
            self._done = True
            self._skip_trailers()
            return False
        self._total += size
        if self._limit is not None and self._total > self._limit:
            raise ClientError(413, f"chunked body over the limit of {self._limit} bytes")
        self._chunk_left = size
        return True

    def _expect_line_end(self) -> None:
        if self._call(self._rfile.readline, 2) != b"\r\n":
            raise ClientError(400, "chunk not followed by CRLF")

    def _skip_trailers(self) -> None:
        """Read the trailer section to its end, checking each field line, keeping none."""
        for _ in range(_MAX_TRAILERS):
            line = self._call(self._rfile.readline, _MAX_TRAILER_LINE + 1)
            if line in (b"\r\n", b"\n"):
                return
            if not line:
                raise ClientError(400, "chunked body ended in its trailers")
            if len(line) > _MAX_TRAILER_LINE:
                raise ClientError(431, f"trailer line over {_MAX_TRAILER_LINE} bytes")
            if not line.endswith(b"\n"):
                raise ClientError(400, "chunked body ended in its trailers")
            field_line(line, "trailer")
        raise ClientError(431, "too many trailer fields")
