"""The request target and the host a request is for (RFC 9112 sections 3.2 and 3.3).

Owns telling apart the forms a request target takes (a path, an absolute
URI as sent to proxies, ``*`` for ``OPTIONS``, ``host:port`` for
``CONNECT``), checking the ``Host`` field, and deciding which authority the
request names: the absolute URI's when there is one, else the Host
field's. Refusals are :class:`ClientError` 400s. Knows nothing of the
environ, of bodies or of sockets.
"""

from __future__ import annotations

import re
from typing import Optional, Tuple

from .wire import ClientError

__all__ = ["Target", "check_host", "split_target"]

# RFC 3986 section 3.2.2: an IP literal in brackets, or a registered name
# (unreserved and sub-delims characters, percent-escapes); then a port.
_HOST = re.compile(r"(?:\[[0-9A-Za-z._~!$&'()*+,;=:%-]+\]"
                   r"|(?:[0-9A-Za-z._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})*)"
                   r"(?::[0-9]*)?")
# RFC 9112 section 3.2.2: scheme "://" authority, then path and query.
_ABSOLUTE = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)"
                       r"(?P<rest>(?:[/?].*)?)", re.DOTALL)


#: A request target taken apart: the authority of an absolute-form target
#: (which replaces the Host field) or None; the path, still percent-encoded
#: (``*`` for OPTIONS, ``host:port`` for CONNECT); the query. A plain tuple:
#: one is made for every request.
Target = Tuple[Optional[str], str, str]


def split_target(method: str, target: str) -> Target:
    """Take *target* apart; ClientError 400 for a form *method* does not allow.

    ``host:port`` is for ``CONNECT`` alone, which takes nothing else, and
    ``*`` for ``OPTIONS`` alone. An absolute URI must be ``http`` or
    ``https``, name a host and carry no user information (RFC 9110
    sections 4.2 and 4.2.4).
    """
    if method == "CONNECT":
        if not (_names_host(target) and target.rpartition(":")[2].isdigit()):
            raise ClientError(400, f"CONNECT target {target[:80]!r} is not host:port")
        return (None, target, "")
    if target.startswith("/"):
        path, _, query = target.partition("?")
        return (None, path, query)
    if target == "*":
        if method != "OPTIONS":
            raise ClientError(400, f"the target * is for OPTIONS only, not {method}")
        return (None, target, "")
    match = _ABSOLUTE.fullmatch(target)
    if match is None:
        raise ClientError(400, f"invalid request target {target[:80]!r}")
    if match["scheme"].lower() not in ("http", "https"):
        raise ClientError(400, f"unsupported scheme in request target {target[:80]!r}")
    authority = match["authority"]
    if "@" in authority:
        raise ClientError(400, f"user information in request target {target[:80]!r}")
    if not _names_host(authority):
        raise ClientError(400, f"invalid host in request target {target[:80]!r}")
    path, _, query = match["rest"].partition("?")
    return (authority, path or "/", query)


def _names_host(authority: str) -> bool:
    """True if *authority* is a valid host (not empty) with an optional port."""
    return authority[:1] not in ("", ":") and _HOST.fullmatch(authority) is not None


def check_host(value: str) -> None:
    """Raise ClientError 400 unless *value* is a valid ``Host`` value (RFC 9112 section 3.2)."""
    if not _HOST.fullmatch(value):
        raise ClientError(400, f"invalid Host {value[:80]!r}")
