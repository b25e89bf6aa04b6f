"""The recorded request and response types: what a test inspects after the fact.

Owns a request's decoded body (kept in memory while small, in a temporary
file once large), its query, headers, form fields and uploaded files, and
the response the app gave. Knows nothing of how exchanges are captured
(``_recording``) or of unittest.
"""

from __future__ import annotations

import functools
import json
import tempfile
import threading
import time
import weakref
from email.parser import BytesParser
from email.policy import HTTP
from typing import IO, Any, cast
from urllib.parse import parse_qs
from wsgiref.headers import Headers
from wsgiref.util import request_uri

__all__ = ["SPOOL_THRESHOLD", "RecordedRequest", "RecordedResponse", "UploadedFile", "record_request"]

#: Bodies larger than this are kept in a temporary file rather than in memory.
SPOOL_THRESHOLD = 1 << 20


class _Body:
    """Bytes collected as they pass: copied into one buffer while small (the
    pieces themselves are freed at once, so memory stays warm), moved to a
    temporary file once larger than *threshold*."""

    def __init__(self, threshold: int) -> None:
        self._threshold = threshold
        self._buffer = bytearray()
        self._copy = b""
        self._file: IO[bytes] | None = None
        self.size = 0

    def append(self, data: bytes) -> None:
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
        if self._file is None:
            if len(self._copy) != self.size:  # assertions read a body many times
                self._copy = bytes(self._buffer)
            return self._copy
        self._file.seek(0)
        data = self._file.read()
        self._file.seek(0, 2)
        return data

    def close(self) -> None:
        self._buffer, self._copy = bytearray(), b""
        if self._file is not None:
            self._closer()


def _charset(headers: Headers) -> str:
    _, params = _content_type(headers)
    return params.get("charset", "utf-8")


def _content_type(headers: Headers) -> tuple[str, dict[str, str]]:
    value = headers.get("Content-Type", "")
    kind, *rest = value.split(";")
    params = {}
    for item in rest:
        key, _, val = item.strip().partition("=")
        params[key.lower()] = val.strip('"')
    return kind.strip().lower(), params


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

    @property
    def text(self) -> str:
        """The body decoded with the charset of its Content-Type (default UTF-8)."""
        return self.body.decode(_charset(self.headers), "replace")

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError saying what it was otherwise."""
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise ValueError(f"body is not JSON ({error}): {self.body[:80]!r}") from None


class UploadedFile:
    """A file part of a ``multipart/form-data`` body; you get one from ``RecordedRequest.files``."""

    def __init__(self, name: str, filename: str, content_type: str, data: bytes) -> None:
        self.name = name
        self.filename = filename
        self.content_type = content_type
        self.data = data

    def __repr__(self) -> str:
        return (f"<UploadedFile {self.name}={self.filename!r} {self.content_type} "
                f"{len(self.data)} bytes>")


class RecordedResponse(_Message):
    """What the app answered; you get one from ``RecordedRequest.response``."""

    def __init__(self, status_line: str, headers: list[tuple[str, str]], threshold: int) -> None:
        code, _, reason = status_line.partition(" ")
        self.status = int(code)
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
        self.method: str = environ["REQUEST_METHOD"]
        #: The decoded path, as text: ``/café`` (WSGI gives it as latin-1 bytes).
        self.path: str = _from_wsgi(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
        self.query_string: str = environ.get("QUERY_STRING", "")
        # What the lazy properties need, kept apart from the app's changes to environ.
        self._environ = {key: environ[key] for key in _KEPT_ENVIRON if key in environ}
        raw_headers = environ.get("fakeserver.headers")  # as received, when we serve it
        self._raw_headers = (raw_headers if raw_headers is not None
                             else _headers_from_environ(environ))
        self.client_address = (environ.get("REMOTE_ADDR", ""), int(environ.get("REMOTE_PORT") or 0))
        self.time = time.time()
        self.response: RecordedResponse | None = None
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
        """Fields of an urlencoded or multipart body (files are in :attr:`files`)."""
        return self._form_and_files[0]

    @property
    def files(self) -> dict[str, list[UploadedFile]]:
        """The file parts of a multipart body, by field name."""
        return self._form_and_files[1]

    @functools.cached_property
    def _form_and_files(self) -> tuple[dict[str, list[str]], dict[str, list[UploadedFile]]]:
        kind, _ = _content_type(self.headers)
        if kind == "application/x-www-form-urlencoded":
            return parse_qs(self.body.decode("latin-1"), keep_blank_values=True), {}
        if kind != "multipart/form-data":
            return {}, {}
        head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode("latin-1")
        message = BytesParser(policy=HTTP).parsebytes(head + self.body)
        fields: dict[str, list[str]] = {}
        files: dict[str, list[UploadedFile]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            # None: not a form field. Never an RFC 2231 tuple: the HTTP policy decodes those.
            if not isinstance(name, str):
                continue
            # decode=True gives the bytes of a non-multipart part, None for a multipart one.
            data = cast("bytes | None", part.get_payload(decode=True)) or b""
            filename = part.get_filename()
            if filename is None:
                charset = part.get_content_charset() or "utf-8"
                fields.setdefault(name, []).append(data.decode(charset, "replace"))
            else:
                files.setdefault(name, []).append(
                    UploadedFile(name, filename, part.get_content_type(), data))
        return fields, files

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

    def _complete(self) -> None:
        self._completed = True
        with self._completion:
            self._completion.notify_all()

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


def record_request(environ: dict[str, Any], threshold: int = SPOOL_THRESHOLD) -> RecordedRequest:
    """The request of *environ* with its body read whole, for apps that match on it.

    Behind a :class:`~fakeserver.Recorder` this is the journal's own record
    (the body read through it, so it is recorded too); on its own, a new one.
    """
    record = environ.get("fakeserver.request")
    body = environ["wsgi.input"]
    if record is None:
        record = RecordedRequest(environ, threshold, threading.Condition())
        while True:
            piece = body.read(65536)
            if not piece:
                break
            record._body.append(piece)
    else:
        while body.read(65536):
            pass
    return record
