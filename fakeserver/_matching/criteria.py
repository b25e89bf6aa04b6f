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

from .diff import Mismatch, differs, note, plural, shorten
from .values import Matcher, as_expected, compare, compare_key, fits, json_differences

__all__ = [
    "Criterion", "Expectation", "equal", "json_criterion", "path_criterion",
    "predicate_criterion", "subset",
]

__unittest = True  # hide this module's frames from test failure tracebacks

_TEMPLATE_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Criterion:
    """One field check: *differences* takes the record and returns how it differs ([] if not)."""

    field: str
    differences: Callable[[Any], "list[Mismatch]"]


class Expectation:
    """A set of criteria a record must all meet, and its one-line description."""

    #: How many differences of one criterion a report lists; a last one counts the others.
    shown_per_field = 5

    def __init__(self, description: str, criteria: Sequence[Criterion]) -> None:
        self.description = description
        self.criteria = list(criteria)

    def mismatches(self, record: Any) -> list[Mismatch]:
        """How *record* differs, criterion by criterion in declaration order, each capped."""
        found = []
        for criterion in self.criteria:
            differences = criterion.differences(record)
            found += differences[:self.shown_per_field]
            hidden = len(differences) - self.shown_per_field
            if hidden > 0:
                found.append(note(criterion.field, f"and {plural(hidden, 'more difference')}"))
        return found

    def matches(self, record: Any) -> bool:
        return not any(criterion.differences(record) for criterion in self.criteria)

    def __str__(self) -> str:
        return self.description


# -- criteria on fields -------------------------------------------------------

def equal(field: str, expected: Any, get: Callable[[Any], Any]) -> Criterion:
    """The field equals *expected*, or meets it when it is a matcher (or any callable)."""
    expected = as_expected(expected)
    return Criterion(field, lambda record: compare(field, get(record), expected))


def path_criterion(path: str | re.Pattern | Matcher,
                   get: Callable[[Any], str] = lambda r: r.path) -> Criterion:
    """The path equals a string, fully matches a compiled regex, fits a
    ``/items/{id}`` template (each field one path segment), or meets a matcher."""
    if isinstance(path, re.Pattern):
        pattern, expected = path, f"re.compile({path.pattern!r})"
    elif isinstance(path, str) and _TEMPLATE_FIELD.search(path):
        parts = _TEMPLATE_FIELD.split(path)
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)"
                        for i, part in enumerate(parts))
        pattern, expected = re.compile(regex), repr(path)
    else:
        return equal("path", path, get)

    def differences(record: Any) -> list[Mismatch]:
        actual = get(record)
        return [] if pattern.fullmatch(actual) else [Mismatch("path", repr(actual), expected)]
    return Criterion("path", differences)


def subset(field: str, expected: Mapping[str, Any], get: Callable[[Any], Mapping[str, list]],
           *, noun: str, fold_case: bool = False) -> Criterion:
    """Each expected key is present with the expected value(s); other keys may exist.

    A single value (or matcher) must fit one of the key's values
    (``{"tag": "a"}`` fits ``?tag=a&tag=b``); a list must be all of them,
    in order. ``ANY`` asks for the key, ``ABSENT`` for its absence. Each
    differing key is reported on its own, as ``{noun} 'key'``.
    """
    wanted = as_expected(dict(expected))

    def differences(record: Any) -> list[Mismatch]:
        actual = get(record)
        if fold_case:
            actual = {key.lower(): values for key, values in actual.items()}
        found = []
        for key, value in wanted.items():
            subject, lookup = f"{noun} {key!r}", key.lower() if fold_case else key
            present = compare_key(field, actual, lookup, value, subject)
            if present is not None:
                found += present
                continue
            values = actual[lookup]
            if isinstance(value, (list, tuple)):
                if len(values) != len(value) or not all(map(fits, values, value)):
                    found.append(differs(field, values, list(value), subject))
            elif not any(fits(item, value) for item in values):
                found += compare(field, values[0] if len(values) == 1 else values, value, subject)
        return found
    return Criterion(field, differences)


def json_criterion(expected: Any, get: Callable[[Any], bytes] = lambda r: r.body) -> Criterion:
    """The body parses as JSON equal to *expected*, matchers in it met; else the differing paths."""
    expected = as_expected(expected)

    def differences(record: Any) -> list[Mismatch]:
        raw = get(record)
        try:
            actual = jsonlib.loads(raw)
        except ValueError:
            return [note("json", f"is not JSON (got {shorten(raw)})", "json body")]
        return json_differences(actual, expected)
    return Criterion("json", differences)


def predicate_criterion(predicate: Callable[[Any], bool]) -> Criterion:
    """A function of the record returns true."""
    name = getattr(predicate, "__name__", repr(predicate))
    return Criterion("predicate", lambda record: [] if predicate(record) else [
        Mismatch("predicate", f"{name}() false", f"{name}() true")])
