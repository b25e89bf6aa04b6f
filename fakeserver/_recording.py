"""Recorder: WSGI middleware that journals every request/response pair.

Owns what a test inspects after the fact: the recorded request (with its
decoded body, query, form fields and uploaded files) and its response. The
app and the client see exactly what they would without it. Knows nothing of
unittest or of sockets.
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
from typing import IO, Any, Callable, Iterable, Iterator
from urllib.parse import parse_qs
from wsgiref.headers import Headers
from wsgiref.util import request_uri

__all__ = ["RecordedRequest", "RecordedResponse", "Recorder", "UploadedFile"]

#: Bodies larger than this are kept in a temporary file rather than in memory.
SPOOL_THRESHOLD = 1 << 20


class _Body:
    """Bytes collected as they pass: kept as the pieces that arrived while
    small (no copying on the hot path), moved to a temporary file once
    larger than *threshold*."""

    def __init__(self, threshold: int) -> None:
        self._threshold = threshold
        self._pieces: list[bytes] = []
        self._file: IO[bytes] | None = None
        self.size = 0

    def append(self, data: bytes) -> None:
        self.size += len(data)
        if self._file is not None:
            self._file.write(data)
            return
        self._pieces.append(data)
        if self.size > self._threshold:
            self._file = tempfile.TemporaryFile()
            self._closer = weakref.finalize(self, self._file.close)
            self._file.writelines(self._pieces)
            self._pieces = []

    @property
    def spooled(self) -> bool:
        """True once the body lives in a temporary file."""
        return self._file is not None

    def read(self) -> bytes:
        if self._file is None:
            if len(self._pieces) > 1:
                self._pieces = [b"".join(self._pieces)]
            return self._pieces[0] if self._pieces else b""
        self._file.seek(0)
        data = self._file.read()
        self._file.seek(0, 2)
        return data

    def close(self) -> None:
        self._pieces = []
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
    is None until the app has started answering; ``error`` is the exception
    the app raised, if any.
    """

    def __init__(self, environ: dict[str, Any], threshold: int,
                 completion: threading.Condition) -> None:
        self.method: str = environ["REQUEST_METHOD"]
        self.path: str = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
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
            if name is None:
                continue
            data = part.get_payload(decode=True) or b""
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


class _RecordingInput:
    """``wsgi.input`` for the app: reads pass through and are copied to the record."""

    def __init__(self, wrapped: Any, body: _Body) -> None:
        self._wrapped = wrapped
        self._body = body

    def read(self, *args: Any) -> bytes:
        return self._keep(self._wrapped.read(*args))

    def readline(self, *args: Any) -> bytes:
        return self._keep(self._wrapped.readline(*args))

    def readlines(self, *args: Any) -> list[bytes]:
        return [self._keep(line) for line in self._wrapped.readlines(*args)]

    def __iter__(self) -> Iterator[bytes]:
        for line in self._wrapped:
            yield self._keep(line)

    def _keep(self, data: bytes) -> bytes:
        if data:
            self._body.append(data)
        return data

    def read_rest(self) -> None:
        """Record what the app left unread, so that ``body`` is whole."""
        while self.read(65536):
            pass


class Recorder:
    """WSGI middleware recording every exchange with *app*, thread-safely, in arrival order.

    ``Recorder(app)`` is itself a WSGI app. Bodies over *spool_threshold*
    bytes are kept in temporary files, so large uploads do not fill memory;
    :meth:`clear` releases them.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], *,
                 spool_threshold: int = SPOOL_THRESHOLD) -> None:
        self.app = app
        self.spool_threshold = spool_threshold
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._completion = threading.Condition()

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the journal, oldest first (exchanges in progress included)."""
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        """Forget every recorded exchange and release their temporary files."""
        with self._lock:
            requests, self._requests = self._requests, []
        for request in requests:
            request.close()

    def settle(self, timeout: float = 1.0) -> list[RecordedRequest]:
        """Wait (up to *timeout* in all) for exchanges in progress; return the journal.

        A client may read the last byte of a response a moment before the
        server thread has finished recording it; assertions call this first.
        """
        deadline = time.monotonic() + timeout
        requests = self.requests
        for request in requests:
            if not request.completed:
                request.wait(max(0.0, deadline - time.monotonic()))
        return requests

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        record = RecordedRequest(environ, self.spool_threshold, self._completion)
        with self._lock:
            self._requests.append(record)
        read_rest = _nothing
        if environ.get("CONTENT_LENGTH", "0") not in ("", "0") or "HTTP_TRANSFER_ENCODING" in environ:
            body_input = _RecordingInput(environ["wsgi.input"], record._body)
            environ["wsgi.input"] = body_input
            # The body is read whole after the app unless the client waits for
            # "100 Continue", which reading would wrongly send after the answer.
            if "HTTP_EXPECT" not in environ:
                read_rest = body_input.read_rest

        def recording_start_response(status: str, headers: list, exc_info: Any = None) -> Callable:
            record.response = RecordedResponse(status, headers, self.spool_threshold)
            write = start_response(status, headers, exc_info) if exc_info else \
                start_response(status, headers)

            def recording_write(data: bytes) -> None:
                record.response._body.append(data)
                write(data)
            return recording_write

        try:
            result = self.app(environ, recording_start_response)
        except BaseException as error:
            record.error = error
            record._complete()
            raise
        if isinstance(result, (list, tuple)):  # pass it through: the server may frame it better
            try:
                for data in result:
                    if data and record.response is not None:
                        record.response._body.append(data)
                read_rest()
            finally:
                record._complete()
            return result
        return _RecordingIterable(result, record, read_rest)


def _nothing() -> None:
    """There is no request body to finish reading."""


class _RecordingIterable:
    """The app's response iterable, copied chunk by chunk as it streams past."""

    def __init__(self, result: Iterable[bytes], record: RecordedRequest,
                 read_rest: Callable[[], None]) -> None:
        self._result = result
        self._record = record
        self._read_rest = read_rest

    def __iter__(self) -> Iterator[bytes]:
        try:
            for data in self._result:
                if data and self._record.response is not None:
                    self._record.response._body.append(data)
                yield data
        except BaseException as error:
            self._record.error = error
            raise

    def close(self) -> None:
        try:
            close = getattr(self._result, "close", None)
            if close is not None:
                close()
            if self._record.error is None:
                self._read_rest()
        finally:
            self._record._complete()
