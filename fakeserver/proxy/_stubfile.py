"""Stubs for many hosts from one JSON file: ``StubApp.load``'s format, with full URLs.

Each entry is ``{"request": {...}, "response": {...}}`` exactly as a
:class:`StubApp` file has it, except that ``request.path`` is a full URL
(``https://api.github.com/user``), whose host picks the StubApp. The
entries are checked and declared by the stubs' own code, so the two
formats cannot drift apart. Knows nothing of the proxy beyond its routes.
"""

from __future__ import annotations

import json
import os

from ..stubs.app import Stub, _check_entry
from ._routing import Routes
from ._urls import split_url

__all__ = ["load_stub_file"]


def load_stub_file(path: str | os.PathLike, routes: Routes) -> list[Stub]:
    """Declare the stubs of the JSON file at *path*, each on its URL's host in *routes*.

    Raises ValueError naming the entry and the field at fault before any
    stub is declared, and TypeError for a host routed to an app of its own.
    """
    with open(path, encoding="utf-8") as file:
        try:
            entries = json.load(file)
        except ValueError as error:
            raise ValueError(f"{path}: not valid JSON: {error}") from None
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of stubs, not {type(entries).__name__}")
    placed = []
    for index, entry in enumerate(entries):
        where = f"{path}: entry {index}"
        request = entry.get("request") if isinstance(entry, dict) else None
        url = request.get("path") if isinstance(request, dict) else None
        if isinstance(request, dict) and isinstance(url, str):
            try:
                _, host, _, target = split_url(url)
            except ValueError as error:
                raise ValueError(f"{where}: request.path: {error}") from None
            entry = {**entry, "request": {**request, "path": target}}
        else:
            host = ""
        checked = _check_entry(where, entry)  # wrong types and missing parts, worded as for StubApp
        if not host:
            raise ValueError(f"{where}: request.path must be a full URL such as "
                             "'https://api.github.com/user'")
        placed.append((host, checked))
    return [routes.host(host)._declare(entry) for host, entry in placed]
