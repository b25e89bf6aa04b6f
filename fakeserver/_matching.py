"""Expected versus recorded: field-by-field matching, near-miss ranking, report text.

The one place that decides whether a recorded request (or message, or
upload) meets an expectation, computes how it differs field by field, ranks
the near misses and formats them. Assertions, stubs and the other fakes
all use it, so every failure message has the same shape. It knows nothing
of servers or of unittest.
"""

from __future__ import annotations

import json as jsonlib
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence, TypedDict
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from ._journal.records import RecordedRequest

    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = [
    "Criterion", "ExchangeCriteria", "Expectation", "Mismatch", "ReportStyle", "RequestCriteria",
    "format_report", "plural", "rank", "rank_by", "request_expectation", "shorten", "tally",
]

__unittest = True  # hide this module's frames from test failure tracebacks

_TEMPLATE_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def shorten(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut in the middle when longer than *limit*."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f" ({len(value)} bytes)" if isinstance(value, (bytes, bytearray)) else ""
    keep = (limit - 5) // 2
    return f"{text[:keep]}[...]{text[-keep:]}{size}"


@dataclass(frozen=True)
class Mismatch:
    """How one field of a record differs from what was expected."""

    field: str
    actual: str
    expected: str

    def __str__(self) -> str:
        return f"{self.field} {self.actual} != {self.expected}"


@dataclass(frozen=True)
class Criterion:
    """One field check: *test* takes the record and returns (ok, actual text)."""

    field: str
    expected: str
    test: Callable[[Any], "tuple[bool, str]"]

    def mismatch(self, record: Any) -> Mismatch | None:
        ok, actual = self.test(record)
        return None if ok else Mismatch(self.field, actual, self.expected)


class Expectation:
    """A set of criteria a record must all meet, and its one-line description."""

    def __init__(self, description: str, criteria: Sequence[Criterion]) -> None:
        self.description = description
        self.criteria = list(criteria)

    def mismatches(self, record: Any) -> list[Mismatch]:
        """Every criterion *record* fails, in declaration order."""
        found = []
        for criterion in self.criteria:
            mismatch = criterion.mismatch(record)
            if mismatch is not None:
                found.append(mismatch)
        return found

    def matches(self, record: Any) -> bool:
        return all(criterion.mismatch(record) is None for criterion in self.criteria)

    def __str__(self) -> str:
        return self.description


# -- criteria on fields -------------------------------------------------------

def equal(field: str, expected: Any, get: Callable[[Any], Any]) -> Criterion:
    """The field equals *expected*."""
    def test(record: Any) -> tuple[bool, str]:
        actual = get(record)
        return actual == expected, shorten(actual)
    return Criterion(field, shorten(expected), test)


def path_criterion(path: str | re.Pattern, get: Callable[[Any], str] = lambda r: r.path) -> Criterion:
    """The path equals a string, fully matches a compiled regex, or fits a
    ``/items/{id}`` template (each field one path segment)."""
    if isinstance(path, re.Pattern):
        pattern, expected = path, f"re.compile({path.pattern!r})"
    elif _TEMPLATE_FIELD.search(path):
        parts = _TEMPLATE_FIELD.split(path)
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)"
                        for i, part in enumerate(parts))
        pattern, expected = re.compile(regex), repr(path)
    else:
        return equal("path", path, get)

    def test(record: Any) -> tuple[bool, str]:
        actual = get(record)
        return pattern.fullmatch(actual) is not None, repr(actual)
    return Criterion("path", expected, test)


def subset(field: str, expected: Mapping[str, Any], get: Callable[[Any], Mapping[str, list]],
           *, fold_case: bool = False) -> Criterion:
    """Each expected key is present with the expected value(s); other keys may exist.

    A single string must be one of the key's values (``{"tag": "a"}`` fits
    ``?tag=a&tag=b``); a list must be all of them, in order.
    """
    wanted = {key.lower() if fold_case else key: value for key, value in expected.items()}

    def fits(value: Any, values: Any) -> bool:
        if values is None:
            return False
        return values == list(value) if isinstance(value, (list, tuple)) else value in values

    def test(record: Any) -> tuple[bool, str]:
        actual = get(record)
        if fold_case:
            actual = {key.lower(): value for key, value in actual.items()}
        differing = [key for key, value in wanted.items() if not fits(value, actual.get(key))]
        shown = {key: _single(actual[key]) if key in actual else "<missing>" for key in differing}
        return not differing, shorten(shown, 120)
    return Criterion(field, shorten({key: _single(list(value)) if isinstance(value, (list, tuple))
                                     else value for key, value in wanted.items()}, 120), test)


