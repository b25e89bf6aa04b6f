"""WireMock mappings read as stub-file entries, so that a WireMock user's files load as they are.

A WireMock mapping file holds one mapping (``{"request": ..., "response":
...}``) or ``{"mappings": [...]}``; a folder of them (WireMock's
``mappings``) is read file by file. Each mapping is translated here into
the entry a fakeserver stub file would hold, which :mod:`.files` then
checks and declares like any other: one declaration path, one set of
checks. The translation honours every field it reads, or refuses it: a
field it cannot honour raises ValueError naming the file, the mapping (its
index, and its ``name`` or ``id``) and the field, so nothing is silently
dropped. What maps to what:

- ``url`` (path and query, exact): the ``target`` criterion; ``urlPattern``
  (a regex over path and query): ``target`` as a regex; ``urlPath``: the
  path; ``urlPathPattern``: the path as a regex; ``urlPathTemplate``: a
  ``/items/{id}`` template. A regex must match the whole value, as
  WireMock's do.
- ``queryParameters``, ``headers``, ``cookies`` and ``formParameters``
  with ``equalTo`` (and ``caseInsensitive``), ``matches``, ``contains``
  or ``absent``: the ``query``, ``headers``, ``cookies`` and ``form``
  criteria, with the matchers of :mod:`fakeserver.match`.
- ``bodyPatterns``: ``equalTo``, ``contains``, ``matches`` and
  ``binaryEqualTo`` on the body, ``equalToJson`` (``ignoreExtraElements``:
  ``json_contains``) on its JSON; one of each at most.
- ``priority``: WireMock's 1 is its highest, and 5 its default; here the
  higher wins, so a mapping's priority is ``5 - priority`` (its default 0).
- the response's ``fault``: ``CONNECTION_RESET_BY_PEER`` is ``reset``,
  ``EMPTY_RESPONSE`` is ``close``, ``MALFORMED_RESPONSE_CHUNK`` (a status
  line, then a broken body) is ``truncate``, ``RANDOM_DATA_THEN_CLOSE`` is
  ``malformed``.

Knows nothing of servers or stubs: it turns parsed JSON into entries (the
template syntax of paths is the matching's).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from typing import Any

from .._matching.criteria import _TEMPLATE_FIELD

__all__ = ["FAULTS", "mapping_entries", "mapping_files"]

#: WireMock's faults, and the fault of fakeserver's that stands for each.
FAULTS = {"CONNECTION_RESET_BY_PEER": "reset", "EMPTY_RESPONSE": "close",
          "MALFORMED_RESPONSE_CHUNK": "truncate", "RANDOM_DATA_THEN_CLOSE": "malformed"}

#: The fields of a mapping read; ``id``, ``uuid`` and ``name`` name it in errors, and
#: ``persistent`` and ``metadata`` concern WireMock's admin API only.
_MAPPING_FIELDS = ("request", "response", "priority", "scenarioName", "requiredScenarioState",
                   "newScenarioState", "name", "id", "uuid", "persistent", "metadata")
#: The ways of matching the URL, one per mapping.
_URL_FIELDS = ("url", "urlPath", "urlPattern", "urlPathPattern", "urlPathTemplate")
#: The request's matched fields given as ``{"name": {pattern}}``, and the entry key of each.
_PATTERNED = {"queryParameters": "query", "headers": "headers", "cookies": "cookies",
              "formParameters": "form"}
_REQUEST_FIELDS = ("method", *_URL_FIELDS, *_PATTERNED, "bodyPatterns")
_RESPONSE_FIELDS = ("status", "body", "jsonBody", "base64Body", "headers",
                    "fixedDelayMilliseconds", "fault")
#: The operators of a pattern on a value, each with the modifiers it takes.
_VALUE_OPERATORS: dict[str, tuple[str, ...]] = {
    "equalTo": ("caseInsensitive",), "matches": (), "contains": (), "absent": ()}
#: The operators of a pattern on the body, each with the modifiers it takes.
_BODY_OPERATORS: dict[str, tuple[str, ...]] = {
    "equalTo": ("caseInsensitive",), "contains": (), "matches": (), "binaryEqualTo": (),
    "equalToJson": ("ignoreExtraElements", "ignoreArrayOrder")}
#: JsonUnit's placeholders (``"${json-unit.any-string}"``), which fakeserver has not.
_PLACEHOLDER = "${json-unit."
#: How a stub's priority follows from a mapping's: WireMock's default is 5, ours 0.
_DEFAULT_PRIORITY = 5


def mapping_files(directory: str | os.PathLike) -> list[str]:
    """The ``.json`` files under *directory*, at any depth, in sorted order.

    A directory holding a ``mappings`` folder (WireMock's root, beside
    ``__files``) is read from that folder. Raises ValueError when there is
    no ``.json`` file.
    """
    root = os.path.join(directory, "mappings")
    root = root if os.path.isdir(root) else os.fspath(directory)
    found = sorted(os.path.join(folder, name) for folder, _, names in os.walk(root)
                   for name in names if name.endswith(".json"))
    if not found:
        raise ValueError(f"{directory}: no .json stub or mapping file in it")
    return found


def mapping_entries(document: Any, source: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The labels and the stub-file entries of a parsed WireMock mapping file from *source*.

    Each label (``mappings[2] (name 'get user')``) names its mapping in
    errors. Raises ValueError, beginning with *source* and the label, for
    a document that is no mapping and for a field that cannot be honoured.
    """
    if isinstance(document, dict) and "mappings" in document:
        _known(source, "", document, ("mappings", "meta"))
        mappings = document["mappings"]
        if not isinstance(mappings, list):
            raise ValueError(f"{source}: mappings must be a list, not {type(mappings).__name__}")
        labels = [_label(f"mappings[{index}]", mapping) for index, mapping in enumerate(mappings)]
    elif isinstance(document, dict) and "request" in document:
        mappings, labels = [document], [_label("mapping", document)]
    else:
        found = "an object without them" if isinstance(document, dict) else type(document).__name__
        raise ValueError(f"{source}: expected a list of stubs, or a WireMock mapping (an object "
                         f'with "request") or {{"mappings": [...]}}; not {found}')
    return labels, [_entry(f"{source}: {label}", mapping)
                    for label, mapping in zip(labels, mappings)]


