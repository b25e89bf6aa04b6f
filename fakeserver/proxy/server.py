"""FakeProxy: an HTTP forward proxy that answers for any host itself, HTTPS included.

A client told to use the proxy (``proxy.env()``) sends it either
absolute-form requests (``GET http://host/path``) or, for HTTPS,
``CONNECT host:443`` and then TLS. The proxy never connects anywhere
(except in spy mode): it is the origin server for every host. How one
connection is served::

    ServerThread: accept loop -> a worker thread -> handle_connection(connection)
        serve_connection(connection, _Side(origin=None))    # what the client asks the proxy
            GET http://host/path   -> dispatch: origin taken from the URL (or Host)
            CONNECT host:port      -> the side notes the tunnel and takes the socket
        if a tunnel was asked for:
            answer "200 Connection established"
            TLS with the certificate minted for host (ProxyAuthority), unless the
                client speaks plain HTTP in the tunnel
            serve_connection(connection, _Side(origin=(scheme, host, port)))
                every request      -> dispatch: origin of the tunnel
    dispatch: puts the origin in environ (url scheme, Host, SERVER_NAME and
        SERVER_PORT, so RecordedRequest.url is https://host/path), then calls
        proxy.app = Recorder(routes): the host's app, a 502, or passthrough

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
from ..stubs.app import Stub, StubApp
from ._authority import ProxyAuthority
from ._environment import client_variables, patched_environ
from ._passthrough import forward
from ._routing import ORIGIN, Routes
from ._stubfile import load_url_stubs
from ._urls import DEFAULT_PORTS, authority, parse_authority, split_url

if TYPE_CHECKING:
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
    ones and counted in :attr:`unmatched`; with ``passthrough=True`` it is
    forwarded to the real host instead (and journaled too), HTTPS verified
    with *upstream_ssl_context* (default: the system's trust store). As
    with ``AppRunner``, the routed apps' exceptions are answered ``500``
    and kept in :attr:`errors`, and :attr:`app` is what serves each request
    once its origin is known: the journal around the routes.

    HTTPS works through a CA made at first use and valid for a day; clients
    trust it through :attr:`ca_file`, which :meth:`env` and
    :meth:`patch_env` point them at. Its key never leaves memory, and the
    file is removed by :meth:`stop`.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, passthrough: bool = False,
                 upstream_ssl_context: ssl.SSLContext | None = None,
                 max_body_size: int | None = None) -> None:
        def upstream(scheme: str, host: str, port: int) -> WSGIApp:
            return forward(scheme, host, port, ssl_context=upstream_ssl_context)
        routes = Routes(upstream if passthrough else None)
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
        _, host, _, target = split_url(url)
        return self.routes.host(host).stub(method, target, times=times, priority=priority,
                                           **criteria)

    def load_stubs(self, path: str | os.PathLike) -> list[Stub]:
        """Declare the stubs of a JSON file whose ``request.path`` values are full URLs."""
        return load_url_stubs(path, self.routes)

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
        serve_connection(connection, _Side(self, (scheme, host, port)))

    def dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any],
                 origin: tuple[str, str, int]) -> Iterable[bytes]:
        """Serve a request for *origin* ``(scheme, host, port)``: its environ, then :attr:`app`."""
        scheme, host, port = origin
        environ[ORIGIN] = origin
        environ["wsgi.url_scheme"] = scheme
        environ["HTTP_HOST"] = authority(host, port, scheme)
        environ["SERVER_NAME"], environ["SERVER_PORT"] = host, str(port)
        return self.app(environ, start_response)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop serving (see :meth:`AppRunner.stop`: delays of stubs in progress are cut
        short first) and remove the CA file."""
        try:
            super().stop(timeout)
        finally:
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

    def __init__(self, proxy: FakeProxy, origin: tuple[str, str, int] | None) -> None:
        self.proxy = proxy
        self.origin = origin
        self.address = proxy.address if origin is None else (origin[1], origin[2])
        self.url_scheme = "http" if origin is None else origin[0]
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
            if environ["REQUEST_METHOD"] == "CONNECT":
                self.tunnel = parse_authority(environ["RAW_URI"])
                environ["fakeserver.take_socket"]()  # the tunnel is served after this exchange
                return []
            origin = _origin_of(environ)
        except ValueError as error:
            raise ClientError(400, str(error)) from None
        return self.proxy.dispatch(environ, start_response, origin)


def _origin_of(environ: dict[str, Any]) -> tuple[str, str, int]:
    """The origin a request to the proxy is for: its absolute URL's, else its Host header's."""
    target = environ.get("RAW_URI", "")
    if target.startswith(("http://", "https://")):
        scheme, host, port, _ = split_url(target)
        return scheme, host, port
    host_header = environ.get("HTTP_HOST")
    if not host_header:
        raise ValueError(f"a proxy needs an absolute URL such as http://example.com/ or a "
                         f"Host header, not {target!r} alone")
    host, port = parse_authority(host_header, DEFAULT_PORTS["http"])
    return "http", host, port


def _peek(connection: Connection) -> bytes:
    """The first byte the client sends in its tunnel, left unread; empty if it left.

    Blocks until the client speaks; ``stop()`` ends the wait.
    """
    try:
        return connection.sock.recv(1, socket.MSG_PEEK)
    except OSError:
        return b""
