"""Keeping a page up to date: change notices, the Server-Sent Events stream, the polled diff.

Owns :class:`Changes` (a counter bumped on every change to what the page
shows, which a stream waits on, and closes when the server stops),
:class:`Cursor` (what one page has been sent, and the events that bring it
up to date) and :func:`event_stream`, the ``text/event-stream`` body of
``/__fakeserver__/events``. The events:

- ``reset``: forget everything; what is kept follows.
- ``journal`` / ``mailbox``: ``{"first": id, "dropped": n}``; rows with a
  smaller id are gone (all of them when ``first`` is null).
- ``exchanges`` / ``messages``: a list of rows, new or changed, newest
  first (an exchange is sent when it begins and again when it ends).
- ``index``: the package index's catalogue, when it changed.

A stream blocks its connection's thread in :meth:`Changes.wait`; it ends
within moments of :meth:`Changes.close`, which ``AppRunner.stop()`` reaches
through the inspector's ``interrupt()``, so a page left open never holds a
server's stop for its timeout. Knows nothing of WSGI routing.
"""

from __future__ import annotations

import functools
import json
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterator

from .exchanges import summary
from .mail import MailLog, message_summary
from .uploads import uploads_json

if TYPE_CHECKING:
    from .._journal.recorder import Recorder
    from ..pypi.index import PackageIndex

__all__ = ["BATCH", "HEARTBEAT", "Changes", "Cursor", "event_stream"]

#: Seconds between comments on an idle stream, which find a client that went away.
HEARTBEAT = 15.0
#: The least time between two updates of one stream: a burst of requests is one update.
THROTTLE = 0.05
#: How long a browser waits before reconnecting a stream that ended, in milliseconds.
RETRY_MS = 1000
#: The most rows one event carries.
BATCH = 1000


class Changes:
    """A version number bumped on every change the page shows, and waits for the next.

    Thread-safe; :meth:`bump` never blocks for long. Once :meth:`close` was
    called, every :meth:`wait` returns None at once, for good.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._version = 0
        self._closed = threading.Event()

    @property
    def version(self) -> int:
        return self._version

    def bump(self) -> None:
        """Note a change and wake every waiting stream."""
        with self._condition:
            self._version += 1
            self._condition.notify_all()

    def close(self) -> None:
        """End every stream, now and later (the server is stopping)."""
        with self._condition:
            self._closed.set()
            self._condition.notify_all()

    def wait(self, seen: int, timeout: float) -> int | None:
        """Block until the version differs from *seen* (or *timeout*); None once closed."""
        with self._condition:
            self._condition.wait_for(lambda: self._version != seen or self._closed.is_set(),
                                     timeout)
            return None if self._closed.is_set() else self._version

    def pause(self, seconds: float) -> None:
        """Sleep, unless closed meanwhile."""
        self._closed.wait(seconds)


class Cursor:
    """What one page was sent of the journals, and the events bringing it up to date."""

    def __init__(self, recorder: Recorder | None, mail: MailLog | None,
                 index: PackageIndex | None) -> None:
        self._recorder, self._mail, self._index = recorder, mail, index
        # By row event: each id sent, with whether it was sent completed.
        self._sent: dict[str, dict[int, bool]] = {"exchanges": {}, "messages": {}}
        self._oldest: dict[str, int | None] = {"exchanges": -1, "messages": -1}
        self._serial = -1

    def events(self) -> Iterator[tuple[str, Any]]:
        """The ``(event, data)`` pairs the page misses; consume them all before calling again.

        Rows come newest first, at most :data:`BATCH` an event, so that a
        page opened on a long journal shows its top rows at once.
        """
        if self._recorder is not None:
            # "completed" is read before the row is made: a change between is sent again.
            yield from self._rows("exchanges", [(r.id, r.completed, functools.partial(summary, r))
                                                for r in self._recorder.requests],
                                  self._recorder.dropped)
        if self._mail is not None:
            yield from self._rows("messages", [(n, True, functools.partial(message_summary, n, m))
                                               for n, m in self._mail.messages], self._mail.dropped)
        if self._index is not None and self._index.last_serial != self._serial:
            catalogue = uploads_json(self._index)
            self._serial = catalogue["serial"]
            yield "index", catalogue

    def _rows(self, kind: str, rows: list[tuple[int, bool, Callable[[], dict[str, Any]]]],
              dropped: int) -> Iterator[tuple[str, Any]]:
        sent = self._sent[kind]
        oldest = rows[0][0] if rows else None
        if oldest != self._oldest[kind]:  # rows were dropped or cleared: say which remain
            self._oldest[kind] = oldest
            yield _OLDEST_EVENTS[kind], {"first": oldest, "dropped": dropped}
            for number in [n for n in sent if oldest is None or n < oldest]:
                del sent[number]
        changed = []
        for number, completed, row in reversed(rows):
            if number not in sent or (completed and not sent[number]):
                changed.append(row())
                sent[number] = completed
                if len(changed) == BATCH:
                    yield kind, changed
                    changed = []
        if changed:
            yield kind, changed


#: The event saying which rows of a kind remain.
_OLDEST_EVENTS = {"exchanges": "journal", "messages": "mailbox"}


def _event(name: str, data: Any) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode("utf-8")


def event_stream(changes: Changes, cursor: Cursor) -> Iterator[bytes]:
    """The body of an event stream: a reset, everything kept, then each change as it comes.

    Ends when *changes* is closed; the server ends it too when the client
    has gone (a write fails, at the latest at the next heartbeat).
    """
    seen = changes.version
    yield f"retry: {RETRY_MS}\n\n".encode() + _event("reset", {})
    for name, data in cursor.events():  # a long journal goes out batch by batch
        yield _event(name, data)
    while True:
        version = changes.wait(seen, HEARTBEAT)
        if version is None:
            return
        if version == seen:
            yield b": heartbeat\n\n"
            continue
        seen = version
        update = b"".join(_event(name, data) for name, data in cursor.events())
        if update:
            yield update
        changes.pause(THROTTLE)
