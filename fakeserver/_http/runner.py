"""AppRunner: a WSGI app served on loopback from a thread; and the per-process singleton.

Owns the user-facing server object (address, URL, collected app errors),
what it asks of the app beyond WSGI (:class:`Interruptible`), and
:func:`run_server` / :func:`stop_server`. It puts together
:class:`ServerThread` (sockets and threads), :func:`serve_connection` (the
protocol) and a server-side TLS context; nothing here knows unittest.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from typing import Any, Callable, Iterable, Protocol, runtime_checkable

from .gateway import linger, serve_connection
from .serving import Connection, ServerThread, format_url_host
from .wire import write_head
from ..tls import server_ssl_context

__all__ = ["AppRunner", "Interruptible", "demo_app", "run_server", "stop_server"]

logger = logging.getLogger("fakeserver")

WSGIApp = Callable[..., Iterable[bytes]]


@runtime_checkable
class Interruptible(Protocol):
    """A WSGI app with waits of its own, which :meth:`AppRunner.stop` cuts short.

    ``StubApp`` implements it for its delays and dribbles, and ``Recorder``
    passes it on to the app it wraps. Called from exactly one place,
    :meth:`AppRunner.stop`.
    """

    def interrupt(self) -> None:
        """Cut short any delay or dribble the app is waiting out, so that stop() is prompt.

        Called from the thread calling ``stop()``, while requests may be in
        progress in other threads: must be thread-safe and must not block.
        """


def demo_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The app served when none is given: ``Hello world!`` and the request line.

    It reads the request body first, so that a client waiting for ``100
    Continue`` sends it, and a :class:`Recorder` around it keeps it.
    """
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):  # fakeserver's: chunked bodies end too
        while stream.read(65536):
            pass
    elif environ.get("CONTENT_LENGTH"):  # PEP 3333: never read past it
        stream.read(int(environ["CONTENT_LENGTH"]))
    body = "Hello world!\n\n{} {}\n".format(
        environ["REQUEST_METHOD"], environ.get("RAW_URI", environ["PATH_INFO"])).encode("latin-1")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [body]


class AppRunner(ServerThread):
    """Serve a WSGI *app* over HTTP/1.1 from a daemon thread.

    The socket is bound when the constructor returns, so :attr:`address`
    and :attr:`url` are known before :meth:`start`. Use it as a context
    manager, or call :meth:`start` and :meth:`stop` (idempotent, thread-safe,
    prompt). Binds ``127.0.0.1`` unless told otherwise; ``host="::1"`` serves
    IPv6.

    ``tls=True`` serves HTTPS with the bundled ``localhost`` certificate
    (clients trust :data:`fakeserver.CA_FILE`); an *ssl_context* of your own
    (server side) implies TLS. Each connection's handshake runs in its own
    thread, and a failed one is logged and costs only that connection.

    Every exception the app raises is answered with a 500 and appended to
    :attr:`errors`, with its traceback, so that a test can fail on it.

    ``inspector=True`` also serves a live page of the traffic at
    :attr:`inspector_url`: the app is recorded (unless it is a ``Recorder``
    already) and the page's routes, under ``/__fakeserver__/``, go around it.
    """

    #: The scheme in :attr:`url` and ``environ["wsgi.url_scheme"]``.
    url_scheme = "http"

    def __init__(self, app: WSGIApp | None = None, host: str = "127.0.0.1", port: int = 0, *,
                 max_body_size: int | None = None, tls: bool = False,
                 ssl_context: ssl.SSLContext | None = None, inspector: bool = False) -> None:
        if ssl_context is not None and (ssl_context.check_hostname
                                        or ssl_context.protocol == ssl.PROTOCOL_TLS_CLIENT):
            raise ValueError("ssl_context must be a server-side context, "
                             "such as fakeserver.tls.server_ssl_context()")
        if tls and ssl_context is None:
            ssl_context = server_ssl_context()
        super().__init__(host, port, name="fakeserver-http")
        #: The server-side TLS context, or None for plain HTTP.
        self.ssl_context = ssl_context
        if ssl_context is not None:
            self.url_scheme = "https"
        #: The WSGI app served (:func:`demo_app` when none was given).
        self.app: WSGIApp = app if app is not None else demo_app
        if inspector:
            # Imported only when asked for: the core depends on neither the inspector nor recording.
            from .._inspector.app import inspected
            self.app = inspected(self.app)
        self._inspector = inspector
        #: Request bodies larger than this are refused with 413 (None: no limit).
        self.max_body_size = max_body_size
        #: Exceptions raised by the app, oldest first; each has ``__traceback__``.
        self.errors: list[BaseException] = []

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8000`` (``https`` with TLS; IPv6 in brackets)."""
        host, port = self.address
        return f"{self.url_scheme}://{format_url_host(host)}:{port}"

    @property
    def inspector_url(self) -> str:
        """The URL of the live traffic page, e.g. ``http://127.0.0.1:8000/__fakeserver__/``.

        Raises RuntimeError unless the runner was made with ``inspector=True``.
        """
        if not self._inspector:
            raise RuntimeError("this AppRunner serves no inspector; "
                               "create it with AppRunner(app, inspector=True)")
        return self.url + "/__fakeserver__/"

    def record_error(self, error: BaseException) -> None:
        """Keep an exception raised by the app; called from connection threads."""
        self.errors.append(error)  # list.append is atomic

    def handle_connection(self, connection: Connection) -> None:
        if self.ssl_context is not None:
            if _plain_http_first(connection):
                return
            if not connection.start_tls(self.ssl_context):
                return
        serve_connection(connection, self)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop serving, first cutting short any delay the app is waiting out: an
        app with an ``interrupt()`` method (``Interruptible``) is interrupted.

        Idle connections are closed at once; requests in progress get up to
        *timeout* seconds, then their sockets are shut down. When this
        returns, no thread or socket of the server is left. Idempotent,
        thread-safe, and callable from inside a request.
        """
        if isinstance(self.app, Interruptible):
            self.app.interrupt()
        super().stop(timeout)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped" if self._stop_requested else "not started"
        return f"<AppRunner {self.url} {state} app={self.app!r}>"


