"""HTTP/1.1 on one connection: parse requests, run the WSGI app, frame responses.

This module owns the wire format (RFC 9112) and the WSGI gateway (PEP 3333)
for a single client connection: persistent connections, chunked request
bodies, ``Expect: 100-continue``, chunked responses when the length is
unknown, and a clear 4xx answer to malformed input. It knows nothing of
sockets being accepted, of threads, of recording or of unittest.
"""

from __future__ import annotations

import logging
import socket
import sys
import time
from email.utils import formatdate
from typing import Any, Callable, Iterable, Protocol
from urllib.parse import unquote_to_bytes

from .body import BodyReader, ChunkedReader, ClientError, ContentLengthReader, EmptyReader
from .wire import read_head, send_error
from .serving import Connection

__all__ = ["WSGIHost", "linger", "serve_connection"]

logger = logging.getLogger("fakeserver")

#: A request body left unread by the app is drained up to this size so that
#: the connection can be reused; beyond it the connection is closed instead.
MAX_DRAIN_BYTES = 1 << 20
#: After refusing a request, what is still read (and dropped) before closing.
LINGER_BYTES = 64 << 20
LINGER_SECONDS = 2.0

_HOP_BY_HOP = frozenset({
    "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
    "trailers", "transfer-encoding", "upgrade",
})
_NO_BODY_STATUSES = frozenset({204, 304})
_SERVER_HEADER = "Server: fakeserver Python/%d.%d\r\n" % sys.version_info[:2]


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
            exchange = _Exchange(connection, host, rfile, *head)
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


def _tokens(value: str) -> set[str]:
    """The comma-separated tokens of a header value, lowercased (``Connection``)."""
    return {token.strip().lower() for token in value.split(",")}


_date_cache: list = [0, ""]


def _date_header() -> str:
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[:] = [now, "Date: %s\r\n" % formatdate(now, usegmt=True)]
    return _date_cache[1]


