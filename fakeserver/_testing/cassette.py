"""Cassettes: each test's exchanges with a real service, recorded once and replayed offline.

A cassette is a stub file per test. Depending on the record mode, a test
replays it (its entries declared as stubs), records into it (a stub of the
lowest priority proxies to the upstream, and what it answered is written
when the test passed), or both. :class:`Cassette` does that for one test
and one server, for the unittest mixin (:class:`Cassettes`, which
``ServerTestCase`` inherits) and the pytest ``fake_upstream`` fixture
alike. Knows nothing of sockets, and imports no pytest.
"""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Mapping

from .._journal.redaction import reveal
from .._journal.snapshot import SnapshotOptions, render_entries, snapshot_entries, write_text
from .._upstream.proxy import ProxyApp
from ..stubs.files import declare_stubs, read_stub_file

if TYPE_CHECKING:
    from .._journal.records import RecordedRequest
    from ..stubs.app import Stub, StubApp

__all__ = ["ENVIRONMENT_VARIABLE", "RECORD_MODES", "Cassette", "Cassettes", "MissingCassette",
           "cassette_path", "has_passed", "record_mode"]

__unittest = True  # hide this module's frames from test failure tracebacks

#: ``none`` replays only; ``once`` records a missing cassette, else replays;
#: ``new`` replays what matches and records the rest; ``all`` records anew.
RECORD_MODES = ("none", "once", "new", "all")
#: The variable giving the record mode when the test does not.
ENVIRONMENT_VARIABLE = "FAKESERVER_RECORD"
#: The priority of the stub that records: below any a test declares, so that
#: its stubs (and the cassette's entries) answer first.
_RECORDING_PRIORITY = -(1 << 30)


def record_mode(setting: str | None) -> str:
    """The record mode: *setting*, else ``$FAKESERVER_RECORD``, else ``none``.

    Raises ValueError naming the modes for any other value.
    """
    source = "record mode"
    if setting is None:
        setting, source = os.environ.get(ENVIRONMENT_VARIABLE) or "none", ENVIRONMENT_VARIABLE
    mode = setting.strip().lower()
    if mode not in RECORD_MODES:
        raise ValueError(f"{source} must be one of {', '.join(RECORD_MODES)}, not {setting!r}")
    return mode


def cassette_path(test_file: str | None, folder: str, *names: str) -> str:
    """Where a test's cassette is: in *folder* (relative to the folder of *test_file*, or
    of the current directory without one), named by *names* joined by dots (unsafe
    characters as ``_``) and ``.json``."""
    base = os.path.dirname(os.path.abspath(test_file)) if test_file else os.getcwd()
    name = ".".join(re.sub(r"[^\w.\[\]-]", "_", part) for part in names) + ".json"
    return os.path.join(base, folder, name)


def has_passed(case: Any) -> bool:
    """True unless the unittest *case* running now has failed, errored or skipped so far.

    Its ``_outcome`` (3.9 to 3.13 all keep ``success`` and ``expectedFailure``
    there) says so between the parts of a test, as in ``doCleanups``; not
    within one: each part, and each cleanup, starts with ``success`` true. A
    case run by ``debug()`` has no outcome, and would have raised before its
    cleanups. An expected failure is not a pass.
    """
    outcome = getattr(case, "_outcome", None)
    if outcome is None:
        return True
    return bool(outcome.success) and not getattr(outcome, "expectedFailure", None)


class MissingCassette(AssertionError):
    """In record mode ``none``, the test has no cassette to replay."""


