"""How a body shows in JSON: as text when it is text, else as base64.

The one rule for every JSON rendering of a recorded body (the command
line's journal, stub files written from a journal): UTF-8 without control
characters other than whitespace is ``{"body": text}``, anything else
``{"body_base64": ...}``. Pure functions of bytes.
"""

from __future__ import annotations

import base64

__all__ = ["body_json", "text_or_none"]


def text_or_none(data: bytes) -> str | None:
    """*data* as text if it is UTF-8 with no control characters but whitespace; else None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 32 and c not in "\t\n\r" or ord(c) == 127 for c in text):
        return None
    return text


def body_json(data: bytes, key: str = "body") -> dict[str, str]:
    """``{"body": text}``, or ``{"body_base64": ...}`` for bytes that are not text.

    *key* names the field instead of ``body`` (``content``, ``content_base64``).
    """
    text = text_or_none(data)
    if text is not None:
        return {key: text}
    return {f"{key}_base64": base64.b64encode(data).decode("ascii")}
