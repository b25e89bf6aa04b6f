"""The proxy's request checks: those of ``ServerTestCase``'s assertions, comparing whole URLs.

A proxy's journal mixes hosts, so its assertions take full URLs
(``https://api.github.com/user``), and its reports show them. Each check
here hands the shared check a URL spelled as the journal spells it, which
the shared matching compares with each request's URL, and a view of every
request whose target starts with its scheme and host (``_urls.URLView``),
so the matching, ranking and wording stay those of ``ServerTestCase``.
Used by ``FakeProxyTestCase`` (camelCase) and ``FakeProxyHandle``
(snake_case) alike; knows nothing of unittest, pytest or sockets.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any, Sequence, Union, cast

from .._journal.records import RecordedRequest
from .._matching import Criterion, Expectation, Mismatch, ReportStyle
from .._matching.diff import differs
from .._testing import checks
from ..stubs.app import Stub
from ._routing import Routes
from ._urls import URLView, authority, record_host, split_url

if TYPE_CHECKING:
    from .._matching import ExchangeCriteria

    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = ["all_stubs_used", "not_requested", "request_count", "requested", "requests_in_order"]

__unittest = True  # hide this module's frames from test failure tracebacks

#: What the proxy's assertions take for a request's URL: a full URL
#: (``https://api.github.com/user``), a compiled regex of one, or None for any.
URL = Union[str, "re.Pattern[str]", None]


def expected_url(url: URL) -> URL:
    """*url* spelled as the journal spells URLs (a regex or None is taken as it is).

    Raises ValueError, saying what to write, for a bare path.
    """
    if url is None or isinstance(url, re.Pattern):
        return url
    scheme, host, port, rest = split_url(url)
    return f"{scheme}://{authority(host, port, scheme)}{rest}"


def _views(requests: Sequence[RecordedRequest]) -> list[RecordedRequest]:
    # Each view stands in for the request it wraps (duck-typed).
    return cast("list[RecordedRequest]", [URLView(r) for r in requests])


def _unwrapped(view: RecordedRequest | None) -> RecordedRequest | None:
    return cast(URLView, view).request if view is not None else None


def requested(requests: Sequence[RecordedRequest], url: URL, method: str | None = None, *,
              count: int | None = None, style: ReportStyle,
              **criteria: Unpack[ExchangeCriteria]) -> tuple[RecordedRequest | None, str | None]:
    """``checks.requested`` on whole URLs; the match returned is the recorded request itself."""
    match, report = checks.requested(_views(requests), expected_url(url), method, count=count,
                                     style=style, **criteria)
    return _unwrapped(match), report


def not_requested(requests: Sequence[RecordedRequest], url: URL, method: str | None = None, *,
                  style: ReportStyle, **criteria: Unpack[ExchangeCriteria]) -> str | None:
    """``checks.not_requested`` on whole URLs."""
    return checks.not_requested(_views(requests), expected_url(url), method, style=style,
                                **criteria)


def request_count(requests: Sequence[RecordedRequest], expected: int, *,
                  style: ReportStyle) -> str | None:
    """``checks.request_count``, listing the requests by URL."""
    return checks.request_count(_views(requests), expected, style=style)


def requests_in_order(requests: Sequence[RecordedRequest],
                      expected: Sequence[tuple[str, str] | str], *,
                      style: ReportStyle) -> str | None:
    """``checks.requests_in_order`` with a URL (or ``(method, URL)``) for each step."""
    spelled = [cast(str, expected_url(item)) if isinstance(item, str)
               else (item[0], cast(str, expected_url(item[1]))) for item in expected]
    return checks.requests_in_order(_views(requests), spelled, style=style)


def all_stubs_used(routes: Routes, requests: Sequence[RecordedRequest], *,
                   style: ReportStyle) -> str | None:
    """``checks.all_stubs_used`` over every host's stubs, each named with its host."""
    stubs = [_HostStub(host, stub) for host, stub in routes.stubs()]
    return checks.all_stubs_used(stubs, _views(requests), style=style)


class _HostStub:
    """A stub as the proxy reports it: labelled with its host, and missed by other hosts."""

    def __init__(self, host: str, stub: Stub) -> None:
        method, path = stub.label
        self.label = (method, host + path if path.startswith("/") else f"{host} {path}")
        self.used = stub.used

        def same_host(request: Any) -> list[Mismatch]:
            actual = record_host(request)
            return [] if actual == host else [differs("host", actual, host)]
        self.expectation = Expectation(str(stub.expectation), [
            Criterion("host", same_host), *stub.expectation.criteria])
