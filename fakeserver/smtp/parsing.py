"""Parsing a received message so that reading and printing it never raise.

Owns :func:`parse_message`, which turns the data of a ``DATA`` command into
the :class:`~email.message.EmailMessage` a test inspects, and
:func:`text_charset`, the charset its text parts are read in. A fake server
accepts whatever a client sends, so the result must survive what the
``email`` package alone does not: text in a charset Python does not know
(``charset=x-unknown``, ``rot13``, a name with a NUL in it), which makes
``get_content()`` and ``str()`` raise. Here such text reads as UTF-8, with
undecodable bytes replaced; every other part reads as ``email.policy.default``
has it. Knows nothing of sockets or sessions.
"""

from __future__ import annotations

from email.contentmanager import ContentManager, raw_data_manager
from email.errors import CharsetError
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import Policy, default
from typing import Any, cast

__all__ = ["parse_message", "text_charset"]

#: The charset text in an unknown one is read as.
_FALLBACK = "utf-8"


def _decodes(charset: str) -> bool:
    """True if Python can decode text in *charset* (empty input is never looked up)."""
    try:
        b"a".decode(charset, "replace")
    except (LookupError, ValueError):  # unknown, not a text encoding, "undefined", NUL
        return False
    return True


def text_charset(part: Message, default: str = "ascii") -> str:
    """The charset to decode the text of *part* in: never one Python cannot decode.

    The declared charset if Python knows it; *default* if none is declared
    (RFC 2045 5.2 says US-ASCII); UTF-8 for any other (an unknown name, or
    one that is not ASCII).
    """
    if part.get_param("charset") is None:
        return default
    charset = part.get_content_charset(_FALLBACK)
    return charset if _decodes(charset) else _FALLBACK


def _text_content(message: Message, errors: str = "replace") -> str:
    """A text part as ``raw_data_manager`` reads it, or as UTF-8 in a charset Python lacks."""
    return cast(bytes, message.get_payload(decode=True)).decode(text_charset(message), errors)


class _Content(ContentManager):
    """``raw_data_manager``, but for text in a charset Python does not know."""

    def get_content(self, msg: Message, *args: Any, **kw: Any) -> Any:
        if msg.get_content_maintype() == "text":
            return _text_content(msg, *args, **kw)
        return raw_data_manager.get_content(msg, *args, **kw)

    def set_content(self, msg: Message, obj: Any, *args: Any, **kw: Any) -> Any:
        return raw_data_manager.set_content(msg, obj, *args, **kw)


class _ReceivedEmail(EmailMessage):
    """An EmailMessage whose text form is never refused for an unknown charset."""

    def as_string(self, unixfrom: bool = False, maxheaderlen: int | None = None,
                  policy: Policy | None = None) -> str:
        """The message as text; as UTF-8 bytes when a part's charset is unknown.

        ``email``'s generator re-encodes 8-bit text in its declared charset
        and raises when Python does not know it; the bytes as received are
        the truthful answer then.
        """
        try:
            return super().as_string(unixfrom, maxheaderlen, policy)
        except (LookupError, ValueError, CharsetError):
            return self.as_bytes(unixfrom, policy).decode(_FALLBACK, "replace")


_PARSER = BytesParser(_ReceivedEmail, policy=default.clone(content_manager=_Content()))


def parse_message(data: bytes) -> EmailMessage:
    """*data* (with CRLF or LF line endings) parsed with ``email.policy.default``.

    Reading it never raises for a charset: ``get_content()`` and ``str()``
    give text in an unknown charset as UTF-8, undecodable bytes replaced.
    Thread-safe.
    """
    return _PARSER.parsebytes(data.replace(b"\r\n", b"\n"))
