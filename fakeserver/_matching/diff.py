"""Differences as data: how one field of a record differs from what was expected.

A :class:`Mismatch` is one difference; every report prints mismatches the
same way. Pure data and text: nothing here knows records or servers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Mismatch", "shorten"]

__unittest = True  # hide this module's frames from test failure tracebacks


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

