"""Listeners: callbacks told that a journal changed, so that a live view can catch up.

The journals (the Recorder's, and the command line's mail log) call their
listeners after each change, outside their own locks. Knows nothing of what
changed or of who listens.
"""

from __future__ import annotations

import threading
from typing import Callable

__all__ = ["Listeners"]


class Listeners:
    """Callbacks of no arguments, all called by calling this; thread-safe.

    A listener runs in the thread making the change: it must be quick and
    must not raise.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def add(self, listener: Callable[[], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def __call__(self) -> None:
        if not self._listeners:  # the common case, every request of a test: nobody listens
            return
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()
