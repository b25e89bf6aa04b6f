"""pytest fixtures: real local servers for client code, with the mixin's assertions in snake_case.

Registered through the ``pytest11`` entry point, so installing fakeserver
is enough (in a checkout: ``pytest -p fakeserver.pytest_plugin``). This is
the only module that imports pytest, and only pytest imports it. It holds
only fixtures and hooks; what they give is a :class:`FakeServer`, a
:class:`FakePackageIndex` or a :class:`FakeSMTPServer`.

- ``fake_http``: a recording server answering from stubs; one per session
  (per xdist worker), its journal and stubs fresh for each test.
- ``fake_server_factory(app=None, *, tls=False)``: more servers in one test,
  stopped when it ends.
- ``fake_pypi``: a fresh package index for each test; ``fake_smtp``: the
  mail server, its outbox and settings fresh for each test.
- ``fake_upstream(url, **options)``: a server replaying (or recording,
  ``--fakeserver-record``) this test's cassette of a real service, in the
  folder of the ini option ``fakeserver_cassette_dir``.

Assertions word their failures as the unittest mixins do. App exceptions
and requests no stub matched fail the test that caused them: a hook turns
its passing report into a failure, or adds a section to a failing one, so
that pytest reports a failed test rather than an error in teardown.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable, Generator, Iterator

import pytest

from ._testing.cassette import (
    ENVIRONMENT_VARIABLE, RECORD_MODES, Cassette, MissingCassette, cassette_path, record_mode,
)
from ._testing.handle import FakeServer
from ._upstream.proxy import ProxyApp
from .pypi.handle import FakePackageIndex
from .smtp.handle import FakeSMTPServer
from .smtp.server import SETTINGS

if TYPE_CHECKING:
    from pluggy import Result

    from ._journal.snapshot import SnapshotOptions

    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = ["FakePackageIndex", "FakeSMTPServer", "FakeServer"]


# -- failing the test that caused a server-side problem -----------------------------------

_WATCHED = pytest.StashKey[list]()
_CASSETTES = pytest.StashKey[list]()


def _watch(request: pytest.FixtureRequest, handle: FakeServer) -> None:
    """Have the test of *request* fail for *handle*'s app errors and unmatched requests."""
    request.node.stash.setdefault(_WATCHED, []).append(handle)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, Result[pytest.TestReport], None]:
    """Fail the test (not its teardown) when a server it used saw a problem during it;
    then write the cassettes it recorded, if it passed."""
    outcome = yield
    if call.when != "call":
        return
    report = outcome.get_result()
    _fail_for_problems(item, report)
    for cassette, handle in item.stash.get(_CASSETTES, []):
        cassette.finish(handle.requests, report.passed)


def _fail_for_problems(item: pytest.Item, report: pytest.TestReport) -> None:
    found = [problem for problem in (handle.problems() for handle in item.stash.get(_WATCHED, []))
             if problem is not None]
    if not found or report.skipped or hasattr(report, "wasxfail"):
        return
    text = "\n\n".join(found)
    if report.passed:
        report.outcome = "failed"
        report.longrepr = f"fakeserver: {text}"
    else:
        report.sections.append(("fakeserver: server side", text))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fakeserver-record", choices=RECORD_MODES, default=None,
                     help=f"how fake_upstream uses cassettes: none replays only, once records "
                          f"the missing ones, new records what they lack, all records anew "
                          f"(default: ${ENVIRONMENT_VARIABLE}, else none)")
    parser.addini("fakeserver_cassette_dir", default="cassettes",
                  help="the folder of fake_upstream's cassettes, relative to each test "
                       "module's folder (default: cassettes)")


# -- fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def _fake_http_session() -> Iterator[FakeServer]:
    server = FakeServer().start()
    yield server
    server.stop()


@pytest.fixture
def fake_http(_fake_http_session: FakeServer, request: pytest.FixtureRequest) -> Iterator[FakeServer]:
    """A running recording server answering from this test's stubs (one per session, reset per test)."""
    _fake_http_session.reset()
    _watch(request, _fake_http_session)
    yield _fake_http_session
    _fake_http_session.reset()  # release this test's bodies now


@pytest.fixture
def fake_server_factory(request: pytest.FixtureRequest) -> Callable[..., FakeServer]:
    """``make(app=None, *, tls=False)``: start another :class:`FakeServer`, stopped after the test."""
    def make(app: Callable[..., Any] | None = None, *, tls: bool = False) -> FakeServer:
        handle = FakeServer(app, tls=tls)
        request.addfinalizer(handle.stop)
        _watch(request, handle)
        return handle.start()
    return make


@pytest.fixture
def fake_upstream(request: pytest.FixtureRequest) -> Callable[..., FakeServer]:
    """``fake_upstream(url, **options)``: a server replaying this test's cassette of *url*.

    Stub it and assert on it as on ``fake_http``. The cassette is
    ``<fakeserver_cassette_dir>/<Class or module>.<test>.json`` (``.2.json``
    for a second upstream); ``--fakeserver-record`` (or ``$FAKESERVER_RECORD``)
    says whether to replay it (``none``, the default), record it when
    missing (``once``), add what it lacks (``new``) or record it anew
    (``all``); a recording is written only if the test passed. *options* are
    those of ``save_stubs`` (``match_headers``, ``redact_headers``,
    ``redact_query``, ``redact_json``, ``secrets``).
    """
    def make(url: str, **options: Unpack[SnapshotOptions]) -> FakeServer:
        __tracebackhide__ = True
        proxy = ProxyApp(url)
        request.addfinalizer(proxy.close)
        handle = FakeServer()
        request.addfinalizer(handle.stop)
        _watch(request, handle)
        opened = request.node.stash.setdefault(_CASSETTES, [])
        owner = request.cls.__name__ if request.cls is not None else request.path.stem
        names = [owner, request.node.name] + ([str(len(opened) + 1)] if opened else [])
        cassette = Cassette(
            cassette_path(str(request.path), request.config.getini("fakeserver_cassette_dir"),
                          *names),
            record_mode(request.config.getoption("fakeserver_record")), proxy, options,
            f"with --fakeserver-record=once (or {ENVIRONMENT_VARIABLE}=once in the environment)")
        try:
            cassette.begin(handle.start().stubs)  # type: ignore[arg-type]  # it serves stubs
        except MissingCassette as missing:
            failure = str(missing)
        else:
            opened.append((cassette, handle))
            return handle
        pytest.fail(failure, pytrace=False)
        return handle
    return make


@pytest.fixture
def fake_pypi(request: pytest.FixtureRequest) -> Iterator[FakePackageIndex]:
    """A fresh, empty package index for this test (anyone may upload)."""
    handle = FakePackageIndex().start()
    _watch(request, handle)
    yield handle
    handle.stop()


@pytest.fixture(scope="session")
def _fake_smtp_session() -> Iterator[FakeSMTPServer]:
    with FakeSMTPServer() as server:
        yield server


@pytest.fixture
def fake_smtp(_fake_smtp_session: FakeSMTPServer) -> Iterator[FakeSMTPServer]:
    """The session's :class:`FakeSMTPServer` with an empty outbox; settings a test
    reassigns (``users``, ``fail_with``, ``max_messages_shown``, ...) are put back after it."""
    server = _fake_smtp_session
    server.clear()
    saved = {name: getattr(server, name) for name in SETTINGS}
    yield server
    for name, value in saved.items():
        setattr(server, name, value)
    vars(server).pop("max_messages_shown", None)
    server.clear()