def _label(base: str, mapping: Any) -> str:
    """*base*, with the mapping's ``name`` (or ``id``, or ``uuid``) if it has one."""
    for key in ("name", "id", "uuid"):
        if isinstance(mapping, dict) and isinstance(mapping.get(key), str):
            return f"{base} ({key} {mapping[key]!r})"
    return base


def _entry(where: str, mapping: Any) -> dict[str, Any]:
    """The stub-file entry of one mapping; ValueError names the field it cannot honour."""
    _expect(where, "the mapping", mapping, dict, "an object")
    _known(where, "", mapping, _MAPPING_FIELDS)
    request = _expect(where, "request", mapping.get("request"), dict, "an object")
    entry: dict[str, Any] = {"request": _request(where, request)}
    response = _expect(where, "response", mapping.get("response", {}), dict, "an object")
    entry["response"] = _response(where, response)
    if "priority" in mapping:
        entry["priority"] = _DEFAULT_PRIORITY - _expect(where, "priority", mapping["priority"],
                                                        int, "an integer")
    for field, key in (("scenarioName", "scenario"), ("requiredScenarioState", "state"),
                       ("newScenarioState", "new_state")):
        if field in mapping:
            entry[key] = _expect(where, field, mapping[field], str, "a string")
    return entry


def _request(where: str, request: dict[str, Any]) -> dict[str, Any]:
    _known(where, "request.", request, _REQUEST_FIELDS)
    entry: dict[str, Any] = {}
    method = _expect(where, "request.method", request.get("method", "ANY"), str, "a string")
    if method == "GET_OR_HEAD":
        raise ValueError(f"{where}: request.method 'GET_OR_HEAD' is not supported; give one "
                         f"method, or ANY")
    if method != "ANY":
        entry["method"] = method
    given = [field for field in _URL_FIELDS if field in request]
    if len(given) > 1:
        raise ValueError(f"{where}: request has {given[0]} and {given[1]}; give one")
    for field in given:
        entry.update(_url(where, field, _expect(where, f"request.{field}", request[field], str,
                                                "a string")))
    for field, key in _PATTERNED.items():
        if field in request:
            patterns = _expect(where, f"request.{field}", request[field], dict, "an object")
            entry[key] = {name: _value(where, f"request.{field}[{name!r}]", pattern)
                          for name, pattern in patterns.items()}
    patterns = _expect(where, "request.bodyPatterns", request.get("bodyPatterns", []), list,
                       "a list")
    for index, pattern in enumerate(patterns):
        field = f"request.bodyPatterns[{index}]"
        key, value = _body(where, field, pattern)
        seen = "json" if key == "json" else "body" if "body" in entry else "body_base64"
        if seen in entry:
            raise ValueError(f"{where}: {field}: a second pattern on the body "
                             f"{'as JSON' if key == 'json' else 'as text'} is not supported")
        entry[key] = value
    return entry