def _single(values: list) -> Any:
    return values[0] if len(values) == 1 else values


def json_criterion(expected: Any, get: Callable[[Any], bytes] = lambda r: r.body) -> Criterion:
    """The body parses as JSON equal to *expected*."""
    def test(record: Any) -> tuple[bool, str]:
        raw = get(record)
        try:
            actual = jsonlib.loads(raw)
        except ValueError:
            return False, f"not JSON: {shorten(raw)}"
        return actual == expected, shorten(actual)
    return Criterion("json", shorten(expected), test)


def predicate_criterion(predicate: Callable[[Any], bool]) -> Criterion:
    """A function of the record returns true."""
    name = getattr(predicate, "__name__", repr(predicate))
    return Criterion("predicate", f"{name}() true",
                     lambda record: (bool(predicate(record)), f"{name}() false"))


class RequestCriteria(TypedDict, total=False):
    """What a request must carry to match, beside its path and method: keyword arguments.

    Stubs and the assertions on recorded requests take these keywords
    (``**criteria: Unpack[RequestCriteria]``), so a criterion is declared
    here once, and checked by the table in :func:`request_expectation`. A
    criterion left out, or None, matches anything.
    """

    #: Query parameters, as a subset: a string must be one of the key's
    #: values (``{"tag": "a"}`` fits ``?tag=a&tag=b``); a list must be all
    #: of them, in order.
    query: Mapping[str, str | Sequence[str]] | None
    #: Headers, as a subset; names compare case-insensitively.
    headers: Mapping[str, str] | None
    #: The body, byte for byte (a string is encoded as UTF-8).
    body: bytes | str | None
    #: The body parsed as JSON, compared for equality.
    json: Any
    #: Form fields (URL-encoded or multipart), as a subset like *query*.
    form: Mapping[str, str | Sequence[str]] | None
    #: A function of the :class:`RecordedRequest` that must return true.
    predicate: Callable[[RecordedRequest], bool] | None


class ExchangeCriteria(RequestCriteria, total=False):
    """:class:`RequestCriteria` and what the server answered: for assertions on recorded requests.

    A stub takes no *status*: it matches a request before answering it.
    """

    #: The status code of the response.
    status: int | None


def _body(body: bytes | str) -> tuple[Criterion, str]:
    expected = body.encode("utf-8") if isinstance(body, str) else body
    return equal("body", expected, lambda r: r.body), f"body {shorten(expected)}"


#: How each criterion of :class:`ExchangeCriteria` is checked, and named in the
#: expectation's description; in the order reports list them.
_CRITERIA: dict[str, Callable[[Any], tuple[Criterion, str]]] = {
    "query": lambda query: (subset("query", query, lambda r: r.query), f"query {shorten(query)}"),
    "headers": lambda headers: (subset("headers", headers, _header_lists, fold_case=True),
                                f"headers {shorten(dict(headers))}"),
    "body": _body,
    "json": lambda json: (json_criterion(json), f"json {shorten(json)}"),
    "form": lambda form: (subset("form", form, lambda r: r.form), f"form {shorten(form)}"),
    "status": lambda status: (equal("status", status, _status), f"status {status}"),
    "predicate": lambda predicate: (predicate_criterion(predicate),
                                    f"{getattr(predicate, '__name__', 'predicate')}()"),
}


