"""Waits an app makes before it answers, cut short by a server's stop or by a client that left.

A stub that delays its answer, or dribbles it out, should neither hold up
``stop()`` nor keep waiting for a client that gave up: the test would wait
on the exchange (its assertions settle the journal) long after the client
timed out. :meth:`Interrupt.wait` waits on both at once, without polling:
``selectors`` on the client's socket and on a wakeup socket that
:meth:`Interrupt.set` writes to. A client socket that turns readable with
nothing to peek has been closed by the client. (A client that half-closes,
shutting down only its sending side while it waits for the answer, looks
the same and is taken for gone too; a TLS client that sends ``close_notify``
before closing looks like one sending more, and its wait runs its course.)

An app that sees its client gone raises :class:`ClientDisconnected`; the
gateway then ends the exchange without a word, and it is no app error.
Knows nothing of WSGI or stubs.
"""

from __future__ import annotations

import enum
import selectors
import socket
import threading
import time

__all__ = ["ClientDisconnected", "Interrupt", "Woken"]


class ClientDisconnected(ConnectionError):
    """The client disconnected before the app answered; raised by the app to end the exchange.

    Its message says when; a :class:`Recorder` keeps it as the exchange's
    ``error``. The gateway closes the connection and records no app error.
    """


class Woken(enum.Enum):
    """Why :meth:`Interrupt.wait` returned."""

    TIMEOUT = "the time was up"
    INTERRUPTED = "the interrupt was set"
    CLIENT_GONE = "the client disconnected"


#: recv() flags that look at a socket's next byte without taking it or blocking.
_PEEK = socket.MSG_PEEK | getattr(socket, "MSG_DONTWAIT", 0)


class Interrupt:
    """A flag that cuts waits short, and can watch a client's socket while waiting.

    Set (by ``AppRunner.stop()``, through the app's ``interrupt()``), it
    wakes every wait in progress and makes later ones return at once until
    :meth:`clear`. Thread-safe; :meth:`set` never blocks.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._wakeups: set[socket.socket] = set()

    def set(self) -> None:
        """Wake every wait, now and until :meth:`clear`."""
        with self._lock:
            self._event.set()
            for wakeup in self._wakeups:
                try:
                    wakeup.send(b"!")
                except OSError:  # its buffer is full: that wait is being woken already
                    pass

    def clear(self) -> None:
        """Let waits wait again."""
        self._event.clear()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float, client: socket.socket | None = None) -> Woken:
        """Block up to *seconds*; return early when set or, if *client* is given, when it leaves.

        *client* is a connection's socket, only watched: nothing is read
        from it. One the client sends more on (a pipelined request) stops
        being watched, since its client is still there.
        """
        if client is None:
            return Woken.INTERRUPTED if self._event.wait(seconds) else Woken.TIMEOUT
        receiver, sender = socket.socketpair()
        try:
            sender.setblocking(False)
            with self._lock:
                if self._event.is_set():
                    return Woken.INTERRUPTED
                self._wakeups.add(sender)
            try:
                return _watch(client, receiver, seconds)
            finally:
                with self._lock:
                    self._wakeups.discard(sender)
        finally:
            receiver.close()
            sender.close()


def _watch(client: socket.socket, wakeup: socket.socket, seconds: float) -> Woken:
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:
        selector.register(wakeup, selectors.EVENT_READ)
        selector.register(client, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return Woken.TIMEOUT
            for key, _ in selector.select(remaining):
                if key.fileobj is wakeup:
                    return Woken.INTERRUPTED
                try:
                    # socket.socket.recv: the TCP bytes themselves, even under TLS.
                    peeked = socket.socket.recv(client, 1, _PEEK)
                except BlockingIOError:  # readable a moment ago, and not after all
                    continue
                except OSError:  # reset by the client
                    return Woken.CLIENT_GONE
                if not peeked:  # the end of its stream
                    return Woken.CLIENT_GONE
                selector.unregister(client)  # it sent more: still there