def _url(where: str, field: str, value: str) -> dict[str, Any]:
    """The entry's ``path`` or ``target`` for the URL field *field* of the request."""
    if field == "url":
        return {"target": value}
    if field in ("urlPattern", "urlPathPattern"):
        pattern = _whole(where, f"request.{field}", value)
        return {"target" if field == "urlPattern" else "path": pattern}
    if not value.startswith("/"):
        raise ValueError(f'{where}: request.{field} must start with "/", not {value!r}')
    if field == "urlPathTemplate":
        if "?" in value or "{" in _TEMPLATE_FIELD.sub("", value):
            raise ValueError(f"{where}: request.urlPathTemplate {value!r}: only path segments "
                             f"such as {{id}} are supported, not RFC 6570's other expressions")
        return {"path": value}
    # urlPath: literal, where fakeserver would read a template or a query
    return {"path": {"$regex": f"^{re.escape(value)}\\Z"} if "{" in value or "?" in value
            else value}


def _value(where: str, field: str, pattern: Any) -> Any:
    """The stub-file value or matcher for a pattern on a query parameter, header, ..."""
    operator, argument, modifiers = _operator(where, field, pattern, _VALUE_OPERATORS)
    if operator == "absent":
        if argument is not True:
            raise ValueError(f"{where}: {field}.absent must be true, not {argument!r}")
        return {"$absent": True}
    return _text(where, field, operator, argument, modifiers)


def _body(where: str, field: str, pattern: Any) -> tuple[str, Any]:
    """The entry's request key (``body``, ``body_base64`` or ``json``) and value for a pattern."""
    operator, argument, modifiers = _operator(where, field, pattern, _BODY_OPERATORS)
    if operator == "binaryEqualTo":
        data = _expect(where, f"{field}.binaryEqualTo", argument, str, "a string")
        _base64(where, f"{field}.binaryEqualTo", data)
        return "body_base64", data
    if operator != "equalToJson":
        return "body", _text(where, field, operator, argument, modifiers)
    document = argument
    if isinstance(argument, str):
        try:
            document = json.loads(argument)
        except ValueError as error:
            raise ValueError(f"{where}: {field}.equalToJson is not valid JSON: {error}") from None
    _plain_json(where, f"{field}.equalToJson", document)
    lenient = [name for name in ("ignoreExtraElements", "ignoreArrayOrder")
               if _expect(where, f"{field}.{name}", modifiers.get(name, False), bool,
                          "true or false")]
    if lenient and _has_array(document):
        raise ValueError(f"{where}: {field}.{lenient[0]} is not supported for a document "
                         f"with arrays; fakeserver compares arrays item by item, in order")
    return "json", {"$json_contains": document} if "ignoreExtraElements" in lenient else document


def _text(where: str, field: str, operator: str, argument: Any,
          modifiers: dict[str, Any]) -> Any:
    """The value or matcher of the pattern *field*: ``equalTo`` (with ``caseInsensitive``),
    ``contains`` or ``matches`` a string."""
    text = _expect(where, f"{field}.{operator}", argument, str, "a string")
    if operator == "contains":
        return {"$contains": text}
    if operator == "matches":
        return _whole(where, f"{field}.matches", text)
    if _expect(where, f"{field}.caseInsensitive", modifiers.get("caseInsensitive", False), bool,
               "true or false"):
        return {"$regex": f"(?i)^{re.escape(text)}\\Z"}
    return text


def _whole(where: str, field: str, pattern: str) -> dict[str, str]:
    """A ``$regex`` matching the whole value, as WireMock's regexes (Java's ``matches``) do."""
    try:
        re.compile(pattern)  # alone first, so that the group added cannot change its meaning
    except re.error as error:
        raise ValueError(f"{where}: {field}: invalid pattern {pattern!r}: {error}") from None
    return {"$regex": f"^(?:{pattern})\\Z"}


