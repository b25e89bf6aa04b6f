"""Differences as data, and the one place that words them.

A :class:`Mismatch` is one way a record differs from what was expected:
two values apart (``json $.items[3].qty: 99 != 3``), something missing or
unexpected (``json $.note: missing``), or a sentence (``header 'X-Id' does
not match /^[0-9]+$/ (got 'abc')``). The factories below render the values
once, so that every report shows a difference alike: whole when short,
around the first differing offset with the lengths when long, and never as
two sides that print the same. Pure data and text: nothing here knows
records or servers.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Mismatch", "differs", "missing", "note", "plural", "shorten", "unexpected"]

__unittest = True  # hide this module's frames from test failure tracebacks

#: How long a side may print before it is cut.
LIMIT = 60
#: How many bytes (or characters) a long value shows on each side of its first difference.
CONTEXT = 12


def plural(number: int, noun: str) -> str:
    """``1 request``, ``2 requests``: *number* and *noun*, plural unless one."""
    return f"{number} {noun}" + ("" if number == 1 else "s")


def shorten(value: Any, limit: int = LIMIT) -> str:
    """``repr(value)``, cut in the middle when longer than *limit*."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f" ({len(value)} bytes)" if isinstance(value, (bytes, bytearray)) else ""
    keep = (limit - 5) // 2
    return f"{text[:keep]}[...]{text[-keep:]}{size}"


@dataclass(frozen=True)
class Mismatch:
    """How one field of a record differs from what was expected; reports print ``str()`` of it.

    *field* is the criterion ("path", "json", "headers"; ranking counts the
    fields that differ); *subject* names what differs when narrower than the
    field (``json $.a``, ``header 'X-Id'``, ``body at byte 40``). By *kind*:
    ``"differs"`` prints ``actual != expected`` (and *detail*, if any);
    ``"missing"`` and ``"unexpected"`` print the word; ``"note"`` prints
    *actual*, a sentence. Build them with :func:`differs`, :func:`missing`,
    :func:`unexpected` and :func:`note`.
    """

    field: str
    actual: str
    expected: str = ""
    subject: str = ""
    kind: Literal["differs", "missing", "unexpected", "note"] = "differs"
    detail: str = ""

    def __str__(self) -> str:
        subject = self.subject or self.field
        if self.kind == "note":
            return f"{subject} {self.actual}"
        if self.kind != "differs":
            return f"{subject}: {self.kind}"
        detail = f" ({self.detail})" if self.detail else ""
        return f"{subject}{':' if self.subject else ''} {self.actual} != {self.expected}{detail}"


def missing(field: str, subject: str) -> Mismatch:
    """*subject* was expected and is not there: ``json $.note: missing``."""
    return Mismatch(field, "", subject=subject, kind="missing")


def unexpected(field: str, subject: str) -> Mismatch:
    """*subject* is there and was not expected: ``json $.extra: unexpected``."""
    return Mismatch(field, "", subject=subject, kind="unexpected")


def note(field: str, sentence: str, subject: str = "") -> Mismatch:
    """A difference said in words, after its *subject* (default: the field)."""
    return Mismatch(field, sentence, subject=subject, kind="note")


def differs(field: str, actual: Any, expected: Any, subject: str = "") -> Mismatch:
    """*actual* (recorded) and *expected* side by side, as they can be told apart.

    Short values print whole. Two long strings, or two long byte strings,
    print around their first differing offset, which joins the subject
    (``body at byte 1234``), with their lengths. Other long values are cut
    around the first difference of their reprs. Values that print alike
    print in ASCII (``'e\\u0301'``), then with their types, then marked.
    """
    text = isinstance(actual, str) and isinstance(expected, str) or (
        isinstance(actual, (bytes, bytearray)) and isinstance(expected, (bytes, bytearray)))
    if text and max(len(actual), len(expected)) > LIMIT:  # their reprs are longer still
        return _at_first_difference(field, actual, expected, subject)
    shown_actual, shown_expected = _apart(actual, expected)
    if len(shown_actual) <= LIMIT and len(shown_expected) <= LIMIT:
        return Mismatch(field, shown_actual, shown_expected, subject)
    if text:  # short, but long once escaped
        return _at_first_difference(field, actual, expected, subject)
    offset = _first_difference(shown_actual, shown_expected)
    return Mismatch(field, _cut(_around(shown_actual, offset), offset, shown_actual),
                    _cut(_around(shown_expected, offset), offset, shown_expected), subject)


def _at_first_difference(field: str, actual: Any, expected: Any, subject: str) -> Mismatch:
    """Two strings (or byte strings) around their first differing offset, with their lengths."""
    offset = _first_difference(actual, expected)
    unit = "char" if isinstance(actual, str) else "byte"
    around_actual, around_expected = _apart(*(_around(value, offset)
                                              for value in (actual, expected)))
    return Mismatch(field, _cut(around_actual, offset, actual),
                    _cut(around_expected, offset, expected),
                    f"{subject or field} at {unit} {offset}",
                    detail=f"lengths {len(actual)} and {len(expected)}")


def _apart(actual: Any, expected: Any) -> tuple[str, str]:
    """The two values as text that differs to the eye: their reprs, in ASCII when they
    would look alike (``'é'`` and ``'e\\u0301'``, a Cyrillic ``'а'`` and ``'a'``), then
    with their types."""
    texts = repr(actual), repr(expected)
    if _look_alike(*texts):
        texts = ascii(actual), ascii(expected)
    if texts[0] != texts[1]:
        return texts
    texts = f"{texts[0]} ({type(actual).__name__})", f"{texts[1]} ({type(expected).__name__})"
    if texts[0] != texts[1]:
        return texts
    return texts[0], f"{texts[1]}, which prints alike but is not equal"


def _look_alike(one: str, other: str) -> bool:
    """True when *one* and *other* may look the same on screen: equal, or first differing
    where a combining mark or a non-ASCII character stands against an ASCII one."""
    if one == other:
        return True
    if one.isascii() and other.isascii():
        return False
    offset = _first_difference(one, other)
    pair = one[offset:offset + 1], other[offset:offset + 1]
    return pair[0].isascii() != pair[1].isascii() or any(
        unicodedata.combining(char) for char in pair if char)


def _first_difference(one: Any, other: Any) -> int:
    """The first offset where the sequences *one* and *other* differ (else the shorter's length).

    Compares a few kilobytes at a time, so that a body of megabytes costs
    a pass in C, not a Python loop over every byte.
    """
    end, start, step = min(len(one), len(other)), 0, 4096
    while start < end and one[start:start + step] == other[start:start + step]:
        start += step
    for offset in range(start, min(start + step, end)):
        if one[offset] != other[offset]:
            return offset
    return end


def _around(value: Any, offset: int) -> Any:
    """The slice of *value* around *offset*."""
    return value[max(0, offset - CONTEXT):offset + CONTEXT]


def _cut(shown: str, offset: int, whole: Any) -> str:
    """*shown* (a slice around *offset*) with ``...`` where *whole* goes on."""
    before = "..." if offset > CONTEXT else ""
    after = "..." if offset + CONTEXT < len(whole) else ""
    return f"{before}{shown}{after}"
