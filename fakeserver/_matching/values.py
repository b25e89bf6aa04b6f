"""Values: how one recorded value meets an expected one, a plain value or a matcher.

The matchers of :mod:`fakeserver.match` are defined here, beside
:func:`compare`, the one comparison every criterion makes (equality, or the
matcher's test, worded as a :class:`Mismatch` when it fails), and
:func:`json_differences`, which walks two JSON documents and lists the
paths where they differ (``json $.items[3].qty: 99 != 3``). Knows nothing
of records, servers or unittest.
"""

from __future__ import annotations

import json as jsonlib
import re
from typing import Any, Callable, Mapping, TypeVar, Union

from .diff import Mismatch, differs, missing, note, plural, shorten, unexpected

__all__ = [
    "ABSENT", "ANY", "Expected", "JsonContains", "Matcher", "as_expected", "compare", "compare_key",
    "contains", "fits", "json_contains", "json_differences", "one_of", "regex",
]

__unittest = True  # hide this module's frames from test failure tracebacks

_T = TypeVar("_T")


class Matcher:
    """A test of a recorded value, usable wherever one is expected; you get one from ``match``.

    Calling it with a value returns whether the value fits; ``repr()`` is
    how to write it, as the expectation's description shows it. Reports
    word a value that does not fit: ``does not match /^[0-9]+$/ (got 'abc')``.
    """

    #: How a report words a value that does not fit, after naming it.
    _failure: str

    def __call__(self, value: Any) -> bool:
        raise NotImplementedError

    def _differences(self, field: str, value: Any, subject: str) -> list[Mismatch]:
        """[] when *value* fits; else how it does not, as :func:`compare` reports it."""
        return [] if self(value) else [note(field, f"{self._failure} (got {shorten(value)})",
                                            subject)]

    def __repr__(self) -> str:
        raise NotImplementedError


class _Regex(Matcher):
    def __init__(self, pattern: str | bytes | re.Pattern, flags: int = 0) -> None:
        self.pattern: re.Pattern[Any] = (pattern if isinstance(pattern, re.Pattern)
                                         else re.compile(pattern, flags))
        self._failure = f"does not match /{_text(self.pattern.pattern)}/"

    def __call__(self, value: Any) -> bool:
        text = _coerce(value, self.pattern.pattern)
        return text is not None and self.pattern.search(text) is not None

    def __repr__(self) -> str:
        return f"match.regex({self.pattern.pattern!r})"


class _Contains(Matcher):
    def __init__(self, part: Any) -> None:
        self.part = part
        self._failure = f"does not contain {shorten(part)}"

    def __call__(self, value: Any) -> bool:
        part = self.part
        if isinstance(value, (bytes, bytearray)) and isinstance(part, str):
            part = part.encode("utf-8")
        elif isinstance(value, str) and isinstance(part, (bytes, bytearray)):
            value = value.encode("utf-8")
        try:
            return part in value
        except TypeError:  # a number, or a str looked for in a list of numbers
            return False

    def __repr__(self) -> str:
        return f"match.contains({self.part!r})"


class _Presence(Matcher):
    """``ANY`` (present, whatever the value) or ``ABSENT`` (not present); None counts as absent."""

    def __init__(self, present: bool) -> None:
        self.present = present

    def __call__(self, value: Any) -> bool:
        return (value is not None) == self.present

    def _differences(self, field: str, value: Any, subject: str) -> list[Mismatch]:
        if self(value):
            return []
        return [missing(field, subject or field) if self.present
                else unexpected(field, subject or field)]

    def __repr__(self) -> str:
        return "match.ANY" if self.present else "match.ABSENT"


class _OneOf(Matcher):
    def __init__(self, values: tuple[Any, ...]) -> None:
        self.values = tuple(as_expected(value) for value in values)
        self._failure = f"is not one of {', '.join(map(repr, self.values))}"

    def __call__(self, value: Any) -> bool:
        return any(fits(value, option) for option in self.values)

    def __repr__(self) -> str:
        return f"match.one_of({', '.join(map(repr, self.values))})"


