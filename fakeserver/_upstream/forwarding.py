"""Forwarding one WSGI request to an upstream and relaying its answer, both bodies streamed.

Owns what a proxy adds to an exchange and what it takes away (RFC 9110
section 7.6): hop-by-hop fields stay on their side, ``Host`` names the
upstream, a request body is sent as it arrives (chunked if it came
chunked), the answer is relayed piece by piece as the upstream sends it,
and ``Location`` headers pointing at the upstream point back at the fake.
An upstream that cannot be reached is answered ``502``, one that does not
answer in time ``504``, each with a body naming the upstream and the error,
which is also left on the exchange's record when a Recorder journals it.
Connections come from a :class:`ConnectionPool`. Knows nothing of stubs.
"""

from __future__ import annotations

import logging
import socket
import ssl
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import quote, urlsplit

from .client import ProtocolError, Response, UpstreamConnection
from .pool import DEFAULT_PORTS, ConnectionPool, Origin
from .._http.wire import tokens, write_request_head
from .._journal.recorder import RECORD_KEY
from ..tls import CA_FILE

__all__ = ["Forwarder", "UpstreamError", "default_ssl_context"]

logger = logging.getLogger("fakeserver")

#: Fields that describe one connection, not the message (RFC 9110 section 7.6.1),
#: and those a client addresses to its proxy.
_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
})
#: Request fields the forwarder writes itself, or that asked something of the fake.
_NOT_FORWARDED = _HOP_BY_HOP | {"host", "content-length", "expect"}
#: Response fields the fake's server writes itself.
_NOT_RELAYED = _HOP_BY_HOP | {"date", "server"}
_CHUNK = 65536
#: What a reused connection the upstream closed meanwhile fails with: a reset TLS
#: connection is an SSLEOFError on some Pythons (3.11, 3.12), a ConnectionError on others.
_CLOSED = (ConnectionError, ssl.SSLEOFError)


class UpstreamError(ConnectionError):
    """The upstream could not be reached, did not answer in time, answered with a malformed
    response or broke off its answer; or the request could not be put on the wire.

    You find one in ``RecordedRequest.error``; its message names the
    upstream, and ``__cause__`` is the error behind it: the socket's
    (``ssl``'s, a timeout), a :class:`ProtocolError`, or the ``ValueError``
    of a request target no upstream may be sent.
    """


def default_ssl_context() -> ssl.SSLContext:
    """The system's trust store plus fakeserver's test CA, host names checked.

    The test CA is added so that an HTTPS upstream served by ``AppRunner``
    in the same test is trusted; its name constraints allow only loopback
    names, so it vouches for no real host.
    """
    context = ssl.create_default_context()
    context.load_verify_locations(CA_FILE)
    return context


