"""Message bodies as the inspector and the journal file show them, in bounded memory.

Owns what of one body a view shows (pretty JSON, text, a hex dump, an
image), and how it goes into a JSON document by the journal's rule
(``_journal.bodies``: ``"body"`` as text or ``"body_base64"``). A body larger than :data:`INLINE_BYTES` is never
read whole: it is judged and encoded piece by piece from its temporary file
(:meth:`RecordedRequest.body_chunks`), and :func:`iter_json` streams it into
the document, so that a 100 MiB upload costs pieces of memory, not copies.
Knows nothing of WSGI or of the page.
"""

from __future__ import annotations

import base64
import codecs
import json
import re
import secrets
from typing import Any, Callable, Iterator, Union

from .._journal.bodies import CONTROL, body_json, text_or_none
from .._journal.forms import parse_content_type
from .._journal.records import RecordedRequest, RecordedResponse

__all__ = ["HEX_BYTES", "IMAGE_TYPES", "INLINE_BYTES", "TEXT_BYTES", "Message", "body_fields",
           "body_view", "hexdump", "iter_json"]

#: Bodies up to this size are read whole; larger ones piece by piece.
INLINE_BYTES = 1 << 20
#: How much of a body the hex view shows.
HEX_BYTES = 4096
#: How much of a body a view shows as text.
TEXT_BYTES = 256 << 10
#: The raster image types shown as images (SVG is a document: shown as text).
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp",
                         "image/x-icon", "image/vnd.microsoft.icon", "image/avif"})

_PIECE = 3 << 16  # a multiple of 3, so that base64 pieces join without padding


#: A recorded request or response: headers, and a body readable in pieces.
Message = Union[RecordedRequest, RecordedResponse]


def _is_text(message: Message) -> bool:
    """Whether the whole body is text, judged piece by piece."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for piece in message.body_chunks(_PIECE):
            if CONTROL.search(decoder.decode(piece)):
                return False
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


class _Streamed:
    """A body in a document, encoded as a JSON string's content piece by piece."""

    def __init__(self, message: Message, encode: Callable[[bytes], str]) -> None:
        self.message = message
        self.encode = encode

    def pieces(self) -> Iterator[str]:
        for piece in self.message.body_chunks(_PIECE):
            yield self.encode(piece)


def body_fields(message: Message) -> dict[str, Any]:
    """``body_json`` of a recorded body (text, or base64), read in pieces once large.

    A body over :data:`INLINE_BYTES` is a placeholder that only
    :func:`iter_json` can write, streaming it from its file.
    """
    if message.body_size <= INLINE_BYTES:
        return body_json(next(message.body_chunks(INLINE_BYTES), b""))
    if _is_text(message):
        decoder = codecs.getincrementaldecoder("utf-8")()
        return {"body": _Streamed(message, lambda piece: json.dumps(decoder.decode(piece))[1:-1])}
    return {"body_base64": _Streamed(message, lambda piece: base64.b64encode(piece).decode())}


def iter_json(document: Any) -> Iterator[str]:
    """``json.dumps(document)`` in pieces, each streamed body written as it is read."""
    streamed: list[_Streamed] = []
    token = secrets.token_hex(8)  # which no header or path from the network can spell

    def placeholder(value: Any) -> str:
        if not isinstance(value, _Streamed):
            raise TypeError(f"{type(value).__name__} is not JSON serializable")
        streamed.append(value)
        return f"{token}{len(streamed) - 1}"

    text = json.dumps(document, default=placeholder)
    if not streamed:
        yield text
        return
    parts = re.split(f'"{token}(\\d+)"', text)
    for index, part in enumerate(parts):
        if index % 2 == 0:
            yield part
        else:
            yield '"'
            yield from streamed[int(part)].pieces()
            yield '"'


def hexdump(data: bytes) -> str:
    """The classic hex view: offset, sixteen bytes in hex, and the printable ones."""
    lines = []
    for offset in range(0, len(data), 16):
        row = data[offset:offset + 16]
        hexes = " ".join(f"{byte:02x}" for byte in row)
        shown = "".join(chr(byte) if 32 <= byte < 127 else "." for byte in row)
        lines.append(f"{offset:08x}  {hexes[:23]:<23}  {hexes[24:]:<23}  |{shown}|")
    return "\n".join(lines)


def body_view(message: Message, download: str) -> dict[str, Any]:
    """What the details pane shows of a body: its kind, text (JSON pretty-printed), hex view.

    ``kind`` is ``empty``, ``json``, ``text``, ``image`` or ``binary``;
    ``text`` holds at most :data:`TEXT_BYTES` of it (``truncated`` says
    so), ``hex`` the first :data:`HEX_BYTES`; *download* is the URL of the
    whole body.
    """
    size = message.body_size
    content_type = message.headers.get("Content-Type", "")
    kind, params = parse_content_type(content_type)
    view: dict[str, Any] = {"size": size, "content_type": content_type, "download": download,
                            "kind": "empty", "text": None, "truncated": False}
    if not size:
        return view
    head = next(message.body_chunks(TEXT_BYTES), b"")
    view["hex"] = hexdump(head[:HEX_BYTES])
    view["hex_truncated"] = size > HEX_BYTES
    if kind in IMAGE_TYPES:
        view["kind"] = "image"
        return view
    whole = size <= TEXT_BYTES
    text = text_or_none(head, final=whole)
    if text is None and params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
        text = _decoded(head, params["charset"])
    if text is None:
        view["kind"] = "binary"
        return view
    view["kind"], view["text"], view["truncated"] = "text", text, not whole
    if whole and (kind.endswith(("/json", "+json")) or text.lstrip()[:1] in ("{", "[")):
        try:
            view["text"] = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
            view["kind"] = "json"
        except ValueError:
            pass
    return view


def _decoded(data: bytes, charset: str) -> str | None:
    """*data* in the *charset* its Content-Type names, if that is text without controls."""
    try:
        text = data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return None
    return None if CONTROL.search(text) else text

