"""Upstreams for the proxying, snapshot and cassette tests: real local services to forward to.

``describe_app`` answers with what it received, so that a test sees what
the proxy forwarded; :func:`serve` starts any app as an upstream for the
rest of a test; :func:`answering` and :func:`raw_app` make apps answering
one way (``raw_app`` writing the bytes itself); :class:`ScriptedUpstream`
is a raw-socket server for what a WSGI app cannot do (closing a kept-alive
connection at a chosen moment), and :class:`SpoilingUpstream` one that
spoils an idle kept-alive connection (a ``408``, stray bytes).
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
import urllib.error
import urllib.request
import zlib
from typing import Any, Callable, Iterable

from fakeserver import AppRunner, Recorder
from tests.support import read_body

TIMEOUT = 10.0
#: A whole answer, as a raw upstream sends it.
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def describe_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Answer with the request as received: method, target, headers, body (as latin-1)."""
    body = read_body(environ)
    description = {
        "method": environ["REQUEST_METHOD"], "target": environ["RAW_URI"],
        "headers": environ["fakeserver.headers"], "body": body.decode("latin-1"),
    }
    data = json.dumps(description).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(data)))])
    return [data]


def answering(status: str, headers: list[tuple[str, str]], body: bytes = b"") -> Callable[..., Any]:
    """An app answering *status*, *headers* and *body* to every request."""
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(status, headers)
        return [body]
    return app


def raw_app(*pieces: bytes, pause: float = 0.0) -> Callable[..., Any]:
    """An app that writes *pieces* to the socket itself (a *pause* between them), then closes:
    for answers a WSGI app cannot give (no length and no chunks, interim answers)."""
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        sock = environ["fakeserver.take_socket"]()
        for number, piece in enumerate(pieces):
            if number and pause:
                time.sleep(pause)
            sock.sendall(piece)
        return []
    return app


def api_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """A small API, as a real service answers: JSON, gzip, deflate, binary, redirects, forms.

    Paths: ``/users/<name>`` (JSON naming the user and the query),
    ``/gzip`` and ``/deflate`` (compressed JSON), ``/stream`` (text in three
    chunks), ``/binary`` (256 bytes),
    ``/redirect`` (302 to ``/users/octocat`` on this host), ``/upload``
    (the multipart or JSON body's size), ``/counter`` (a count that
    goes up at each call), and ``/login`` (a token in JSON and a cookie).
    """
    path = environ["PATH_INFO"]
    body = read_body(environ)
    headers: list[tuple[str, str]] = [("Content-Type", "application/json")]
    if path.startswith("/users/"):
        data = json.dumps({"login": path[7:], "query": environ["QUERY_STRING"]}).encode()
    elif path in ("/gzip", "/deflate"):
        raw = json.dumps({"compressed": path[1:]}).encode()
        data = gzip.compress(raw, mtime=0) if path == "/gzip" else zlib.compress(raw)
        headers.append(("Content-Encoding", path[1:]))
    elif path == "/stream":  # no length: chunked on the wire
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"one,", b"two,", b"three"]
    elif path == "/binary":
        data, headers = bytes(range(256)), [("Content-Type", "application/octet-stream")]
    elif path == "/redirect":
        start_response("302 Found", [("Location", f"http://{environ['HTTP_HOST']}/users/octocat"),
                                     ("Content-Length", "0")])
        return []
    elif path == "/upload":
        data = json.dumps({"received": len(body)}).encode()
    elif path == "/counter":
        api_app.calls += 1  # type: ignore[attr-defined]
        data = json.dumps({"count": api_app.calls}).encode()  # type: ignore[attr-defined]
    elif path == "/login":
        data = json.dumps({"token": "tok-12345", "user": "octocat"}).encode()
        headers.append(("Set-Cookie", "session=s3cr3t; HttpOnly"))
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such path\n"]
    start_response("200 OK", headers + [("Content-Length", str(len(data)))])
    return [data]


api_app.calls = 0  # type: ignore[attr-defined]


def serve(test: Any, app: Callable[..., Iterable[bytes]], *, tls: bool = False,
          record: bool = False) -> AppRunner:
    """Start *app* as an upstream until the end of *test* (behind a Recorder with *record*:
    then ``runner.app.requests`` is what it received)."""
    runner = AppRunner(Recorder(app) if record else app, tls=tls)
    if record:
        test.addCleanup(runner.app.clear)
    test.addCleanup(runner.stop)
    runner.start()
    return runner


def fetch(url: str, data: bytes | None = None, headers: dict[str, str] | None = None, *,
          method: str | None = None, **kwargs: Any) -> tuple[int, Any, bytes]:
    """Send a request with urllib (redirects followed); return status, headers and body."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT, **kwargs) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def unused_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ScriptedUpstream:
    """A raw-socket upstream: each connection gets the answers of *script*, in order.

    Each item is the bytes to send after reading one request head (and
    its ``Content-Length`` body), or None to close the connection without
    answering; after the last one, the connection is closed. ``heads``
    keeps the request heads received, ``connections`` counts the
    connections, and ``closed`` is set each time one is closed. Stopped by
    a cleanup of *test*.
    """

    def __init__(self, test: Any, script: list[bytes | None]) -> None:
        self.script = script
        self.heads: list[bytes] = []
        self.connections = 0
        self.closed = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = "http://127.0.0.1:%d" % self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        test.addCleanup(self._stop)

    def _serve(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._handle(sock, self.connections)

    def _handle(self, sock: socket.socket, number: int) -> None:
        """Serve connection *number*: its script, then close it."""
        with sock:
            self._follow_script(sock)
        self.closed.set()

    def _follow_script(self, sock: socket.socket) -> None:
        with sock.makefile("rb") as reader:
            for answer in self.script:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = reader.readline()
                    if not line:
                        break
                    head += line
                if not head:
                    return
                self.heads.append(head)
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        reader.read(int(line.split(b":")[1]))
                if answer is None:
                    return
                sock.sendall(answer)

    def _stop(self) -> None:
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() in progress
        except OSError:
            pass
        self._listener.close()
        self._thread.join(TIMEOUT)


class SpoilingUpstream(ScriptedUpstream):
    """A raw upstream answering :data:`OK` to one request on each connection, in a thread per
    connection, and keeping it open; on the first, a while after answering (as an idle
    timeout would, not at once), it does *spoil* to the socket and sets ``spoiled``.
    ``heads`` and ``connections`` count as :class:`ScriptedUpstream`'s do."""

    def __init__(self, test: Any, spoil: Callable[[socket.socket], None]) -> None:
        self._spoil = spoil
        self.spoiled = threading.Event()
        self._done = threading.Event()
        self._answering: list[threading.Thread] = []
        super().__init__(test, [OK])

    def _handle(self, sock: socket.socket, number: int) -> None:
        thread = threading.Thread(target=self._answer, args=(sock, number == 1), daemon=True)
        self._answering.append(thread)
        thread.start()

    def _answer(self, sock: socket.socket, first: bool) -> None:
        with sock:
            self._follow_script(sock)
            if first:
                time.sleep(0.05)
                self._spoil(sock)
                self.spoiled.set()
            self._done.wait(TIMEOUT)

    def _stop(self) -> None:
        self._done.set()
        super()._stop()
        for thread in self._answering:
            thread.join(TIMEOUT)
