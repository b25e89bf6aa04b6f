"""Stub files: the stubs of a test declared in JSON, validated before any is declared.

The format is a list of ``{"request": {...}, "response": {...}}`` entries;
:meth:`StubApp.load` documents it. A file is read and checked whole, so
that a mistake anywhere declares nothing and the ValueError names the entry
and the field at fault. Only the criteria JSON can carry are accepted:
a predicate is a function, and a stub matches no status. The matchers of
:mod:`fakeserver.match` are one-key objects (``{"$regex": "^[0-9]+$"}``).
"""

from __future__ import annotations

import json as jsonlib
import os
import re
from typing import TYPE_CHECKING, Any, Callable

from .. import match
from .._matching import request_expectation
from .._targets import is_path
from ..match import Matcher
from .replies import Response
from .scenarios import ScenarioRule

if TYPE_CHECKING:
    from .app import Stub, StubApp

__all__ = ["load_stub_file"]

_REQUEST_KEYS = ("method", "path", "query", "headers", "body", "json", "form", "files", "cookies",
                 "auth", "host")
_RESPONSE_KEYS = ("status", "headers", "body", "text", "json", "delay")
_ENTRY_KEYS = ("request", "response", "times", "priority", "scenario", "state", "new_state")


def load_stub_file(app: StubApp, path: str | os.PathLike) -> list[Stub]:
    """Declare on *app* the stubs of the JSON file at *path*; all of them, or none.

    Raises ValueError naming the entry and the field at fault, or OSError
    when the file cannot be read.
    """
    with open(path, encoding="utf-8") as file:
        try:
            entries = jsonlib.load(file)
        except ValueError as error:
            raise ValueError(f"{path}: not valid JSON: {error}") from None
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of stubs, not {type(entries).__name__}")
    checked = [_check_entry(f"{path}: entry {index}", entry) for index, entry in enumerate(entries)]
    return [_declare(app, entry) for entry in checked]


def _declare(app: StubApp, entry: dict[str, Any]) -> Stub:
    request, response = dict(entry["request"]), dict(entry.get("response", {}))
    method, path = request.pop("method", None), request.pop("path", None)
    status = response.pop("status", 200)
    body = response.pop("body", None)
    stub = app.stub(method, path, times=entry.get("times"), priority=entry.get("priority", 0),
                    scenario=entry.get("scenario"), state=entry.get("state"),
                    new_state=entry.get("new_state"), **request)
    return stub.respond(status, body=body.encode("utf-8") if body is not None else None,
                        **response)


