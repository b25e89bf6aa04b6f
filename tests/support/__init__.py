"""Helpers shared by the test modules: small WSGI apps, raw-socket clients, running test classes.

Distributions and the upload client of the package index tests are in
``tests.support.distributions``; the raw SMTP client in ``tests.support.smtp``;
a server measured at the file-descriptor limit, in a process of its own, in
``tests.support.descriptor_limit``.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import importlib
import json
import logging
import os
import socket
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import uuid
import warnings
from typing import Any, Callable, Iterator


def echo_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Answer with the request body, and the method and path in headers."""
    body = read_body(environ)
    start_response("200 OK", [
        ("Content-Type", "application/octet-stream"),
        ("Content-Length", str(len(body))),
        ("X-Method", environ["REQUEST_METHOD"]),
        ("X-Path", environ["PATH_INFO"]),
        ("X-Query", environ["QUERY_STRING"]),
    ])
    return [body]


def read_body(environ: dict[str, Any]) -> bytes:
    """Read the whole request body in sized reads, as PEP 3333 asks of apps."""
    pieces = []
    while True:
        piece = environ["wsgi.input"].read(65536)
        if not piece:
            return b"".join(pieces)
        pieces.append(piece)


def streaming_app(environ: dict[str, Any], start_response: Callable[..., Any]):
    """Answer with three pieces and no Content-Length (so chunked on HTTP/1.1)."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"one,"
    yield b""
    yield b"two,"
    yield b"three"


def failing_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Raise, as a buggy app does."""
    raise ZeroDivisionError("the app divided by zero")


class ClosingApp:
    """A WSGI app answering *chunks* from an iterable with a ``close()`` method.

    :attr:`closed` is set when, and only when, the server calls that
    ``close()``, as PEP 3333 requires of it (running out of chunks does not).
    """

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks
        self.closed = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> _Closable:
        start_response("200 OK", [])
        return _Closable(self.chunks, self.closed)


class _Closable:
    def __init__(self, chunks: tuple[bytes, ...], closed: threading.Event) -> None:
        self._chunks = chunks
        self._closed = closed

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._chunks)

    def close(self) -> None:
        self._closed.set()


def exchange(address: tuple, data: bytes, *, shut_write: bool = True, timeout: float = 5.0) -> bytes:
    """Send *data* on a new connection and return all bytes until the server closes."""
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(data)
        if shut_write:
            sock.shutdown(socket.SHUT_WR)
        return read_until_closed(sock)


def read_until_closed(sock: socket.socket) -> bytes:
    """Read from *sock* until the peer closes it."""
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def read_response(sock: socket.socket) -> bytes:
    """Read one response with a Content-Length body from a keep-alive *sock*."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed after {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def call(url: str, data: bytes | None = None, headers: dict | None = None,
         method: str | None = None) -> tuple[int, bytes, dict]:
    """Make a request with urllib; return (status, body, headers) whatever the status."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(), dict(error.headers)


