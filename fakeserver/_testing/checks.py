"""The request checks behind every assertion: what each compares and the report it words.

``ServerTestCase`` (camelCase assertions, ``self.fail``) and the pytest
fixtures (snake_case helpers raising ``AssertionError``) are two faces of
these functions, so that a failure reads the same under either runner. Each
check takes the journal and returns None when it passes, or the failure
report. Only the last line of a long report differs between the faces: the
*style* each passes says how to list everything. Nothing here knows
unittest, pytest or sockets.
"""

from __future__ import annotations

import sys
import traceback
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from .._matching import (
    ExchangeCriteria, Expectation, Mismatch, ReportStyle, count_met, format_report, plural, rank,
    request_expectation, tally, within,
)
from .._journal.records import RecordedRequest
from ..stubs.scenarios import STARTED

if TYPE_CHECKING:
    from .._matching import PathSpec

    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = [
    "all_stubs_used", "app_errors", "not_requested", "request_count", "request_label",
    "requested", "requested_by", "requests_in_order", "scenario_state", "server_side_problems",
]

__unittest = True  # hide this module's frames from test failure tracebacks


def request_label(request: RecordedRequest) -> tuple[str, str]:
    """The columns that name a request in reports: method and target."""
    return request.method, request.target


def _tally(matching: int, total: int) -> str:
    return tally(matching, total, "recorded request", "no requests were recorded.")


def requested(requests: list[RecordedRequest], path: PathSpec | None,
              method: str | None = None, *, count: int | None = None, style: ReportStyle,
              first: bool = False, waited: float | None = None,
              **criteria: Unpack[ExchangeCriteria]) -> tuple[RecordedRequest | None, str | None]:
    """The most recent match (the *first* one if asked) and None; or None and the report
    when too few (or not *count*) match, saying it *waited* that many seconds if it did."""
    expectation = request_expectation(path, method, **criteria)
    matching = [request for request in requests if expectation.matches(request)]
    if count_met(len(matching), count):
        return (matching[0 if first else -1] if matching else None), None
    wanted = "a request" if count is None else plural(count, "request")
    headline = (f"Expected {wanted} matching {expectation}{within(waited)}; "
                f"{_tally(len(matching), len(requests))}")
    return None, format_report(headline, rank(expectation, requests), request_label,
                               title="Closest recorded requests", style=style)


def requested_by(path: PathSpec | None, method: str | None = None, *,
                 count: int | None = None,
                 **criteria: Unpack[ExchangeCriteria]) -> Callable[[list[RecordedRequest]], bool]:
    """Whether a journal passes :func:`requested` with these arguments: what a wait waits for."""
    expectation = request_expectation(path, method, **criteria)
    return lambda requests: count_met(sum(map(expectation.matches, requests)), count)


def not_requested(requests: list[RecordedRequest], path: PathSpec | None,
                  method: str | None = None, *, style: ReportStyle,
                  **criteria: Unpack[ExchangeCriteria]) -> str | None:
    """The report listing the requests that match, if any do."""
    expectation = request_expectation(path, method, **criteria)
    matching: list[tuple[RecordedRequest, list[Mismatch]]] = [
        (request, []) for request in requests if expectation.matches(request)]
    if not matching:
        return None
    headline = f"Expected no request matching {expectation}; {_tally(len(matching), len(requests))}"
    return format_report(headline, matching, request_label, title="Matching recorded requests",
                         style=style)


def request_count(requests: list[RecordedRequest], expected: int, *,
                  style: ReportStyle) -> str | None:
    """The report listing every request, unless there are exactly *expected*."""
    if len(requests) == expected:
        return None
    headline = f"Expected {plural(expected, 'request')}; {plural(len(requests), 'request')} recorded."
    return format_report(headline, [(r, None) for r in requests], request_label,
                         title="Recorded requests", style=style)