class JsonContains(Matcher):
    """A JSON document containing *expected*: see :func:`json_contains`."""

    def __init__(self, expected: Any, any_order: bool) -> None:
        self.expected = as_expected(expected)
        self.any_order = any_order

    def __call__(self, value: Any) -> bool:
        return not self._differences("", value, "")

    def _differences(self, field: str, value: Any, subject: str) -> list[Mismatch]:
        """Where *value* (a document, or JSON text) lacks what is expected, path by path."""
        if isinstance(value, (str, bytes, bytearray)):
            try:
                value = jsonlib.loads(value)
            except ValueError:
                return [note(field, f"is not JSON (got {shorten(value)})", subject)]
        return json_differences(value, self, field=field, path=f"{subject or field} $")

    def __repr__(self) -> str:
        order = ", any_order=True" if self.any_order else ""
        return f"match.json_contains({self.expected!r}{order})"


class _Satisfies(Matcher):
    """Any callable returning a bool, named in reports; an exception it raises is a no."""

    def __init__(self, test: Callable[[Any], Any]) -> None:
        self.test = test
        self.name = getattr(test, "__name__", None) or repr(test)

    def __call__(self, value: Any) -> bool:
        return not self._differences("", value, "")

    def _differences(self, field: str, value: Any, subject: str) -> list[Mismatch]:
        try:
            if self.test(value):
                return []
            raised = ""
        except Exception as error:  # a test that cannot judge a value rejects it
            raised = f"; it raised {type(error).__name__}: {error}"
        return [note(field, f"does not satisfy {self.name}() (got {shorten(value)}{raised})",
                     subject)]

    def __repr__(self) -> str:
        return self.name


#: What a criterion takes for a value of type ``_T``: the value, a matcher, or
#: any callable returning a bool (``Expected[str]``).
Expected = Union[_T, Matcher, Callable[[Any], bool]]

#: Present, whatever the value.
ANY: Matcher = _Presence(True)
#: Not present at all.
ABSENT: Matcher = _Presence(False)


def regex(pattern: str | bytes | re.Pattern, flags: int = 0) -> Matcher:
    """A value in which *pattern* is found (``re.search``: anchor with ``^`` and ``$``)."""
    return _Regex(pattern, flags)


def contains(part: Any) -> Matcher:
    """A value containing *part*: a substring (str or bytes), or an item of a list."""
    return _Contains(part)


def one_of(*values: Any) -> Matcher:
    """A value equal to one of *values* (which may be matchers)."""
    return _OneOf(values)


def json_contains(expected: Any, any_order: bool = False) -> Matcher:
    """A JSON document containing *expected*: its keys match, recursively; others may exist.

    Arrays must have the expected items, in order, unless *any_order*.
    """
    return JsonContains(expected, any_order)


