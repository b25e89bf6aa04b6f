"""ProxyApp: a WSGI app that passes every request on to one real service.

Serve it with ``AppRunner`` (behind a ``Recorder``, as the test cases do) to
record what a real API answers, or answer a few routes from stubs and the
rest from the upstream with ``stub(...).proxy(upstream)``. What forwarding
adds and removes is :class:`Forwarder`'s; this module owns the one
upstream and its connections' lifetime.
"""

from __future__ import annotations

import ssl
from typing import Any, Callable, Iterable

from .forwarding import Forwarder
from .pool import Origin

__all__ = ["ProxyApp"]


class ProxyApp:
    """A WSGI app forwarding each request to *upstream*, an ``http://`` or ``https://`` URL.

    ``ProxyApp("https://api.example.com/v3")`` sends ``GET /users?page=2``
    to ``https://api.example.com/v3/users?page=2`` with ``Host:
    api.example.com``, over kept-alive connections, the request body
    streamed as it arrives and the answer relayed as the upstream sends it.
    Hop-by-hop headers are dropped both ways (the fake's server adds its
    own ``Date`` and ``Server``), and a ``Location`` pointing at the
    upstream is rewritten to point at the fake, so redirects stay on it.

    An upstream that cannot be reached is answered ``502 Bad Gateway``, one
    that does not answer within *timeout* seconds ``504 Gateway Timeout``;
    each body names the upstream and the error, which is also the
    exchange's ``RecordedRequest.error`` when a Recorder journals it.

    HTTPS upstreams are verified with *ssl_context*, by default the
    system's trust store plus fakeserver's test CA (so an ``AppRunner(...,
    tls=True)`` upstream is trusted; that CA vouches for loopback names
    only). Thread-safe. :meth:`close` (or leaving a ``with`` block) closes
    the idle connections; they are closed when the app is garbage-collected
    too. Raises ValueError for an *upstream* that is not such a URL.
    """

    def __init__(self, upstream: str, *, timeout: float = 30.0,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.origin, self.base_path = Origin.parse(upstream)
        #: The upstream URL, as given.
        self.upstream = upstream
        self.forwarder = Forwarder(timeout=timeout, ssl_context=ssl_context)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.forwarder.forward(environ, start_response, self.origin, self.base_path)

    def close(self) -> None:
        """Close the idle connections to the upstream; idempotent, never blocks."""
        self.forwarder.close()

    def __enter__(self) -> "ProxyApp":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ProxyApp {self.upstream}>"
