"""Recorder: WSGI middleware that journals every request/response pair.

Owns capturing exchanges: it copies the request body as the app reads it
and the response as it streams past, and keeps the journal, thread-safely,
in arrival order. The app and the client see exactly what they would
without it. It leaves each exchange's record in the environ, where
:func:`record_request` finds it, and fills records in only through their
two writers, ``append_body`` and ``mark_completed``. Nothing here knows
unittest or sockets.
"""

from __future__ import annotations

import io
import itertools
import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from .listeners import Listeners
from .records import RecordedRequest, RecordedResponse, append_body, mark_completed
from .snapshot import save_snapshot

if TYPE_CHECKING:
    from .snapshot import SnapshotOptions

    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = ["RECORD_KEY", "SPOOL_THRESHOLD", "Recorder", "record_request", "rewound"]

#: Bodies larger than this are kept in a temporary file rather than in memory.
SPOOL_THRESHOLD = 1 << 20
#: The environ key under which the Recorder leaves the record of the request.
RECORD_KEY = "fakeserver.request"
#: How much of a request body one read asks for.
_CHUNK = 65536


class _RecordingInput:
    """``wsgi.input`` for the app: reads pass through and are copied to the record."""

    def __init__(self, wrapped: Any, record: RecordedRequest) -> None:
        self._wrapped = wrapped
        self._record = record

    def read(self, *args: Any) -> bytes:
        return self._keep(self._wrapped.read(*args))

    def read1(self, *args: Any) -> bytes:
        """What has arrived (``read`` where the server's input has no ``read1``)."""
        return self._keep(getattr(self._wrapped, "read1", self._wrapped.read)(*args))

    def readline(self, *args: Any) -> bytes:
        return self._keep(self._wrapped.readline(*args))

    def readlines(self, *args: Any) -> list[bytes]:
        return [self._keep(line) for line in self._wrapped.readlines(*args)]

    def __iter__(self) -> Iterator[bytes]:
        for line in self._wrapped:
            yield self._keep(line)

    def _keep(self, data: bytes) -> bytes:
        if data:
            append_body(self._record, data)
        return data

    def read_rest(self) -> None:
        """Record what the app left unread, so that ``body`` is whole."""
        while self.read(_CHUNK):
            pass


