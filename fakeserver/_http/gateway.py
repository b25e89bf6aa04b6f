"""The WSGI gateway (PEP 3333): one connection's HTTP/1.1 requests, each served by the app.

Owns the request loop of a single client connection: persistent
connections, the environ and ``wsgi.input`` of each request, ``Expect:
100-continue``, ``start_response`` and the write callable, draining what the
app left unread, a clear 4xx answer to malformed input, a 500 to a failing
app, and nothing more to a client the app saw leave (``ClientDisconnected``).
What the environ takes from the header fields is ``environ``'s; how each
response is framed is decided by :class:`Framing`, and every head is
checked and rendered by ``wire``. Knows nothing of sockets being
accepted, of threads, of recording or of unittest.
"""

from __future__ import annotations

import logging
import socket
import time
from typing import Any, Callable, Iterable, Protocol
from urllib.parse import unquote_to_bytes

from .body import BodyReader, ChunkedReader, ContentLengthReader, EmptyReader
from .environ import field_facts, shared_environ
from .framing import AppHead, Framing, render_head
from .serving import Connection
from .target import split_target
from .watch import ClientDisconnected
from .wire import (
    ClientError, RequestHead, content_length, read_head, send_error, write_head,
)

__all__ = ["WSGIHost", "linger", "serve_connection"]

logger = logging.getLogger("fakeserver")

#: A request body left unread by the app is drained up to this size so that
#: the connection can be reused; beyond it the connection is closed instead.
MAX_DRAIN_BYTES = 1 << 20
#: After refusing a request, what is still read (and dropped) before closing.
LINGER_BYTES = 64 << 20
LINGER_SECONDS = 2.0

_CONTINUE = write_head(100, ())
_INTERNAL_ERROR = b"500 Internal Server Error: the application raised an exception\n"


class WSGIHost(Protocol):
    """What a connection needs from the server that accepted it."""

    app: Callable[..., Iterable[bytes]]
    address: tuple[str, int]
    url_scheme: str
    max_body_size: int | None

    def record_error(self, error: BaseException) -> None:
        """Keep an exception raised by the app so that a test can fail on it."""


def serve_connection(connection: Connection, host: WSGIHost) -> None:
    """Serve HTTP requests on *connection* until either side closes it.

    Blocks; runs in the connection's thread. Client errors are answered
    with a 4xx status and logged; app errors are answered with 500 and
    handed to ``host.record_error``.
    """
    sock = connection.sock
    rfile = sock.makefile("rb")
    shared = shared_environ(host.address, connection.address, host.url_scheme)
    try:
        while True:
            if not connection.idle():
                return
            try:
                head = read_head(rfile)
            except ClientError as error:
                logger.warning("bad request from %s: %s", _peer(connection), error)
                if error.status:
                    send_error(sock, error)
                    linger(connection)
                return
            except OSError:  # the client vanished, or stop() shut us down
                return
            if head is None or not connection.busy():
                return
            exchange = _Exchange(connection, host, rfile, head, shared)
            if not exchange.run():
                if exchange.unread:
                    linger(connection)
                return
    finally:
        rfile.close()


def linger(connection: Connection) -> None:
    """Read and drop what the client still sends after our answer, then let it close.

    Closing a socket with unread data makes the kernel send a reset, which
    can destroy the answer before the client reads it: a client still
    uploading a refused body would see "connection reset" instead of our
    413 (RFC 9112 section 9.6). Bounded in bytes and time; ``stop()`` ends it.
    """
    if not connection.idle():
        return
    sock = connection.sock
    try:
        socket.socket.shutdown(sock, socket.SHUT_WR)  # our answer is complete
        deadline = time.monotonic() + LINGER_SECONDS
        received = 0
        while received < LINGER_BYTES:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            sock.settimeout(remaining)
            data = sock.recv(65536)
            if not data:
                return
            received += len(data)
    except OSError:  # reset, timed out, or shut down by stop()
        pass


def _peer(connection: Connection) -> str:
    return "%s:%s" % connection.address[:2]


