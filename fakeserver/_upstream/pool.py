"""Kept-alive connections to upstreams: an origin's idle connections, reused.

Owns :class:`Origin`, the scheme, host and port a request is forwarded
to, and :class:`ConnectionPool`, which hands out a connection per request
and takes it back once its response has been read whole. A connection the
upstream closed while it was idle is noticed before reuse and replaced.
Knows nothing of WSGI: what a connection carries is the forwarder's.
"""

from __future__ import annotations

import select
import ssl
import threading
import time
import weakref
from typing import NamedTuple
from urllib.parse import urlsplit

from .client import UpstreamConnection

__all__ = ["DEFAULT_PORTS", "LOOK_AFTER", "ConnectionPool", "Origin"]

#: The port of each scheme when a URL names none.
DEFAULT_PORTS = {"http": 80, "https": 443}
#: An idle connection given back less than this many seconds ago is reused for a request
#: without a body without looking whether the upstream closed it (see ConnectionPool).
LOOK_AFTER = 0.01


class Origin(NamedTuple):
    """Where requests are forwarded: ``Origin("https", "api.example.com", 443)``."""

    scheme: str
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> tuple["Origin", str]:
        """The origin of an ``http`` or ``https`` *url*, and its path without the final ``/``.

        ``https://api.example.com/v3/`` gives the origin and ``"/v3"``: the
        prefix of every path forwarded there. Raises ValueError for another
        scheme, a missing host, a query or a fragment.
        """
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"upstream must be an http:// or https:// URL with a host, "
                             f"not {url!r}")
        if parts.query or parts.fragment:
            raise ValueError(f"upstream must not have a query or fragment: {url!r}")
        port = parts.port or DEFAULT_PORTS[scheme]  # .port raises ValueError when invalid
        return cls(scheme, parts.hostname, port), parts.path.rstrip("/")

    @property
    def authority(self) -> str:
        """``host`` or ``host:port`` as a ``Host`` header names it (IPv6 in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """``scheme://authority``, without a final ``/``."""
        return f"{self.scheme}://{self.authority}"


class ConnectionPool:
    """Idle kept-alive connections per origin; thread-safe.

    :meth:`connection` hands out an idle connection, or a new one (not yet
    connected: it connects on the first request); the caller
    gives it back with :meth:`release` once the response is read whole, or
    closes it. At most *max_idle* connections per origin wait for reuse.
    HTTPS connections verify with *ssl_context*. :meth:`close` closes the
    idle ones; the pool closes them too when it is garbage-collected.
    """

    def __init__(self, *, timeout: float, ssl_context: ssl.SSLContext, max_idle: int = 8) -> None:
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.max_idle = max_idle
        self._lock = threading.Lock()
        # Each origin's idle connections, with when each was given back.
        self._idle: dict[Origin, list[tuple[UpstreamConnection, float]]] = {}
        self._closed = False
        self._finalizer = weakref.finalize(self, _close_all, self._idle, self._lock)

    def connection(self, origin: Origin, *, resendable: bool = False
                   ) -> tuple[UpstreamConnection, bool]:
        """A connection to *origin*, and True if it served a request before.

        Never blocks on the network. An idle connection is looked at first
        (a system call): one the upstream has closed, or sent something
        unasked on (a ``408`` before closing, say), is dropped, not reused.
        Not so when the caller's request is *resendable* (it has no body:
        the caller sends it again on a new connection if a reused one turns
        out closed) and the connection was given back less than
        :data:`LOOK_AFTER` seconds ago: no upstream times an idle connection
        out that fast, and the look, which lets other threads take the GIL,
        would be a good part of what a quick request costs.
        """
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                connection, released = idle.pop() if idle else (None, 0.0)
            if connection is None:
                return self._new(origin), False
            if (resendable and time.monotonic() - released < LOOK_AFTER
                    and connection.sock is not None) or _still_open(connection):
                return connection, True
            connection.close()

    def release(self, origin: Origin, connection: UpstreamConnection) -> None:
        """Keep *connection*, its response read whole, for the next request to *origin*."""
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if not self._closed and connection.sock is not None and len(idle) < self.max_idle:
                idle.append((connection, time.monotonic()))
                return
        connection.close()

    def close(self) -> None:
        """Close every idle connection; later releases close theirs. Idempotent."""
        with self._lock:
            self._closed = True
        self._finalizer()

    def _new(self, origin: Origin) -> UpstreamConnection:
        return UpstreamConnection(origin.host, origin.port, timeout=self.timeout,
                                  ssl_context=self.ssl_context if origin.scheme == "https" else None)


def _still_open(connection: UpstreamConnection) -> bool:
    """False if the idle *connection*'s socket is readable: closed by the upstream, or
    carrying bytes nobody asked for. Either way it cannot carry another request."""
    sock = connection.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):  # closed under us
        return False
    return not readable


def _close_all(idle: dict[Origin, list[tuple[UpstreamConnection, float]]],
               lock: threading.Lock) -> None:
    """Close the connections in *idle*; the pool's finalizer (it must not hold the pool)."""
    with lock:
        connections = [connection for pooled in idle.values() for connection, _ in pooled]
        idle.clear()
    for connection in connections:
        connection.close()
