"""FakeProxyHandle: the proxy with snake_case assertions, as the ``fake_proxy`` fixture gives it.

Owns the pytest face of the proxy without importing pytest: resetting the
proxy between tests, the server-side problems a test caused (which the
plugin turns into its failure), and ``assert_requested`` and friends,
worded by ``_checks`` exactly as ``FakeProxyTestCase``'s assertions are.
The journal and the server-side reports are those of the pytest
``FakeServer``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from .._journal.records import RecordedRequest
from .._testing.base import HandleBase
from .._testing.served import ServedRequests
from . import _checks
from ._checks import URL
from .server import FakeProxy

if TYPE_CHECKING:
    from .._matching import ExchangeCriteria

    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = ["FakeProxyHandle"]


class FakeProxyHandle(ServedRequests, HandleBase, FakeProxy):
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

    # How reports name the settings
    _settings_on = "the fake proxy"
    _requests_shown = "max_requests_shown"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What the journal and the reports read: the proxy serves, its routes hold the stubs.
        self.server, self.stubs = self, self.routes

    def reset(self) -> None:
        """Begin a new test: no routes or stubs, an empty journal, no errors, default settings."""
        self._begin_test()
        vars(self).pop("allow_unmatched_requests", None)
        vars(self).pop("max_requests_shown", None)

    #: What went wrong on the proxy's side in this test (app errors, unmatched
    #: requests), or None; the plugin fails the test with it.
    problems = ServedRequests._server_side_problems

    # -- assertions ---------------------------------------------------------------------

    def assert_requested(self, url: URL, method: str | None = None, *, count: int | None = None,
                         **criteria: Unpack[ExchangeCriteria]) -> RecordedRequest | None:
        """Raise unless one (or exactly *count*) recorded requests match; return the latest.

        Matching as ``FakeProxyTestCase.assertRequested``: full URLs.
        """
        __tracebackhide__ = True
        match, report = _checks.requested(self.requests, url, method, count=count,
                                          style=self._request_style, **criteria)
        self._check(report)
        return match

    def assert_not_requested(self, url: URL, method: str | None = None,
                             **criteria: Unpack[ExchangeCriteria]) -> None:
        """Raise if any recorded request matches (same matching as :meth:`assert_requested`)."""
        __tracebackhide__ = True
        self._check(_checks.not_requested(self.requests, url, method, style=self._request_style,
                                          **criteria))

    def assert_request_count(self, expected: int) -> None:
        """Raise unless exactly *expected* requests were recorded in this test, any host."""
        __tracebackhide__ = True
        self._check(_checks.request_count(self.requests, expected, style=self._request_style))

    def assert_requests_in_order(self, *expected: tuple[str, str] | str) -> None:
        """Raise unless requests matching each URL (or ``(method, URL)``) came in this order."""
        __tracebackhide__ = True
        self._check(_checks.requests_in_order(self.requests, expected, style=self._request_style))

    def assert_all_stubs_used(self) -> None:
        """Raise naming every stub, of any host, that answered no request in this test."""
        __tracebackhide__ = True
        self._check(_checks.all_stubs_used(self.routes, self.requests, style=self._request_style))