def as_expected(value: Any) -> Any:
    """*value* with every callable in it (in dicts, lists, tuples) turned into a named matcher.

    Raises TypeError for a type: ``int`` would call ``int(value)``, not check it.
    """
    if isinstance(value, Matcher):
        return value
    if isinstance(value, type):
        raise TypeError(f"{value.__name__} is a type, not a matcher; to check the type of a "
                        f"value, give lambda value: isinstance(value, {value.__name__})")
    if callable(value):
        return _Satisfies(value)
    if isinstance(value, Mapping):
        return {key: as_expected(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(as_expected(item) for item in value)
    return value


def compare(field: str, actual: Any, expected: Any, subject: str = "") -> list[Mismatch]:
    """How the recorded *actual* differs from *expected* (a value or matcher); [] when it fits.

    None as *actual* stands for a value not present. *expected* has been
    through :func:`as_expected`.
    """
    if isinstance(expected, Matcher):
        return expected._differences(field, actual, subject)
    if actual == expected:
        return []
    return [differs(field, actual, expected, subject)]


def fits(actual: Any, expected: Any) -> bool:
    """True when the recorded *actual* meets *expected* (see :func:`compare`)."""
    return not compare("", actual, expected)


def compare_key(field: str, actual: Mapping[Any, Any], key: Any, expected: Any,
                subject: str) -> list[Mismatch] | None:
    """Presence first: how *key* of the mapping *actual* is missing or unexpected; None when
    both agree it is there, so that its value is to be compared."""
    if key not in actual:
        return [] if expected is ABSENT else [missing(field, subject)]
    if expected is ABSENT:
        return [unexpected(field, subject)]
    return None


def json_differences(actual: Any, expected: Any, *, field: str = "json", path: str = "json $",
                     partial: bool = False, any_order: bool = False) -> list[Mismatch]:
    """Every path at which the document *actual* differs from *expected*, in document order.

    *path* names the root (``json $``). Objects must have the same keys,
    unless *partial* (the expected ones suffice); arrays the same items in
    order, unless *any_order*. A :class:`JsonContains` inside *expected*
    makes its subtree partial; other matchers test their node.
    """
    if actual == expected or expected is ANY:  # the key is there (a null too): any value will do
        return []
    if isinstance(expected, JsonContains):
        return json_differences(actual, expected.expected, field=field, path=path, partial=True,
                                any_order=expected.any_order)
    if isinstance(expected, Matcher):
        return compare(field, actual, expected, path)

    def deeper(item: Any, value: Any, where: str) -> list[Mismatch]:
        return json_differences(item, value, field=field, path=where, partial=partial,
                                any_order=any_order)

    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        found: list[Mismatch] = []
        for key, value in expected.items():
            where = _step(path, key)
            presence = compare_key(field, actual, key, value, where)
            found += presence if presence is not None else deeper(actual[key], value, where)
        if not partial:
            found += [unexpected(field, _step(path, key)) for key in actual if key not in expected]
        return found
    if isinstance(expected, (list, tuple)) and isinstance(actual, list):
        if any_order:
            return _unordered(actual, list(expected), field, path,
                              lambda item, value: not deeper(item, value, path))
        found = []
        for index, (item, value) in enumerate(zip(actual, expected)):
            found += deeper(item, value, f"{path}[{index}]")
        found += [missing(field, f"{path}[{index}]") for index in range(len(actual), len(expected))]
        found += [unexpected(field, f"{path}[{index}]")
                  for index in range(len(expected), len(actual))]
        return found
    return [differs(field, actual, expected, path)]


def _unordered(actual: list[Any], expected: list[Any], field: str, path: str,
               same: Callable[[Any, Any], bool]) -> list[Mismatch]:
    """How the array *actual* fails to hold the *expected* items, one each, in any order."""
    if len(actual) != len(expected):
        return [Mismatch(field, plural(len(actual), "item"), plural(len(expected), "item"), path)]
    fitting = [[same(item, value) for item in actual] for value in expected]
    taken: dict[int, int] = {}  # actual index -> expected index

    def place(wanted: int, seen: set[int]) -> bool:  # an augmenting path (Kuhn's algorithm)
        for index, fit in enumerate(fitting[wanted]):
            if fit and index not in seen:
                seen.add(index)
                if index not in taken or place(taken[index], seen):
                    taken[index] = wanted
                    return True
        return False

    unplaced = [value for wanted, value in enumerate(expected) if not place(wanted, set())]
    return [note(field, f"has no item matching {shorten(value)}", path) for value in unplaced]


def _step(path: str, key: Any) -> str:
    """*path* one key further: ``$.name``, or ``$['two words']``."""
    return f"{path}.{key}" if isinstance(key, str) and key.isidentifier() else f"{path}[{key!r}]"


def _coerce(value: Any, pattern: str | bytes) -> str | bytes | None:
    """*value* as the pattern can search it: bytes decoded for a str pattern, numbers as text."""
    if isinstance(pattern, str) and isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(pattern, bytes) and isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(pattern, str):
        return str(value)
    return value if isinstance(value, (str, bytes)) else None


def _text(pattern: str | bytes) -> str:
    return pattern if isinstance(pattern, str) else pattern.decode("latin-1")