class Recorder:
    """WSGI middleware recording every exchange with *app*, thread-safely, in arrival order.

    ``Recorder(app)`` is itself a WSGI app. Bodies over *spool_threshold*
    bytes are kept in temporary files, so large uploads do not fill memory;
    :meth:`clear` releases them. The app finds the record of the request it
    is answering under ``environ["fakeserver.request"]``. Each record gets
    the next :attr:`~RecordedRequest.id`. With a *limit*, the journal keeps
    that many exchanges: older ones are dropped as new ones begin, and
    counted in :attr:`dropped`.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], *,
                 spool_threshold: int = SPOOL_THRESHOLD, limit: int | None = None) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be at least 1 (or None: no limit), not {limit!r}")
        #: The WSGI app recorded.
        self.app = app
        #: Bodies larger than this many bytes are kept in a temporary file.
        self.spool_threshold = spool_threshold
        #: The most exchanges the journal keeps (None: no limit).
        self.limit = limit
        #: How many exchanges were dropped to keep within :attr:`limit`.
        self.dropped = 0
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._completion = threading.Condition()
        self._ids = itertools.count(1)
        self._changed = Listeners()

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the journal, oldest first (exchanges in progress included)."""
        with self._lock:
            return list(self._requests)

    def interrupt(self) -> None:
        """Pass a server's stop on to the app, if it has waits to cut short.

        Implements the ``Interruptible`` protocol that ``AppRunner.stop()``
        calls, for the app this records (which need not implement it).
        Thread-safe and non-blocking if the app's ``interrupt`` is.
        """
        interrupt = getattr(self.app, "interrupt", None)
        if callable(interrupt):
            interrupt()

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Have *listener* called, with no arguments, whenever an exchange begins or
        the journal is cleared or trimmed (not when an exchange ends: see ``wait``).

        It is called from the thread making the change (a connection's, or
        the one calling :meth:`clear`), outside the journal's lock; it must
        be quick and must not raise. Thread-safe.
        """
        self._changed.add(listener)

    def clear(self) -> None:
        """Forget every recorded exchange and release their temporary files."""
        with self._lock:
            requests, self._requests = self._requests, []
        for request in requests:
            request.close()
        self._changed()

    def wait_for(self, ready: Callable[[list[RecordedRequest]], bool], timeout: float) -> bool:
        """Block until ``ready(finished)`` is true, or *timeout* seconds pass; return its last value.

        *finished* lists the journal's completed exchanges, oldest first.
        It is checked at once and again each time an exchange completes (no
        polling interval), while holding the lock that completion takes:
        *ready* must be quick and must not wait on the server. Thread-safe.
        """
        with self._completion:
            return self._completion.wait_for(
                lambda: ready([request for request in self.requests if request.completed]),
                timeout)

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

    def save_stubs(self, path: str | os.PathLike, **options: Unpack[SnapshotOptions]) -> int:
        """Write the journal as a stub file that replays it; return how many entries it has.

        ``StubApp.from_file(path)`` (or ``load_stubs``) answers the same
        requests as they were answered. Requests match on method, path,
        query and body (JSON as parsed JSON, forms as their fields,
        multipart as its parts, whatever the boundary); headers are kept in
        the file but matched only when named in *match_headers*. Identical
        requests become one entry whose responses play in order, the last
        repeating. Credential headers are ``"<redacted>"``, and more with
        *redact_headers*, *redact_query*, *redact_json* and *secrets*
        (``{placeholder: secret}``). Exchanges the app failed, and requests
        no stub matched, are left out. The output is stable, so recording
        the same traffic again rewrites the file byte for byte. Waits first
        for exchanges in progress (as :meth:`settle`); raises TypeError for
        an unknown option.
        """
        return save_snapshot(path, self.settle(), **options)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        record = RecordedRequest(environ, self.spool_threshold, self._completion)
        with self._lock:
            record.id = next(self._ids)
            self._requests.append(record)
            excess = len(self._requests) - self.limit if self.limit is not None else 0
            dropped = self._requests[:excess] if excess > 0 else []
            del self._requests[:len(dropped)]
            self.dropped += len(dropped)
        for old in dropped:
            if old.completed:  # one still in progress is released by its finalizer instead
                old.close()
        self._changed()
        environ[RECORD_KEY] = record  # apps that match on it need not read it again
        read_rest = _nothing
        if environ.get("CONTENT_LENGTH", "0") not in ("", "0") or "HTTP_TRANSFER_ENCODING" in environ:
            body_input = _RecordingInput(environ["wsgi.input"], record)
            environ["wsgi.input"] = body_input
            # The body is read whole after the app unless the client waits for
            # "100 Continue", which reading would wrongly send after the answer.
            if "HTTP_EXPECT" not in environ:
                read_rest = body_input.read_rest

        def recording_start_response(status: str, headers: list, exc_info: Any = None) -> Callable:
            write = start_response(status, headers, exc_info) if exc_info else \
                start_response(status, headers)
            # Only once the server took them: a refused status is never what the client got.
            record.response = RecordedResponse(status, headers, self.spool_threshold)

            def recording_write(data: bytes) -> None:
                response = record.response
                assert response is not None  # set above, before this function is handed out
                append_body(response, data)
                write(data)
            return recording_write

        try:
            result = self.app(environ, recording_start_response)
        except BaseException as error:
            _failed(record, error)
            mark_completed(record)
            raise
        if isinstance(result, (list, tuple)):  # pass it through: the server may frame it better
            try:
                for data in result:
                    if data and record.response is not None:
                        append_body(record.response, data)
                read_rest()
            finally:
                mark_completed(record)
            return result
        return _RecordingIterable(result, record, read_rest)


def _failed(record: RecordedRequest, error: BaseException) -> None:
    """Note the app's *error*; a response it began but never sent a byte of is not
    what the client got (the server answers 500 instead), so it is dropped."""
    record.error = error
    if record.response is not None and record.response.body_size == 0:
        record.response = None


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
                    append_body(self._record.response, data)
                yield data
        except BaseException as error:
            _failed(self._record, error)
            raise

    def close(self) -> None:
        try:
            close = getattr(self._result, "close", None)
            if close is not None:
                close()
            if self._record.error is None:
                self._read_rest()
        finally:
            mark_completed(self._record)


def record_request(environ: dict[str, Any], threshold: int = SPOOL_THRESHOLD) -> RecordedRequest:
    """The request of *environ* with its body read whole, for apps that match on it.

    Behind a :class:`Recorder` this is the journal's own record (the body
    read through it, so it is recorded too); on its own, a new one, whose
    body is spooled to a temporary file beyond *threshold* bytes. Blocks
    until the client has sent the whole body; a client that disconnects
    midway raises out of here.
    """
    record = environ.get(RECORD_KEY)
    body = environ["wsgi.input"]
    if record is None:
        record = RecordedRequest(environ, threshold, threading.Condition())
        while True:
            piece = body.read(_CHUNK)
            if not piece:
                break
            append_body(record, piece)
    else:
        while body.read(_CHUNK):
            pass
    return record


def rewound(environ: dict[str, Any], record: RecordedRequest) -> dict[str, Any]:
    """A copy of *environ* whose ``wsgi.input`` reads *record*'s body again.

    For an app handing on a request whose body :func:`record_request` has
    read (a stub that proxies): the copy announces the body's length,
    whatever framing the client used, and expects no ``100 Continue``.
    """
    environ = dict(environ)
    environ["wsgi.input"] = io.BytesIO(record.body)
    environ["CONTENT_LENGTH"] = str(record.body_size)
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ.pop("HTTP_EXPECT", None)
    return environ
