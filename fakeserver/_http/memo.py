"""Remembering what was made of the parts of messages that come again and again.

A client sends the same header fields with every request on a connection,
an app answers with the same status and fields time after time, an upstream
alike but for its ``Date``, which changes every second. Parsing, checking
and rendering those parts is a good part of what serving a small request
costs, so the server core remembers what it made of each of them in a
:class:`Memo`. Knows nothing of what is remembered.
"""

from __future__ import annotations

from typing import Dict, Hashable, TypeVar

__all__ = ["Memo"]

_Key = TypeVar("_Key", bound=Hashable)
_Value = TypeVar("_Value")


class Memo(Dict[_Key, _Value]):
    """A dict of results made lately, forgotten all at once when it holds *size* of them.

    Look a key up with ``get()`` (the dict's own, at C speed); store what
    was made with :meth:`remember`. Forgetting everything when full keeps
    memory bounded whatever a client sends, and lets a stream of distinct
    keys (a ``Date`` each second, a hostile client) cost only the making.
    Only results that are right for every later use of the key belong here:
    a head that raised is never remembered. Thread-safe: each dict
    operation is atomic, and a race makes the same result twice.
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def remember(self, key: _Key, value: _Value) -> _Value:
        """Keep *value* as what was made of *key*; return it."""
        if len(self) >= self.size:
            self.clear()
        self[key] = value
        return value