class Cassette:
    """One test's cassette at *path* on one server's stubs, in record *mode*.

    :meth:`begin` declares what the test replays and, when it records, the
    stub that proxies through *proxy*; :meth:`finish` writes the file.
    *options* are those of ``save_stubs``; their secrets are put back into
    the entries replayed, so that requests carrying the real values match.
    *record_hint* ends the message of a missing cassette: how to record it.
    """

    def __init__(self, path: str, mode: str, proxy: ProxyApp, options: SnapshotOptions,
                 record_hint: str) -> None:
        self.path = path
        self.mode = mode
        self.proxy = proxy
        self.options = options
        self.record_hint = record_hint
        #: True when this test's exchanges with the upstream are to be written.
        self.recording = False
        self._entries: list[Any] = []
        self._recorder_stub: Stub | None = None

    def begin(self, stubs: StubApp) -> None:
        """Declare this test's entries and recording stub on *stubs*.

        Raises :class:`MissingCassette` in mode ``none`` without a file,
        ValueError for a file that is no valid stub file.
        """
        exists = os.path.exists(self.path)
        if self.mode == "none" and not exists:
            raise MissingCassette(
                f"No cassette at {self.path}: record mode 'none' only replays. Record it from "
                f"{self.proxy.upstream} {self.record_hint}.")
        if exists and self.mode != "all":
            self._entries = read_stub_file(self.path)
            declare_stubs(stubs, reveal(self._entries, self.options.get("secrets") or {}),
                          self.path)
        self.recording = self.mode == "all" or self.mode == "new" or not exists
        if self.recording:
            self._recorder_stub = stubs.stub(priority=_RECORDING_PRIORITY).proxy(self.proxy)

    def finish(self, requests: Iterable[RecordedRequest], passed: bool) -> None:
        """Write the exchanges the upstream answered (after the replayed entries, in mode
        ``new``), if this test records and *passed*; creates the folder if need be."""
        if not (self.recording and passed):
            return
        recorded = [request for request in requests if request.stub is self._recorder_stub]
        if self.mode == "new" and self._entries and not recorded:
            return  # nothing to add: leave the file untouched
        entries = snapshot_entries(recorded, **self.options)
        folder = os.path.dirname(self.path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        write_text(self.path, render_entries(self._entries + entries))


class Cassettes:
    """The cassette settings of a unittest mixin, and the calls that record and replay.

    ``ServerTestCase`` inherits it: with ``upstream`` set, each test replays
    its cassette ``<cassette_dir>/<ClassName>.<test_method>.json``, records
    it, or both, as the record mode says, and writes it only if it passed.
    """

    # Configuration (override per subclass)
    #: The real service to record from, e.g. ``"https://api.github.com"``
    #: (None: no cassettes). The server then serves stubs: leave ``app`` unset.
    upstream: str | None = None
    #: The folder of the cassettes, relative to the test module's folder.
    cassette_dir: str = "cassettes"
    #: ``"none"``, ``"once"``, ``"new"`` or ``"all"``; None: ``$FAKESERVER_RECORD``,
    #: else ``"none"`` (replay only).
    record_mode: str | None = None
    #: Header names replay matches on (the others are kept in the file only).
    match_headers: Iterable[str] = ()
    #: Headers, query parameters (and form fields) and JSON keys whose values
    #: the cassettes show as ``"<redacted>"`` (credential headers always are).
    redact_headers: Iterable[str] = ()
    redact_query: Iterable[str] = ()
    redact_json: Iterable[str] = ()
    #: ``{placeholder: secret}``: each secret is written as its placeholder, and
    #: put back when the cassette is replayed.
    secrets: Mapping[str, str] | None = None

    # State
    _upstream_proxy: ClassVar[ProxyApp | None] = None
    stubs: StubApp | None
    #: Whether setUp, the test and tearDown passed, noted by :meth:`doCleanups`.
    _passed_before_cleanups: bool = True

    def doCleanups(self) -> Any:
        """Note whether the test passed so far, then run the cleanups as unittest does.

        The cassette's cleanup cannot tell by itself: unittest runs each
        cleanup as a part of its own, whose outcome starts afresh.
        """
        self._passed_before_cleanups = has_passed(self)
        return super().doCleanups()  # type: ignore[misc]

    @classmethod
    def _open_upstream(cls, app_setting: Any) -> None:
        """Make the class's :class:`ProxyApp`, closed by a class cleanup (from ``setUpClass``).

        Raises TypeError when *app_setting* (the ``app`` setting) is not None.
        """
        if cls.upstream is None:
            cls._upstream_proxy = None
            return
        if app_setting is not None:
            raise TypeError(f"{cls.__name__} sets both app and upstream: cassettes replay "
                            f"through stubs, so leave app unset")
        cls._upstream_proxy = ProxyApp(cls.upstream)
        cls.addClassCleanup(cls._upstream_proxy.close)  # type: ignore[attr-defined]

    def _begin_cassette(self) -> None:
        """Replay or record this test's cassette (from ``setUp``), written by a cleanup.

        Called after the server-side check registered its cleanup, so that
        this one runs first, and checks the server side itself.
        """
        proxy, stubs = self._upstream_proxy, self.stubs
        if proxy is None or stubs is None:
            return
        path = cassette_path(getattr(sys.modules.get(type(self).__module__), "__file__", None),
                             self.cassette_dir, type(self).__name__,
                             self._testMethodName)  # type: ignore[attr-defined]
        cassette = Cassette(
            path, record_mode(self.record_mode), proxy, self._snapshot_options(),
            f'with {ENVIRONMENT_VARIABLE}=once in the environment, or record_mode = "once" '
            f"on {type(self).__name__}")
        try:
            cassette.begin(stubs)
        except MissingCassette as missing:
            raise self.failureException(str(missing)) from None  # type: ignore[attr-defined]
        self.addCleanup(self._end_cassette, cassette)  # type: ignore[attr-defined]

    def _end_cassette(self, cassette: Cassette) -> None:
        """Write the cassette, if the test recorded and passed, the server side included."""
        passed = (self._passed_before_cleanups
                  and self._server_side_problems() is None)  # type: ignore[attr-defined]
        cassette.finish(self.requests, passed)  # type: ignore[attr-defined]

    def _snapshot_options(self) -> SnapshotOptions:
        return SnapshotOptions(match_headers=self.match_headers,
                               redact_headers=self.redact_headers,
                               redact_query=self.redact_query, redact_json=self.redact_json,
                               secrets=self.secrets or {})
