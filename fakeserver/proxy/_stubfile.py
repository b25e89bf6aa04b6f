"""Stubs for many hosts from one JSON file: ``StubApp.load``'s format, with full URLs.

Each entry is ``{"request": {...}, "response": {...}}`` exactly as a
:class:`StubApp` file has it, except that ``request.path`` is a full URL
(``https://api.github.com/user``), whose host picks the StubApp. The
entries are read, checked and declared by the stubs' own code, so the two
formats cannot drift apart. Knows nothing of the proxy beyond its routes.
"""

from __future__ import annotations

import os

from ..stubs.app import Stub
from ..stubs.files import check_entries, declare_stub, read_stub_file
from ._routing import Routes
from ._urls import split_url

__all__ = ["load_url_stubs"]


def load_url_stubs(path: str | os.PathLike, routes: Routes) -> list[Stub]:
    """Declare the stubs of the JSON file at *path*, each on its URL's host in *routes*.

    Raises ValueError naming the entry and the field at fault, and
    TypeError for a host routed to an app of its own, before any stub is
    declared.
    """
    placed = []
    for where, entry in check_entries(read_stub_file(path), os.fspath(path)):
        request = entry["request"]
        url = request.get("path")
        if url is None:
            raise ValueError(f"{where}: request.path must be a full URL such as "
                             "'https://api.github.com/user'")
        try:
            origin, target = split_url(url)
        except ValueError as error:
            raise ValueError(f"{where}: request.path: {error}") from None
        placed.append((origin.host, {**entry, "request": {**request, "path": target}}))
    apps = [routes.host(host) for host, _ in placed]
    return [declare_stub(app, entry) for app, (_, entry) in zip(apps, placed)]
