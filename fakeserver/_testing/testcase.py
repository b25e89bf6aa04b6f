"""ServerTestCase: a unittest mixin serving an app per class, with request assertions.

Owns the unittest lifecycle of a recording server (one per class, a fresh
journal per test, app errors and unmatched requests failing the test that
caused them) and the ``assertRequested`` family, whose checks and reports
the pytest fixtures share. Knows nothing of sockets.
"""

from __future__ import annotations

import inspect
import sys
from typing import TYPE_CHECKING, Any, Callable

from . import checks
from .base import MixinBase
from .cassette import Cassettes
from .handle import FakeServer
from .misuse import PerTest
from .served import ServedApp
from .._journal.recorder import Recorder
from .._journal.records import RecordedRequest
from .._targets import check_target
from .._http.runner import AppRunner
from ..stubs.app import Stub, StubApp
from ..tls import CA_FILE

if TYPE_CHECKING:
    from .._matching import ExchangeCriteria, PathSpec

    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = ["ServerTestCase"]

__unittest = True  # hide this module's frames from test failure tracebacks


class ServerTestCase(ServedApp, Cassettes, MixinBase):
    """Mix into a ``unittest.TestCase`` (listed first) to test clients against a live server.

    Once per class, ``setUpClass`` starts an :class:`AppRunner` serving
    ``Recorder(app)``; it is stopped by a class cleanup registered at once,
    so it stops even if a subclass's ``setUpClass`` fails afterwards. Each
    test starts with an empty journal (``self.requests``) and the stubs the
    class declared; an exception raised by the app during a test, or a
    request no stub matched (even when the test declared none), fails that
    test. With ``upstream`` set, each test replays or records its cassette
    (see the cassette settings, from ``upstream`` to ``secrets``).
    """

    # Configuration (override per subclass)
    #: A WSGI callable, or a factory for one: a function of no arguments or
    #: a method taking only the class. None serves stubs (``self.stub()``)
    #: and nothing else; ``fakeserver.demo_app`` accepts any request.
    app: Any = None
    #: The interface to bind; loopback unless you need another.
    server_host: str = "127.0.0.1"
    #: The port to bind; 0 picks a free one.
    server_port: int = 0
    #: Serve HTTPS with the bundled test certificate (trust ``server_ca_file``).
    server_tls: bool = False
    #: Serve HTTPS with this server-side ``ssl.SSLContext`` instead.
    server_ssl_context: Any = None
    #: Let requests that no stub matched pass instead of failing the test.
    allow_unmatched_requests: bool = False
    #: How many recorded requests a failure message lists (None: all).
    maxRequestsShown: int | None = 10
    #: Serve the live traffic page at ``self.server.inspector_url`` (handy at a breakpoint).
    inspector: bool = False

    # How reports and errors name the settings
    _requests_shown = "maxRequestsShown"
    _no_stubs = "{name} serves app={app!r}; stubs are served only when the app setting is None"
    _how_to_stub = ("No stubs are declared: declare one with self.stub(...), or set "
                    "app = fakeserver.demo_app on the test case to accept any request.")

    # State set by setUpClass
    server: AppRunner
    server_url: str
    #: The CA that signed the bundled certificate, for clients' ``verify=``/``cafile=``.
    server_ca_file: str = CA_FILE
    recorder: Recorder
    #: The StubApp served when ``app`` is None, else None.
    stubs: StubApp | None
    _class_stubs: list[Stub] | None = None

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls._open_upstream(inspect.getattr_static(cls, "app"))
        app = cls._resolve_app()
        cls.stubs = app if isinstance(app, StubApp) else None
        cls._class_stubs = None  # taken at the first setUp, after any subclass setUpClass
        cls.recorder = Recorder(app)
        cls.server = AppRunner(cls.recorder, cls.server_host, cls.server_port,
                               tls=cls.server_tls, ssl_context=cls.server_ssl_context,
                               inspector=cls.inspector)
        cls._start_for_class(cls.server, cls.recorder)
        cls.server_url = cls.server.url

    @classmethod
    def _resolve_app(cls) -> Callable[..., Any]:
        """Turn the ``app`` setting into a WSGI callable (see its comment)."""
        raw = inspect.getattr_static(cls, "app")
        if raw is None:
            return StubApp()
        if isinstance(raw, classmethod):
            return raw.__get__(None, cls)()
        if isinstance(raw, staticmethod):
            raw = raw.__func__
        if inspect.isfunction(raw):
            required = [p for p in inspect.signature(raw).parameters.values()
                        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            if len(required) >= 2:
                return raw  # a WSGI function: (environ, start_response)
            return raw(cls) if required else raw()
        if not callable(raw):
            raise TypeError(f"{cls.__name__}.app must be a WSGI callable or a factory "
                            f"returning one, not {raw!r}")
        return raw

    def setUp(self) -> None:
        super().setUp()
        if self.stubs is not None and self._class_stubs is None:
            type(self)._class_stubs = self.stubs.stubs  # first test: what the class declared stays
        self._begin_test(keep=self._class_stubs or ())
        self.addCleanup(self._check_server_side)  # type: ignore[attr-defined]
        self._begin_cassette()

    def _check_server_side(self) -> None:
        """Fail the test for app exceptions and unmatched requests it caused."""
        report = self._server_side_problems()
        if report is not None:
            self.fail(report)  # type: ignore[attr-defined]

    def startServer(self, app: Callable[..., Any] | None = None, *,
                    tls: bool = False) -> FakeServer:
        """Start one more server for this test, and return it: the handle ``fake_server_factory``
        gives in pytest (``url``, ``requests``, ``stub()``, ``assert_requested()``, ...).

        It serves *app*, or when None the stubs declared with its
        ``stub()`` and nothing else; over HTTPS with *tls*. It is stopped
        when the test ends, and its app errors and unmatched requests fail
        the test as the main server's do. Returns once it listens.
        """
        other = FakeServer(app, tls=tls)
        self.addCleanup(other.stop)  # type: ignore[attr-defined]
        self.addCleanup(self._check_other_server, other)  # type: ignore[attr-defined]  # first
        return other.start()

    def _check_other_server(self, other: FakeServer) -> None:
        """Fail the test for what went wrong on a server of :meth:`startServer`, naming it."""
        report = other.problems()
        if report is not None:
            self.fail(f"{other.url} (from startServer()): {report}")  # type: ignore[attr-defined]

    if not TYPE_CHECKING:  # at run time: refused on the class, pointing to the class-wide way
        stub = PerTest(ServedApp.stub, "cls.stubs.stub(...)")
        load_stubs = PerTest(ServedApp.load_stubs, "cls.stubs.load(path)")

    def url(self, path: str = "/") -> str:
        """The absolute URL of *path* on the test server."""
        return self.server_url + (path if path.startswith("/") else "/" + path)

    #: Write this test's exchanges as a stub file that replays them (see
    #: :meth:`Recorder.save_stubs`); returns how many entries it has.
    saveStubs = ServedApp.save_stubs

    # -- assertions ---------------------------------------------------------------

    def assertRequested(self, path: PathSpec | None, method: str | None = None, *,
                        count: int | None = None, timeout: float | None = None,
                        msg: str | None = None,
                        **criteria: Unpack[ExchangeCriteria]) -> RecordedRequest | None:
        """Fail unless at least one (or exactly *count*) recorded requests match.

        *path* is a string (``?query`` included or not), a ``/items/{id}``
        template, a compiled regex or None for any; the other criteria are
        those of :class:`ExchangeCriteria`: *query*, *headers* and *form*
        match as subsets, *json* by parsed equality, *status* against the
        response, *predicate* is a function of the request. With *timeout*,
        blocks up to that many seconds for the requests to arrive (returning
        as soon as they have). Returns the most recent match.
        """
        match, report = self._requested("assertRequested", path, method, count, timeout,
                                        **criteria)
        self._check(report, msg)
        return match

    def waitForRequest(self, path: PathSpec | None = None, method: str | None = None, *,
                       timeout: float = 5.0, msg: str | None = None,
                       **criteria: Unpack[ExchangeCriteria]) -> RecordedRequest:
        """Block until a request matching (as in :meth:`assertRequested`) is recorded; return it.

        Returns the first match as soon as its exchange is recorded, for
        clients that call from a thread, a subprocess or an event loop; fails
        with the near-miss report after *timeout* seconds.
        """
        match, report = self._requested("waitForRequest", path, method, None, timeout, first=True,
                                        **criteria)
        self._check(report, msg)
        assert match is not None  # a check for at least one request passed
        return match

    def assertNotRequested(self, path: PathSpec | None, method: str | None = None, *,
                           msg: str | None = None, **criteria: Unpack[ExchangeCriteria]) -> None:
        """Fail if any recorded request matches (same matching as :meth:`assertRequested`)."""
        check_target("assertNotRequested", path, method)
        self._check(checks.not_requested(self.requests, path, method, style=self._request_style,
                                         **criteria), msg)

    def assertRequestCount(self, expected: int, msg: str | None = None) -> None:
        """Fail unless exactly *expected* requests were recorded in this test."""
        self._check(checks.request_count(self.requests, expected, style=self._request_style), msg)

    def assertRequestsInOrder(self, *expected: tuple[str, str] | str, msg: str | None = None) -> None:
        """Fail unless requests matching each ``(method, path)`` (or path) came in this order.

        Other requests may come between them.
        """
        self._check(checks.requests_in_order(self.requests, expected, style=self._request_style),
                    msg)

    # -- scenarios ---------------------------------------------------------------

    def scenarioState(self, name: str) -> str:
        """The state of scenario *name* (``"Started"`` until a stub or the test moves it)."""
        return self._stub_app().scenario_state(name)

    def setScenarioState(self, name: str, state: str) -> None:
        """Move scenario *name* to *state* for the rest of this test."""
        self._stub_app().set_scenario_state(name, state)

    def assertScenarioState(self, name: str, state: str, msg: str | None = None) -> None:
        """Fail unless scenario *name* is in *state*."""
        self._check(checks.scenario_state(self._stub_app().scenarios, name, state), msg)

    def assertAllStubsUsed(self, msg: str | None = None) -> None:
        """Fail naming every stub of this test that answered no request, with its closest request."""
        self._check(checks.all_stubs_used(self._stub_app().stubs, self.requests,
                                          style=self._request_style), msg)
