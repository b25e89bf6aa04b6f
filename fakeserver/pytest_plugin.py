"""pytest fixtures: real local servers for client code, with the mixin's assertions in snake_case.

Registered through the ``pytest11`` entry point, so installing fakeserver
is enough (in a checkout: ``pytest -p fakeserver.pytest_plugin``). This is
the only module that imports pytest, and only pytest imports it.

- ``fake_http``: a recording server answering from stubs; one per session
  (per xdist worker), its journal and stubs fresh for each test.
- ``fake_server_factory(app=None, *, tls=False)``: more servers in one test,
  stopped when it ends.
- ``fake_pypi``: a fresh package index for each test; ``fake_smtp``: the
  mail server, its outbox and settings fresh for each test.
- ``fake_proxy``: a forward proxy faking whole hosts (``fakeserver.proxy``);
  one per session, its routes and journal fresh for each test, which runs
  with ``os.environ`` pointing clients at it.

Assertions word their failures with the engine of the unittest mixins
(``_checks``, ``_smtp_checks``, ``_pypi_checks``). App exceptions and
requests no stub matched fail the test that caused them: a hook turns its
passing report into a failure, or adds a section to a failing one, so that
pytest reports a failed test rather than an error in teardown.
"""

from __future__ import annotations

import os
import re
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Callable, Generator, Iterator, Sequence, TypeVar

import pytest

from ._testing import checks
from .pypi.checks import not_uploaded, uploaded
from .pypi.files import DistributionFile
from .pypi.index import PackageIndex
from .pypi.testing import IndexUnderTest
from .proxy.handle import FakeProxyHandle
from ._journal.recorder import Recorder
from ._journal.records import RecordedRequest
from ._http.runner import AppRunner, demo_app
from .smtp.checks import mail_sent, no_mail_sent
from .smtp.server import SETTINGS, ReceivedMessage, SMTPServer
from .stubs.app import Stub, StubApp
from .tls import CA_FILE

if TYPE_CHECKING:
    from pluggy import Result

__all__ = ["FakePackageIndex", "FakeSMTPServer", "FakeServer"]

_Handle = TypeVar("_Handle", bound="FakeServer")


def _hint(setting: str) -> str:
    """How a long failure report tells the reader to list everything."""
    return f"set {setting} = None on the fake server to see all"


_HINT = _hint("max_requests_shown")
_ALLOW_HINT = "set allow_unmatched_requests = True on the fake server to allow it"


def _check(report: str | None) -> None:
    """Raise ``AssertionError`` with *report*, unless it is None."""
    __tracebackhide__ = True
    if report is not None:
        raise AssertionError(report)


