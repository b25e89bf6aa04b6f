"""Who may read the journal: the Host check against DNS rebinding, and what loopback is.

A web page on any site can make the browser resolve its own name to
127.0.0.1 (DNS rebinding) and then read what a local server answers "its"
origin. Such a request still names the attacker's domain in its ``Host``
header, so the inspector answers only requests naming ``localhost``, the
address the server is bound to, or a loopback address. Knows nothing of
WSGI beyond reading the environ.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

__all__ = ["host_allowed", "is_loopback"]

_WILDCARDS = ("0.0.0.0", "::", "")


def _name_of(host: str) -> str:
    """The host name of a ``Host`` value: no port, no IPv6 brackets, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        name, bracket, _ = host[1:].partition("]")
        return name if bracket else ""
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def host_allowed(environ: dict[str, Any]) -> bool:
    """True if the request's ``Host`` names this server, not somebody's domain.

    Allowed: ``localhost``, the name or address the server was bound to
    (``SERVER_NAME``), and loopback addresses; on a server bound to every
    interface (``0.0.0.0`` or ``::``), any IP address. A request without
    ``Host`` (HTTP/1.0, never a browser) is allowed.
    """
    host = environ.get("HTTP_HOST")
    if host is None:
        return True
    name = _name_of(host).rstrip(".")
    bound = environ.get("SERVER_NAME", "").lower()  # as given to bind: no brackets, no port
    if name in ("localhost", bound):
        return True
    address = _ip(name)
    if address is None:
        return False
    return address.is_loopback or bound in _WILDCARDS


def is_loopback(host: str) -> bool:
    """True if binding *host* serves only this machine (every address it names is loopback)."""
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    addresses = [_ip(str(entry[4][0]).partition("%")[0]) for entry in found]  # no IPv6 zone
    return all(address is not None and address.is_loopback for address in addresses)