def basic_auth(user: str, password: str) -> dict[str, str]:
    """The Authorization header of Basic authentication, as clients build it."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def json_file(test: unittest.TestCase, content: object) -> str:
    """The path of a new file holding *content* (JSON, or a string as is), deleted after *test*."""
    handle, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(handle, "w") as file:
        file.write(content if isinstance(content, str) else json.dumps(content))
    test.addCleanup(os.unlink, path)
    return path


def multipart(fields: dict[str, str], files: dict[str, Any]) -> tuple[bytes, str]:
    """Encode a multipart/form-data body as browsers and twine do, with a fresh boundary.

    *files* maps a field to ``(filename, content_type, data)``, or to a list
    of them for a field carrying several files. Returns the body and its
    Content-Type.
    """
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    for name, uploads in files.items():
        for filename, content_type, data in uploads if isinstance(uploads, list) else [uploads]:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                         f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                         + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def status_of(response: bytes) -> int:
    """The status code of a raw HTTP response."""
    return int(response.split(b" ", 2)[1])


def open_fd_count() -> int | None:
    """How many file descriptors this process has open, where the OS tells.

    Collects garbage first: a socket an earlier test dropped unclosed (a
    ResourceWarning of its own) must not shift the count in the middle of
    another test.
    """
    gc.collect()
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return None


def server_threads() -> list[threading.Thread]:
    """The fakeserver threads alive now."""
    return [t for t in threading.enumerate() if t.name.startswith("fakeserver")]


def import_extra(name: str) -> Any:
    """Import an optional test-only client, or skip the test without it.

    CI sets FAKESERVER_REQUIRE_EXTRAS=1 where it installed the extras: there
    a missing one is an error, so that interop tests can never skip silently.
    """
    try:
        return importlib.import_module(name)
    except ImportError:
        if os.environ.get("FAKESERVER_REQUIRE_EXTRAS"):
            raise
        raise unittest.SkipTest(f"{name} is not installed") from None


def wait_for_server_threads(count: int, timeout: float = 5.0) -> None:
    """Block until *count* fakeserver threads are alive (accept loops and workers).

    A test that needs the server to have taken a connection before it acts
    waits here; a bounded wait, failing with what it saw.
    """
    deadline = time.monotonic() + timeout
    while len(server_threads()) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} server threads within {timeout}s, "
                                 f"found {server_threads()}")
        time.sleep(0.001)


def assert_nothing_left(test: Any, cycle: Callable[[], None], times: int) -> None:
    """Run *cycle* (start, use, stop a server) *times* times; fail if threads or fds leak."""
    cycle()  # imports and caches warm up
    threads, fds = threading.active_count(), open_fd_count()
    for _ in range(times):
        cycle()
    test.assertEqual(threading.active_count(), threads)
    test.assertEqual(open_fd_count(), fds)
    test.assertEqual(server_threads(), [])


@contextlib.contextmanager
def nothing_left_unclosed(test: Any) -> Iterator[None]:
    """Fail *test* if the block, or the garbage collection that ends it, warns.

    A socket or file dropped unclosed warns only when it is collected, which
    may be in a later test, or never where a reference cycle outlives the
    run: the collection at the end brings the warning home. Every warning is
    recorded, not raised, and the list of them must be empty. Not
    thread-safe (``warnings.catch_warnings`` is not): for the main thread.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
        gc.collect()
    test.assertEqual([str(warning.message) for warning in caught], [])


class CapturedWarnings(logging.Handler):
    """The warnings logged on the "fakeserver" logger during a test; thread-safe."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self._changed = threading.Condition()

    @classmethod
    def during(cls, test: Any) -> "CapturedWarnings":
        """Capture for the rest of *test* (removed by a cleanup)."""
        captured = cls()
        logger = logging.getLogger("fakeserver")
        logger.addHandler(captured)
        test.addCleanup(logger.removeHandler, captured)
        return captured

    def emit(self, record: logging.LogRecord) -> None:
        with self._changed:
            self.messages.append(record.getMessage())
            self._changed.notify_all()

    def wait_for(self, text: str, timeout: float = 5.0) -> bool:
        """Block until a warning containing *text* was logged; False on timeout."""
        with self._changed:
            return self._changed.wait_for(
                lambda: any(text in message for message in self.messages), timeout)


def assert_outer_server_survives(test: Any, mixin: type, use_server: Callable[[Any], None]) -> None:
    """Run a test class inside a test of a class using *mixin*; *use_server* must work after it.

    Python 3.9's unittest keeps one class-cleanup list for all test classes
    (https://github.com/python/cpython/issues/99645): unless the mixin gives
    its classes their own, the inner class's end stops the outer's server.
    """
    class Inner(unittest.TestCase):
        def test(self) -> None:
            pass

    class Outer(mixin, unittest.TestCase):  # type: ignore[misc, valid-type]
        def test(self) -> None:
            inner = unittest.TestResult()
            unittest.defaultTestLoader.loadTestsFromTestCase(Inner).run(inner)
            self.assertTrue(inner.wasSuccessful(), inner.errors)
            use_server(self)

    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(Outer).run(result)
    test.assertTrue(result.wasSuccessful(), result.failures + result.errors)


def assert_stops_promptly(test: Any, *servers: Any, within: float = 1.0) -> None:
    """Stop *servers*, each allowed a generous in-flight timeout; fail unless all of
    them were done within *within* seconds and no server thread is left."""
    started = time.monotonic()
    for server in servers:
        server.stop(timeout=10)
    test.assertLess(time.monotonic() - started, within)
    test.assertEqual(server_threads(), [])


def run_case(case: type) -> unittest.TestResult:
    """Run the test class *case* quietly, as a runner does (class fixtures included).

    For tests of the mixins: what a test of theirs passes, fails or errors
    with is in the returned result.
    """
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(case).run(result)
    return result


def failure_message(test: unittest.TestCase, assertion: Callable[..., object],
                    *args: Any, **kwargs: Any) -> str:
    """The message *assertion* fails with when called with *args* and *kwargs*.

    Fails *test* if the assertion passes, or raises anything but the
    test's ``failureException``.
    """
    with test.assertRaises(test.failureException) as caught:
        assertion(*args, **kwargs)
    return str(caught.exception)
