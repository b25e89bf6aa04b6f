"""Exact entries: stub-file requests that match as they were recorded, no more and no less.

A snapshot of the journal writes each request with ``"exact": true``. Such
an entry matches a request with exactly its query parameters, form fields
and file fields (none missing, none extra), its JSON body as parsed JSON,
its other body byte for byte (no body: an empty one), and the headers it
names in ``match_headers``; ``"<redacted>"`` stands for any value, since the
file never saw the real one. Without exactness, a recorded ``/items``
would also answer an unrecorded ``/items?page=3``. Knows nothing of files
or servers: it turns one checked request object into an
:class:`Expectation`.
"""

from __future__ import annotations

import json as jsonlib
import re
from typing import Any, Callable

from .._journal.redaction import REDACTED
from .._matching import Criterion, Expectation, request_expectation, shorten

__all__ = ["exact_expectation", "fits"]

__unittest = True  # hide this module's frames from test failure tracebacks


def fits(expected: Any, actual: Any) -> bool:
    """*actual* equals *expected*, where ``"<redacted>"`` in *expected* stands for any value.

    Objects must have the same keys, lists the same length, at every depth.
    """
    if isinstance(expected, str) and expected == REDACTED:
        return actual is not None
    if isinstance(expected, dict):
        return (isinstance(actual, dict) and expected.keys() == actual.keys()
                and all(fits(value, actual[key]) for key, value in expected.items()))
    if isinstance(expected, list):
        return (isinstance(actual, list) and len(expected) == len(actual)
                and all(map(fits, expected, actual)))
    return type(expected) is type(actual) and expected == actual


def exact_expectation(method: str | None, path: str | None,
                      request: dict[str, Any]) -> Expectation:
    """The expectation of an exact entry's *request* (its fields as a stub file gives them).

    *request* holds ``query``, ``headers`` (only those matched), and one of
    ``json``, ``form`` and ``files``, or ``body`` (bytes). The path is
    literal: braces in it are no template, a ``?`` no query.
    """
    literal = (re.compile(re.escape(path)) if path is not None and ("{" in path or "?" in path)
               else path)
    files = request.get("files")
    base = request_expectation(literal, method, **({"files": files} if files else {}))
    criteria = list(base.criteria)
    query = _lists(request.get("query", {}))
    criteria.append(_keyed("query", query, lambda record: record.query))
    details = [f"query {shorten(query)}"] if query else []
    headers = request.get("headers") or {}
    if headers:
        criteria.append(_keyed("headers", {name.lower(): value for name, value in headers.items()},
                               _joined_headers, exact=False))
        details.append(f"headers {shorten(headers)}")
    if "json" in request:
        criteria.append(_json(request["json"]))
        details.append(f"json {shorten(request['json'])}")
    elif "form" in request or files:
        form = _lists(request.get("form", {}))
        criteria.append(_keyed("form", form, lambda record: record.form))
        criteria.append(_file_fields(sorted(files or {})))
        details.append(f"form {shorten(form)}")
    else:
        body = request.get("body", b"")
        criteria.append(Criterion("body", shorten(body),
                                  lambda record: (record.body == body, shorten(record.body))))
        if body:
            details.append(f"body {shorten(body)}")
    description = base.description + (" with " if details else "") + ", ".join(details)
    return Expectation(description, criteria)


def _lists(fields: dict[str, Any]) -> dict[str, list[str]]:
    """Fields as the records give them: every value in a list."""
    return {name: list(value) if isinstance(value, list) else [value]
            for name, value in fields.items()}


def _keyed(field: str, expected: dict[str, Any], get: Callable[[Any], dict[str, Any]], *,
           exact: bool = True) -> Criterion:
    """The record's mapping fits *expected*: every key (and, *exact*, no other).

    The report shows only the keys that differ: ``<missing>`` for one the
    record lacks, its value for one that differs or was not expected.
    """
    def test(record: Any) -> tuple[bool, str]:
        actual = get(record)
        differing = {key: actual.get(key, "<missing>") for key, value in expected.items()
                     if not fits(value, actual.get(key))}
        if exact:
            differing.update({key: value for key, value in actual.items() if key not in expected})
        return not differing, shorten(differing, 120)
    return Criterion(field, shorten(expected, 120), test)


def _joined_headers(record: Any) -> dict[str, str]:
    """The record's headers by lower-case name, repeated ones joined as a snapshot joins them."""
    joined: dict[str, str] = {}
    for name, value in record.headers.items():
        lower = name.lower()
        joined[lower] = f"{joined[lower]}, {value}" if lower in joined else value
    return joined


def _json(expected: Any) -> Criterion:
    def test(record: Any) -> tuple[bool, str]:
        try:
            actual = jsonlib.loads(record.body)
        except ValueError:
            return False, f"not JSON: {shorten(record.body)}"
        return fits(expected, actual), shorten(actual)
    return Criterion("json", shorten(expected), test)


def _file_fields(names: list[str]) -> Criterion:
    """The multipart file fields are exactly *names* (what each carries is ``files=``'s)."""
    def test(record: Any) -> tuple[bool, str]:
        actual = sorted(record.files)
        return actual == names, f"file fields {actual!r}"
    return Criterion("files", f"file fields {names!r}", test)
