"""Recorded exchanges as a stub file that ``--stubs`` (``StubApp.load``) replays.

A minimal exporter: method, path and query to match; status, headers and a
text or JSON body to answer.
"""

from __future__ import annotations

import json
from typing import Any

from .._journal.records import RecordedRequest
from .bodies import text_or_none

__all__ = ["stub_file"]

_DROPPED = frozenset({"date", "server", "content-length", "transfer-encoding", "connection",
                      "keep-alive"})


def stub_file(requests: list[RecordedRequest]) -> bytes:
    """The stub file replaying *requests* (those answered), as bytes."""
    entries: list[dict[str, Any]] = []
    for request in requests:
        response = request.response
        if response is None or request.error is not None or request.unmatched:
            continue
        match: dict[str, Any] = {"method": request.method, "path": request.path}
        if request.query:
            match["query"] = request.query
        answer: dict[str, Any] = {"status": response.status, "headers": {
            name: value for name, value in response.headers.items() if name.lower() not in _DROPPED}}
        text = text_or_none(response.body)
        if text:
            answer["body"] = text
        entries.append({"request": match, "response": answer})
    return json.dumps(entries, indent=2).encode("utf-8")
