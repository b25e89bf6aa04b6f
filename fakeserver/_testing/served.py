"""ServedApp: what a test sees of the app it serves over HTTP, beside the assertions.

``ServerTestCase`` and the pytest ``FakeServer`` both inherit it, so the
journal, the stubs and the report of what went wrong on the server's side
come from one place. It knows neither unittest nor pytest: the class using
it provides ``recorder``, ``server`` and ``stubs``, names the setting that
caps its reports (``_requests_shown``) and words its refusal to stub an app
of the user's own (``_no_stubs``); it calls :meth:`ServedApp._begin_test`
when a test begins.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, ClassVar, Iterable

from . import checks
from .base import Face
from .._matching import ReportStyle

if TYPE_CHECKING:
    from .._http.runner import AppRunner
    from .._journal.recorder import Recorder
    from .._journal.records import RecordedRequest
    from .._journal.snapshot import SnapshotOptions
    from .._matching import PathSpec, RequestCriteria
    from ..stubs.app import Stub, StubApp

    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = ["ServedApp"]

__unittest = True  # hide this module's frames from test failure tracebacks


class ServedApp(Face):
    """The journal, the stubs and the server-side problems of an app served through a Recorder."""

    recorder: Recorder
    server: AppRunner
    #: The StubApp served, or None when serving an app of your own.
    stubs: StubApp | None
    #: Let requests that no stub matched pass instead of failing the test.
    allow_unmatched_requests: bool = False
    #: The name of the setting capping how many requests a report lists.
    _requests_shown: ClassVar[str]
    #: Why ``stub()`` fails on an app of the user's own; formatted with
    #: ``name`` (the class's) and ``app``.
    _no_stubs: ClassVar[str]
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

    def _begin_test(self, keep: Iterable[Stub] = ()) -> None:
        """Forget the journal, every stub but those in *keep*, and the app errors so far."""
        self.recorder.clear()
        if self.stubs is not None:
            self.stubs.reset(keep=keep)
        self._first_error = len(self.server.errors)

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
            allow_hint=f"set allow_unmatched_requests = True on {self._settings_on} to allow it")

    # -- stubs ---------------------------------------------------------------------

    def _stub_app(self) -> StubApp:
        if self.stubs is None:
            raise TypeError(self._no_stubs.format(name=type(self).__name__, app=self.recorder.app))
        return self.stubs

    def stub(self, method: str | None = None, path: PathSpec | None = None, *,
             times: int | None = None, priority: int = 0,
             **criteria: Unpack[RequestCriteria]) -> Stub:
        """Declare a stub for this test (see :meth:`StubApp.stub`); chain ``.respond(...)``."""
        return self._stub_app().stub(method, path, times=times, priority=priority, **criteria)

    def load_stubs(self, path: str | os.PathLike) -> list[Stub]:
        """Declare this test's stubs from a JSON file (see :meth:`StubApp.load`)."""
        return self._stub_app().load(path)

    def save_stubs(self, path: str | os.PathLike, **options: Unpack[SnapshotOptions]) -> int:
        """Write this test's exchanges as a stub file that replays them (see :meth:`Recorder.save_stubs`)."""
        return self.recorder.save_stubs(path, **options)
