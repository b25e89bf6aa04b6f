"""Remembering what was made of the parts of messages that come again and again.

A client sends the same header fields with every request on a connection,
an app answers with the same status and fields time after time, an upstream
alike but for its ``Date``, which changes every second. Parsing, checking
and rendering those parts is a good part of what serving a small request
costs, so the server core remembers what it made of each of them in a
:class:`Memo`. Knows nothing of what is remembered.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Hashable, TypeVar

__all__ = ["LARGEST", "Memo"]

_Key = TypeVar("_Key", bound=Hashable)
_Value = TypeVar("_Value")


#: The largest part worth remembering, in bytes: a client's or an app's usual head is
#: far smaller, and a few large ones must not hold megabytes in every memo.
LARGEST = 4096


class Memo(Dict[_Key, _Value]):
    """A dict of results made lately, forgotten all at once when it holds *size* of them.

    Look a key up with ``get()`` (the dict's own, at C speed); store what
    was made with :meth:`remember`. Forgetting everything when full keeps
    memory bounded whatever a client sends, and lets a stream of distinct
    keys (a ``Date`` each second, a hostile client) cost only the making.
    Only results that are right for every later use of an equal key belong
    here: a head that raised is never remembered, and what is remembered
    is made from the text of the parts, never from how a str subclass
    would format itself. Thread-safe: each dict operation is atomic, and a
    race makes the same result twice.
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def made(self, key: _Key, make: Callable[..., _Value], *args: Any,
             length: Callable[[_Value], int]) -> _Value:
        """What ``make(*args)`` gives, made of *key*: remembered, unless the part is longer
        than :data:`LARGEST` (*length* of the value), and made anew for a key that cannot
        be hashed (a field given as a list, say). What *make* raises goes through, and
        nothing is remembered then."""
        try:
            known = self.get(key)
        except TypeError:
            return make(*args)
        if known is None:
            known = make(*args)
            self.remember(key, known, length(known))
        return known

    def remember(self, key: _Key, value: _Value, length: int = 0) -> _Value:
        """Keep *value* as what was made of *key*, unless the part is *length* bytes long,
        more than :data:`LARGEST`; return *value*."""
        if length <= LARGEST:
            if len(self) >= self.size:
                self.clear()
            self[key] = value
        return value
