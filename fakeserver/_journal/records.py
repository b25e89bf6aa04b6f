"""The recorded request and response types: what a test inspects after the fact.

Owns a request's decoded body (kept in memory while small, in a temporary
file once large), its query, headers, form fields and uploaded files (parsed
by :mod:`.forms`), and the response the app gave. Tests only read records;
the :class:`~fakeserver.Recorder` fills them in through :func:`append_body`
and :func:`mark_completed`, the two writers at the end of this module. Knows
nothing of WSGI middleware, servers or unittest.
"""

from __future__ import annotations

import functools
import json
import tempfile
import threading
import time
import weakref
from typing import IO, Any, Iterator
from urllib.parse import parse_qs
from wsgiref.headers import Headers
from wsgiref.util import request_uri

from .forms import FORM_TYPES, Fields, Files, UploadedFile, parse_content_type, parse_form

__all__ = ["RecordedRequest", "RecordedResponse", "append_body", "mark_completed"]


class _Body:
    """Bytes collected as they pass: copied into one buffer while small (the
    pieces themselves are freed at once, so memory stays warm), moved to a
    temporary file once larger than *threshold*. A lock keeps a reader in
    another thread from moving the file's position under a writer."""

    def __init__(self, threshold: int) -> None:
        self._threshold = threshold
        self._buffer = bytearray()
        self._copy = b""
        self._file: IO[bytes] | None = None
        self._lock = threading.Lock()
        self.size = 0

    def append(self, data: bytes) -> None:
        with self._lock:
            self.size += len(data)
            if self._file is not None:
                self._file.write(data)
                return
            self._buffer += data
            if self.size > self._threshold:
                self._file = tempfile.TemporaryFile()
                self._closer = weakref.finalize(self, self._file.close)
                self._file.write(self._buffer)
                self._buffer, self._copy = bytearray(), b""

    @property
    def spooled(self) -> bool:
        """True once the body lives in a temporary file."""
        return self._file is not None

    def read(self) -> bytes:
        with self._lock:
            if self._file is None:
                if len(self._copy) != self.size:  # assertions read a body many times
                    self._copy = bytes(self._buffer)
                return self._copy
            self._file.seek(0)
            data = self._file.read()
            self._file.seek(0, 2)
            return data

    def chunks(self, size: int) -> Iterator[bytes]:
        """The bytes in pieces of at most *size*, each read when asked for."""
        offset = 0
        while True:
            with self._lock:
                if self._file is None:
                    piece = bytes(self._buffer[offset:offset + size])
                else:
                    self._file.seek(offset)
                    piece = self._file.read(size)
                    self._file.seek(0, 2)
            if not piece:
                return
            offset += len(piece)
            yield piece

    def close(self) -> None:
        self._buffer, self._copy = bytearray(), b""
        if self._file is not None:
            self._closer()


class _Message:
    """What requests and responses share: headers and a body, as bytes, text or JSON."""

    headers: Headers
    _body: _Body

    @property
    def body(self) -> bytes:
        """The whole body (read from its temporary file if it was large)."""
        return self._body.read()

    @property
    def body_size(self) -> int:
        """The body's length in bytes, without reading it."""
        return self._body.size

    def body_chunks(self, size: int = 65536) -> Iterator[bytes]:
        """The body in pieces of at most *size* bytes, each read when asked for.

        For bodies too large to hold in memory at once: a temporary file is
        read piece by piece. ``next(message.body_chunks(n), b"")`` is the
        first *n* bytes. Thread-safe, even while the body is still arriving.
        """
        return self._body.chunks(size)

    @property
    def text(self) -> str:
        """The body decoded with the charset of its Content-Type (default UTF-8)."""
        _, params = parse_content_type(self.headers.get("Content-Type", ""))
        return self.body.decode(params.get("charset", "utf-8"), "replace")

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError saying what it was otherwise."""
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise ValueError(f"body is not JSON ({error}): {self.body[:80]!r}") from None


class RecordedResponse(_Message):
    """What the app answered; you get one from ``RecordedRequest.response``."""

    def __init__(self, status_line: str, headers: list[tuple[str, str]], threshold: int) -> None:
        code, _, reason = status_line.partition(" ")
        #: The status code, e.g. ``201``.
        self.status = int(code)
        #: The reason phrase the app gave, e.g. ``Created``.
        self.reason = reason
        self._raw_headers = headers
        self._body = _Body(threshold)

    @functools.cached_property
    def headers(self) -> Headers:  # type: ignore[override]
        """The response's header fields: case-insensitive, repeated ones kept (``get_all``)."""
        return Headers(list(self._raw_headers))

    def __repr__(self) -> str:
        return f"<RecordedResponse {self.status} {self.reason} {self.body_size} bytes>"