def _check_entry(where: str, entry: Any) -> dict[str, Any]:
    """Validate one declarative stub; ValueError names the field at fault.

    Returns the entry with the matchers of its request (``{"$regex": ...}``)
    made into those of :mod:`fakeserver.match`.
    """
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
    request = {key: _matchers(f"{where}: request.{key}", value, in_json=key == "json")
               for key, value in request.items()}
    compared = (str, Matcher)
    types: dict[str, tuple[Any, type | tuple[type, ...], str]] = {
        "request.method": (request.get("method"), str, "a string"),
        "request.path": (request.get("path"), compared, "a string or a matcher"),
        "request.query": (request.get("query"), dict, "an object"),
        "request.headers": (request.get("headers"), dict, "an object"),
        "request.body": (request.get("body"), compared, "a string or a matcher"),
        "request.form": (request.get("form"), dict, "an object"),
        "request.files": (request.get("files"), dict, "an object"),
        "request.cookies": (request.get("cookies"), dict, "an object"),
        "request.auth": (request.get("auth"), (list, Matcher), "a list of user and password"),
        "request.host": (request.get("host"), compared, "a string or a matcher"),
        "response.status": (response.get("status"), int, "an integer"),
        "response.headers": (response.get("headers"), dict, "an object"),
        "response.body": (response.get("body"), str, "a string"),
        "response.text": (response.get("text"), str, "a string"),
        "response.delay": (response.get("delay"), (int, float), "a number"),
        "times": (entry.get("times"), int, "an integer"),
        "priority": (entry.get("priority"), int, "an integer"),
        "scenario": (entry.get("scenario"), str, "a string"),
        "state": (entry.get("state"), str, "a string"),
        "new_state": (entry.get("new_state"), str, "a string"),
    }
    for field, (value, kind, wanted) in types.items():
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            raise ValueError(f"{where}: {field} must be {wanted}, not {value!r}")
    auth = request.get("auth")
    if isinstance(auth, list) and (len(auth) != 2 or not all(isinstance(part, compared)
                                                             for part in auth)):
        raise ValueError(f"{where}: request.auth must be a list of user and password, not {auth!r}")
    for field, mapping, items in (("request.query", request.get("query"), compared),
                                  ("request.form", request.get("form"), compared),
                                  ("request.headers", request.get("headers"), compared),
                                  ("request.cookies", request.get("cookies"), compared),
                                  ("response.headers", response.get("headers"), str)):
        for key, value in (mapping or {}).items():
            values = value if items is compared and isinstance(value, list) else [value]
            if not all(isinstance(item, items) for item in values):
                wanted = "a string, a matcher or a list of them" if items is compared else "a string"
                raise ValueError(f"{where}: {field}[{key!r}] must be {wanted}, not {value!r}")
    path = request.get("path")
    if isinstance(path, str) and not is_path(path):
        raise ValueError(f'{where}: request.path must start with "/" (or be a full URL), '
                         f"not {path!r}")
    criteria = {key: value for key, value in request.items() if key not in ("method", "path")}
    try:  # what the matching itself refuses (a files= entry with an unknown key, ...)
        request_expectation(request.get("path"), request.get("method"), **criteria)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{where}: request: {error}") from None
    try:
        Response(response.get("status", 200), body=b"" if "body" in response else None,
                 text=response.get("text"), json=response.get("json"))
    except (ValueError, TypeError) as error:
        raise ValueError(f"{where}: response: {error}") from None
    try:
        ScenarioRule.of(entry.get("scenario"), entry.get("state"), entry.get("new_state"))
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
    return {**entry, "request": request}


def _matchers(where: str, value: Any, *, in_json: bool) -> Any:
    """*value* with each one-key object ``{"$regex": ...}`` in it made into a matcher.

    Outside ``json``, an object with an unknown ``$`` key is a mistake; in
    a JSON document it is data, as MongoDB's ``{"$set": ...}`` is.
    """
    if isinstance(value, list):
        return [_matchers(f"{where}[{index}]", item, in_json=in_json)
                for index, item in enumerate(value)]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        [(key, argument)] = value.items()
        if key in _MATCHERS:
            return _MATCHERS[key](f"{where}: {key}", argument)
        if key.startswith("$") and not in_json:
            raise ValueError(f"{where}: unknown matcher {key!r}; expected one of "
                             f"{', '.join(_MATCHERS)}")
    return {key: _matchers(f"{where}[{key!r}]", item, in_json=in_json)
            for key, item in value.items()}


def _regex(where: str, pattern: Any) -> Matcher:
    if not isinstance(pattern, str):
        raise ValueError(f"{where} must be a string, not {pattern!r}")
    try:
        return match.regex(pattern)
    except re.error as error:
        raise ValueError(f"{where}: invalid pattern {pattern!r}: {error}") from None


def _contains(where: str, part: Any) -> Matcher:
    if not isinstance(part, str):
        raise ValueError(f"{where} must be a string, not {part!r}")
    return match.contains(part)


def _presence(matcher: Matcher) -> Callable[[str, Any], Matcher]:
    def make(where: str, flag: Any) -> Matcher:
        if flag is not True:
            raise ValueError(f"{where} must be true, not {flag!r}")
        return matcher
    return make


def _one_of(where: str, options: Any) -> Matcher:
    if not isinstance(options, list) or not options:
        raise ValueError(f"{where} must be a non-empty list, not {options!r}")
    return match.one_of(*_matchers(where, options, in_json=True))


#: The matchers a stub file may write, each made from its argument; ValueError names the field.
_MATCHERS: dict[str, Callable[[str, Any], Matcher]] = {
    "$regex": _regex,
    "$contains": _contains,
    "$any": _presence(match.ANY),
    "$absent": _presence(match.ABSENT),
    "$one_of": _one_of,
    "$json_contains": lambda where, document: match.json_contains(
        _matchers(where, document, in_json=True)),
}


def _known_keys(where: str, mapping: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(mapping) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: unknown field {unknown[0]!r}; expected one of "
                         f"{', '.join(allowed)}")
