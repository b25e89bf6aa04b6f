"""The WSGI environ of a request (PEP 3333): what its header fields and its connection give.

Owns turning header fields into ``HTTP_`` keys, ``CONTENT_TYPE`` and the
facts the gateway frames a request by (Content-Length, Transfer-Encoding,
Connection, Expect), refusing fields that contradict each other or a Host
that is none; the entries every request on a connection shares; and
``wsgi.errors``. What it made of a set of fields is remembered (``memo``):
a client sends the same fields with every request on a connection. Knows
nothing of sockets, bodies or responses.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, FrozenSet, Iterable, Optional, Sequence, Tuple

from .memo import Memo
from .target import check_host
from .wire import ClientError, tokens

__all__ = ["FieldFacts", "field_facts", "shared_environ"]

logger = logging.getLogger("fakeserver")

#: What :func:`field_facts` gives: the ``HTTP_`` entries and ``CONTENT_TYPE``, the
#: Content-Length as given, the transfer codings, the tokens of Connection (lower-cased)
#: and the expectation (lower-cased).
FieldFacts = Tuple[Dict[str, str], Optional[str], Optional[str], FrozenSet[str], str]

#: The request fields that do more than set their ``HTTP_`` key.
_SPECIAL_FIELDS = frozenset({"content-length", "content-type", "transfer-encoding", "connection",
                             "expect", "host"})
#: What :func:`_field_key` made of each field name lately, and what
#: :func:`field_facts` made of each set of fields.
_FIELD_KEYS: Memo[str, tuple[str, str]] = Memo(1024)
_FIELD_FACTS: Memo[tuple[tuple[str, str], ...], FieldFacts] = Memo(256)
_NO_TOKENS: frozenset[str] = frozenset()


def field_facts(headers: Sequence[tuple[str, str]]) -> FieldFacts:
    """What the environ takes from a request's header fields; ClientError 400 for fields
    that contradict each other or a Host that is none.

    Several lines of a field are joined by commas in its ``HTTP_`` entry,
    and the transfer codings are one list however many lines carry them. A
    name with ``_`` is dropped: ``Content_Length`` would pass for
    Content-Length in the environ. The entries are shared: copy them.
    """
    fields = tuple(headers)
    facts = _FIELD_FACTS.get(fields)
    if facts is None:
        facts = _read_fields(fields)
        _FIELD_FACTS.remember(fields, facts, sum(len(name) + len(value) for name, value in fields))
    return facts


def shared_environ(server_address: tuple[str, int], client_address: tuple,
                   url_scheme: str) -> dict[str, Any]:
    """The environ entries that every request on a connection has alike, made once."""
    return {
        "SCRIPT_NAME": "",
        "SERVER_NAME": server_address[0],
        "SERVER_PORT": str(server_address[1]),
        "REMOTE_ADDR": client_address[0],
        "REMOTE_PORT": str(client_address[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url_scheme,
        "wsgi.errors": _ERRORS,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
    }


def _read_fields(fields: tuple[tuple[str, str], ...]) -> FieldFacts:
    entries: dict[str, str] = {}
    length_field = transfer_encoding = None
    connection_tokens = expect = ""
    for name, value in fields:
        if "_" in name:
            continue
        lower, key = _FIELD_KEYS.get(name) or _field_key(name)
        if lower in _SPECIAL_FIELDS:
            if lower == "content-length":
                if length_field is not None and length_field != value:
                    raise ClientError(400, "conflicting Content-Length headers")
                length_field = value
                continue
            if lower == "content-type":
                entries["CONTENT_TYPE"] = value
                continue
            if lower == "transfer-encoding":
                transfer_encoding = (value if transfer_encoding is None
                                     else f"{transfer_encoding},{value}")
            elif lower == "connection":
                connection_tokens += value + ","
            elif lower == "expect":
                expect = value.lower()
            else:  # Host
                if "HTTP_HOST" in entries:
                    raise ClientError(400, "more than one Host header field (RFC 9112 section 3.2)")
                check_host(value)
        entries[key] = entries[key] + "," + value if key in entries else value
    wanted = frozenset(filter(None, tokens(connection_tokens))) if connection_tokens else _NO_TOKENS
    return entries, length_field, transfer_encoding, wanted, expect


def _field_key(name: str) -> tuple[str, str]:
    """*name* lower-cased, and the environ key of its field: ``HTTP_USER_AGENT``.

    Remembered in :data:`_FIELD_KEYS`: clients send the same few names on
    every request.
    """
    lower = name.lower()
    return _FIELD_KEYS.remember(name, (lower, "HTTP_" + lower.upper().replace("-", "_")))


class _ErrorStream:
    """``wsgi.errors``: what apps write there goes to the "fakeserver" logger."""

    def write(self, text: str) -> int:
        if text.strip():
            logger.warning("wsgi.errors: %s", text.rstrip())
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Nothing is buffered."""


_ERRORS = _ErrorStream()
