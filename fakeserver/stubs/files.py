"""Stub files: the stubs of a test declared in JSON, validated before any is declared.

The format is a list of ``{"request": {...}, "response": {...}}`` entries;
:meth:`StubApp.load` documents it. A file is read and checked whole, so
that a mistake anywhere declares nothing and the ValueError names the entry
and the field at fault. Only the criteria JSON can carry are accepted:
a predicate is a function, and a stub matches no status.
"""

from __future__ import annotations

import json as jsonlib
import os
from typing import TYPE_CHECKING, Any

from .replies import Response

if TYPE_CHECKING:
    from .app import Stub, StubApp

__all__ = ["declare_stub", "load_stub_file", "read_stub_file"]

_REQUEST_KEYS = ("method", "path", "query", "headers", "body", "json", "form")
_RESPONSE_KEYS = ("status", "headers", "body", "text", "json", "delay")
_ENTRY_KEYS = ("request", "response", "times", "priority")


def load_stub_file(app: StubApp, path: str | os.PathLike) -> list[Stub]:
    """Declare on *app* the stubs of the JSON file at *path*; all of them, or none.

    Raises ValueError naming the entry and the field at fault, or OSError
    when the file cannot be read.
    """
    return [declare_stub(app, entry) for _, entry in read_stub_file(path)]


def read_stub_file(path: str | os.PathLike) -> list[tuple[str, dict[str, Any]]]:
    """The entries of the JSON stub file at *path*, each checked, with where it is.

    *Where* is ``"FILE: entry N"``, for the caller's own errors about the
    entry to begin as these do. Declares nothing: a caller placing the
    entries elsewhere (on the host of a full URL, say) declares them with
    :func:`declare_stub` once every one is checked. Raises ValueError
    naming the entry and the field at fault, or OSError when the file
    cannot be read.
    """
    with open(path, encoding="utf-8") as file:
        try:
            entries = jsonlib.load(file)
        except ValueError as error:
            raise ValueError(f"{path}: not valid JSON: {error}") from None
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of stubs, not {type(entries).__name__}")
    checked = []
    for index, entry in enumerate(entries):
        where = f"{path}: entry {index}"
        checked.append((where, _check_entry(where, entry)))
    return checked


def declare_stub(app: StubApp, entry: dict[str, Any]) -> Stub:
    """Declare on *app* the stub of one entry that :func:`read_stub_file` checked."""
    request, response = dict(entry["request"]), dict(entry.get("response", {}))
    method, path = request.pop("method", None), request.pop("path", None)
    status = response.pop("status", 200)
    body = response.pop("body", None)
    stub = app.stub(method, path, times=entry.get("times"), priority=entry.get("priority", 0),
                    **request)
    return stub.respond(status, body=body.encode("utf-8") if body is not None else None,
                        **response)


def _check_entry(where: str, entry: Any) -> dict[str, Any]:
    """Validate one declarative stub; ValueError names the field at fault."""
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected an object, not {type(entry).__name__}")
    _known_keys(where, entry, _ENTRY_KEYS)
    request = entry.get("request")
    if not isinstance(request, dict):
        raise ValueError(f"{where}: 'request' must be an object")
    response = entry.get("response", {})
    if not isinstance(response, dict):
        raise ValueError(f"{where}: 'response' must be an object")
    _known_keys(f"{where}: request", request, _REQUEST_KEYS)
    _known_keys(f"{where}: response", response, _RESPONSE_KEYS)
    types: dict[str, tuple[Any, type | tuple[type, ...]]] = {
        "request.method": (request.get("method"), str),
        "request.path": (request.get("path"), str),
        "request.query": (request.get("query"), dict),
        "request.headers": (request.get("headers"), dict),
        "request.body": (request.get("body"), str),
        "request.form": (request.get("form"), dict),
        "response.status": (response.get("status"), int),
        "response.headers": (response.get("headers"), dict),
        "response.body": (response.get("body"), str),
        "response.text": (response.get("text"), str),
        "response.delay": (response.get("delay"), (int, float)),
        "times": (entry.get("times"), int),
        "priority": (entry.get("priority"), int),
    }
    for field, (value, kind) in types.items():
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            expected = kind.__name__ if isinstance(kind, type) else "number"
            raise ValueError(f"{where}: {field} must be {_JSON_NAMES.get(expected, expected)}, "
                             f"not {value!r}")
    for field, mapping, lists in (("request.query", request.get("query"), True),
                                  ("request.form", request.get("form"), True),
                                  ("request.headers", request.get("headers"), False),
                                  ("response.headers", response.get("headers"), False)):
        for key, value in (mapping or {}).items():
            values = value if lists and isinstance(value, list) else [value]
            if not all(isinstance(item, str) for item in values):
                wanted = "a string or a list of strings" if lists else "a string"
                raise ValueError(f"{where}: {field}[{key!r}] must be {wanted}, not {value!r}")
    try:
        Response(response.get("status", 200), body=b"" if "body" in response else None,
                 text=response.get("text"), json=response.get("json"))
    except (ValueError, TypeError) as error:
        raise ValueError(f"{where}: response: {error}") from None
    return entry


_JSON_NAMES = {"str": "a string", "dict": "an object", "int": "an integer", "number": "a number"}


def _known_keys(where: str, mapping: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(mapping) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: unknown field {unknown[0]!r}; expected one of "
                         f"{', '.join(allowed)}")
