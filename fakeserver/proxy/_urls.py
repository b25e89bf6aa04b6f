"""Host names and URLs as the proxy compares them, and a recorded request seen with its host.

Owns the one spelling of each host (lowercase, no trailing dot, IPv6
without brackets, IDNA for non-ASCII names) and of each URL (no default
port), so that a route, a stub, an assertion and the journal agree on
``https://API.github.com:443/user`` and ``https://api.github.com/user``.
Knows nothing of sockets, TLS or unittest.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_PORTS", "URLView", "authority", "normalize_host", "parse_authority", "record_host",
    "split_url",
]

DEFAULT_PORTS = {"http": 80, "https": 443}

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


def authority(host: str, port: int, scheme: str) -> str:
    """*host* and *port* as a URL writes them: IPv6 in brackets, no default port."""
    shown = f"[{host}]" if ":" in host else host
    return shown if DEFAULT_PORTS.get(scheme) == port else f"{shown}:{port}"


def parse_authority(text: str, default_port: int | None = None) -> tuple[str, int]:
    """``host:port`` (a CONNECT target or a Host header) as a normalized host and a port.

    Without a port, *default_port* is used; if that is None, ValueError.
    """
    host, port_text = text, ""
    if text.startswith("["):
        closing = text.find("]")
        if closing < 0:
            raise ValueError(f"unbalanced brackets in {text!r}")
        host, rest = text[1:closing], text[closing + 1:]
        if rest and not rest.startswith(":"):
            raise ValueError(f"expected host:port, not {text!r}")
        port_text = rest[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    if port_text:
        if not (port_text.isdigit() and port_text.isascii() and 0 < int(port_text) < 65536):
            raise ValueError(f"invalid port in {text!r}")
        port = int(port_text)
    elif default_port is None:
        raise ValueError(f"expected host:port, not {text!r}")
    else:
        port = default_port
    return normalize_host(host), port


def split_url(url: str) -> tuple[str, str, int, str]:
    """A full ``http(s)://`` URL as (scheme, normalized host, port, path with its query).

    Raises ValueError, saying what to write, for anything but a full URL.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"expected a full URL such as 'https://api.github.com/user', "
                         f"not {url!r}")
    scheme = parts.scheme.lower()
    port = parts.port if parts.port is not None else DEFAULT_PORTS[scheme]
    rest = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, normalize_host(parts.hostname), port, rest


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
        parts = urlsplit(request.url)
        self.target: str = f"{parts.scheme}://{parts.netloc}{request.target}"

    def __getattr__(self, name: str) -> Any:
        return getattr(self.request, name)

    def __repr__(self) -> str:
        return f"<URLView {self.request!r}>"
