"""How a body shows in JSON: as text when it is text, else as base64.

The one rule for every JSON rendering of a recorded body (the command
line's journal, stub files written from a journal): UTF-8 without control
characters other than whitespace is ``{"body": text}``, anything else
``{"body_base64": ...}``. Pure functions of bytes.
"""

from __future__ import annotations

import base64
import codecs
import re

__all__ = ["CONTROL", "body_json", "text_or_none"]

#: What text must not hold: control characters other than whitespace.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_or_none(data: bytes, final: bool = True) -> str | None:
    """*data* as text if it is UTF-8 with no control characters but whitespace; else None.

    With *final* false, *data* is the beginning of a body: a character cut
    at its end is dropped rather than judged.
    """
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(data, final)
    except UnicodeDecodeError:
        return None
    return None if CONTROL.search(text) else text


def body_json(data: bytes, key: str = "body") -> dict[str, str]:
    """``{"body": text}``, or ``{"body_base64": ...}`` for bytes that are not text.

    *key* names the field instead of ``body`` (``content``, ``content_base64``).
    """
    text = text_or_none(data)
    if text is not None:
        return {key: text}
    return {f"{key}_base64": base64.b64encode(data).decode("ascii")}