class _Exchange:
    """One request and its response on a connection.

    The request side is :attr:`request` and :attr:`body`; the response side
    is the app's :class:`AppHead` until the head is due, then the
    :class:`Framing` decided for it (set once the head is rendered: the
    response has started).
    """

    __slots__ = ("connection", "host", "rfile", "request", "shared_environ", "body", "keep_alive",
                 "continue_pending", "unread", "taken", "client_gone", "app_head", "length",
                 "framing")

    def __init__(self, connection: Connection, host: WSGIHost, rfile: Any,
                 request: RequestHead, shared_environ: dict[str, Any]) -> None:
        self.connection = connection
        self.host = host
        self.rfile = rfile
        self.request = request
        #: The environ entries of every request on the connection (``shared_environ``).
        self.shared_environ = shared_environ
        self.body: BodyReader = EmptyReader()
        self.keep_alive = True  # what the request and the app ask for
        self.continue_pending = False
        self.unread = False  # closing with request bytes perhaps still coming
        self.taken = False
        self.client_gone = False
        self.app_head: AppHead | None = None
        self.length: int | None = None  # the body length known before the head is due
        self.framing: Framing | None = None

    def run(self) -> bool:
        """Serve the exchange; True if the connection can carry another."""
        try:
            environ = self._environ()
        except ClientError as error:
            return self._refuse(error)
        method, target, version, _ = self.request
        try:
            self._run_app(environ)
        except ClientError as error:
            return self._refuse(error)
        except ClientDisconnected as error:  # the app saw the client leave while it waited
            logger.info("client %s left during %s %s: %s", _peer(self.connection), method, target,
                        error)
            return False
        except Exception as error:
            if self.client_gone:  # our write failed; an app's own ConnectionError is its error
                logger.warning("client %s went away during %s %s: %s",
                               _peer(self.connection), method, target, error)
                return False
            self.host.record_error(error)
            logger.warning("application error on %s %s", method, target, exc_info=True)
            if self.framing is not None or self.taken:
                return False
            self._send_internal_error()
        framing = self.framing
        if logger.isEnabledFor(logging.DEBUG):
            status = self.app_head.status[:3] if self.app_head is not None else "-"
            logger.debug('%s "%s %s %s" %s %d', _peer(self.connection), method, target, version,
                         status, framing.sent if framing is not None else 0)
        if self.taken or self.connection.closing:
            return False
        # Drained even when closing: see linger.
        return self._drain() and framing is not None and framing.keep_alive

    def _take_socket(self) -> socket.socket:
        """``environ["fakeserver.take_socket"]()``: the raw socket, for fault injection.

        The app then owns what is sent: the server adds nothing to this
        exchange and closes the connection after the app returns.
        """
        if self.framing is not None:
            raise RuntimeError("the response has started; too late to take the socket")
        self.taken = True
        return self.connection.sock

    # -- request -----------------------------------------------------------

    def _environ(self) -> dict[str, Any]:
        method, target, version, headers = self.request
        authority, path, query = split_target(method, target)
        if "%" in path:
            path = unquote_to_bytes(path).decode("latin-1")
        entries, length_field, transfer_encoding, wanted, expect = field_facts(headers)
        environ: dict[str, Any] = {
            **self.shared_environ,
            **entries,
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "RAW_URI": target,
            "SERVER_PROTOCOL": version,
            "fakeserver.headers": headers,
            "fakeserver.take_socket": self._take_socket,
            # To watch for the client leaving (see watch.Interrupt), never to read or write.
            "fakeserver.client_socket": self.connection.sock,
        }
        if version != "HTTP/1.0" and "HTTP_HOST" not in entries:
            raise ClientError(400, "HTTP/1.1 request without a Host header (RFC 9112 section 3.2)")
        if authority is not None:  # RFC 9112 section 3.2.2: the target's authority wins
            environ["HTTP_HOST"] = authority
        self.keep_alive = ("close" not in wanted if version != "HTTP/1.0"
                           else "keep-alive" in wanted and transfer_encoding is None)
        if length_field is not None or transfer_encoding is not None or expect:
            self.body = self._body_reader(length_field, transfer_encoding, expect)
        if length_field is not None:
            environ["CONTENT_LENGTH"] = length_field
        environ["wsgi.input"] = self.body
        return environ

    def _body_reader(self, length_field: str | None, transfer_encoding: str | None,
                     expect: str) -> BodyReader:
        """The reader of the body the request announces (RFC 9112 section 6).

        An HTTP/1.0 request with Transfer-Encoding is served but ends its
        connection (section 6.1): ``_environ`` sees to that.
        """
        if expect and expect != "100-continue":
            raise ClientError(417, f"unsupported expectation {expect!r}")
        limit = self.host.max_body_size
        if transfer_encoding is not None:
            if length_field is not None:
                raise ClientError(400, "both Content-Length and Transfer-Encoding")
            codings = [coding.strip(" \t").lower() for coding in transfer_encoding.split(",")]
            if [coding for coding in codings if coding] != ["chunked"]:
                raise ClientError(501, f"transfer coding {transfer_encoding[:80]!r}")
            reader: BodyReader = ChunkedReader(self.rfile, limit)
        elif length_field is not None:
            length = content_length(length_field)
            if length is None:
                raise ClientError(400, f"invalid Content-Length {length_field[:40]!r}")
            if limit is not None and length > limit:
                raise ClientError(413, f"body of {length} bytes over the limit of {limit}")
            if length == 0:
                return EmptyReader()
            reader = ContentLengthReader(self.rfile, length)
        else:
            return EmptyReader()
        if expect and self.request.version != "HTTP/1.0":
            self.continue_pending = True
            reader.before_first_read = self._send_continue
        return reader

    def _send_continue(self) -> None:
        self.continue_pending = False
        if self.framing is None:
            self._send(_CONTINUE)

    def _body_costs_connection(self) -> bool:
        """True if the request body, unread when the head is due, will end the connection.

        After the response, a rest known to be small is drained; a larger
        one, one of unknown length, or one the client holds back until
        ``100 Continue`` is not, and the connection closes instead: the head
        then says so, lest the client send its next request in vain.
        """
        if self.continue_pending:
            return True
        left = self.body.left
        return left is None or left > MAX_DRAIN_BYTES

    def _drain(self) -> bool:
        """Consume what the app left of the request body; False to close instead."""
        if self.continue_pending:  # the client may not send the body at all
            self.unread = True
            return False
        if self.body.left == 0:  # nothing left: the usual case
            return True
        try:
            self.unread = not self.body.drain(MAX_DRAIN_BYTES)
        except (ClientError, OSError):
            return False
        return not self.unread

    # -- response ------------------------------------------------------------

    def _run_app(self, environ: dict[str, Any]) -> None:
        result = self.host.app(environ, self._start_response)
        try:
            if (isinstance(result, (list, tuple)) and len(result) == 1 and self.framing is None
                    and self.app_head is not None and self.length is None):
                self.length = len(result[0])
            for data in result:
                if data and not self.taken:
                    self._write(data)
            if not self.taken:
                self._finish()
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    def _start_response(self, status: str, headers: list[tuple[str, str]],
                        exc_info: Any = None) -> Callable[[bytes], None]:
        if exc_info:
            try:
                if self.framing is not None:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.app_head is not None:
            raise AssertionError("start_response() called a second time without exc_info")
        head = AppHead(status, headers)
        if head.close:
            self.keep_alive = False
        self.app_head, self.length = head, head.length
        return self._write

    def _write(self, data: bytes) -> None:
        head = self.app_head
        if head is None:
            raise AssertionError("write() before start_response()")
        if not isinstance(data, bytes):
            raise TypeError(f"response body must be bytes, not {type(data).__name__}")
        framing = self.framing
        if framing is None:
            framing = Framing(self.request, head, self.length,
                              self.keep_alive and not self._body_costs_connection())
            rendered = render_head(head, framing)  # if this raises, a 500 can still go out
            self.framing = framing
            self._send(rendered + framing.frame(data))
        elif data:
            self._send(framing.frame(data))

    def _finish(self) -> None:
        if self.app_head is None:
            raise AssertionError("the application returned without calling start_response()")
        if self.framing is None:
            if self.length is None:
                self.length = 0
            self._write(b"")  # the head alone
            return
        end = self.framing.end()
        if end:
            self._send(end)

    def _send(self, data: bytes) -> None:
        try:
            self.connection.sock.sendall(data)
        except OSError:
            self.client_gone = True
            raise

    def _send_internal_error(self) -> None:
        self.app_head, self.keep_alive = None, False
        self._start_response("500 Internal Server Error", [
            ("Content-Type", "text/plain"), ("Content-Length", str(len(_INTERNAL_ERROR)))])
        try:
            self._write(_INTERNAL_ERROR)
        except OSError:
            pass

    def _refuse(self, error: ClientError) -> bool:
        logger.warning("bad request from %s (%s %s): %s", _peer(self.connection),
                       self.request.method, self.request.target, error)
        if error.status and self.framing is None:
            send_error(self.connection.sock, error)
            self.unread = True
        return False