class _Exchange:
    """One request and its response on a connection."""

    def __init__(self, connection: Connection, host: WSGIHost, rfile: Any,
                 method: str, target: str, version: str, headers: list[tuple[str, str]]) -> None:
        self.connection = connection
        self.sock = connection.sock
        self.host = host
        self.rfile = rfile
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.status: str | None = None
        self.response_headers: list[tuple[str, str]] = []
        self.headers_sent = False
        self.app_frames = self.app_connection = False
        self.send_body = True
        self.chunked = False
        self.content_length: int | None = None
        self.bytes_sent = 0
        self.keep_alive = True
        self.client_gone = False
        self.continue_pending = False
        self.taken = False
        self.unread = False  # closing with request bytes perhaps still coming
        self.body: BodyReader = EmptyReader()

    def run(self) -> bool:
        """Serve the exchange; True if the connection can carry another."""
        try:
            environ = self._environ()
        except ClientError as error:
            return self._refuse(error)
        try:
            self._run_app(environ)
        except ClientError as error:
            return self._refuse(error)
        except Exception as error:
            if self.client_gone:  # our write failed; an app's own ConnectionError is its error
                logger.warning("client %s went away during %s %s: %s",
                               _peer(self.connection), self.method, self.target, error)
                return False
            self.host.record_error(error)
            logger.warning("application error on %s %s", self.method, self.target, exc_info=True)
            if self.headers_sent or self.taken:
                return False
            self._send_internal_error()
        if logger.isEnabledFor(logging.DEBUG):
            status = self.status.split(" ", 1)[0] if self.status else "-"
            logger.debug('%s "%s %s %s" %s %d', _peer(self.connection), self.method,
                         self.target, self.version, status, self.bytes_sent)
        if self.taken or self.connection.closing:
            return False
        return self._drain() and self.keep_alive  # drained even when closing: see linger

    def _take_socket(self) -> socket.socket:
        """``environ["fakeserver.take_socket"]()``: the raw socket, for fault injection.

        The app then owns what is sent: the server adds nothing to this
        exchange and closes the connection after the app returns.
        """
        if self.headers_sent:
            raise RuntimeError("the response has started; too late to take the socket")
        self.taken = True
        return self.sock

    # -- request -----------------------------------------------------------

    def _environ(self) -> dict[str, Any]:
        host_name, host_port = self.host.address[:2]
        path, _, query = self.target.partition("?")
        if path.startswith(("http://", "https://")):  # absolute-form, as sent to proxies
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
        if "%" in path:
            path = unquote_to_bytes(path).decode("latin-1")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "RAW_URI": self.target,
            "SERVER_NAME": host_name,
            "SERVER_PORT": str(host_port),
            "SERVER_PROTOCOL": self.version,
            "REMOTE_ADDR": self.connection.address[0],
            "REMOTE_PORT": str(self.connection.address[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self.host.url_scheme,
            "wsgi.errors": _ERRORS,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
            "fakeserver.headers": self.headers,
            "fakeserver.take_socket": self._take_socket,
        }
        content_length = transfer_encoding = None
        connection_tokens = expect = ""
        for name, value in self.headers:
            if "_" in name:  # "Content_Length" would pass for Content-Length in environ
                continue
            lower = name.lower()
            if lower == "content-length":
                if content_length is not None and content_length != value:
                    raise ClientError(400, "Bad Request", "conflicting Content-Length headers")
                content_length = value
                continue
            if lower == "content-type":
                environ["CONTENT_TYPE"] = value
                continue
            if lower == "transfer-encoding":
                transfer_encoding = value.lower()
            elif lower == "connection":
                connection_tokens += value + ","
            elif lower == "expect":
                expect = value.lower()
            key = "HTTP_" + lower.upper().replace("-", "_")
            environ[key] = environ[key] + "," + value if key in environ else value
        if self.version != "HTTP/1.0" and "HTTP_HOST" not in environ:
            raise ClientError(400, "Bad Request",
                              "HTTP/1.1 request without a Host header (RFC 9112 section 3.2)")
        tokens = _tokens(connection_tokens)
        self.keep_alive = ("close" not in tokens if self.version != "HTTP/1.0"
                           else "keep-alive" in tokens)
        self.body = self._body_reader(content_length, transfer_encoding, expect)
        if content_length is not None:
            environ["CONTENT_LENGTH"] = content_length
        environ["wsgi.input"] = self.body
        return environ

    def _body_reader(self, content_length: str | None, transfer_encoding: str | None,
                     expect: str) -> BodyReader:
        if expect and expect != "100-continue":
            raise ClientError(417, "Expectation Failed", f"unsupported expectation {expect!r}")
        limit = self.host.max_body_size
        if transfer_encoding is not None:
            if content_length is not None:
                raise ClientError(400, "Bad Request", "both Content-Length and Transfer-Encoding")
            if transfer_encoding != "chunked":
                raise ClientError(501, "Not Implemented",
                                  f"transfer coding {transfer_encoding!r}")
            reader: BodyReader = ChunkedReader(self.rfile, limit)
        elif content_length is not None:
            if not (content_length.isdigit() and content_length.isascii()):
                raise ClientError(400, "Bad Request", f"invalid Content-Length {content_length!r}")
            length = int(content_length)
            if limit is not None and length > limit:
                raise ClientError(413, "Content Too Large",
                                  f"body of {length} bytes over the limit of {limit}")
            if length == 0:
                return EmptyReader()
            reader = ContentLengthReader(self.rfile, length)
        else:
            return EmptyReader()
        if expect and self.version != "HTTP/1.0":
            self.continue_pending = True
            reader.before_first_read = self._send_continue
        return reader

    def _send_continue(self) -> None:
        self.continue_pending = False
        if not self.headers_sent:
            self._send(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _drain(self) -> bool:
        """Consume what the app left of the request body; False to close instead."""
        if self.continue_pending:  # the client may not send the body at all
            self.unread = True
            return False
        try:
            self.unread = not self.body.drain(MAX_DRAIN_BYTES)
        except (ClientError, OSError):
            return False
        return not self.unread

    # -- response ------------------------------------------------------------

    def _run_app(self, environ: dict[str, Any]) -> None:
        result = self.host.app(environ, self._start_response)
        try:
            if (isinstance(result, (list, tuple)) and len(result) == 1 and not self.headers_sent
                    and self.status is not None and self.content_length is None):
                self.content_length = len(result[0])
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
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response() called a second time without exc_info")
        if not (isinstance(status, str) and len(status) >= 4 and status[:3].isdigit()
                and status[3] == " "):
            raise ValueError(f"status must be a str like '200 OK', not {status!r}")
        content_length = None
        self.app_frames = self.app_connection = False  # set by the app itself?
        for name, value in headers:
            if not (isinstance(name, str) and isinstance(value, str)):
                raise TypeError(f"header names and values must be str: {(name, value)!r}")
            if "\n" in value or "\r" in value or "\n" in name or ":" in name:
                raise ValueError(f"invalid characters in header {(name, value)!r}")
            lower = name.lower()
            if lower in _HOP_BY_HOP:
                raise ValueError(f"hop-by-hop header {name!r} is the server's to set (PEP 3333)")
            if lower == "content-length":
                content_length = int(value)
                self.app_frames = True
            elif lower == "connection":
                self.app_connection = True
                if "close" in _tokens(value):
                    self.keep_alive = False
        self.status = status
        self.response_headers = list(headers)
        self.content_length = content_length
        return self._write

    def _write(self, data: bytes) -> None:
        if self.status is None:
            raise AssertionError("write() before start_response()")
        if not isinstance(data, bytes):
            raise TypeError(f"response body must be bytes, not {type(data).__name__}")
        if not self.headers_sent:
            self._send(self._head(self.status) + self._frame(data))
        elif data:
            self._send(self._frame(data))

    def _frame(self, data: bytes) -> bytes:
        if not self.send_body or not data:
            return b""
        if self.chunked:
            self.bytes_sent += len(data)
            return b"%x\r\n%s\r\n" % (len(data), data)
        if self.content_length is not None:
            room = self.content_length - self.bytes_sent
            if len(data) > room:
                logger.warning("%s %s: app sent more than its Content-Length of %d; truncated",
                               self.method, self.target, self.content_length)
                self.keep_alive = False
                data = data[:room]
        self.bytes_sent += len(data)
        return data

    def _finish(self) -> None:
        if self.status is None:
            raise AssertionError("the application returned without calling start_response()")
        if not self.headers_sent:
            if self.content_length is None:
                self.content_length = 0
            self._send(self._head(self.status))
        elif self.chunked:
            self._send(b"0\r\n\r\n")
        elif (self.content_length is not None and self.send_body
              and self.bytes_sent < self.content_length):
            logger.warning("%s %s: app sent %d of its Content-Length of %d bytes; closing",
                           self.method, self.target, self.bytes_sent, self.content_length)
            self.keep_alive = False

    def _head(self, status: str) -> bytes:
        """The status line for *status* and the header fields, framed as this response needs."""
        code = int(status[:3])
        lines = ["HTTP/1.1 ", status, "\r\n", _SERVER_HEADER, _date_header()]
        lines.extend(f"{name}: {value}\r\n" for name, value in self.response_headers)
        bodyless = code < 200 or code in _NO_BODY_STATUSES
        self.send_body = not bodyless and self.method != "HEAD"
        if self.content_length is None and self.send_body:
            if self.version == "HTTP/1.0":
                self.keep_alive = False
            else:
                self.chunked = True
                lines.append("Transfer-Encoding: chunked\r\n")
        if self.content_length is not None and not self.app_frames and not bodyless:
            lines.append(f"Content-Length: {self.content_length}\r\n")
        if self.app_connection:
            pass
        elif not self.keep_alive:
            lines.append("Connection: close\r\n")
        elif self.version == "HTTP/1.0":
            lines.append("Connection: keep-alive\r\n")
        lines.append("\r\n")
        head = "".join(lines).encode("latin-1")
        self.headers_sent = True  # only now: a failure above still allows a 500
        return head

    def _send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError:
            self.client_gone = True
            raise

    def _send_internal_error(self) -> None:
        self.status, self.content_length, self.keep_alive = None, None, False
        body = b"500 Internal Server Error: the application raised an exception\n"
        self._start_response("500 Internal Server Error", [
            ("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        try:
            self._write(body)
        except OSError:
            pass

    def _refuse(self, error: ClientError) -> bool:
        logger.warning("bad request from %s (%s %s): %s", _peer(self.connection),
                       self.method, self.target, error)
        if error.status and not self.headers_sent:
            send_error(self.sock, error)
            self.unread = True
        return False


class _ErrorStream:
    """``wsgi.errors``: what apps write there goes to the "fakeserver" logger."""

    def write(self, text: str) -> int:
        if text.strip():
            logger.warning("wsgi.errors: %s", text.rstrip())
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Nothing is buffered."""


_ERRORS = _ErrorStream()
