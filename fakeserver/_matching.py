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
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence
from urllib.parse import parse_qs

__all__ = [
    "Criterion", "Expectation", "Mismatch", "format_report", "plural", "rank", "rank_by",
    "request_expectation", "shorten", "tally",
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


def request_expectation(path: str | re.Pattern | None = None, method: str | None = None, *,
                        query: Mapping[str, Any] | None = None,
                        headers: Mapping[str, str] | None = None,
                        body: bytes | str | None = None, json: Any = None,
                        form: Mapping[str, Any] | None = None, status: int | None = None,
                        predicate: Callable[[Any], bool] | None = None) -> Expectation:
    """An expectation on a recorded HTTP request (and its response status).

    A string *path* containing ``?`` also requires that query (as a subset).
    """
    criteria: list[Criterion] = []
    details = []
    if method is not None:
        method = method.upper()
        criteria.append(equal("method", method, lambda r: r.method))
    if isinstance(path, str) and "?" in path:
        path, query_text = path.split("?", 1)
        query = {**parse_qs(query_text, keep_blank_values=True), **(query or {})}
    if path is not None:
        criteria.append(path_criterion(path))
    if query is not None:
        criteria.append(subset("query", query, lambda r: r.query))
        details.append(f"query {shorten(query)}")
    if headers is not None:
        criteria.append(subset("headers", headers, _header_lists, fold_case=True))
        details.append(f"headers {shorten(dict(headers))}")
    if body is not None:
        expected_body = body.encode("utf-8") if isinstance(body, str) else body
        criteria.append(equal("body", expected_body, lambda r: r.body))
        details.append(f"body {shorten(expected_body)}")
    if json is not None:
        criteria.append(json_criterion(json))
        details.append(f"json {shorten(json)}")
    if form is not None:
        criteria.append(subset("form", form, lambda r: r.form))
        details.append(f"form {shorten(form)}")
    if status is not None:
        criteria.append(equal("status", status, _status))
        details.append(f"status {status}")
    if predicate is not None:
        criteria.append(predicate_criterion(predicate))
        details.append(f"{getattr(predicate, '__name__', 'predicate')}()")
    target = (path.pattern if isinstance(path, re.Pattern) else path) if path is not None else "*"
    description = f"{method} {target}" if method else target
    if details:
        description += " with " + ", ".join(details)
    return Expectation(description, criteria)


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


def format_report(headline: str, ranked: Sequence[tuple[Any, Sequence[Mismatch] | None]],
                  label: Callable[[Any], Sequence[str]], *, title: str,
                  limit: int | None, hint: str) -> str:
    """The headline, then one aligned line per record with what differs.

    Each record comes with its mismatches (``[]`` shows "(matches)", None
    shows nothing). *label* gives a record's columns (e.g. method and
    target); at most
    *limit* records are listed (None: all), followed by *hint* on how to
    see the rest.
    """
    lines = [headline]
    if not ranked:
        return headline
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
