"""What ``python -m fakeserver`` prints of each exchange and message, for a person watching.

Owns the readable block printed per HTTP exchange (:func:`format_exchange`)
and per received mail message (:func:`format_message`): every line
:func:`~.printing.printable`, so bytes from the network print escaped, and
a body shown from its first bytes only, so a large upload is never read
whole to print it. The JSON forms of the same, for the ``--journal`` file
and the endpoints, are the inspector's (:mod:`fakeserver._inspector`).
Knows nothing of argument parsing or signals.
"""

from __future__ import annotations

import datetime
from typing import cast

from .._inspector.app import PREFIX
from .._inspector.bodies import Message
from .._inspector.mail import header_items, part_text
from .._journal.bodies import text_or_none
from .._journal.records import RecordedRequest
from ..smtp.server import ReceivedMessage
from .printing import printable

__all__ = ["CONTROL_PATH", "INSPECTOR_PATH", "format_exchange", "format_message"]

#: The journal of the running server, as JSON; ``DELETE`` clears it.
CONTROL_PATH = PREFIX + "/requests"
#: The inspector page of the running server.
INSPECTOR_PATH = PREFIX + "/"
#: How much of a text body the readable rendering shows.
PREVIEW_CHARS = 2000


def _preview(data: bytes, size: int, indent: str) -> list[str]:
    """The lines showing a body of *size* bytes whose first bytes are *data*."""
    text = text_or_none(data, final=len(data) == size)
    if text is None:
        return [f"{indent}<{size} bytes of binary data>"]
    shown = text[:PREVIEW_CHARS]
    lines = [indent + printable(line) for line in shown.splitlines()]
    rest = size - len(shown.encode("utf-8"))
    if rest > 0:
        lines.append(f"{indent}... ({rest} more bytes)")
    return lines


def _head(message: Message) -> bytes:
    """Enough of a body's first bytes for the preview (UTF-8 is at most 4 bytes a character)."""
    return next(message.body_chunks(4 * PREVIEW_CHARS), b"")


def format_exchange(request: RecordedRequest) -> str:
    """A readable block for one exchange: request line, query, headers, body preview, answer."""
    clock = datetime.datetime.fromtimestamp(request.time).strftime("%H:%M:%S")
    response = request.response
    answer = f"{response.status} {response.reason}" if response is not None else "no response"
    lines = [f"[{clock}] {printable(request.method)} {printable(request.target)} -> "
             f"{printable(answer)}"]
    for name, values in request.query.items():
        lines.append(f"  query  {printable(name)} = {', '.join(map(repr, values))}")
    lines.extend(f"  {printable(name)}: {printable(value)}" for name, value in request.headers.items())
    if request.body_size:
        lines.append(f"  body ({request.body_size} bytes):")
        lines.extend(_preview(_head(request), request.body_size, "    "))
    if request.error is not None:
        lines.append(f"  the app raised {printable(repr(request.error))}")
    if request.unmatched and response is not None:
        lines.extend(_preview(_head(response), response.body_size, "  | "))
    return "\n".join(lines)


def format_message(message: ReceivedMessage) -> str:
    """A readable block for one mail message: envelope, headers, the body's text parts."""
    clock = datetime.datetime.fromtimestamp(message.time).strftime("%H:%M:%S")
    lines = [f"[{clock}] MAIL FROM <{printable(message.mail_from)}> TO "
             + ", ".join(f"<{printable(address)}>" for address in message.rcpt_tos)]
    lines.extend(f"  {printable(name)}: {printable(value)}"
                 for name, value in header_items(message.message))
    for part in message.message.walk():
        if part.is_multipart():
            continue
        # decode=True gives the bytes of a non-multipart part (None for a multipart one).
        payload = cast("bytes | None", part.get_payload(decode=True)) or b""
        if part.get_content_maintype() == "text":
            text = part_text(part).encode("utf-8")
            lines.append(f"  {printable(part.get_content_type())}:")
            lines.extend(_preview(text[:4 * PREVIEW_CHARS], len(text), "    "))
        else:
            name = part.get_filename()
            lines.append(f"  {printable(part.get_content_type())}{f' {name!r}' if name else ''}: "
                         f"<{len(payload)} bytes>")
    return "\n".join(lines)
