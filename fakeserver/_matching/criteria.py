"""Criteria: one field check each, and the expectation that gathers them.

A :class:`Criterion` checks one field of a record (a request, a message,
an upload) and says how it differs; an :class:`Expectation` is the set a
record must all meet, with its one-line description. The criteria on
HTTP requests are declared in :mod:`.request_criteria`. Knows nothing of
servers or of unittest.
"""

from __future__ import annotations

import json as jsonlib
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from .diff import Mismatch, shorten

__all__ = [
    "Criterion", "Expectation", "equal", "json_criterion", "path_criterion", "predicate_criterion",
    "subset",
]

__unittest = True  # hide this module's frames from test failure tracebacks

_TEMPLATE_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


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
