"""Exact entries: stub-file requests that match as they were recorded, no more and no less.

A snapshot of the journal writes each request with ``"exact": true``. Such
an entry matches a request with exactly its query parameters, form fields
and file fields (each with exactly its values; none missing, none extra),
its JSON body as parsed JSON (no key more or less), its other body byte
for byte (no body: an empty one), and the headers it names in
``match_headers``. ``"<redacted>"`` stands for any value, since the file
never saw the real one. Without exactness, a recorded ``/items`` would also
answer an unrecorded ``/items?page=3``. The request criteria do the
comparing and the wording; this module adds what makes them exact. Knows
nothing of files or servers: it turns one checked request object into an
:class:`Expectation`.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable

from .. import match
from .._journal.redaction import REDACTED
from .._matching import Criterion, Expectation, Mismatch, request_expectation
from .._matching.diff import unexpected

__all__ = ["exact_expectation"]

__unittest = True  # hide this module's frames from test failure tracebacks


def exact_expectation(method: str | None, path: str | None,
                      request: dict[str, Any]) -> Expectation:
    """The expectation of an exact entry's *request* (its fields as a stub file gives them).

    *request* holds ``query``, ``headers`` (only those matched), and one of
    ``json``, ``form`` and ``files``, or ``body`` (bytes). The path is
    literal: braces in it are no template, a ``?`` no query.
    """
    literal = (re.compile(re.escape(path)) if path is not None and ("{" in path or "?" in path)
               else path)
    query = _lists(request.get("query", {}))
    criteria: dict[str, Any] = {"query": query or None, "headers": request.get("headers")}
    extra = [_nothing_more("query", query, lambda record: record.query, "query parameter")]
    if "json" in request:
        criteria["json"] = request["json"]
    elif "form" in request or "files" in request:
        form, files = _lists(request.get("form", {})), request.get("files", {})
        criteria.update(form=form or None, files=files or None)
        extra += [_nothing_more("form", form, lambda record: record.form, "form field"),
                  _nothing_more("files", files, lambda record: record.files, "file field")]
    else:
        criteria["body"] = request.get("body", b"")
    base = request_expectation(literal, method, **_redacted_as_any(criteria))
    return Expectation(base.description, base.criteria + extra)


def _lists(fields: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields with every value in a list: a list is all of a key's values, in order."""
    return {name: list(value) if isinstance(value, list) else [value]
            for name, value in fields.items()}


def _redacted_as_any(value: Any) -> Any:
    """*value* with each ``"<redacted>"`` in it, at any depth, as ``match.ANY``."""
    if isinstance(value, str) and value == REDACTED:
        return match.ANY
    if isinstance(value, dict):
        return {key: _redacted_as_any(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted_as_any(item) for item in value]
    return value


def _nothing_more(field: str, expected: Iterable[str], get: Callable[[Any], dict[str, Any]],
                  noun: str) -> Criterion:
    """The record has no key beyond *expected*: each other one is ``unexpected``."""
    names = set(expected)

    def differences(record: Any) -> list[Mismatch]:
        return [unexpected(field, f"{noun} {key!r}") for key in get(record) if key not in names]
    return Criterion(field, differences)
