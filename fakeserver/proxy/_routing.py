"""The routing table: which WSGI app answers for which host, and what an unrouted host gets.

:class:`Routes` is itself the WSGI app behind the proxy's journal. The
proxy's connections put each request's origin (scheme, host, port) in
``environ[ORIGIN]``; the host picks the app: the :class:`StubApp` made by
``host(name)``, an app given to ``route(name, app)``, or the one routed as
``"*"``. A request for any other host is answered ``502 Bad Gateway``
naming the routed hosts and marked unmatched (so a test fails on it), or,
in spy mode, handed to the forwarding app for its origin. Like a
:class:`StubApp`, the table keeps the requests no stub answered, resets
to what a test class declared, and explains a miss, so the test layers
treat the two alike. Knows nothing of sockets, TLS or unittest.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterable, Tuple, cast

from .._http.wire import reason_phrase
from .._journal.recorder import record_request
from .._journal.records import RecordedRequest
from ..stubs.app import Stub, StubApp
from ._urls import URLView, normalize_host, record_host

__all__ = ["ANY_HOST", "ORIGIN", "Routes", "SavedRoute", "bad_gateway"]

WSGIApp = Callable[..., Iterable[bytes]]
#: ``forward(scheme, host, port)``: the app passing requests on to that origin.
Forward = Callable[[str, str, int], WSGIApp]
#: One route as :meth:`Routes.save` keeps it: the name, its app, and the app's stubs then.
SavedRoute = Tuple[str, WSGIApp, "list[Stub]"]

#: The environ key holding a request's ``(scheme, host, port)``, set by the proxy.
ORIGIN = "fakeserver.proxy.origin"
#: The route name that answers for every host without a route of its own.
ANY_HOST = "*"


def _route_name(name: str) -> str:
    return ANY_HOST if name == ANY_HOST else normalize_host(name)


class Routes:
    """Host names to WSGI apps, and the WSGI app dispatching on them. Thread-safe.

    You get one as ``FakeProxy.routes``. With *forward*, a request for an
    unrouted host goes to ``forward(scheme, host, port)`` (one app kept per
    origin) instead of being refused.
    """

    def __init__(self, forward: Forward | None = None) -> None:
        self._lock = threading.Lock()
        self._apps: dict[str, WSGIApp] = {}
        self._forward = forward
        self._forwarders: dict[tuple[str, str, int], WSGIApp] = {}
        self._unrouted: list[RecordedRequest] = []

    # -- the table -----------------------------------------------------------------

    def host(self, name: str) -> StubApp:
        """The :class:`StubApp` answering for host *name*, made and routed on first use.

        Raises TypeError if *name* is routed to an app of another kind, and
        ValueError if it is no host name.
        """
        key = _route_name(name)
        with self._lock:
            app = self._apps.setdefault(key, StubApp())
        if not isinstance(app, StubApp):
            raise TypeError(f"{key} is routed to {app!r}; stubs are served only for hosts "
                            "routed to stubs (proxy.host(name), or a name in fake_hosts)")
        return app

    def route(self, name: str, app: WSGIApp) -> None:
        """Serve host *name* (or ``"*"``: every host without a route) with the WSGI *app*."""
        key = _route_name(name)
        if not callable(app):
            raise TypeError(f"the app for {key} must be a WSGI callable, not {app!r}")
        with self._lock:
            self._apps[key] = app

    @property
    def names(self) -> list[str]:
        """The routed host names, in the order they were routed (``"*"`` included)."""
        with self._lock:
            return list(self._apps)

    def lookup(self, host: str) -> WSGIApp | None:
        """The app for the normalized *host*: its own route, else the ``"*"`` route, else None."""
        with self._lock:
            return self._apps.get(host) or self._apps.get(ANY_HOST)

    def stubs(self) -> list[tuple[str, Stub]]:
        """Every declared stub with the host it answers for, host by host."""
        with self._lock:
            apps = list(self._apps.items())
        return [(name, stub) for name, app in apps if isinstance(app, StubApp)
                for stub in app.stubs]

    @property
    def unmatched(self) -> list[RecordedRequest]:
        """The requests for unrouted hosts and those no stub of their host matched, oldest first."""
        with self._lock:
            found = list(self._unrouted)
            apps = {id(app): app for app in self._apps.values()}
        for app in apps.values():
            if isinstance(app, StubApp):
                found += app.unmatched
        return sorted(found, key=lambda request: request.time)

    def save(self) -> list[SavedRoute]:
        """The routes and the stubs declared now, for :meth:`reset`."""
        with self._lock:
            apps = list(self._apps.items())
        return [(name, app, app.stubs if isinstance(app, StubApp) else []) for name, app in apps]

    def reset(self, keep: Iterable[SavedRoute] = ()) -> None:
        """Back to the routes in *keep* (none by default), each StubApp with the stubs it had then.

        The test layers call it before each test, as they reset a StubApp:
        routes and stubs a test added are dropped, those its class declared
        (:meth:`save`) kept; the unmatched requests are forgotten.
        """
        kept = list(keep)
        with self._lock:
            self._apps = {name: app for name, app, _ in kept}
            self._unrouted = []
        for _, app, stubs in kept:
            if isinstance(app, StubApp):
                app.reset(keep=stubs)

    def interrupt(self) -> None:
        """Cut short the delays of every routed app that has them (before a stop)."""
        with self._lock:
            apps = list(self._apps.values())
        for app in apps:
            interrupt = getattr(app, "interrupt", None)
            if callable(interrupt):
                interrupt()

    # -- serving -------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        scheme, host, port = environ[ORIGIN]
        app = self.lookup(host)
        if app is not None:
            return app(environ, start_response)
        if self._forward is not None:
            with self._lock:
                app = self._forwarders.get((scheme, host, port))
                if app is None:
                    app = self._forwarders[scheme, host, port] = self._forward(scheme, host, port)
            return app(environ, start_response)
        request = record_request(environ)
        request.unmatched = True
        with self._lock:
            self._unrouted.append(request)
        return bad_gateway(start_response, f"{self._no_route(host)}.\n{_how_to_route(host)}")

    # -- reports -------------------------------------------------------------------

    def near_miss_report(self, request: RecordedRequest, limit: int | None = 10) -> str:
        """Why *request* (one of :attr:`unmatched`) got no answer from a stub."""
        host = record_host(request)
        app = self.lookup(host)
        view = URLView(request)
        if isinstance(app, StubApp):  # the view stands in for the request it wraps
            return app.near_miss_report(cast(RecordedRequest, view), limit=limit)
        return f"{request.method} {view.target}: {self._no_route(host)}."

    def _no_route(self, host: str) -> str:
        names = self.names
        routed = ", ".join(names) if names else "none"
        return f"no route for host {host!r} (routed hosts: {routed})"


def _how_to_route(host: str) -> str:
    return (f"Fake it with stubs for its URLs (proxy.stub(), fake_hosts, --stubs FILE) "
            f"or serve an app there: proxy.route({host!r}, app).")


def bad_gateway(start_response: Callable[..., Any], detail: str) -> list[bytes]:
    """Answer ``502 Bad Gateway`` with *detail* as the plain-text body: no one to pass it on to."""
    status = f"502 {reason_phrase(502)}"
    start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
    return [f"{status}: {detail}\n".encode("utf-8")]