class Forwarder:
    """Sends WSGI requests to any origin over kept-alive connections; thread-safe.

    One forwarder serves many origins (a :class:`Origin` per call of
    :meth:`forward`), each with its own idle connections. *timeout* bounds
    connecting and every read from the upstream; *ssl_context* verifies
    HTTPS upstreams (default: :func:`default_ssl_context`). :meth:`close`
    closes the idle connections.
    """

    def __init__(self, *, timeout: float = 30.0, ssl_context: ssl.SSLContext | None = None) -> None:
        self.timeout = timeout
        self.pool = ConnectionPool(timeout=timeout,
                                   ssl_context=ssl_context or default_ssl_context())

    def forward(self, environ: dict[str, Any], start_response: Callable[..., Any], origin: Origin,
                base_path: str = "") -> Iterable[bytes]:
        """Answer the request of *environ* with what *origin* answers to it: a WSGI call.

        The request's path is appended to *base_path*. Blocks until the
        upstream has sent its head (and, for a body of at most 64 KiB
        announced by its length, that body); a longer body follows as the
        returned iterable is consumed. The client's own errors (a broken
        upload) propagate; the upstream's become a ``502`` or ``504`` answer.
        """
        method = environ["REQUEST_METHOD"]
        headers = _forwarded_headers(environ)
        headers.append(("Host", origin.authority))
        length = environ.get("CONTENT_LENGTH", "")
        chunked = not length and "HTTP_TRANSFER_ENCODING" in environ
        if length:
            headers.append(("Content-Length", length))
        elif chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        body = environ["wsgi.input"] if chunked or length not in ("", "0") else None
        try:
            head = write_request_head(method, base_path + _origin_target(environ), headers)
        except ValueError as error:  # nothing an upstream could be sent
            return self._refuse(environ, start_response, origin, error)
        try:
            connection, response = self._exchange(origin, method, head, body, chunked)
        except _Failed as failed:
            return self._refuse(environ, start_response, origin, failed.error)
        options = response.connection_options
        dropped = _NOT_RELAYED | options if options else _NOT_RELAYED
        relayed = []
        for name, value in response.headers:
            lower = name.lower()
            if lower not in dropped:
                relayed.append((name, value if lower != "location" else
                                _relocated(value, origin, base_path, _own_url(environ))))
        relay = _Relay(self.pool, origin, connection, response, environ.get(RECORD_KEY))
        if response.length is not None and response.length <= _CHUNK:
            try:  # small and announced: one piece, and the connection free at once
                body = relay.whole()
            except UpstreamError as failure:
                return _answer(environ, start_response, "502 Bad Gateway", failure)
            start_response(f"{response.status} {response.reason}", relayed)
            return [body]
        start_response(f"{response.status} {response.reason}", relayed)
        return relay

    def close(self) -> None:
        """Close the idle connections (those in use close when their answer ends)."""
        self.pool.close()

    def _exchange(self, origin: Origin, method: str, head: bytes, body: Any, chunked: bool
                  ) -> tuple[UpstreamConnection, Response]:
        """Send the request and read the response head; raises :class:`_Failed` for the upstream's errors.

        A reused connection that turns out closed is replaced once when
        there was no body to send (a body read from the client cannot be
        sent twice).
        """
        connection, reused = self.pool.connection(origin, resendable=body is None)
        try:
            if body is not None:
                _send_body(connection, head, body, chunked)
                return connection, _upstream(connection.read_response, method)
            while True:
                try:
                    connection.send(head)
                    return connection, connection.read_response(method)
                except (OSError, ProtocolError) as error:
                    if not (reused and isinstance(error, _CLOSED)):
                        raise _Failed(error) from error
                connection.close()
                connection, reused = self.pool.connection(origin)[0], False
        except BaseException:
            connection.close()
            raise

    def _refuse(self, environ: dict[str, Any], start_response: Callable[..., Any],
                origin: Origin, error: BaseException) -> list[bytes]:
        """Answer 504 for a timeout, 502 for any other failure; note it on the record."""
        status = "502 Bad Gateway"
        if isinstance(error, (socket.timeout, TimeoutError)):
            status = "504 Gateway Timeout"
            failure = UpstreamError(f"upstream {origin.url} did not answer within "
                                    f"{self.timeout:g} s: {error}")
        elif isinstance(error, ProtocolError):
            failure = UpstreamError(f"upstream {origin.url} answered with a malformed response: "
                                    f"{error}")
        elif isinstance(error, ValueError):
            failure = UpstreamError(f"cannot forward this request to upstream {origin.url}: "
                                    f"{error}")
        else:
            failure = UpstreamError(f"cannot reach upstream {origin.url}: {error}")
        failure.__cause__ = error
        _note(environ.get(RECORD_KEY), failure)
        return _answer(environ, start_response, status, failure)


def _answer(environ: dict[str, Any], start_response: Callable[..., Any], status: str,
            failure: UpstreamError) -> list[bytes]:
    """Answer *status* for the upstream's *failure*, with a body naming it; log it once."""
    logger.warning("%s %s: %s", environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), failure)
    body = f"{status}: {failure}\n".encode("utf-8")
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(body)))])
    return [body]


class _Failed(Exception):
    """The upstream failed (*error*); the forwarder answers for it."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


def _upstream(operation: Callable[..., Any], *args: Any) -> Any:
    """Call an operation on the upstream connection, its failures raised as :class:`_Failed`."""
    try:
        return operation(*args)
    except (OSError, ProtocolError) as error:
        raise _Failed(error) from error


def _send_body(connection: UpstreamConnection, head: bytes, body: Any, chunked: bool) -> None:
    """Send the request *head* and *body*; raises :class:`_Failed` for the upstream's errors.

    Chunks are sent on as they arrive; a body of known length in large
    pieces. The head goes with the first piece: one write, one segment,
    one wakeup of the upstream. The client's errors propagate as they are.
    """
    read = getattr(body, "read1", body.read) if chunked else body.read
    while True:
        piece = read(_CHUNK)
        data = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
        if head or data:
            _upstream(connection.send, head, data)
            head = b""
        if not piece:
            return


def _note(record: Any, error: BaseException) -> None:
    """Leave *error* on the exchange's record, when a Recorder journals it."""
    if record is not None and record.error is None:
        record.error = error


