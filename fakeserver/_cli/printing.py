"""What reaches the operator's terminal and the ``--journal`` file, and how.

Owns :func:`printable`, which escapes what a terminal would act on (C0 and
C1 control characters, ESC and BEL among them, and the bidirectional
overrides that reorder what is shown), so that bytes from the network can
neither move the cursor, retitle the window nor fake a line of output;
:class:`EscapingFormatter`, the same for log records; and :class:`Output`,
the thread-safe printer that also appends each exchange to the journal
file, streaming large bodies. Knows nothing of servers or arguments.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from typing import IO, Any

from .._inspector.bodies import iter_json

__all__ = ["EscapingFormatter", "Output", "printable"]

# Every control character but HTAB, and the bidirectional formatting characters.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """*text* with every control character escaped (``\\x1b``, ``\\x9b``, ``\\u202e``).

    Tabs stay; line breaks are escaped too, so one value is one line.
    """
    return _UNSAFE.sub(lambda match: _escape(match[0]), text)


def _escape(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class EscapingFormatter(logging.Formatter):
    """A log formatter whose every line is :func:`printable` (tracebacks keep their lines)."""

    def format(self, record: logging.LogRecord) -> str:
        return "\n".join(printable(line) for line in super().format(record).split("\n"))


class Output:
    """Thread-safe printing to stdout, and the ``--journal`` file; each write is flushed.

    Once stdout is gone (the reader closed the pipe, as ``| head -1`` does)
    printing stops for good, and serving and journaling go on: a connection
    thread must never fail a request because nobody reads the printout.
    Text is printed as given: callers make it :func:`printable`.
    """

    def __init__(self, journal: IO[str] | None) -> None:
        self._lock = threading.Lock()
        self._journal = journal
        self.count = 0
        #: False once a write to stdout failed.
        self.printing = True

    def say(self, text: str) -> None:
        with self._lock:
            self._print(text)

    def record(self, text: str, document: dict[str, Any]) -> None:
        """Print *text* and append *document* to the journal file as one JSON line."""
        with self._lock:
            self.count += 1
            self._print(text)
            if self._journal is not None:
                for piece in iter_json(document):  # a large body is read from its file piecewise
                    self._journal.write(piece)
                self._journal.write("\n")
                self._journal.flush()

    def _print(self, text: str) -> None:
        if not self.printing:
            return
        try:
            print(text, flush=True)
        except (OSError, ValueError):  # BrokenPipeError; ValueError: stdout closed
            self.printing = False

    def close(self) -> None:
        """Make the interpreter's last flush of stdout harmless if stdout broke."""
        if self.printing:
            return
        # Text that never made it out is still buffered: let it go to os.devnull
        # (the remedy in the signal module's documentation, "Note on SIGPIPE").
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, sys.stdout.fileno())
            finally:
                os.close(devnull)
        except (OSError, ValueError, AttributeError):  # stdout without a file descriptor
            sys.stdout = open(os.devnull, "w")
