"""Host names and URLs as the proxy compares them, and a recorded request seen with its host.

Owns the one spelling of each host (lowercase, no trailing dot, IPv6
without brackets, IDNA for non-ASCII names) and of each URL (no default
port), so that a route, a stub, an assertion and the journal agree on
``https://API.github.com:443/user`` and ``https://api.github.com/user``.
Authorities are read as the server core reads them (``split_authority``)
and written as the forwarding writes them (``Origin``), so the wire, the
passthrough and the proxy's routes agree. Knows nothing of sockets, TLS or
unittest.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from .._http.target import split_authority
from .._targets import url_origin
from .._upstream.pool import DEFAULT_PORTS, Origin

__all__ = ["URLView", "normalize_host", "parse_authority", "record_host", "split_url"]

_LABELS = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")
_MAX_HOST = 253


def normalize_host(name: str) -> str:
    """The canonical spelling of a host name or IP literal; ValueError if it is neither."""
    host = name.lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"not a host name: {name!r}") from None
    if len(host) > _MAX_HOST or not _LABELS.fullmatch(host):
        raise ValueError(f"not a host name: {name!r}")
    return host


def parse_authority(text: str, default_port: int) -> tuple[str, int]:
    """``host[:port]`` (a CONNECT target, a Host field) as a normalized host and a port.

    *default_port* when *text* names none. Raises ValueError for what the
    server core refuses (see ``split_authority``) or a name that is no host.
    """
    host, port = split_authority(text)
    return normalize_host(host), default_port if port is None else port


def split_url(url: str) -> tuple[Origin, str]:
    """A full ``http(s)://`` URL as its origin (the host normalized) and its path with its query.

    Raises ValueError, saying what to write, for anything but a full URL.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        host, port = split_authority(parts.netloc)
    except ValueError:
        host, port = "", None
    if scheme not in DEFAULT_PORTS or not host:
        raise ValueError(f"expected a full URL such as 'https://api.github.com/user', "
                         f"not {url!r}")
    rest = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Origin(scheme, normalize_host(host), port or DEFAULT_PORTS[scheme]), rest


def record_host(request: Any) -> str:
    """The host a recorded request was for (its URL's host, normalized)."""
    return normalize_host(urlsplit(request.url).hostname or "")


class URLView:
    """A recorded request whose ``target`` starts with its scheme and host, as reports show it.

    Everything else is the request's own: its ``path`` too, which stubs
    match, while the request checks compare a full URL with its ``url``.
    You get one from the proxy's checks and reports.
    """

    def __init__(self, request: Any) -> None:
        self.request = request
        self.target: str = url_origin(request.url) + request.target

    def __getattr__(self, name: str) -> Any:
        return getattr(self.request, name)

    def __repr__(self) -> str:
        return f"<URLView {self.request!r}>"
