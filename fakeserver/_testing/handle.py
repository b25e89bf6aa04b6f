"""FakeServer: a recording server with snake_case assertions, as the pytest fixtures give it.

The ``fake_http`` and ``fake_server_factory`` fixtures create, reset and
stop these; everything a test does with one is here, worded as
``ServerTestCase`` words it (the two share :class:`ServedApp` and the
request checks). Imports no pytest, and knows nothing of sockets.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from . import checks
from .base import HandleBase
from .served import ServedApp
from .._journal.recorder import Recorder
from .._journal.records import RecordedRequest
from .._targets import check_target
from .._http.runner import AppRunner
from ..stubs.app import StubApp
from ..tls import CA_FILE

if TYPE_CHECKING:
    from .._matching import ExchangeCriteria, PathSpec

    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = ["FakeServer"]

_Handle = TypeVar("_Handle", bound="FakeServer")


class FakeServer(ServedApp, HandleBase):
    """A running server recording every exchange; you get one from ``fake_http`` or ``fake_server_factory``.

    Serves *app* (any WSGI callable), or when *app* is None the stubs
    declared with :meth:`stub` and nothing else: a request no stub matches
    fails the test, even when none is declared. Assertions raise
    ``AssertionError`` with the same text as ``ServerTestCase``'s. The
    journal is thread-safe; the fixtures reset it before each test.
    """

    #: How many recorded requests a failure message lists (None: all).
    max_requests_shown: int | None = 10
    #: Let requests that no stub matched pass instead of failing the test (reset per test).
    allow_unmatched_requests: bool = False
    #: The CA that signed the bundled certificate, for clients' ``verify=``/``cafile=``.
    ca_file: str = CA_FILE

    # How reports and errors name the settings
    _requests_shown = "max_requests_shown"
    _no_stubs = "this server serves app={app!r}; stubs are served only when no app is given"
    _how_to_stub = ("No stubs are declared: declare one with .stub(...) on the fake server, or "
                    "serve app=fakeserver.demo_app to accept any request.")

    def __init__(self, app: Callable[..., Any] | None = None, *, tls: bool = False,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        #: The WSGI app served (a :class:`StubApp` when none was given).
        self.app = app if app is not None else StubApp()
        #: The StubApp served, or None when serving an app of your own.
        self.stubs = self.app if isinstance(self.app, StubApp) else None
        self.recorder = Recorder(self.app)
        #: The :class:`AppRunner` (bound now; serving after :meth:`start`).
        self.server = AppRunner(self.recorder, host, port, tls=tls)

    def start(self: _Handle) -> _Handle:
        """Start serving; returns the server itself."""
        self.server.start()
        return self

    def stop(self) -> None:
        """Stop serving (cutting short a delayed or dribbling stub) and forget the journal.

        Idempotent and prompt.
        """
        self.server.stop()
        self.recorder.clear()

    def reset(self) -> None:
        """Begin a new test: an empty journal, no stubs, no errors, default settings."""
        self._begin_test()
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
    def errors(self) -> list[BaseException]:
        """The exceptions the app raised during this test."""
        return self.server.errors[self._first_error:]

    #: What went wrong on the server's side in this test (app errors, unmatched
    #: requests), or None; the plugin fails the test with it.
    problems = ServedApp._server_side_problems

    # -- assertions ---------------------------------------------------------------------

    def assert_requested(self, path: PathSpec | None, method: str | None = None, *,
                         count: int | None = None, timeout: float | None = None,
                         **criteria: Unpack[ExchangeCriteria]) -> RecordedRequest | None:
        """Raise unless at least one (or exactly *count*) recorded requests match; return the latest.

        Matching and *timeout* as ``ServerTestCase.assertRequested``.
        """
        __tracebackhide__ = True
        match, report = self._requested("assert_requested", path, method, count, timeout,
                                        **criteria)
        self._check(report)
        return match

    def wait_for_request(self, path: PathSpec | None = None, method: str | None = None,
                         *, timeout: float = 5.0,
                         **criteria: Unpack[ExchangeCriteria]) -> RecordedRequest:
        """Block until a matching request is recorded and return it, as ``waitForRequest`` does.

        Raises ``AssertionError`` with the near-miss report after *timeout* seconds.
        """
        __tracebackhide__ = True
        match, report = self._requested("wait_for_request", path, method, None, timeout,
                                        first=True, **criteria)
        self._check(report)
        assert match is not None  # a check for at least one request passed
        return match

    def assert_not_requested(self, path: PathSpec | None, method: str | None = None,
                             **criteria: Unpack[ExchangeCriteria]) -> None:
        """Raise if any recorded request matches (same matching as :meth:`assert_requested`)."""
        __tracebackhide__ = True
        check_target("assert_not_requested", path, method)
        self._check(checks.not_requested(self.requests, path, method, style=self._request_style,
                                         **criteria))

    def assert_request_count(self, expected: int) -> None:
        """Raise unless exactly *expected* requests were recorded in this test."""
        __tracebackhide__ = True
        self._check(checks.request_count(self.requests, expected, style=self._request_style))

    def assert_requests_in_order(self, *expected: tuple[str, str] | str) -> None:
        """Raise unless requests matching each ``(method, path)`` (or path) came in this order."""
        __tracebackhide__ = True
        self._check(checks.requests_in_order(self.requests, expected, style=self._request_style))

    def scenario_state(self, name: str) -> str:
        """The state of scenario *name* (``"Started"`` until a stub or the test moves it)."""
        return self._stub_app().scenario_state(name)

    def set_scenario_state(self, name: str, state: str) -> None:
        """Move scenario *name* to *state* for the rest of this test."""
        self._stub_app().set_scenario_state(name, state)

    def assert_scenario_state(self, name: str, state: str) -> None:
        """Raise unless scenario *name* is in *state*."""
        __tracebackhide__ = True
        self._check(checks.scenario_state(self._stub_app().scenarios, name, state))

    def assert_all_stubs_used(self) -> None:
        """Raise naming every stub of this test that answered no request."""
        __tracebackhide__ = True
        self._check(checks.all_stubs_used(self._stub_app().stubs, self.requests,
                                          style=self._request_style))

    def __repr__(self) -> str:
        return f"<FakeServer {self.url} app={self.app!r}>"
