"""ServerTestCase: a unittest mixin serving an app per class, with request assertions.

Owns the test-facing lifecycle (one recording server per class, a fresh
journal per test, app errors failing the test that caused them) and the
``assertRequested`` family. What each assertion checks and the report it
words come from ``_checks`` (shared with the pytest fixtures); sockets and
threads stay in ``_runner``.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, Callable

from . import checks
from .base import MixinBase
from .._journal.recorder import Recorder
from .._journal.records import RecordedRequest
from .._http.runner import AppRunner, demo_app
from ..stubs.app import Stub, StubApp
from ..tls import CA_FILE

__all__ = ["ServerTestCase"]

__unittest = True  # hide this module's frames from test failure tracebacks

#: How a long failure report tells the reader to list everything.
_HINT = "set maxRequestsShown = None on the test case to see all"


class ServerTestCase(MixinBase):
    """Mix into a ``unittest.TestCase`` (listed first) to test clients against a live server.

    Once per class, ``setUpClass`` starts an :class:`AppRunner` serving
    ``Recorder(app)``; it is stopped by a class cleanup registered at once,
    so it stops even if a subclass's ``setUpClass`` fails afterwards. Each
    test starts with an empty journal (``self.requests``); an exception
    raised by the app during a test fails that test.
    """

    # Configuration (override per subclass)
    #: A WSGI callable, or a factory for one: a function of no arguments or
    #: a method taking only the class. None serves stubs (``self.stub()``);
    #: while a test declares none, they answer like the demo app.
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
        super().setUpClass()  # type: ignore[misc]
        app = cls._resolve_app()
        cls.stubs = app if isinstance(app, StubApp) else None
        cls._class_stubs = None  # taken at the first setUp, after any subclass setUpClass
        cls.recorder = Recorder(app)
        cls.server = AppRunner(cls.recorder, cls.server_host, cls.server_port,
                               tls=cls.server_tls, ssl_context=cls.server_ssl_context)
        cls.addClassCleanup(cls._stop_server)  # type: ignore[attr-defined]
        cls.server.start()
        cls.server_url = cls.server.url

    @classmethod
    def _stop_server(cls) -> None:
        cls.server.stop()  # which cuts short a delayed or dribbling stub
        cls.recorder.clear()

    @classmethod
    def _resolve_app(cls) -> Callable[..., Any]:
        """Turn the ``app`` setting into a WSGI callable (see its comment)."""
        raw = inspect.getattr_static(cls, "app")
        if raw is None:
            return StubApp(fallback=demo_app)
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
        super().setUp()  # type: ignore[misc]
        self.recorder.clear()
        if self.stubs is not None:
            keep = self._class_stubs
            if keep is None:  # first test: what the class declared stays
                keep = type(self)._class_stubs = self.stubs.stubs
            self.stubs.reset(keep=keep)
        self._first_error = len(self.server.errors)
        self.addCleanup(self._check_server_side)  # type: ignore[attr-defined]

    def _check_server_side(self) -> None:
        """Fail the test for app exceptions and unmatched requests it caused."""
        self.recorder.settle()
        unmatched = self.stubs.unmatched if self.stubs is not None else []
        report = checks.server_side_problems(
            self.server.errors[self._first_error:],
            [] if self.allow_unmatched_requests else unmatched, self.stubs,
            limit=self.maxRequestsShown,
            allow_hint="set allow_unmatched_requests = True on the test case to allow it")
        if report is not None:
            self.fail(report)  # type: ignore[attr-defined]

    # -- stubs ---------------------------------------------------------------------

    def _stub_app(self) -> StubApp:
        if self.stubs is None:
            raise TypeError(f"{type(self).__name__} serves app={self.recorder.app!r}; stubs "
                            "are served only when the app setting is None")
        return self.stubs

    def stub(self, method: str | None = None, path: Any = None, **criteria: Any) -> Stub:
        """Declare a stub for this test (see :meth:`StubApp.stub`); chain ``.respond(...)``."""
        return self._stub_app().stub(method, path, **criteria)

    def load_stubs(self, path: Any) -> list[Stub]:
        """Declare this test's stubs from a JSON file (see :meth:`StubApp.load`)."""
        return self._stub_app().load(path)

    def assertAllStubsUsed(self, msg: str | None = None) -> None:
        """Fail naming every stub of this test that answered no request, with its closest request."""
        stubs = self._stub_app().stubs
        self._check(checks.all_stubs_used(stubs, self.recorder.settle(),
                                          limit=self.maxRequestsShown, hint=_HINT), msg)

    @property
    def requests(self) -> list[RecordedRequest]:
        """This test's recorded requests, oldest first."""
        return self.recorder.settle()

    def url(self, path: str = "/") -> str:
        """The absolute URL of *path* on the test server."""
        return self.server_url + (path if path.startswith("/") else "/" + path)

    # -- assertions ---------------------------------------------------------------

    def assertRequested(self, path: str | re.Pattern | None, method: str | None = None, *,
                        query: Any = None, headers: Any = None, body: bytes | str | None = None,
                        json: Any = None, form: Any = None, status: int | None = None,
                        count: int | None = None, msg: str | None = None) -> RecordedRequest | None:
        """Fail unless at least one (or exactly *count*) recorded requests match.

        *path* is a string (``?query`` included or not), a compiled regex or
        None for any; *query*, *headers* and *form* match as subsets, *json*
        by parsed equality, *status* against the response. Returns the most
        recent match.
        """
        match, report = checks.requested(self.recorder.settle(), path, method, query=query,
                                         headers=headers, body=body, json=json, form=form,
                                         status=status, count=count,
                                         limit=self.maxRequestsShown, hint=_HINT)
        self._check(report, msg)
        return match

    def assertNotRequested(self, path: str | re.Pattern | None, method: str | None = None, *,
                           query: Any = None, headers: Any = None, body: bytes | str | None = None,
                           json: Any = None, form: Any = None, status: int | None = None,
                           msg: str | None = None) -> None:
        """Fail if any recorded request matches (same matching as :meth:`assertRequested`)."""
        self._check(checks.not_requested(self.recorder.settle(), path, method, query=query,
                                         headers=headers, body=body, json=json, form=form,
                                         status=status, limit=self.maxRequestsShown, hint=_HINT),
                    msg)

    def assertRequestCount(self, expected: int, msg: str | None = None) -> None:
        """Fail unless exactly *expected* requests were recorded in this test."""
        self._check(checks.request_count(self.recorder.settle(), expected,
                                         limit=self.maxRequestsShown, hint=_HINT), msg)

    def assertRequestsInOrder(self, *expected: tuple[str, str] | str, msg: str | None = None) -> None:
        """Fail unless requests matching each ``(method, path)`` (or path) came in this order.

        Other requests may come between them.
        """
        self._check(checks.requests_in_order(self.recorder.settle(), expected,
                                             limit=self.maxRequestsShown, hint=_HINT), msg)
