"""Received mail for the inspector: a numbered, bounded journal, and each message as JSON.

Owns :class:`MailLog`, the command line's journal of the messages its SMTP
server accepted (ids that stay stable, the oldest dropped beyond a limit),
and the JSON of one :class:`ReceivedMessage`: the row of the Mail tab
(:func:`message_summary`), what its details show (:func:`message_details`:
envelope, headers, text part, HTML part, attachments) and the document
``--journal`` writes (:func:`message_json`). :func:`message_part` finds a
part by the number the details give it. Knows nothing of WSGI or SMTP.
"""

from __future__ import annotations

import itertools
import threading
from email.message import EmailMessage
from typing import Any, Callable, cast

from .._journal.bodies import body_json
from .._journal.listeners import Listeners
from ..smtp.server import ReceivedMessage
from .exchanges import iso_time

__all__ = ["MailLog", "header_items", "message_details", "message_json", "message_part",
           "message_summary", "part_text"]


class MailLog:
    """Received messages, numbered from 1 in arrival order, at most *limit* of them kept.

    Thread-safe. Listeners are called as the Recorder's are (see
    ``Recorder.add_listener``): after a message is added or the log cleared.
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        #: How many messages were dropped to keep within *limit*.
        self.dropped = 0
        self._lock = threading.Lock()
        self._messages: list[tuple[int, ReceivedMessage]] = []
        self._ids = itertools.count(1)
        self._changed = Listeners()

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Have *listener* called, with no arguments, after every change."""
        self._changed.add(listener)

    def add(self, message: ReceivedMessage) -> int:
        """Keep *message* (dropping the oldest beyond the limit); returns its id."""
        with self._lock:
            number = next(self._ids)
            self._messages.append((number, message))
            if self.limit is not None and len(self._messages) > self.limit:
                self.dropped += len(self._messages) - self.limit
                del self._messages[:-self.limit]
        self._changed()
        return number

    @property
    def messages(self) -> list[tuple[int, ReceivedMessage]]:
        """``(id, message)`` pairs, oldest first (a copy)."""
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        """Forget every message."""
        with self._lock:
            self._messages = []
        self._changed()


def _header(message: EmailMessage, name: str) -> str:
    """A header's decoded value; its raw text if it cannot be decoded."""
    try:
        return str(message.get(name, ""))
    except Exception:  # a malformed or undecodable header must not break the page
        return next((str(value) for key, value in message.raw_items()
                     if key.lower() == name.lower()), "")


def header_items(message: EmailMessage) -> list[list[str]]:
    """``[name, value]`` of every header, decoded where possible: never raises."""
    items = []
    for name, raw in message.raw_items():
        try:
            value = str(message.policy.header_fetch_parse(name, raw))
        except Exception:  # as in _header
            value = str(raw)
        items.append([name, value])
    return items


def _leaves(message: EmailMessage) -> list[EmailMessage]:
    """The parts that are not multipart containers, in order: what part numbers count."""
    return [part for part in message.walk() if not part.is_multipart()]


def _payload(part: EmailMessage) -> bytes:
    # decode=True gives the bytes of a non-multipart part (None for a multipart one).
    return cast("bytes | None", part.get_payload(decode=True)) or b""


def part_text(part: EmailMessage) -> str:
    """A text part decoded with its charset (UTF-8 if unknown), undecodable bytes replaced."""
    charset = part.get_content_charset() or "utf-8"
    try:
        return _payload(part).decode(charset, "replace")
    except LookupError:  # an unknown charset
        return _payload(part).decode("utf-8", "replace")


def message_part(message: ReceivedMessage, kind: str | int) -> tuple[EmailMessage, bytes] | None:
    """A part and its decoded bytes: ``"text"`` or ``"html"`` (the body shown), or a part number."""
    leaves = _leaves(message.message)
    if isinstance(kind, int):
        return (leaves[kind], _payload(leaves[kind])) if 0 <= kind < len(leaves) else None
    wanted = f"text/{'plain' if kind == 'text' else kind}"
    for part in leaves:
        if part.get_content_type() == wanted and not part.get_filename():
            return part, part_text(part).encode("utf-8")
    return None


def message_summary(number: int, message: ReceivedMessage) -> dict[str, Any]:
    """The row of the Mail tab."""
    parsed = message.message
    return {"id": number, "time": iso_time(message.time),
            "from": _header(parsed, "From") or message.mail_from,
            "to": _header(parsed, "To") or ", ".join(message.rcpt_tos),
            "subject": _header(parsed, "Subject"), "size": len(message.data)}


def message_details(number: int, message: ReceivedMessage) -> dict[str, Any]:
    """What the details of a message show; its parts are linked relative to the page."""
    base = f"messages/{number}"
    text = message_part(message, "text")
    attachments = [
        {"filename": part.get_filename() or "", "content_type": part.get_content_type(),
         "size": len(_payload(part)), "download": f"{base}/parts/{index}"}
        for index, part in enumerate(_leaves(message.message))
        if part.get_filename() or part.get_content_maintype() != "text"]
    return {
        **message_summary(number, message),
        "envelope": {"mail_from": message.mail_from, "rcpt_tos": list(message.rcpt_tos),
                     "client": list(message.peer), "user": message.user, "tls": message.tls,
                     "mail_options": list(message.mail_options)},
        "headers": header_items(message.message),
        "text": part_text(text[0]) if text is not None else None,
        "html": f"{base}/html" if message_part(message, "html") is not None else None,
        "attachments": attachments, "raw": f"{base}/raw",
    }


def message_json(message: ReceivedMessage) -> dict[str, Any]:
    """One received message as the ``--journal`` file keeps it."""
    return {"time": iso_time(message.time), "client": list(message.peer),
            "mail_from": message.mail_from, "rcpt_tos": list(message.rcpt_tos),
            "user": message.user, "tls": message.tls, **body_json(message.data)}
