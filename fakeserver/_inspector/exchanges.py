"""Recorded HTTP exchanges as JSON: a row of the list, the journal's document, the details.

Owns three shapes of one :class:`RecordedRequest`: :func:`summary`, the
row the page lists and the event stream pushes (no bodies); :func:`exchange_json`,
the whole exchange with its bodies, which ``GET /__fakeserver__/requests``
answers and ``--journal`` writes; and :func:`details`, what the details
pane shows (headers, query, form fields and files, bodies viewed, the stub
that answered or the near-miss report, the traceback, a ``curl`` command).
URLs in them are relative to the page, ``/__fakeserver__/``. Knows nothing
of WSGI routing or of the page's script.
"""

from __future__ import annotations

import datetime
import shlex
import traceback
from typing import Any

from .._journal.records import RecordedRequest
from .._journal.bodies import text_or_none
from .bodies import TEXT_BYTES, body_fields, body_view

__all__ = ["FORM_BYTES", "contains_words", "curl_command", "details", "exchange_json", "iso_time",
           "summary", "uploaded_files"]

#: Form bodies up to this size are parsed into fields and files for the details.
FORM_BYTES = 8 << 20
#: Header fields ``curl`` sets itself, or that describe the connection, not the request.
_CURL_SETS = frozenset({"host", "content-length", "transfer-encoding", "connection",
                        "keep-alive", "te", "upgrade", "expect"})


def iso_time(timestamp: float) -> str:
    """*timestamp* (``time.time()``) as ISO 8601 in UTC."""
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).isoformat()


def summary(request: RecordedRequest) -> dict[str, Any]:
    """The row of the list: who asked what, the answer's status, size and duration."""
    response = request.response
    return {
        "id": request.id, "time": iso_time(request.time), "method": request.method,
        "host": request.headers.get("Host", ""), "path": request.path,
        "query": request.query_string,
        "status": response.status if response is not None else None,
        "reason": response.reason if response is not None else None,
        "duration": request.duration, "request_size": request.body_size,
        "response_size": response.body_size if response is not None else None,
        "unmatched": request.unmatched,
        "error": repr(request.error) if request.error is not None else None,
        "completed": request.completed,
    }


def exchange_json(request: RecordedRequest) -> dict[str, Any]:
    """One exchange with its bodies: the row, the client, headers, the response.

    Write it with :func:`~fakeserver._inspector.bodies.iter_json`: a large
    body is streamed from its temporary file rather than held in memory.
    """
    document: dict[str, Any] = {
        **summary(request), "client": list(request.client_address),
        "headers": [list(item) for item in request.headers.items()], **body_fields(request),
    }
    response = request.response
    if response is not None:
        document["response"] = {"status": response.status, "reason": response.reason,
                                "headers": [list(item) for item in response.headers.items()],
                                **body_fields(response)}
    return document


def details(request: RecordedRequest) -> dict[str, Any]:
    """Everything the details pane shows of one exchange."""
    base = f"requests/{request.id}"
    document: dict[str, Any] = {
        **summary(request), "url": request.url, "client": list(request.client_address),
        "headers": [list(item) for item in request.headers.items()],
        "query_fields": request.query, "body": body_view(request, f"{base}/body"),
        "form": {}, "files": [], "form_skipped": request.body_size > FORM_BYTES,
        "response": None, "stub": None, "near_miss": None, "traceback": None,
        "curl": curl_command(request), "stub_file": f"{base}/stubs.json",
    }
    if not document["form_skipped"]:
        document["form"] = request.form
        document["files"] = [
            {"field": upload.name, "filename": upload.filename,
             "content_type": upload.content_type, "size": len(upload.data),
             "download": f"{base}/files/{number}"}
            for number, upload in enumerate(uploaded_files(request))]
    response = request.response
    if response is not None:
        document["response"] = {
            "status": response.status, "reason": response.reason,
            "headers": [list(item) for item in response.headers.items()],
            "body": body_view(response, f"{base}/response/body")}
        if request.unmatched:
            document["near_miss"] = response.text
    if request.stub is not None:
        stub = request.stub
        document["stub"] = {"description": str(stub.expectation), "calls": stub.calls,
                            "times": stub.times, "priority": stub.priority}
    error = request.error
    if error is not None:
        document["traceback"] = "".join(
            traceback.format_exception(type(error), error, error.__traceback__))
    return document


def contains_words(request: RecordedRequest, words: list[str]) -> bool:
    """True if each of the lower-case *words* is somewhere in the exchange: its request
    line, headers, status, or the first :data:`TEXT_BYTES` of either body (any case)."""
    response = request.response
    parts = [request.method, request.url, f"{request.id}"]
    parts += [f"{name}: {value}" for name, value in request.headers.items()]
    parts.append(next(request.body_chunks(TEXT_BYTES), b"").decode("utf-8", "replace"))
    if response is not None:
        parts.append(f"{response.status} {response.reason}")
        parts += [f"{name}: {value}" for name, value in response.headers.items()]
        parts.append(next(response.body_chunks(TEXT_BYTES), b"").decode("utf-8", "replace"))
    text = "\n".join(parts).lower()
    return all(word in text for word in words)


def uploaded_files(request: RecordedRequest) -> list[Any]:
    """The file parts of a form body, in order, numbered as the details link them."""
    if request.body_size > FORM_BYTES:
        return []
    return [upload for uploads in request.files.values() for upload in uploads]


def curl_command(request: RecordedRequest) -> str:
    """A ``curl`` command sending this request again (a binary body from a saved file)."""
    words = ["curl"]
    if request.method == "HEAD":
        words.append("--head")
    elif request.method != "GET" or request.body_size:
        words += ["-X", request.method]
    words.append(shlex.quote(request.url))
    for name, value in request.headers.items():
        if name.lower() not in _CURL_SETS:
            # "Name;" is how curl sends a field with an empty value ("Name:" removes it).
            words += ["-H", shlex.quote(f"{name}: {value}" if value else f"{name};")]
    if request.body_size:
        text = None
        if request.body_size <= TEXT_BYTES:
            text = text_or_none(next(request.body_chunks(TEXT_BYTES), b""))
        if text is not None:
            words += ["--data-binary", shlex.quote(text)]
        else:  # the details pane offers the body for download under this name
            words += ["--data-binary", f"@request-{request.id}.body"]
    return " ".join(words)