def _operator(where: str, field: str, pattern: Any,
              operators: dict[str, tuple[str, ...]]) -> tuple[str, Any, dict[str, Any]]:
    """The one operator of *pattern* (``{"equalTo": "x"}``), its argument and its modifiers."""
    _expect(where, field, pattern, dict, 'an object such as {"equalTo": "..."}')
    found = [key for key in pattern if key in operators]
    if len(found) > 1:
        raise ValueError(f"{where}: {field} has {found[0]} and {found[1]}; give one")
    unknown = [key for key in pattern if key not in found
               and (not found or key not in operators[found[0]])]
    if unknown or not found:
        read = ", ".join(f"{name} ({', '.join(extra)})" if extra else name
                         for name, extra in operators.items())
        shown = f"{field}.{unknown[0]}" if unknown else f"{field} {{}}"
        raise ValueError(f"{where}: {shown} is not supported; fakeserver reads {read}")
    operator = found[0]
    return operator, pattern[operator], {key: pattern[key] for key in operators[operator]
                                         if key in pattern}


def _response(where: str, response: dict[str, Any]) -> dict[str, Any]:
    _known(where, "response.", response, _RESPONSE_FIELDS)
    bodies = [field for field in ("body", "jsonBody", "base64Body") if field in response]
    if len(bodies) > 1:
        raise ValueError(f"{where}: response has {bodies[0]} and {bodies[1]}; give one")
    entry: dict[str, Any] = {}
    if "status" in response:
        entry["status"] = _expect(where, "response.status", response["status"], int,
                                  "an integer")
    if "body" in response:
        entry["body"] = _expect(where, "response.body", response["body"], str, "a string")
    if "jsonBody" in response:
        entry["json"] = response["jsonBody"]
    if "base64Body" in response:
        entry["body_base64"] = _base64(where, "response.base64Body", _expect(
            where, "response.base64Body", response["base64Body"], str, "a string"))
    if "headers" in response:
        entry["headers"] = _expect(where, "response.headers", response["headers"], dict,
                                   "an object")
    if "fixedDelayMilliseconds" in response:
        delay = _expect(where, "response.fixedDelayMilliseconds",
                        response["fixedDelayMilliseconds"], (int, float), "a number")
        if delay < 0:
            raise ValueError(f"{where}: response.fixedDelayMilliseconds must not be negative, "
                             f"not {delay!r}")
        entry["delay"] = delay / 1000
    if "fault" in response:
        fault = response["fault"]
        if not isinstance(fault, str) or fault not in FAULTS:
            raise ValueError(f"{where}: response.fault {fault!r} is not supported; fakeserver "
                             f"reads {', '.join(FAULTS)}")
        entry["fault"] = FAULTS[fault]
    return entry


def _plain_json(where: str, field: str, document: Any) -> None:
    """Refuse what a stub file would read otherwise than WireMock: placeholders and matchers."""
    if isinstance(document, str) and document.startswith(_PLACEHOLDER):
        raise ValueError(f"{where}: {field}: JsonUnit placeholders such as {document!r} are "
                         f"not supported")
    if isinstance(document, dict):
        if len(document) == 1 and next(iter(document)).startswith("$"):
            raise ValueError(f"{where}: {field}: an object with the one key "
                             f"{next(iter(document))!r} is not supported (a fakeserver stub "
                             f"file reads it as a matcher)")
        items: Any = document.values()
    else:
        items = document if isinstance(document, list) else []
    for item in items:
        _plain_json(where, field, item)


def _has_array(document: Any) -> bool:
    if isinstance(document, list):
        return True
    return isinstance(document, dict) and any(map(_has_array, document.values()))


def _base64(where: str, field: str, data: str) -> str:
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{where}: {field} is not valid base64: {data[:40]!r}") from None
    return data


def _known(where: str, prefix: str, mapping: dict[str, Any], read: tuple[str, ...]) -> None:
    """Refuse the first field of *mapping* that is not in *read*, naming what is."""
    for field in mapping:
        if field not in read:
            raise ValueError(f"{where}: {prefix}{field} is not supported; fakeserver reads "
                             f"{', '.join(prefix + name for name in read)}")


def _expect(where: str, field: str, value: Any, kind: type | tuple[type, ...],
            wanted: str) -> Any:
    """*value*, if it is of *kind* (a bool is no number); else ValueError naming *field*."""
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ValueError(f"{where}: {field} must be {wanted}, not {value!r}")
    return value