class RecordedRequest(_Message):
    """One request as the app received it; you get one from ``Recorder.requests``.

    ``headers`` are case-insensitive and keep repeated fields (``get_all``);
    ``body`` is the decoded body even when it arrived chunked. ``response``
    is None until the app has started answering, and stays None if the app
    raised before sending a byte (the client then got the server's 500);
    ``error`` is the exception the app raised, if any.
    """

    def __init__(self, environ: dict[str, Any], threshold: int,
                 completion: threading.Condition) -> None:
        #: The request method, e.g. ``POST``.
        self.method: str = environ["REQUEST_METHOD"]
        #: The decoded path, as text: ``/café`` (WSGI gives it as latin-1 bytes).
        self.path: str = _from_wsgi(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
        #: The query as sent, without the ``?``: ``page=2&tag=a``.
        self.query_string: str = environ.get("QUERY_STRING", "")
        # What the lazy properties need, kept apart from the app's changes to environ.
        self._environ = {key: environ[key] for key in _KEPT_ENVIRON if key in environ}
        raw_headers = environ.get("fakeserver.headers")  # as received, when we serve it
        self._raw_headers = (raw_headers if raw_headers is not None
                             else _headers_from_environ(environ))
        #: The client's ``(host, port)``.
        self.client_address = (environ.get("REMOTE_ADDR", ""), int(environ.get("REMOTE_PORT") or 0))
        #: ``time.time()`` when the request reached the app.
        self.time = time.time()
        self._started = time.monotonic()
        #: Seconds from the request reaching the app to the end of the exchange; None until then.
        self.duration: float | None = None
        #: The exchange's number in the journal of its :class:`~fakeserver.Recorder`, from 1
        #: and never reused, even after ``clear()``; 0 for a request recorded by none.
        self.id = 0
        #: What the app answered; None until it starts answering, or if it failed first.
        self.response: RecordedResponse | None = None
        #: The exception the app raised answering this request, if any.
        self.error: BaseException | None = None
        #: The stub that answered, when a StubApp served the request.
        self.stub: Any = None
        #: True when a StubApp found no stub for this request (it answered 404).
        self.unmatched = False
        self._body = _Body(threshold)
        self._completed = False
        self._completion = completion

    @functools.cached_property
    def headers(self) -> Headers:  # type: ignore[override]
        """The request's header fields: case-insensitive, repeated ones kept (``get_all``)."""
        return Headers(list(self._raw_headers))

    @functools.cached_property
    def url(self) -> str:
        """The absolute URL requested, e.g. ``http://127.0.0.1:8000/items?page=2``."""
        return request_uri(self._environ)

    @functools.cached_property
    def query(self) -> dict[str, list[str]]:
        """The query string parsed: each name with the list of its values."""
        return parse_qs(self.query_string, keep_blank_values=True)

    @property
    def form(self) -> dict[str, list[str]]:
        """Fields of an urlencoded or multipart body: each a list of values (files: :attr:`files`).

        Raises ValueError, saying which, for a field in a charset Python does
        not know.
        """
        return self._form_and_files[0]

    @property
    def files(self) -> dict[str, list[UploadedFile]]:
        """The file parts of a multipart body, by field name: each a list, as a field may repeat.

        Raises as :attr:`form` does.
        """
        return self._form_and_files[1]

    def file(self, name: str) -> UploadedFile:
        """The one file uploaded as field *name*.

        Raises KeyError naming the fields that carry files when none is
        *name*, and ValueError when several files share it (they are all in
        ``files[name]``).
        """
        found = self.files.get(name, [])
        if len(found) == 1:
            return found[0]
        if found:
            raise ValueError(f"{len(found)} files were uploaded as {name!r}; "
                             f"take them from files[{name!r}]")
        present = ", ".join(map(repr, self.files)) or "none"
        raise KeyError(f"no file was uploaded as {name!r}; fields with files: {present}")

    @functools.cached_property
    def _form_and_files(self) -> tuple[Fields, Files]:
        content_type = self.headers.get("Content-Type", "")
        if parse_content_type(content_type)[0] not in FORM_TYPES:
            return {}, {}  # without reading a body that may be large and spooled
        return parse_form(content_type, self.body)

    @property
    def target(self) -> str:
        """The path and query as requested, e.g. ``/items?page=2``."""
        return self.path + ("?" + self.query_string if self.query_string else "")

    @property
    def completed(self) -> bool:
        """True once the exchange is over (response sent or app failed)."""
        return self._completed

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the exchange is over; False if *timeout* passed first."""
        with self._completion:
            return self._completion.wait_for(lambda: self._completed, timeout)

    def close(self) -> None:
        """Release the bodies' temporary files (the recorder does it on ``clear()``)."""
        self._body.close()
        if self.response is not None:
            self.response._body.close()

    def __repr__(self) -> str:
        status = self.response.status if self.response is not None else "-"
        return f"<RecordedRequest {self.method} {self.target} -> {status}>"


def _from_wsgi(text: str) -> str:
    """A PEP 3333 "bytes as latin-1" string as the UTF-8 text the client meant."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:  # not UTF-8 (or not from a PEP 3333 server): keep it as given
        return text


_KEPT_ENVIRON = (
    "wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME", "PATH_INFO",
    "QUERY_STRING")


def _headers_from_environ(environ: dict[str, Any]) -> list[tuple[str, str]]:
    headers = [(key[5:].replace("_", "-").title(), value)
               for key, value in environ.items() if key.startswith("HTTP_")]
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers.append((name, environ[key]))
    return headers


# -- filling records in: the Recorder's side -----------------------------------------

def append_body(message: RecordedRequest | RecordedResponse, data: bytes) -> None:
    """Add *data* to the body of *message* as it passes (spooled once large)."""
    message._body.append(data)


def mark_completed(request: RecordedRequest) -> None:
    """Mark the exchange of *request* over and wake every :meth:`~RecordedRequest.wait`."""
    request.duration = time.monotonic() - request._started
    request._completed = True
    with request._completion:
        request._completion.notify_all()
