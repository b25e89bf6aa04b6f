"""FakeProxy: an HTTP forward proxy that answers for any host itself, HTTPS included.

A client told to use the proxy (``proxy.env()``) sends it either
absolute-form requests (``GET http://host/path``) or, for HTTPS,
``CONNECT host:443`` and then TLS. The proxy never connects anywhere
(except in spy mode, through the ``Forwarder`` of ``ProxyApp``): it is the
origin server for every host. How one connection is served::

    ServerThread: accept loop -> a worker thread -> handle_connection(connection)
        serve_connection(connection, _Side(origin=None))    # what the client asks the proxy
            GET http://host/path   -> dispatch: origin taken from the URL (or Host)
            CONNECT host:port      -> the side notes the tunnel and takes the socket
                                      (the server core has checked both authorities)
        if a tunnel was asked for:
            answer "200 Connection established"
            TLS with the certificate minted for host (ProxyAuthority), unless the
                client speaks plain HTTP in the tunnel
            serve_connection(connection, _Side(origin=Origin(scheme, host, port)))
                every request      -> dispatch: origin of the tunnel
    dispatch: puts the origin in environ (url scheme, Host, SERVER_NAME and
        SERVER_PORT, so RecordedRequest.url is https://host/path), then calls
        proxy.app = Recorder(routes): the host's app, a 502, or the passthrough
        Forwarder (kept-alive connections per origin; its 502 and 504 answers
        leave the error on the exchange's record)

A FakeProxy is an ``AppRunner`` whose connections may turn into tunnels:
HTTP inside and outside them is served by the same code, the same head
writer renders the ``200`` of a CONNECT, and a request the proxy cannot
serve is refused as any malformed request is. Clients must wait for the
``200`` before starting TLS, as curl, Python's and Go's clients do.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import sys
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Iterable, Mapping

from .._http.gateway import serve_connection
from .._http.runner import AppRunner
from .._http.serving import Connection
from .._http.wire import ClientError, write_head
from .._journal.recorder import Recorder
from .._journal.records import RecordedRequest
from .._journal.snapshot import save_snapshot
from .._targets import request_url
from .._upstream.forwarding import Forwarder
from .._upstream.pool import DEFAULT_PORTS, Origin
from ..stubs.app import Stub, StubApp
from ._authority import ProxyAuthority
from ._environment import client_variables, patched_environ
from ._routing import ORIGIN, Routes
from ._stubfile import load_url_stubs
from ._urls import parse_authority, split_url

if TYPE_CHECKING:
    from .._journal.snapshot import SnapshotOptions
    from .._matching import RequestCriteria

    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = ["FakeProxy"]

logger = logging.getLogger("fakeserver")

#: A WSGI app: ``app(environ, start_response)`` returning the body's pieces.
WSGIApp = Callable[..., Iterable[bytes]]

#: RFC 9110 9.3.6: a 2xx answer to CONNECT has no framing fields; the tunnel follows.
_ESTABLISHED = write_head(200, [], reason="Connection established")


class FakeProxy(AppRunner):
    """A forward proxy answering for the hosts you route, from a daemon thread.

    Bound when the constructor returns (:attr:`url` is known at once);
    :meth:`start` and :meth:`stop` (idempotent, thread-safe, prompt even
    with tunnels open) or a ``with`` block. ``host(name)`` gives the
    :class:`StubApp` for a host, ``route(name, app)`` serves any WSGI app
    there; every exchange is journaled in :attr:`requests`, each with its
    real URL (``RecordedRequest.url``: ``https://api.github.com/user``).
    A request for an unrouted host is answered ``502`` naming the routed
    ones and counted in :attr:`unmatched`. As with ``AppRunner``, the
    routed apps' exceptions are answered ``500`` and kept in
    :attr:`errors`, and ``app`` is what serves each request once its
    origin is known: the journal around the routes.

    With ``passthrough=True`` (spy mode) a request for an unrouted host is
    forwarded to that host instead, and journaled too, as ``ProxyApp``
    forwards: kept-alive
    connections, hop-by-hop headers dropped, HTTPS verified with the
    system's trust store (read when the proxy is made, so outside another
    proxy's ``patch_env()``) plus fakeserver's test CA, which vouches for
    loopback names only, so that a local ``AppRunner(..., tls=True)`` can
    stand in for a real host. A host that cannot be reached is answered
    ``502`` (``504`` if it does not answer in time) naming it, the error
    kept as the exchange's ``RecordedRequest.error``. :meth:`save_stubs`
    writes the journal as a stub file that :meth:`load_stubs` replays,
    offline.

    HTTPS works through a CA made at first use and valid for a day; clients
    trust it through :attr:`ca_file`, which :meth:`env` and
    :meth:`patch_env` point them at. Its key never leaves memory, and the
    file is removed by :meth:`stop`.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, passthrough: bool = False,
                 max_body_size: int | None = None) -> None:
        self._passthrough = Forwarder() if passthrough else None
        routes = Routes(self._passthrough)
        recorder = Recorder(routes)
        super().__init__(recorder, host, port, max_body_size=max_body_size)
        #: Which app answers for which host (``host()``, ``route()`` and the like use it).
        self.routes = routes
        #: The journal of every exchange, whatever its host.
        self.recorder = recorder
        self._authority = ProxyAuthority()

    # -- where and what ------------------------------------------------------------

    @property
    def ca_file(self) -> str:
        """The CA certificate clients must trust (PEM); the CA is made on first access."""
        return self._authority.ca_file

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every exchange, oldest first, once those in progress are over (up to a second)."""
        return self.recorder.settle()

    @property
    def unmatched(self) -> list[RecordedRequest]:
        """The requests no stub answered and those for unrouted hosts, oldest first."""
        return self.routes.unmatched

    def clear(self) -> None:
        """Forget every recorded exchange (the routes and stubs stay)."""
        self.recorder.clear()

    # -- routes --------------------------------------------------------------------

    def host(self, name: str) -> StubApp:
        """The :class:`StubApp` answering for host *name* (made on first use)."""
        return self.routes.host(name)

    def route(self, name: str, app: WSGIApp) -> None:
        """Serve host *name* with the WSGI *app*; ``"*"`` for every host without a route."""
        self.routes.route(name, app)

    def stub(self, method: str | None = None, url: str | None = None, *,
             times: int | None = None, priority: int = 0,
             **criteria: Unpack[RequestCriteria]) -> Stub:
        """Declare a stub for the host of the full *url* (see :meth:`StubApp.stub`).

        ``proxy.stub("GET", "https://api.github.com/user").respond(json=...)``;
        the scheme does not matter (a host's stubs answer HTTP and HTTPS).
        """
        if url is None:
            raise ValueError("a proxy stub needs a full URL, e.g. 'https://api.github.com/user'")
        origin, target = split_url(url)
        return self.routes.host(origin.host).stub(method, target, times=times, priority=priority,
                                                  **criteria)

    def load_stubs(self, path: str | os.PathLike) -> list[Stub]:
        """Declare the stubs of a JSON file whose ``request.path`` values are full URLs."""
        return load_url_stubs(path, self.routes)

    def save_stubs(self, path: str | os.PathLike, **options: Unpack[SnapshotOptions]) -> int:
        """Write the journal, every host, as a stub file that :meth:`load_stubs` replays.

        Returns how many entries it has. The file is that of
        :meth:`Recorder.save_stubs`, with the same options (*match_headers*,
        *redact_headers*, *redact_query*, *redact_json*, *secrets*), but each
        ``request.path`` is a full URL (``https://api.github.com/user``),
        as ``load_stubs`` and ``python -m fakeserver --forward-proxy
        --stubs FILE`` read it: record hard-coded hosts in spy mode, replay
        them offline. Waits first for exchanges in progress; raises
        TypeError for an unknown option.
        """
        return save_snapshot(path, self.requests, path_of=request_url, **options)

    # -- clients' environment -----------------------------------------------------------

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """A copy of ``os.environ`` (or of *base*) sending clients through this proxy.

        Pass it to ``subprocess.run(..., env=proxy.env())``. It sets the
        proxy (``http_proxy``, ``https_proxy``, both cases), ``no_proxy``
        (loopback, unless routed here) and the CA file for every client
        that reads its own variable (``SSL_CERT_FILE``,
        ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``, ``PIP_CERT``,
        ``GIT_SSL_CAINFO``, ``NODE_EXTRA_CA_CERTS``).
        """
        variables = client_variables(self.url, self.ca_file, self.routes.names)
        return {**(os.environ if base is None else base), **variables}

    def patch_env(self) -> ContextManager[None]:
        """``with proxy.patch_env():`` this process's clients use the proxy; restored after.

        Clients read some variables once (urllib's ``urlopen`` keeps the
        proxies of its first call; an ``ssl.SSLContext`` reads
        ``SSL_CERT_FILE`` when made), so make them inside the block.
        """
        return patched_environ(self.env(base={}))

    # -- serving -----------------------------------------------------------------------

    def handle_connection(self, connection: Connection) -> None:
        side = _Side(self, None)
        serve_connection(connection, side)
        if side.tunnel is None or not connection.idle():  # no CONNECT, or stopping
            return
        host, port = side.tunnel
        try:
            connection.sock.sendall(_ESTABLISHED)
        except OSError:
            return
        first = _peek(connection)
        if not first:  # the client left, or stop() shut the socket down
            return
        scheme = "http" if first.isalpha() else "https"  # a request line, or a TLS record (0x16)
        if scheme == "https":
            try:
                context = self._authority.context_for(host)
            except (ValueError, RuntimeError, ssl.SSLError) as error:
                logger.warning("no certificate for %s: %s", host, error)
                return
            if not connection.start_tls(context):
                return
        serve_connection(connection, _Side(self, Origin(scheme, host, port)))

    def dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any],
                 origin: Origin) -> Iterable[bytes]:
        """Serve a request for *origin*: its environ, then :attr:`app`."""
        environ[ORIGIN] = origin
        environ["wsgi.url_scheme"] = origin.scheme
        environ["HTTP_HOST"] = origin.authority
        environ["SERVER_NAME"], environ["SERVER_PORT"] = origin.host, str(origin.port)
        return self.app(environ, start_response)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop serving (see :meth:`AppRunner.stop`: delays of stubs in progress are cut
        short first), close the passthrough's idle connections and remove the CA file."""
        try:
            super().stop(timeout)
        finally:
            if self._passthrough is not None:
                self._passthrough.close()
            self._authority.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped" if self._stop_requested else "not started"
        return f"<FakeProxy {self.url} {state} routes={self.routes.names}>"


class _Side:
    """What ``serve_connection`` needs (``WSGIHost``) on one side of a CONNECT.

    Before it (*origin* None) requests are addressed to the proxy: their
    origin comes from each one's absolute URL, and a ``CONNECT`` is noted
    in :attr:`tunnel`. Inside a tunnel, every request is for its *origin*.
    """

    def __init__(self, proxy: FakeProxy, origin: Origin | None) -> None:
        self.proxy = proxy
        self.origin = origin
        self.address = proxy.address if origin is None else (origin.host, origin.port)
        self.url_scheme = "http" if origin is None else origin.scheme
        self.max_body_size = proxy.max_body_size
        self.app: WSGIApp = self._serve
        #: The ``(host, port)`` of a CONNECT, once one was asked for.
        self.tunnel: tuple[str, int] | None = None

    def record_error(self, error: BaseException) -> None:
        self.proxy.record_error(error)

    def _serve(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self.origin is not None:
            return self.proxy.dispatch(environ, start_response, self.origin)
        try:
            if environ["REQUEST_METHOD"] == "CONNECT":  # the core made sure it names a port
                self.tunnel = parse_authority(environ["RAW_URI"], DEFAULT_PORTS["https"])
                environ["fakeserver.take_socket"]()  # the tunnel is served after this exchange
                return []
            origin = _origin_of(environ)
        except ValueError as error:
            raise ClientError(400, str(error)) from None
        return self.proxy.dispatch(environ, start_response, origin)


def _origin_of(environ: dict[str, Any]) -> Origin:
    """The origin a request to the proxy is for: its absolute URL's, else its Host header's.

    The server core has checked both, and put the URL's authority in ``HTTP_HOST``.
    """
    target = environ["RAW_URI"]
    authority = environ.get("HTTP_HOST")
    if not authority:
        raise ValueError(f"a proxy needs an absolute URL such as http://example.com/ or a "
                         f"Host header, not {target!r} alone")
    scheme = "https" if target[:8].lower() == "https://" else "http"
    host, port = parse_authority(authority, DEFAULT_PORTS[scheme])
    return Origin(scheme, host, port)


def _peek(connection: Connection) -> bytes:
    """The first byte the client sends in its tunnel, left unread; empty if it left.

    Blocks until the client speaks; ``stop()`` ends the wait.
    """
    try:
        return connection.sock.recv(1, socket.MSG_PEEK)
    except OSError:
        return b""