def request_expectation(path: str | re.Pattern | None = None, method: str | None = None,
                        **criteria: Unpack[ExchangeCriteria]) -> Expectation:
    """An expectation on a recorded HTTP request (and its response status).

    *path* is a string (one containing ``?`` also requires that query, as
    a subset), a ``/items/{id}`` template or a compiled regex; None matches
    any, as does a *method* of None. Raises TypeError for a keyword that is
    not a criterion.
    """
    for name in criteria:
        if name not in _CRITERIA:
            raise TypeError(f"unknown request criterion {name!r}; expected one of "
                            f"{', '.join(_CRITERIA)}")
    checks: list[Criterion] = []
    if method is not None:
        method = method.upper()
        checks.append(equal("method", method, lambda r: r.method))
    if isinstance(path, str) and "?" in path:
        path, query_text = path.split("?", 1)
        criteria["query"] = {**parse_qs(query_text, keep_blank_values=True),
                             **(criteria.get("query") or {})}
    if path is not None:
        checks.append(path_criterion(path))
    details = []
    for name, make in _CRITERIA.items():
        value = criteria.get(name)
        if value is not None:
            criterion, detail = make(value)
            checks.append(criterion)
            details.append(detail)
    target = (path.pattern if isinstance(path, re.Pattern) else path) if path is not None else "*"
    description = f"{method} {target}" if method else target
    if details:
        description += " with " + ", ".join(details)
    return Expectation(description, checks)


def _header_lists(record: Any) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    for name, value in record.headers.items():
        lists.setdefault(name.lower(), []).append(value)
    return lists


def _status(record: Any) -> int | None:
    response = record.response
    return response.status if response is not None else None


# -- ranking and reports ---------------------------------------------------------

def plural(number: int, noun: str) -> str:
    """``1 request``, ``2 requests``: *number* and *noun*, plural unless one."""
    return f"{number} {noun}" + ("" if number == 1 else "s")


def tally(matching: int, total: int, noun: str, empty: str) -> str:
    """How many of *total* records match, as a headline ends; *empty* when there are none.

    ``tally(1, 3, "upload", ...)`` is ``1 of 3 uploads matches.``
    """
    if total == 0:
        return empty
    return f"{matching} of {plural(total, noun)} {'matches' if matching == 1 else 'match'}."


def rank(expectation: Expectation, records: Iterable[Any]) -> list[tuple[Any, list[Mismatch]]]:
    """Records with their mismatches, fewest first; ties keep the records' order."""
    return rank_by(records, expectation.mismatches)


def rank_by(items: Iterable[Any], mismatches: Callable[[Any], list[Mismatch]]
            ) -> list[tuple[Any, list[Mismatch]]]:
    """Items with ``mismatches(item)``, fewest first; ties keep the items' order.

    :func:`rank` compares one expectation with many records; a stub server
    compares many expectations (its stubs) with one request.
    """
    scored = [(item, mismatches(item)) for item in items]
    scored.sort(key=lambda item: len(item[1]))
    return scored


@dataclass(frozen=True)
class ReportStyle:
    """How long a report may grow: at most *limit* records (None: all), then *hint*.

    Each face of the checks builds its own from the setting that sets the
    limit (``maxRequestsShown`` on a test case, ``max_requests_shown`` on a
    fake server, ...), and *hint* names that setting, so that the reader
    learns how to see the records left out.
    """

    limit: int | None
    hint: str


def format_report(headline: str, ranked: Sequence[tuple[Any, Sequence[Mismatch | str] | None]],
                  label: Callable[[Any], Sequence[str]], *, title: str,
                  style: ReportStyle) -> str:
    """The headline, then one aligned line per record with what differs.

    Each record comes with its mismatches, or notes in their place (``[]``
    shows "(matches)", None shows nothing). *label* gives a record's columns (e.g. method and
    target); *style* caps the listing and words its last line.
    """
    lines = [headline]
    if not ranked:
        return headline
    limit, hint = style.limit, style.hint
    shown = list(ranked if limit is None else ranked[:limit])
    if not shown:
        return f"{headline}\n  ... {len(ranked)} not listed; {hint}"
    rows = [list(label(record)) for record, _ in shown]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    widths[-1] = max(widths[-1] + 2, 16)
    lines.append(f"{title}:")
    for row, (_, mismatches) in zip(rows, shown):
        columns = " ".join(cell.ljust(width) for cell, width in zip(row, widths))
        if mismatches is None:  # a plain listing, nothing compared
            detail = ""
        else:
            detail = "; ".join(str(m) for m in mismatches) if mismatches else "(matches)"
        lines.append(f"  {columns}{detail}".rstrip())
    if len(ranked) > len(shown):
        lines.append(f"  ... and {len(ranked) - len(shown)} more; {hint}")
    return "\n".join(lines)
