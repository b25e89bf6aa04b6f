"""FakeProxyHandle: the proxy with snake_case assertions, as the ``fake_proxy`` fixture gives it.

Owns the pytest face of the proxy without importing pytest: resetting the
proxy between tests, the server-side problems a test caused (which the
plugin turns into its failure), and ``assert_requested`` and friends,
worded by ``_checks`` exactly as ``FakeProxyTestCase``'s assertions are.
"""

from __future__ import annotations

from typing import Any

from .._journal.records import RecordedRequest
from . import _checks
from ._checks import URL
from .server import FakeProxy

__all__ = ["FakeProxyHandle"]

_HINT = "set max_requests_shown = None on the fake proxy to see all"
_ALLOW_HINT = "set allow_unmatched_requests = True on the fake proxy to allow it"


def _check(report: str | None) -> None:
    """Raise ``AssertionError`` with *report*, unless it is None."""
    __tracebackhide__ = True
    if report is not None:
        raise AssertionError(report)


class FakeProxyHandle(FakeProxy):
    """A running :class:`FakeProxy` with assertions; you get one from ``fake_proxy``.

    The fixture resets it before each test (:meth:`reset`: no routes, no
    stubs, an empty journal, default settings) and patches ``os.environ``
    while the test runs. Assertions raise ``AssertionError`` with the text
    of ``FakeProxyTestCase``'s.
    """

    #: How many recorded requests a failure message lists (None: all; reset per test).
    max_requests_shown: int | None = 10
    #: Let requests that no stub matched pass instead of failing the test (reset per test).
    allow_unmatched_requests: bool = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._first_error = 0

    def reset(self) -> None:
        """Begin a new test: no routes or stubs, an empty journal, no errors, default settings."""
        self.routes.restore({})
        self.clear()
        self._first_error = len(self.errors)
        vars(self).pop("allow_unmatched_requests", None)
        vars(self).pop("max_requests_shown", None)

    def problems(self) -> str | None:
        """What went wrong on the proxy's side in this test (app errors, unmatched requests)."""
        unmatched = [] if self.allow_unmatched_requests else self.unmatched
        return _checks.server_side_problems(self.routes, self.errors[self._first_error:],
                                            unmatched, limit=self.max_requests_shown,
                                            allow_hint=_ALLOW_HINT)

    # -- assertions ---------------------------------------------------------------------

    def assert_requested(self, url: URL, method: str | None = None,
                         **criteria: Any) -> RecordedRequest | None:
        """Raise unless one (or exactly ``count=``) recorded requests match; return the latest.

        Matching as ``FakeProxyTestCase.assertRequested``: full URLs.
        """
        __tracebackhide__ = True
        match, report = _checks.requested(self.requests, url, method,
                                          limit=self.max_requests_shown, hint=_HINT, **criteria)
        _check(report)
        return match

    def assert_not_requested(self, url: URL, method: str | None = None, **criteria: Any) -> None:
        """Raise if any recorded request matches (same matching as :meth:`assert_requested`)."""
        __tracebackhide__ = True
        _check(_checks.not_requested(self.requests, url, method, limit=self.max_requests_shown,
                                     hint=_HINT, **criteria))

    def assert_request_count(self, expected: int) -> None:
        """Raise unless exactly *expected* requests were recorded in this test, any host."""
        __tracebackhide__ = True
        _check(_checks.request_count(self.requests, expected, limit=self.max_requests_shown,
                                     hint=_HINT))

    def assert_requests_in_order(self, *expected: tuple[str, str] | str) -> None:
        """Raise unless requests matching each URL (or ``(method, URL)``) came in this order."""
        __tracebackhide__ = True
        _check(_checks.requests_in_order(self.requests, expected, limit=self.max_requests_shown,
                                         hint=_HINT))

    def assert_all_stubs_used(self) -> None:
        """Raise naming every stub, of any host, that answered no request in this test."""
        __tracebackhide__ = True
        _check(_checks.all_stubs_used(self.routes, self.requests, limit=self.max_requests_shown,
                                      hint=_HINT))
