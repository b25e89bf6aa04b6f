"""Stub files: the stubs of a test declared in JSON, validated before any is declared.

The format is a list of ``{"request": {...}, "response": {...}}`` entries
(or ``"responses": [...]``, played in order); :meth:`StubApp.load`
documents it, and ``fakeserver/stubs.schema.json`` defines it as a JSON
Schema. A file holding an object is read as WireMock mappings instead,
translated into entries by :mod:`.wiremock`; a directory, file by file.
Snapshots of a journal are written in this format too, with
``"exact": true`` requests (:mod:`.recorded`) and bytes as base64. A file
is read and checked whole, so that a mistake anywhere declares nothing and
the ValueError names the entry and the field at fault. Only the criteria
JSON can carry are accepted: a predicate is a function, and a stub matches
no status. The matchers of :mod:`fakeserver.match` are one-key objects
(``{"$regex": "^[0-9]+$"}``).
"""

from __future__ import annotations

import base64
import binascii
import json as jsonlib
import os
import re
from typing import TYPE_CHECKING, Any, Callable

from .. import match
from .._matching import request_expectation
from .._targets import is_path
from ..match import Matcher
from .recorded import exact_expectation
from .replies import FAULTS, Response
from .scenarios import ScenarioRule
from .wiremock import mapping_entries, mapping_files

if TYPE_CHECKING:
    from .app import Stub, StubApp

__all__ = ["check_entries", "declare_stub", "declare_stubs", "load_stub_file", "read_stub_file"]

_REQUEST_KEYS = ("method", "path", "target", "query", "headers", "match_headers", "body",
                 "body_base64", "json", "form", "files", "cookies", "auth", "host", "exact")
_RESPONSE_KEYS = ("status", "headers", "body", "body_base64", "text", "json", "delay", "fault")
_ENTRY_KEYS = ("request", "response", "responses", "times", "priority", "scenario", "state",
               "new_state")
#: Request keys that say how to match rather than what: no criteria.
_NOT_CRITERIA = ("method", "path", "exact")


def load_stub_file(app: StubApp, path: str | os.PathLike) -> list[Stub]:
    """Declare on *app* the stubs at *path*; all of them, or none.

    *path* is a stub file (a JSON list), a WireMock mapping file (an
    object: one mapping, or ``{"mappings": [...]}``), or a directory of
    either (see :func:`.wiremock.mapping_files`). Every file is checked
    before any stub is declared. Raises ValueError naming the file, the
    entry or mapping, and the field at fault, or OSError when a file cannot
    be read.
    """
    checked = []
    for source in mapping_files(path) if os.path.isdir(path) else [os.fspath(path)]:
        document = _parsed(source)
        if isinstance(document, list):
            checked += check_entries(document, source)
        else:
            labels, entries = mapping_entries(document, source)
            checked += check_entries(entries, source, labels)
    return [declare_stub(app, entry) for _, entry in checked]


def read_stub_file(path: str | os.PathLike) -> list[Any]:
    """The entries of the stub file at *path*, parsed but not checked.

    Raises ValueError unless it is a JSON list, OSError when it cannot be read.
    """
    entries = _parsed(path)
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of stubs, not {type(entries).__name__}")
    return entries


def _parsed(path: str | os.PathLike) -> Any:
    with open(path, encoding="utf-8") as file:
        try:
            return jsonlib.load(file)
        except ValueError as error:
            raise ValueError(f"{path}: not valid JSON: {error}") from None


def declare_stubs(app: StubApp, entries: list[Any], source: str) -> list[Stub]:
    """Declare on *app* the stubs of parsed *entries* from *source*; all of them, or none.

    Raises ValueError naming *source*, the entry and the field at fault.
    """
    return [declare_stub(app, entry) for _, entry in check_entries(entries, source)]


