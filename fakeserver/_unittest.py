"""ServerTestCase: a unittest mixin serving an app per class, with request assertions.

Owns the test-facing lifecycle (one recording server per class, a fresh
journal per test, app errors failing the test that caused them) and the
``assertRequested`` family. Matching and message text come from
``_matching``; sockets and threads stay in ``_runner``.
"""

from __future__ import annotations

import inspect
import re
import traceback
from typing import Any, Callable, Sequence

from ._matching import Expectation, format_report, rank, request_expectation
from ._recording import Recorder
from ._records import RecordedRequest
from ._runner import AppRunner, demo_app
from .stubs import Stub, StubApp
from .tls import CA_FILE

__all__ = ["ServerTestCase"]

__unittest = True  # hide this module's frames from test failure tracebacks


def request_label(request: RecordedRequest) -> tuple[str, str]:
    """The columns that name a request in reports: method and target."""
    return request.method, request.target


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


class ServerTestCase:
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

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()  # type: ignore[misc]
        app = cls._resolve_app()
        cls.stubs = app if isinstance(app, StubApp) else None
        cls.recorder = Recorder(app)
        cls.server = AppRunner(cls.recorder, cls.server_host, cls.server_port,
                               tls=cls.server_tls, ssl_context=cls.server_ssl_context)
        cls.addClassCleanup(cls._stop_server)  # type: ignore[attr-defined]
        cls.server.start()
        cls.server_url = cls.server.url

    @classmethod
    def _stop_server(cls) -> None:
        if cls.stubs is not None:
            cls.stubs.interrupt()  # a delayed or dribbling stub must not hold up stop()
        cls.server.stop()
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
            self.stubs.reset()
        self._first_error = len(self.server.errors)
        self.addCleanup(self._check_server_side)  # type: ignore[attr-defined]

    def _check_server_side(self) -> None:
        """Fail the test for app exceptions and unmatched requests it caused."""
        self.recorder.settle()
        problems = []
        errors = self.server.errors[self._first_error:]
        if errors:
            details = "\n".join("".join(traceback.format_exception(type(e), e, e.__traceback__))
                                for e in errors)
            problems.append(f"the app raised {_count(len(errors), 'exception')} "
                            f"during this test:\n{details}")
        unmatched = self.stubs.unmatched if self.stubs is not None else []
        if unmatched and not self.allow_unmatched_requests:
            reports = "\n\n".join(self.stubs.near_miss_report(request, limit=self.maxRequestsShown)
                                  for request in unmatched)
            problems.append(f"{_count(len(unmatched), 'request')} matched no stub (set "
                            f"allow_unmatched_requests = True on the test case to allow it):\n"
                            f"{reports}")
        if problems:
            self.fail("\n\n".join(problems))  # type: ignore[attr-defined]

    # -- stubs ---------------------------------------------------------------------

    def _stub_app(self) -> StubApp:
        if self.stubs is None:
            raise TypeError(f"{type(self).__name__} serves app={self.server.app.app!r}; stubs "
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
        self.recorder.settle()
        stubs = self._stub_app().stubs
        unused = [stub for stub in stubs if not stub.used]
        if not unused:
            return
        requests = self.recorder.requests
        rows = []
        for stub in unused:
            closest = rank(stub.expectation, requests)[:1]
            if closest:
                request, mismatches = closest[0]
                differences = "; ".join(str(m) for m in mismatches)
                rows.append((stub, [f"closest request: {request.method} {request.target} -- "
                                    f"{differences}"]))
            else:
                rows.append((stub, ["no requests were recorded"]))
        headline = f"Expected every stub to be used; {len(unused)} of {len(stubs)} never were."
        self._fail(format_report(headline, rows, lambda stub: stub.label, title="Unused stubs",
                                 limit=self.maxRequestsShown,
                                 hint="set maxRequestsShown = None on the test case to see all"),
                   msg)

    @property
    def requests(self) -> list[RecordedRequest]:
        """This test's recorded requests, oldest first."""
        return self.recorder.settle()

    def url(self, path: str = "/") -> str:
        """The absolute URL of *path* on the test server."""
        return self.server_url + (path if path.startswith("/") else "/" + path)

    # -- assertions ---------------------------------------------------------------

    def _report(self, headline: str, ranked: Sequence[tuple[RecordedRequest, Any]], title: str,
                label: Callable[[RecordedRequest], Sequence[str]] = request_label) -> str:
        return format_report(headline, ranked, label, title=title,
                             limit=self.maxRequestsShown,
                             hint="set maxRequestsShown = None on the test case to see all")

    def _fail(self, report: str, msg: str | None) -> None:
        self.fail(self._formatMessage(msg, report))  # type: ignore[attr-defined]

    @staticmethod
    def _tally(matching: int, total: int) -> str:
        if total == 0:
            return "no requests were recorded."
        verb = "matches" if matching == 1 else "match"
        return f"{matching} of {total} recorded {'request' if total == 1 else 'requests'} {verb}."

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
        expectation = request_expectation(path, method, query=query, headers=headers, body=body,
                                          json=json, form=form, status=status)
        requests = self.recorder.settle()
        matching = [request for request in requests if expectation.matches(request)]
        if (len(matching) == count) if count is not None else matching:
            return matching[-1] if matching else None
        wanted = "a request" if count is None else _count(count, "request")
        headline = f"Expected {wanted} matching {expectation}; {self._tally(len(matching), len(requests))}"
        self._fail(self._report(headline, rank(expectation, requests), "Closest recorded requests"), msg)
        return None

    def assertNotRequested(self, path: str | re.Pattern | None, method: str | None = None, *,
                           query: Any = None, headers: Any = None, body: bytes | str | None = None,
                           json: Any = None, form: Any = None, status: int | None = None,
                           msg: str | None = None) -> None:
        """Fail if any recorded request matches (same matching as :meth:`assertRequested`)."""
        expectation = request_expectation(path, method, query=query, headers=headers, body=body,
                                          json=json, form=form, status=status)
        requests = self.recorder.settle()
        matching = [(request, []) for request in requests if expectation.matches(request)]
        if matching:
            headline = (f"Expected no request matching {expectation}; "
                        f"{self._tally(len(matching), len(requests))}")
            self._fail(self._report(headline, matching, "Matching recorded requests"), msg)

    def assertRequestCount(self, expected: int, msg: str | None = None) -> None:
        """Fail unless exactly *expected* requests were recorded in this test."""
        requests = self.recorder.settle()
        if len(requests) != expected:
            headline = (f"Expected {_count(expected, 'request')}; "
                        f"{_count(len(requests), 'request')} recorded.")
            self._fail(self._report(headline, [(r, None) for r in requests], "Recorded requests"),
                       msg)

    def assertRequestsInOrder(self, *expected: tuple[str, str] | str, msg: str | None = None) -> None:
        """Fail unless requests matching each ``(method, path)`` (or path) came in this order.

        Other requests may come between them.
        """
        expectations = [request_expectation(item) if isinstance(item, str)
                        else request_expectation(item[1], item[0]) for item in expected]
        requests = self.recorder.settle()
        position, found = 0, 0
        for expectation in expectations:
            while position < len(requests) and not expectation.matches(requests[position]):
                position += 1
            if position == len(requests):
                break
            position += 1
            found += 1
        if found == len(expectations):
            return
        sequence = ", ".join(str(e) for e in expectations)
        missing = expectations[found]
        after = f" after {expectations[found - 1]} (request #{self._index_of(expectations[:found], requests)})" \
            if found else ""
        headline = (f"Expected requests in this order: {sequence}\n"
                    f"Found {found} of {len(expectations)} in order; no {missing}{after}.")
        numbers = {id(request): f"{i}." for i, request in enumerate(requests, 1)}
        self._fail(self._report(headline, [(request, None) for request in requests],
                                "Recorded requests, in order",
                                lambda request: (numbers[id(request)], *request_label(request))),
                   msg)

    @staticmethod
    def _index_of(prefix: list[Expectation], requests: list[RecordedRequest]) -> int:
        """The 1-based position of the request that matched the last of *prefix*."""
        position = 0
        for expectation in prefix:
            while not expectation.matches(requests[position]):
                position += 1
            position += 1
        return position