_PLAIN_HTTP_BODY = b"This port speaks HTTPS: use an https:// URL.\r\n\r\n"
_PLAIN_HTTP_ANSWER = write_head(400, [
    ("Content-Type", "text/plain"), ("Content-Length", str(len(_PLAIN_HTTP_BODY))),
    ("Connection", "close")]) + _PLAIN_HTTP_BODY


def _plain_http_first(connection: Connection) -> bool:
    """Answer a client that sends plain HTTP to the TLS port with a 400 it can read.

    A TLS client starts with a handshake record (byte 0x16); a request line
    starts with a letter. Peeking tells them apart without consuming
    anything, so that the client's error says what went wrong instead of
    "connection reset". True when the connection was answered so.
    """
    try:
        first = connection.sock.recv(1, socket.MSG_PEEK)
    except OSError:
        return False  # let the handshake report it
    if not first.isalpha():
        return False
    logger.warning("plain HTTP from %s to the HTTPS port %s; answered 400",
                   connection.address, connection.sock.getsockname()[1])
    try:
        connection.sock.sendall(_PLAIN_HTTP_ANSWER)
    except OSError:
        return True
    linger(connection)  # its request is unread: closing now would reset the answer away
    return True


_singleton_lock = threading.Lock()
_singleton: AppRunner | None = None


def run_server(app: WSGIApp | None = None, host: str = "127.0.0.1",
               port: int = 0) -> tuple[str, int]:
    """Start the process-wide server (once) and return its ``(host, port)``.

    Calling it again returns the same address. Asking for a different app
    while one is served raises :class:`RuntimeError` rather than silently
    serving the old one. Thread-safe.
    """
    global _singleton
    with _singleton_lock:
        wanted = app if app is not None else demo_app
        if _singleton is not None:
            if _singleton.app != wanted:  # == too: each bound-method access is a new object
                raise RuntimeError(
                    f"run_server() is already serving {_singleton.app!r} at {_singleton.url}; "
                    f"call stop_server() before serving {wanted!r}")
            return _singleton.address
        runner = AppRunner(wanted, host, port)
        runner.start()
        _singleton = runner
        return runner.address


def stop_server(timeout: float = 2.0) -> None:
    """Stop the server started by :func:`run_server`; idempotent and thread-safe."""
    global _singleton
    with _singleton_lock:
        runner, _singleton = _singleton, None
    if runner is not None:
        runner.stop(timeout)