def check_entries(entries: list[Any], source: str,
                  labels: list[str] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Check every one of parsed *entries* from *source*; each comes back with where it is.

    *Where* is ``"SOURCE: entry N"`` (or ``"SOURCE: LABEL"``, with the
    entry's label in *labels*), for a caller's own errors about an entry
    to begin as these do. Declares nothing: a caller placing entries
    elsewhere (on the host of a full URL, say) declares them with
    :func:`declare_stub` once every one is checked. Raises ValueError naming
    *source*, the entry and the field at fault.
    """
    checked = []
    for index, entry in enumerate(entries):
        where = f"{source}: {labels[index] if labels is not None else f'entry {index}'}"
        checked.append((where, _check_entry(where, entry)))
    return checked


def declare_stub(app: StubApp, entry: dict[str, Any]) -> Stub:
    """Declare on *app* the stub of one entry that :func:`check_entries` checked."""
    request = dict(entry["request"])
    method, path = request.pop("method", None), request.pop("path", None)
    times, priority = entry.get("times"), entry.get("priority", 0)
    scenario = {key: entry.get(key) for key in ("scenario", "state", "new_state")}
    if request.pop("exact", False):
        if isinstance(request.get("body"), str):
            request["body"] = request["body"].encode("utf-8")
        method = app._method(method)
        stub = app._add_stub(method, path, exact_expectation(method, path, request),
                             times, priority, ScenarioRule.of(**scenario))
    else:
        stub = app.stub(method, path, times=times, priority=priority, **scenario, **request)
    for response in entry.get("responses") or [entry.get("response", {})]:
        stub.then(**_answer(response))
        if "fault" in response:
            stub.fault(response["fault"])
    return stub


def _answer(response: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``Stub.then`` for a checked response object."""
    answer = {key: value for key, value in response.items() if key != "fault"}
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


def _check_entry(where: str, entry: Any) -> dict[str, Any]:
    """Validate one declarative stub; ValueError names the field at fault.

    Returns the entry with its request ready to declare: the matchers
    (``{"$regex": ...}``) made into those of :mod:`fakeserver.match`, bytes
    given in base64 decoded, and only the headers ``match_headers`` names.
    """
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
    request = {key: _matchers(f"{where}: request.{key}", value, in_json=key == "json")
               for key, value in request.items()}
    compared = (str, Matcher)
    _check_types(where, {
        "request.method": (request.get("method"), str, "a string"),
        "request.path": (request.get("path"), compared, "a string or a matcher"),
        "request.target": (request.get("target"), compared, "a string or a matcher"),
        "request.query": (request.get("query"), dict, "an object"),
        "request.headers": (request.get("headers"), dict, "an object"),
        "request.match_headers": (request.get("match_headers"), list, "a list"),
        "request.body": (request.get("body"), compared, "a string or a matcher"),
        "request.body_base64": (request.get("body_base64"), str, "a string"),
        "request.form": (request.get("form"), dict, "an object"),
        "request.files": (request.get("files"), dict, "an object"),
        "request.cookies": (request.get("cookies"), dict, "an object"),
        "request.auth": (request.get("auth"), (list, Matcher), "a list of user and password"),
        "request.host": (request.get("host"), compared, "a string or a matcher"),
        "times": (entry.get("times"), int, "an integer"),
        "priority": (entry.get("priority"), int, "an integer"),
        "scenario": (entry.get("scenario"), str, "a string"),
        "state": (entry.get("state"), str, "a string"),
        "new_state": (entry.get("new_state"), str, "a string"),
    })
    if not isinstance(request.get("exact", False), bool):
        raise ValueError(f"{where}: request.exact must be true or false, not {request['exact']!r}")
    if isinstance(entry.get("times"), int) and entry["times"] < 1:
        raise ValueError(f"{where}: times must be at least 1, not {entry['times']!r}")
    auth = request.get("auth")
    if isinstance(auth, list) and (len(auth) != 2 or not all(isinstance(part, compared)
                                                             for part in auth)):
        raise ValueError(f"{where}: request.auth must be a list of user and password, not {auth!r}")
    _check_values(where, [("request.query", request.get("query")),
                          ("request.form", request.get("form")),
                          ("request.headers", request.get("headers")),
                          ("request.cookies", request.get("cookies"))], compared)
    request = _decoded(where, request)
    path = request.get("path")
    if isinstance(path, str) and not is_path(path):
        raise ValueError(f'{where}: request.path must start with "/" (or be a full URL), '
                         f"not {path!r}")
    criteria = {key: value for key, value in request.items() if key not in _NOT_CRITERIA}
    try:  # what the matching itself refuses (a files= entry with an unknown key, ...)
        request_expectation(request.get("path"), request.get("method"), **criteria)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{where}: request: {error}") from None
    for label, response in labelled:
        _check_response(where, label, response)
    try:
        ScenarioRule.of(entry.get("scenario"), entry.get("state"), entry.get("new_state"))
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
    return {**entry, "request": request}


def _decoded(where: str, request: dict[str, Any]) -> dict[str, Any]:
    """The request with its base64 bytes decoded and only the headers ``match_headers`` names."""
    request = dict(request)
    if "body_base64" in request:
        if "body" in request:
            raise ValueError(f"{where}: give request.body or request.body_base64, not both")
        request["body"] = _base64(where, "request.body_base64", request.pop("body_base64"))
    if isinstance(request.get("files"), dict):
        request["files"] = {field: [_file(where, f"request.files[{field!r}]", item)
                                    for item in specs] if isinstance(specs, list)
                            else _file(where, f"request.files[{field!r}]", specs)
                            for field, specs in request["files"].items()}
    names = request.pop("match_headers", None)
    if names is not None:  # the other headers are kept for the reader only
        headers = request.pop("headers", None) or {}
        present = {name.lower() for name in headers}
        for name in names:
            if not isinstance(name, str):
                raise ValueError(f"{where}: request.match_headers must list header names, "
                                 f"not {name!r}")
            if name.lower() not in present:
                raise ValueError(f"{where}: request.match_headers names {name!r}, which "
                                 f"request.headers does not give")
        wanted = {name.lower() for name in names}
        matched = {name: value for name, value in headers.items() if name.lower() in wanted}
        if matched:
            request["headers"] = matched
    return request


def _file(where: str, label: str, spec: Any) -> Any:
    """A ``files`` upload with ``content_base64`` decoded into ``content``."""
    if not (isinstance(spec, dict) and "content_base64" in spec):
        return spec
    spec = dict(spec)
    if "content" in spec:
        raise ValueError(f"{where}: {label}: give content or content_base64, not both")
    spec["content"] = _base64(where, f"{label}.content_base64", spec.pop("content_base64"))
    return spec


def _base64(where: str, field: str, value: Any) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{where}: {field} must be a string, not {value!r}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{where}: {field} is not valid base64: {value[:40]!r}") from None


def _check_response(where: str, label: str, response: Any) -> None:
    """One answer: *label* is ``response`` or ``responses[i]``, as the messages name it."""
    if not isinstance(response, dict):
        shown = "'response'" if label == "response" else label
        raise ValueError(f"{where}: {shown} must be an object")
    _known_keys(f"{where}: {label}", response, _RESPONSE_KEYS)
    _check_types(where, {
        f"{label}.status": (response.get("status"), int, "an integer"),
        f"{label}.headers": (response.get("headers"), dict, "an object"),
        f"{label}.body": (response.get("body"), str, "a string"),
        f"{label}.body_base64": (response.get("body_base64"), str, "a string"),
        f"{label}.text": (response.get("text"), str, "a string"),
        f"{label}.delay": (response.get("delay"), (int, float), "a number"),
    })
    _check_values(where, [(f"{label}.headers", response.get("headers"))], str)
    if "fault" in response and response["fault"] not in FAULTS:
        raise ValueError(f"{where}: {label}.fault must be one of {', '.join(FAULTS)}, "
                         f"not {response['fault']!r}")
    if "body_base64" in response:
        _base64(where, f"{label}.body_base64", response["body_base64"])
    given = "body" in response or "body_base64" in response
    if "body" in response and "body_base64" in response:
        raise ValueError(f"{where}: {label}: give at most one of body=, text= and json=")
    try:
        Response(response.get("status", 200), body=b"" if given else None,
                 text=response.get("text"), json=response.get("json"))
    except (ValueError, TypeError) as error:
        raise ValueError(f"{where}: {label}: {error}") from None


def _check_types(where: str, types: dict[str, tuple[Any, type | tuple[type, ...], str]]) -> None:
    """Each value given (not None) is of its kind (a bool counts as no number)."""
    for field, (value, kind, wanted) in types.items():
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            raise ValueError(f"{where}: {field} must be {wanted}, not {value!r}")


def _check_values(where: str, mappings: list[tuple[str, Any]],
                  items: type | tuple[type, ...]) -> None:
    """Each value of each mapping is one of *items*, or a list of them."""
    for field, mapping in mappings:
        for key, value in (mapping or {}).items():
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(item, items) for item in values):
                wanted = ("a string, a matcher or a list of them" if items is not str
                          else "a string or a list of strings")
                raise ValueError(f"{where}: {field}[{key!r}] must be {wanted}, not {value!r}")


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