def requests_in_order(requests: list[RecordedRequest], expected: Sequence[tuple[str, str] | str], *,
                      style: ReportStyle) -> str | None:
    """The report, unless requests matching each ``(method, path)`` (or path) came in this order."""
    expectations = [request_expectation(item) if isinstance(item, str)
                    else request_expectation(item[1], item[0]) for item in expected]
    position, found = 0, 0
    for expectation in expectations:
        while position < len(requests) and not expectation.matches(requests[position]):
            position += 1
        if position == len(requests):
            break
        position += 1
        found += 1
    if found == len(expectations):
        return None
    sequence = ", ".join(str(e) for e in expectations)
    missing = expectations[found]
    after = f" after {expectations[found - 1]} (request #{_index_of(expectations[:found], requests)})" \
        if found else ""
    headline = (f"Expected requests in this order: {sequence}\n"
                f"Found {found} of {len(expectations)} in order; no {missing}{after}.")
    numbers = {id(request): f"{i}." for i, request in enumerate(requests, 1)}
    return format_report(headline, [(request, None) for request in requests],
                         lambda request: (numbers[id(request)], *request_label(request)),
                         title="Recorded requests, in order", style=style)


def _index_of(prefix: list[Expectation], requests: list[RecordedRequest]) -> int:
    """The 1-based position of the request that matched the last of *prefix*."""
    position = 0
    for expectation in prefix:
        while not expectation.matches(requests[position]):
            position += 1
        position += 1
    return position


def all_stubs_used(stubs: Sequence[Any], requests: list[RecordedRequest], *,
                   style: ReportStyle) -> str | None:
    """The report naming every stub that answered no request, each with its closest request."""
    unused = [stub for stub in stubs if not stub.used]
    if not unused:
        return None
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
    return format_report(headline, rows, lambda stub: stub.label, title="Unused stubs", style=style)


def scenario_state(scenarios: Mapping[str, str], name: str, expected: str) -> str | None:
    """The report, unless scenario *name* is in state *expected*.

    *scenarios* are those a ``StubApp`` knows, with their states; a name
    it does not know is in ``"Started"``, and the report lists the known
    ones, for the typo it may be.
    """
    actual = scenarios.get(name, STARTED)
    if actual == expected:
        return None
    report = f"Expected scenario {name!r} to be {expected!r}; it is {actual!r}."
    if name not in scenarios:
        known = ", ".join(map(repr, sorted(scenarios))) or "none"
        report += f"\nNo stub names scenario {name!r}; the scenarios are: {known}."
    return report


def app_errors(errors: Sequence[BaseException], culprit: str = "the app") -> str | None:
    """The report of the exceptions *culprit* raised during a test, with their tracebacks, if any.

    Every mixin and fixture words an app's exceptions with this, so that
    they read the same whichever server raised them.
    """
    if not errors:
        return None
    details = "\n".join("".join(traceback.format_exception(type(e), e, e.__traceback__))
                        for e in errors)
    return f"{culprit} raised {plural(len(errors), 'exception')} during this test:\n{details}"


def server_side_problems(errors: Sequence[BaseException], unmatched: Sequence[RecordedRequest],
                         stubs: Any, *, limit: int | None, allow_hint: str,
                         no_stubs_hint: str | None = None) -> str | None:
    """The report of what went wrong on the server's side during a test, if anything did.

    *errors* are the app's exceptions, with tracebacks; *unmatched* the
    requests no stub of *stubs* (a ``StubTable``) matched, each explained by
    its near misses; *allow_hint* says how to let them pass, and
    *no_stubs_hint*, if any, how to declare a stub (given when none is).
    """
    problems = []
    raised = app_errors(errors)
    if raised is not None:
        problems.append(raised)
    if unmatched:
        reports = "\n\n".join(stubs.near_miss_report(request, limit=limit) for request in unmatched)
        if no_stubs_hint is not None:
            reports += f"\n\n{no_stubs_hint}"
        problems.append(f"{plural(len(unmatched), 'request')} matched no stub ({allow_hint}):\n"
                        f"{reports}")
    return "\n\n".join(problems) if problems else None
