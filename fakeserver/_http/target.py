"""The request target and the host a request is for (RFC 9112 sections 3.2 and 3.3).

Owns telling apart the forms a request target takes (a path, an absolute
URI as sent to proxies, ``*`` for ``OPTIONS``, ``host:port`` for
``CONNECT``), checking the ``Host`` field, and deciding which authority the
request names: the absolute URI's when there is one, else the Host
field's. Refusals are :class:`ClientError` 400s. One reading of an
authority (:func:`split_authority`) serves all three, and the forward
proxy, which takes its hosts and ports from what was checked here. Knows
nothing of the environ, of bodies or of sockets.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Optional, Tuple

from .memo import Memo
from .wire import ClientError

__all__ = ["Authority", "Target", "check_host", "split_authority", "split_target"]

# RFC 3986 section 3.2.2: an IP literal in brackets, or a registered name
# (unreserved and sub-delims characters, percent-escapes); then a port.
_AUTHORITY = re.compile(r"(?P<host>\[[0-9A-Za-z._~!$&'()*+,;=:%-]+\]"
                        r"|(?:[0-9A-Za-z._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})*)"
                        r"(?::(?P<port>[0-9]*))?")
# RFC 9112 section 3.2.2: scheme "://" authority, then path and query.
_ABSOLUTE = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)"
                       r"(?P<rest>(?:[/?].*)?)", re.DOTALL)


#: A request target taken apart: the authority of an absolute-form target
#: (which replaces the Host field) or None; the path, still percent-encoded
#: (``*`` for OPTIONS, ``host:port`` for CONNECT); the query. A plain tuple:
#: one is made for every request.
Target = Tuple[Optional[str], str, str]
#: An authority taken apart: the host as written (an IP literal without its
#: brackets), and the port, None when it names none.
Authority = Tuple[str, Optional[int]]


def split_authority(authority: str) -> Authority:
    """``host``, ``host:port`` or ``[IPv6]:port`` taken apart (RFC 3986 section 3.2.2).

    The host may be empty, as a Host field's may; an empty port is no
    port. Raises ValueError for anything else: a character no host has, a
    bracketed literal that is no IPv6 address, a port outside 1 to 65535.
    """
    match = _AUTHORITY.fullmatch(authority)
    if match is None:
        raise ValueError(f"invalid authority {authority[:80]!r}")
    host, port = match["host"], match["port"]
    if host[:1] == "[":
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"invalid IPv6 address in {authority[:80]!r}") from None
    if not port:
        return host, None
    number = int(port) if len(port) <= 5 else 0
    if not 0 < number < 65536:
        raise ValueError(f"invalid port in {authority[:80]!r}")
    return host, number


def split_target(method: str, target: str) -> Target:
    """Take *target* apart; ClientError 400 for a form *method* does not allow.

    ``host:port`` is for ``CONNECT`` alone, which takes nothing else, and
    ``*`` for ``OPTIONS`` alone. An absolute URI must be ``http`` or
    ``https``, name a host and carry no user information (RFC 9110
    sections 4.2 and 4.2.4).
    """
    if method == "CONNECT":
        if not _names_host(target, with_port=True):
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


def _names_host(authority: str, *, with_port: bool = False) -> bool:
    """True if *authority* is valid and names a host (and a port, if *with_port*)."""
    try:
        host, port = split_authority(authority)
    except ValueError:
        return False
    return host != "" and (port is not None or not with_port)


def check_host(value: str) -> None:
    """Raise ClientError 400 unless *value* is a valid ``Host`` value (RFC 9112 section 3.2)."""
    if value in _VALID_HOSTS:
        return
    try:
        split_authority(value)
    except ValueError:
        raise ClientError(400, f"invalid Host {value[:80]!r}") from None
    _VALID_HOSTS.remember(value, True)


#: Host values found valid lately: a client names the same host in every request.
_VALID_HOSTS: Memo[str, bool] = Memo(256)