class FakeServer:
    """A running server recording every exchange; you get one from ``fake_http`` or ``fake_server_factory``.

    Serves *app* (any WSGI callable), or stubs declared with :meth:`stub`
    when *app* is None (which answer like the demo app while none is
    declared). Assertions raise ``AssertionError`` with the same text as
    ``ServerTestCase``'s. The journal is thread-safe; the fixtures reset it
    before each test.
    """

    #: How many recorded requests a failure message lists (None: all).
    max_requests_shown: int | None = 10
    #: Let requests that no stub matched pass instead of failing the test (reset per test).
    allow_unmatched_requests: bool = False
    #: The CA that signed the bundled certificate, for clients' ``verify=``/``cafile=``.
    ca_file: str = CA_FILE

    def __init__(self, app: Callable[..., Any] | None = None, *, tls: bool = False,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        #: The WSGI app served (a :class:`StubApp` when none was given).
        self.app = app if app is not None else StubApp(fallback=demo_app)
        #: The StubApp served, or None when serving an app of your own.
        self.stubs = self.app if isinstance(self.app, StubApp) else None
        self.recorder = Recorder(self.app)
        #: The :class:`AppRunner` (bound now; serving after :meth:`start`).
        self.server = AppRunner(self.recorder, host, port, tls=tls)
        self._first_error = 0

    def start(self: _Handle) -> _Handle:
        """Start serving; returns the server itself."""
        self.server.start()
        return self

    def stop(self) -> None:
        """Stop serving and forget the journal; idempotent and prompt."""
        if self.stubs is not None:
            self.stubs.interrupt()  # a delayed or dribbling stub must not hold up stop()
        self.server.stop()
        self.recorder.clear()

    def reset(self) -> None:
        """Begin a new test: an empty journal, no stubs, no errors, default settings."""
        self.recorder.clear()
        if self.stubs is not None:
            self.stubs.reset()
        self._first_error = len(self.server.errors)
        vars(self).pop("allow_unmatched_requests", None)
        vars(self).pop("max_requests_shown", None)

    # -- where and what ------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:PORT`` (``https`` with TLS)."""
        return self.server.url

    def url_for(self, path: str = "/") -> str:
        """The absolute URL of *path* on this server."""
        return self.url + (path if path.startswith("/") else "/" + path)

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)``."""
        return self.server.address

    @property
    def requests(self) -> list[RecordedRequest]:
        """This test's recorded requests, oldest first (exchanges in progress waited for)."""
        return self.recorder.settle()

    @property
    def errors(self) -> list[BaseException]:
        """The exceptions the app raised during this test."""
        return self.server.errors[self._first_error:]

    def problems(self) -> str | None:
        """What went wrong on the server's side in this test (app errors, unmatched requests)."""
        self.recorder.settle()
        unmatched = self.stubs.unmatched if self.stubs is not None else []
        return checks.server_side_problems(
            self.errors, [] if self.allow_unmatched_requests else unmatched, self.stubs,
            limit=self.max_requests_shown, allow_hint=_ALLOW_HINT)

    # -- stubs -------------------------------------------------------------------------

    def _stub_app(self) -> StubApp:
        if self.stubs is None:
            raise TypeError(f"this server serves app={self.app!r}; stubs are served only "
                            "when no app is given")
        return self.stubs

    def stub(self, method: str | None = None, path: Any = None, **criteria: Any) -> Stub:
        """Declare a stub for this test (see :meth:`StubApp.stub`); chain ``.respond(...)``."""
        return self._stub_app().stub(method, path, **criteria)

    def load_stubs(self, path: str | os.PathLike) -> list[Stub]:
        """Declare this test's stubs from a JSON file (see :meth:`StubApp.load`)."""
        return self._stub_app().load(path)

    # -- assertions ---------------------------------------------------------------------

    def assert_requested(self, path: str | re.Pattern | None, method: str | None = None, *,
                         query: Any = None, headers: Any = None, body: bytes | str | None = None,
                         json: Any = None, form: Any = None, status: int | None = None,
                         count: int | None = None) -> RecordedRequest | None:
        """Raise unless at least one (or exactly *count*) recorded requests match; return the latest.

        Matching as ``ServerTestCase.assertRequested``.
        """
        __tracebackhide__ = True
        match, report = checks.requested(self.requests, path, method, query=query,
                                         headers=headers, body=body, json=json, form=form,
                                         status=status, count=count,
                                         limit=self.max_requests_shown, hint=_HINT)
        _check(report)
        return match

    def assert_not_requested(self, path: str | re.Pattern | None, method: str | None = None, *,
                             query: Any = None, headers: Any = None,
                             body: bytes | str | None = None, json: Any = None, form: Any = None,
                             status: int | None = None) -> None:
        """Raise if any recorded request matches (same matching as :meth:`assert_requested`)."""
        __tracebackhide__ = True
        _check(checks.not_requested(self.requests, path, method, query=query,
                                    headers=headers, body=body, json=json, form=form,
                                    status=status, limit=self.max_requests_shown,
                                    hint=_HINT))

    def assert_request_count(self, expected: int) -> None:
        """Raise unless exactly *expected* requests were recorded in this test."""
        __tracebackhide__ = True
        _check(checks.request_count(self.requests, expected,
                                    limit=self.max_requests_shown, hint=_HINT))

    def assert_requests_in_order(self, *expected: tuple[str, str] | str) -> None:
        """Raise unless requests matching each ``(method, path)`` (or path) came in this order."""
        __tracebackhide__ = True
        _check(checks.requests_in_order(self.requests, expected,
                                        limit=self.max_requests_shown, hint=_HINT))

    def assert_all_stubs_used(self) -> None:
        """Raise naming every stub of this test that answered no request."""
        __tracebackhide__ = True
        stubs = self._stub_app().stubs
        _check(checks.all_stubs_used(stubs, self.requests, limit=self.max_requests_shown,
                                     hint=_HINT))

    def __repr__(self) -> str:
        return f"<FakeServer {self.url} app={self.app!r}>"


