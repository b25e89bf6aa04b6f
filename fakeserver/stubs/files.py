"""Stub files: the stubs of a test declared in JSON, validated before any is declared.

The format is a list of ``{"request": {...}, "response": {...}}`` entries
(or ``"responses": [...]``, played in order); :meth:`StubApp.load`
documents it. Snapshots of a journal are written in it too, with
``"exact": true`` requests (:mod:`.recorded`) and bytes as base64. A file
is read and checked whole, so that a mistake anywhere declares nothing and
the ValueError names the entry and the field at fault. Only the criteria
JSON can carry are accepted: a predicate is a function, and a stub matches
no status.
"""

from __future__ import annotations

import base64
import binascii
import json as jsonlib
import os
from typing import TYPE_CHECKING, Any

from .recorded import exact_expectation
from .replies import Response

if TYPE_CHECKING:
    from .app import Stub, StubApp

__all__ = ["declare_stubs", "load_stub_file", "read_stub_file"]

_REQUEST_KEYS = ("method", "path", "query", "headers", "match_headers", "body", "body_base64",
                 "json", "form", "files", "exact")
_RESPONSE_KEYS = ("status", "headers", "body", "body_base64", "text", "json", "delay")
_ENTRY_KEYS = ("request", "response", "responses", "times", "priority")
_FILE_KEYS = ("filename", "content", "content_base64", "content_type")


def load_stub_file(app: StubApp, path: str | os.PathLike) -> list[Stub]:
    """Declare on *app* the stubs of the JSON file at *path*; all of them, or none.

    Raises ValueError naming the entry and the field at fault, or OSError
    when the file cannot be read.
    """
    return declare_stubs(app, read_stub_file(path), os.fspath(path))


def read_stub_file(path: str | os.PathLike) -> list[Any]:
    """The entries of the stub file at *path*, parsed but not checked.

    Raises ValueError unless it is a JSON list, OSError when it cannot be read.
    """
    with open(path, encoding="utf-8") as file:
        try:
            entries = jsonlib.load(file)
        except ValueError as error:
            raise ValueError(f"{path}: not valid JSON: {error}") from None
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of stubs, not {type(entries).__name__}")
    return entries


def declare_stubs(app: StubApp, entries: list[Any], source: str) -> list[Stub]:
    """Declare on *app* the stubs of parsed *entries* from *source*; all of them, or none.

    Raises ValueError naming *source*, the entry and the field at fault.
    """
    checked = [_check_entry(f"{source}: entry {index}", entry)
               for index, entry in enumerate(entries)]
    return [_declare(app, entry) for entry in checked]


def _declare(app: StubApp, entry: dict[str, Any]) -> Stub:
    request = dict(entry["request"])
    method, path = request.pop("method", None), request.pop("path", None)
    exact = request.pop("exact", False)
    matched = request.pop("match_headers", None)
    if matched is not None:  # the other headers are kept for the reader only
        names = {name.lower() for name in matched}
        request["headers"] = {name: value for name, value in request.pop("headers", {}).items()
                              if name.lower() in names} or None
    if "body_base64" in request:
        request["body"] = base64.b64decode(request.pop("body_base64"))
    elif exact and "body" in request:
        request["body"] = request["body"].encode("utf-8")
    if "files" in request:
        request["files"] = {field: [_file_spec(item) for item in specs] if isinstance(specs, list)
                            else _file_spec(specs) for field, specs in request["files"].items()}
    times, priority = entry.get("times"), entry.get("priority", 0)
    if exact:
        method = app._method(method)
        stub = app._add_stub(method, path, exact_expectation(method, path, request),
                             times, priority)
    else:
        stub = app.stub(method, path, times=times, priority=priority, **request)
    for response in entry.get("responses") or [entry.get("response", {})]:
        stub.then(**_answer(response))
    return stub


