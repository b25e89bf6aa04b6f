"""ServedApp: what a test sees of the app it serves over HTTP, beside the assertions.

``ServerTestCase`` and the pytest ``FakeServer`` both inherit it, so the
journal, the stubs and the report of what went wrong on the server's side
come from one place. It knows neither unittest nor pytest: the class using
it provides ``recorder``, ``server`` and ``stubs``, names the setting that
caps its reports (``_requests_shown``) and words its refusal to stub an app
of the user's own (``_no_stubs``) and how to fix a test that declared no
stub (``_how_to_stub``); it calls :meth:`ServedApp._begin_test` when a test
begins.

:class:`ServedRequests`, its base, is the part that holds for any
:class:`StubTable` behind the recorder, not only one ``StubApp``: the
forward proxy's faces build on it with the proxy's routes, whose stubs are
declared by full URL.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Protocol

from . import checks
from .base import Face
from .._matching import ReportStyle
from .._targets import check_target

if TYPE_CHECKING:
    from .._http.runner import AppRunner
    from .._journal.recorder import Recorder
    from .._journal.records import RecordedRequest
    from .._journal.snapshot import SnapshotOptions
    from .._matching import ExchangeCriteria, PathSpec, RequestCriteria
    from ..stubs.app import Stub, StubApp

    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = ["ServedApp", "ServedRequests", "StubTable"]

__unittest = True  # hide this module's frames from test failure tracebacks


class StubTable(Protocol):
    """What :class:`ServedRequests` asks of the stubs behind its recorder.

    A ``StubApp`` is one; so is the routing table of a forward proxy,
    which keeps a ``StubApp`` per host.
    """

    @property
    def unmatched(self) -> list[RecordedRequest]:
        """The requests no stub matched since the last :meth:`reset`, oldest first."""

    def reset(self, keep: Iterable[Any] = ()) -> None:
        """Forget the unmatched requests and what was declared, but for *keep*.

        *keep* is what a test class declared, as the table itself gives it
        (for a ``StubApp``, its stubs).
        """

    def near_miss_report(self, request: RecordedRequest, *, limit: int | None = 10) -> str:
        """Why no stub matched *request*, listing at most *limit* near misses."""


class ServedRequests(Face):
    """The journal and the server-side problems of stubs (or an app) served through a Recorder."""

    recorder: Recorder
    server: AppRunner
    #: The stubs served, or None when serving an app of your own.
    stubs: StubTable | None
    #: Let requests that no stub matched pass instead of failing the test.
    allow_unmatched_requests: bool = False
    #: The name of the setting capping how many requests a report lists.
    _requests_shown: ClassVar[str]
    #: ``len(server.errors)`` when the test began: the later ones are its own.
    _first_error: int = 0

    @property
    def requests(self) -> list[RecordedRequest]:
        """This test's recorded requests, oldest first (exchanges in progress waited for)."""
        return self.recorder.settle()

    @property
    def _request_style(self) -> ReportStyle:
        """How the request reports of this face are capped, and say how to see all."""
        return self._style(self._requests_shown)

    def _begin_test(self, keep: Iterable[Any] = ()) -> None:
        """Forget the journal, all that was declared but *keep* (see :meth:`StubTable.reset`),
        and the app errors so far."""
        self.recorder.clear()
        if self.stubs is not None:
            self.stubs.reset(keep=keep)
        self._first_error = len(self.server.errors)

    def _requested(self, call: str, path: PathSpec | None, method: str | None,
                   count: int | None, timeout: float | None, *, first: bool = False,
                   **criteria: Unpack[ExchangeCriteria]
                   ) -> tuple[RecordedRequest | None, str | None]:
        """What ``assertRequested`` and ``waitForRequest`` (as *call* names them) find.

        With a *timeout*, waits first (without polling) until the journal
        passes the check, or the time is up.
        """
        check_target(call, path, method)
        if timeout is not None:
            self.recorder.wait_for(checks.requested_by(path, method, count=count, **criteria),
                                   timeout)
        return checks.requested(self.requests, path, method, count=count, first=first,
                                waited=timeout, style=self._request_style, **criteria)

    def _server_side_problems(self) -> str | None:
        """What went wrong on the server's side in this test (app errors, unmatched requests), or None.

        Waits first for the exchanges in progress to be recorded.
        """
        self.recorder.settle()
        unmatched = self.stubs.unmatched if self.stubs is not None else []
        return checks.server_side_problems(
            self.server.errors[self._first_error:],
            [] if self.allow_unmatched_requests else unmatched, self.stubs,
            limit=self._request_style.limit,
            allow_hint=f"set allow_unmatched_requests = True on {self._settings_on} to allow it",
            no_stubs_hint=self._no_stubs_hint())

    def _no_stubs_hint(self) -> str | None:
        """How to fix a test whose requests found no stub at all, when that is why; else None."""
        return None


class ServedApp(ServedRequests):
    """:class:`ServedRequests` of one app, whose stubs a test declares by path."""

    #: The StubApp served, or None when serving an app of your own.
    stubs: StubApp | None
    #: Why ``stub()`` fails on an app of the user's own; formatted with
    #: ``name`` (the class's) and ``app``.
    _no_stubs: ClassVar[str]
    #: How to fix a request that found no stub at all: declare one, or serve the demo app.
    _how_to_stub: ClassVar[str]

    def _no_stubs_hint(self) -> str | None:
        """:attr:`_how_to_stub` when this test (and its class) declared no stub at all."""
        return self._how_to_stub if self.stubs is not None and not self.stubs.stubs else None

    def _stub_app(self) -> StubApp:
        if self.stubs is None:
            raise TypeError(self._no_stubs.format(name=type(self).__name__, app=self.recorder.app))
        return self.stubs

    def stub(self, method: str | None = None, path: PathSpec | None = None, *,
             times: int | None = None, priority: int = 0, scenario: str | None = None,
             state: str | None = None, new_state: str | None = None,
             **criteria: Unpack[RequestCriteria]) -> Stub:
        """Declare a stub for this test (see :meth:`StubApp.stub`); chain ``.respond(...)``."""
        return self._stub_app().stub(method, path, times=times, priority=priority,
                                     scenario=scenario, state=state, new_state=new_state,
                                     **criteria)

    def load_stubs(self, path: str | os.PathLike) -> list[Stub]:
        """Declare this test's stubs from a JSON file (see :meth:`StubApp.load`)."""
        return self._stub_app().load(path)

    def save_stubs(self, path: str | os.PathLike, **options: Unpack[SnapshotOptions]) -> int:
        """Write this test's exchanges as a stub file that replays them (see :meth:`Recorder.save_stubs`)."""
        return self.recorder.save_stubs(path, **options)