class FakePackageIndex(IndexUnderTest, FakeServer):
    """A :class:`FakeServer` serving a fresh :class:`PackageIndex`; you get one from ``fake_pypi``.

    Besides the request assertions, :meth:`assert_uploaded` and
    :meth:`assert_not_uploaded` word their failures as
    ``PackageIndexTestCase``'s; ``uploads``, ``twine_env()``, ``pip_env()``
    and ``pypirc()`` are the mixin's too.
    """

    #: How many uploads a failure message lists (None: all).
    max_uploads_shown: int | None = 10

    def __init__(self, root: str | os.PathLike | None = None, *,
                 users: dict[str, str] | None = None) -> None:
        #: The index itself: ``files``, ``add()``, ``remove()``.
        self.index = PackageIndex(root, users=users)
        self._index_mark = self.index.last_serial  # files from *root* are no uploads
        super().__init__(self.index)
        #: The simple repository URL: pip's ``--index-url``.
        self.index_url = self.url + "/simple/"
        #: The legacy upload URL: twine's ``--repository-url``.
        self.upload_url = self.url + "/legacy/"

    def assert_uploaded(self, name: str, version: str | None = None,
                        filetype: str | None = None) -> DistributionFile | None:
        """Raise unless a file of project *name* arrived; return the latest such upload.

        Matching as ``PackageIndexTestCase.assertUploaded``.
        """
        __tracebackhide__ = True
        match, report = uploaded(self.uploads, name, version, filetype,
                                 limit=self.max_uploads_shown, hint=_hint("max_uploads_shown"))
        _check(report)
        return match

    def assert_not_uploaded(self, name: str, version: str | None = None,
                            filetype: str | None = None) -> None:
        """Raise if a matching file arrived (same matching as :meth:`assert_uploaded`)."""
        __tracebackhide__ = True
        _check(not_uploaded(self.uploads, name, version, filetype,
                            limit=self.max_uploads_shown, hint=_hint("max_uploads_shown")))


class FakeSMTPServer(SMTPServer):
    """An :class:`~fakeserver.smtp.SMTPServer` with assertions; you get one from ``fake_smtp``.

    :meth:`assert_mail_sent` and :meth:`assert_no_mail_sent` word their
    failures as ``SMTPServerTestCase``'s.
    """

    #: How many sent messages a failure message lists (None: all; reset per test).
    max_messages_shown: int | None = 10

    @property
    def outbox(self) -> list[ReceivedMessage]:
        """The messages sent during this test, oldest first (a copy; thread-safe)."""
        return self.messages

    def assert_mail_sent(self, to: str | Sequence[str] | None = None, sender: str | None = None,
                         subject: str | None = None,
                         count: int | None = None) -> EmailMessage | None:
        """Raise unless at least one (or exactly *count*) sent messages match; return the latest.

        Matching as ``SMTPServerTestCase.assertMailSent``; the parsed message
        is returned (None when *count* is 0), its envelope is in :attr:`outbox`.
        """
        __tracebackhide__ = True
        match, report = mail_sent(self.messages, to, sender, subject, count,
                                  limit=self.max_messages_shown, hint=_hint("max_messages_shown"))
        _check(report)
        return match.message if match is not None else None

    def assert_no_mail_sent(self) -> None:
        """Raise if any message was sent during this test, listing them."""
        __tracebackhide__ = True
        _check(no_mail_sent(self.messages, limit=self.max_messages_shown,
                            hint=_hint("max_messages_shown")))


# -- failing the test that caused a server-side problem -----------------------------------

_WATCHED = pytest.StashKey[list]()


def _watch(request: pytest.FixtureRequest, handle: FakeServer | FakeProxyHandle) -> None:
    """Have the test of *request* fail for *handle*'s app errors and unmatched requests."""
    request.node.stash.setdefault(_WATCHED, []).append(handle)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, Result[pytest.TestReport], None]:
    """Fail the test (not its teardown) when a server it used saw a problem during it."""
    outcome = yield
    if call.when != "call":
        return
    found = [problem for problem in (handle.problems() for handle in item.stash.get(_WATCHED, []))
             if problem is not None]
    report = outcome.get_result()
    if not found or report.skipped or hasattr(report, "wasxfail"):
        return
    text = "\n\n".join(found)
    if report.passed:
        report.outcome = "failed"
        report.longrepr = f"fakeserver: {text}"
    else:
        report.sections.append(("fakeserver: server side", text))


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


@pytest.fixture(scope="session")
def _fake_proxy_session() -> Iterator[FakeProxyHandle]:
    with FakeProxyHandle() as proxy:
        yield proxy


@pytest.fixture
def fake_proxy(_fake_proxy_session: FakeProxyHandle,
               request: pytest.FixtureRequest) -> Iterator[FakeProxyHandle]:
    """The session's forward proxy, no host routed yet, with ``os.environ`` pointing clients at it.

    ``fake_proxy.stub("GET", "https://api.github.com/user")`` fakes a host;
    ``fake_proxy.env()`` is the environment for a subprocess.
    """
    proxy = _fake_proxy_session
    proxy.reset()
    _watch(request, proxy)
    with proxy.patch_env():
        yield proxy
    proxy.reset()  # release this test's bodies now