def _answer(response: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``Stub.then`` for a checked response object."""
    answer = dict(response)
    body, data = answer.pop("body", None), answer.pop("body_base64", None)
    if body is not None:
        answer["body"] = body.encode("utf-8")
    elif data is not None:
        answer["body"] = base64.b64decode(data)
    headers = answer.get("headers")
    if headers is not None:
        answer["headers"] = [(name, item) for name, value in headers.items()
                             for item in (value if isinstance(value, list) else [value])]
    return answer


def _file_spec(spec: Any) -> Any:
    """A ``files`` spec of the file as ``files=`` takes it: base64 content as bytes."""
    if isinstance(spec, dict) and "content_base64" in spec:
        spec = dict(spec)
        spec["content"] = base64.b64decode(spec.pop("content_base64"))
    return spec


def _check_entry(where: str, entry: Any) -> dict[str, Any]:
    """Validate one declarative stub; ValueError names the field at fault."""
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected an object, not {type(entry).__name__}")
    _known_keys(where, entry, _ENTRY_KEYS)
    request = entry.get("request")
    if not isinstance(request, dict):
        raise ValueError(f"{where}: 'request' must be an object")
    _known_keys(f"{where}: request", request, _REQUEST_KEYS)
    if "response" in entry and "responses" in entry:
        raise ValueError(f"{where}: give 'response' or 'responses', not both")
    responses = entry.get("responses")
    if responses is not None:
        if not isinstance(responses, list) or not responses:
            raise ValueError(f"{where}: 'responses' must be a non-empty list of objects")
        labelled = [(f"responses[{index}]", response) for index, response in enumerate(responses)]
    else:
        labelled = [("response", entry.get("response", {}))]
    _check_types(where, {
        "request.method": (request.get("method"), str),
        "request.path": (request.get("path"), str),
        "request.query": (request.get("query"), dict),
        "request.headers": (request.get("headers"), dict),
        "request.match_headers": (request.get("match_headers"), list),
        "request.body": (request.get("body"), str),
        "request.body_base64": (request.get("body_base64"), str),
        "request.form": (request.get("form"), dict),
        "request.files": (request.get("files"), dict),
        "request.exact": (request.get("exact"), bool),
        "times": (entry.get("times"), int),
        "priority": (entry.get("priority"), int),
    })
    if isinstance(entry.get("times"), int) and entry["times"] < 1:
        raise ValueError(f"{where}: times must be at least 1, not {entry['times']!r}")
    _check_values(where, [("request.query", request.get("query"), True),
                          ("request.form", request.get("form"), True),
                          ("request.headers", request.get("headers"), False)])
    if "body" in request and "body_base64" in request:
        raise ValueError(f"{where}: give request.body or request.body_base64, not both")
    _check_base64(where, "request.body_base64", request.get("body_base64"))
    _check_match_headers(where, request)
    for field, specs in (request.get("files") or {}).items():
        for spec in specs if isinstance(specs, list) else [specs]:
            _check_file(where, f"request.files[{field!r}]", spec)
    for label, response in labelled:
        _check_response(where, label, response)
    return entry


def _check_response(where: str, label: str, response: Any) -> None:
    if not isinstance(response, dict):
        shown = "'response'" if label == "response" else label
        raise ValueError(f"{where}: {shown} must be an object")
    _known_keys(f"{where}: {label}", response, _RESPONSE_KEYS)
    _check_types(where, {
        f"{label}.status": (response.get("status"), int),
        f"{label}.headers": (response.get("headers"), dict),
        f"{label}.body": (response.get("body"), str),
        f"{label}.body_base64": (response.get("body_base64"), str),
        f"{label}.text": (response.get("text"), str),
        f"{label}.delay": (response.get("delay"), (int, float)),
    })
    _check_values(where, [(f"{label}.headers", response.get("headers"), True)])
    _check_base64(where, f"{label}.body_base64", response.get("body_base64"))
    given = "body" in response or "body_base64" in response
    try:
        Response(response.get("status", 200), body=b"" if given else None,
                 text=response.get("text"), json=response.get("json"))
    except (ValueError, TypeError) as error:
        raise ValueError(f"{where}: {label}: {error}") from None
    if "body" in response and "body_base64" in response:
        raise ValueError(f"{where}: {label}: give at most one of body=, text= and json=")


def _check_types(where: str, types: dict[str, tuple[Any, type | tuple[type, ...]]]) -> None:
    for field, (value, kind) in types.items():
        if value is None:
            continue
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            expected = kind.__name__ if isinstance(kind, type) else "number"
            raise ValueError(f"{where}: {field} must be {_JSON_NAMES.get(expected, expected)}, "
                             f"not {value!r}")


def _check_values(where: str, mappings: list[tuple[str, Any, bool]]) -> None:
    """Each value of each mapping is a string (or, where *lists*, a list of strings)."""
    for field, mapping, lists in mappings:
        for key, value in (mapping or {}).items():
            values = value if lists and isinstance(value, list) else [value]
            if not all(isinstance(item, str) for item in values):
                wanted = "a string or a list of strings" if lists else "a string"
                raise ValueError(f"{where}: {field}[{key!r}] must be {wanted}, not {value!r}")


def _check_base64(where: str, field: str, value: str | None) -> None:
    if value is None:
        return
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{where}: {field} is not valid base64: {value[:40]!r}") from None


def _check_match_headers(where: str, request: dict[str, Any]) -> None:
    names = request.get("match_headers")
    if names is None:
        return
    present = {name.lower() for name in request.get("headers") or {}}
    for name in names:
        if not isinstance(name, str):
            raise ValueError(f"{where}: request.match_headers must list header names, "
                             f"not {name!r}")
        if name.lower() not in present:
            raise ValueError(f"{where}: request.match_headers names {name!r}, which "
                             f"request.headers does not give")


def _check_file(where: str, label: str, spec: Any) -> None:
    """One upload of ``request.files``: a filename, or an object of filename and content."""
    if isinstance(spec, str):
        return
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: {label} must be a filename or an object of "
                         f"{', '.join(_FILE_KEYS)}, not {spec!r}")
    _known_keys(f"{where}: {label}", spec, _FILE_KEYS)
    for key, value in spec.items():
        if not isinstance(value, str):
            raise ValueError(f"{where}: {label}.{key} must be a string, not {value!r}")
    if "content" in spec and "content_base64" in spec:
        raise ValueError(f"{where}: {label}: give content or content_base64, not both")
    _check_base64(where, f"{label}.content_base64", spec.get("content_base64"))


_JSON_NAMES = {"str": "a string", "dict": "an object", "int": "an integer", "number": "a number",
               "list": "a list", "bool": "true or false"}


def _known_keys(where: str, mapping: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(mapping) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: unknown field {unknown[0]!r}; expected one of "
                         f"{', '.join(allowed)}")
