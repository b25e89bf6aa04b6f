"""Passthrough: a WSGI app that forwards each request to the real host, for spy mode.

The one place where the proxy talks to the outside world. The proxy asks
:func:`forward` for an app per origin and knows nothing else of it, so
that a fuller forwarding app (connection reuse, streaming bodies) can take
its place without any other change. This one sends each request on a new
``http.client`` connection, the body read whole first, and streams the
answer back; hop-by-hop headers stay on their side of the proxy.
"""

from __future__ import annotations

import http.client
import logging
import ssl
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import urlsplit

from ._routing import bad_gateway
from ._urls import authority

__all__ = ["forward"]

logger = logging.getLogger("fakeserver")

WSGIApp = Callable[..., Iterable[bytes]]

#: Headers that describe one connection, not the message (RFC 9110 7.6.1), and
#: those a client addresses to its proxy.
_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
})
#: Headers this app writes itself.
_NOT_FORWARDED = _HOP_BY_HOP | {"host", "content-length"}
_READ_SIZE = 65536


def forward(scheme: str, host: str, port: int, *, ssl_context: ssl.SSLContext | None = None,
            timeout: float = 30.0) -> WSGIApp:
    """A WSGI app sending every request to ``scheme://host:port`` and relaying the answer.

    HTTPS is verified with *ssl_context* (default: the system's trust
    store, made once for this app). An upstream that cannot be reached is
    answered ``502 Bad Gateway`` naming the error. Thread-safe.
    """
    origin = f"{scheme}://{authority(host, port, scheme)}"
    if scheme == "https" and ssl_context is None:
        ssl_context = ssl.create_default_context()

    def connect() -> http.client.HTTPConnection:
        if scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl_context)
        return http.client.HTTPConnection(host, port, timeout=timeout)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = _read_all(environ["wsgi.input"])
        connection = connect()
        try:
            connection.putrequest(environ["REQUEST_METHOD"], _origin_form(environ),
                                  skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", environ["HTTP_HOST"])
            for name, value in environ.get("fakeserver.headers", ()):
                if name.lower() not in _NOT_FORWARDED:
                    connection.putheader(name, value)
            if body or environ["REQUEST_METHOD"] in ("POST", "PUT", "PATCH"):
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            logger.warning("passthrough to %s failed: %s", origin, error)
            return bad_gateway(start_response, f"could not reach {origin}: {error}")
        headers = [(name, value) for name, value in response.getheaders()
                   if name.lower() not in _HOP_BY_HOP]
        start_response(f"{response.status} {response.reason}", headers)
        return _Relay(response, connection)

    return app


def _read_all(stream: Any) -> bytes:
    pieces: list[bytes] = []
    while True:
        piece = stream.read(_READ_SIZE)
        if not piece:
            return b"".join(pieces)
        pieces.append(piece)


def _origin_form(environ: dict[str, Any]) -> str:
    """The request target without scheme and host, as an origin server expects it."""
    target: str = environ.get("RAW_URI") or environ["PATH_INFO"]
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return target


class _Relay:
    """The upstream response's body, piece by piece; closing it closes the connection."""

    def __init__(self, response: http.client.HTTPResponse,
                 connection: http.client.HTTPConnection) -> None:
        self._response = response
        self._connection = connection

    def __iter__(self) -> Iterator[bytes]:
        while True:
            piece = self._response.read(_READ_SIZE)
            if not piece:
                return
            yield piece

    def close(self) -> None:
        self._response.close()
        self._connection.close()