def _origin_target(environ: dict[str, Any]) -> str:
    """The path and query as the client sent them (still percent-encoded), in origin form."""
    raw = environ.get("RAW_URI")
    if raw is None:
        path = quote((environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
                     .encode("latin-1"), safe="/;=,~!$&'()*+:@")
        query = environ.get("QUERY_STRING", "")
        return (path or "/") + ("?" + query if query else "")
    if raw.startswith(("http://", "https://")):  # absolute form, as clients send to proxies
        parts = urlsplit(raw)
        return (parts.path or "/") + ("?" + parts.query if parts.query else "")
    return raw


def _forwarded_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    """The request's end-to-end fields, in the order received."""
    received = environ.get("fakeserver.headers")
    if received is None:  # another server: rebuild them from the environ
        received = [(key[5:].replace("_", "-").title(), value)
                    for key, value in environ.items() if key.startswith("HTTP_")]
        if environ.get("CONTENT_TYPE"):
            received.append(("Content-Type", environ["CONTENT_TYPE"]))
    # The Connection field names more hop-by-hop fields (RFC 9110 section 7.6.1).
    connection = environ.get("HTTP_CONNECTION")
    dropped = _NOT_FORWARDED if connection is None else _NOT_FORWARDED | tokens(connection)
    return [field for field in received if field[0].lower() not in dropped]


def _own_url(environ: dict[str, Any]) -> str:
    """The fake's own URL as the client addressed it: ``http://127.0.0.1:PORT``."""
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{environ['wsgi.url_scheme']}://{host}"


def _relocated(location: str, origin: Origin, base_path: str, own_url: str) -> str:
    """*location* pointing at the fake instead of the upstream, when it points at the upstream.

    Absolute and scheme-relative URLs of the upstream (below *base_path*)
    become the fake's; a path below *base_path* loses that prefix. Any other
    location is left alone.
    """
    parts = urlsplit(location)
    if parts.netloc:
        try:
            port = parts.port
        except ValueError:
            return location
        scheme = (parts.scheme or origin.scheme).lower()
        if (scheme, parts.hostname, port or DEFAULT_PORTS.get(scheme)) != origin:
            return location
        prefix = own_url
    elif location.startswith("/"):
        prefix = ""
    else:
        return location
    path = parts.path
    if base_path and not (path == base_path or path.startswith(base_path + "/")):
        return location
    rest = path[len(base_path):] or "/"
    return prefix + rest + (f"?{parts.query}" if parts.query else "") + \
        (f"#{parts.fragment}" if parts.fragment else "")


class _Relay:
    """The upstream's body, piece by piece as it arrives; closing it ends the exchange.

    A connection whose answer was read whole goes back to the pool; one
    abandoned midway (the client left) is closed. An upstream that breaks
    off its answer raises :class:`UpstreamError`, so that the client's
    connection is cut rather than the answer ended as if it were whole.
    """

    def __init__(self, pool: ConnectionPool, origin: Origin, connection: UpstreamConnection,
                 response: Response, record: Any) -> None:
        self._pool = pool
        self._origin = origin
        self._connection = connection
        self._response = response
        self._record = record

    def __iter__(self) -> Iterator[bytes]:
        while True:
            piece = self._read1()
            if not piece:
                return
            yield piece

    def whole(self) -> bytes:
        """The whole body, read now; the exchange is then over (raises as iterating does)."""
        try:
            pieces = [self._read1()]
            while not self._response.done:
                pieces.append(self._read1())
            return pieces[0] if len(pieces) == 1 else b"".join(pieces)
        finally:
            self.close()

    def _read1(self) -> bytes:
        try:
            return self._response.read1(_CHUNK)
        except (OSError, ProtocolError) as error:
            failure = UpstreamError(f"upstream {self._origin.url} broke off its answer: {error}")
            _note(self._record, failure)
            raise failure from error

    def close(self) -> None:
        if self._response.reusable:
            self._pool.release(self._origin, self._connection)
        else:
            self._connection.close()
