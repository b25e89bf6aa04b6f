"""Snapshots: the journal written as a stub file that replays it.

Owns turning recorded exchanges into the entries of a stub file (the
format ``StubApp.load`` reads): what each request is matched on, how bodies
are written (JSON as JSON, forms as their fields, multipart as its parts,
text as text, other bytes as base64, gzip and deflate decoded), which
headers are kept and which are dropped, what is redacted (through
:class:`.redaction.Redaction`), and the stable rendering that makes a
re-recording of the same traffic rewrite the file byte for byte. Knows
nothing of servers, stubs or unittest: the file is its only output.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import zlib
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, TypedDict
from urllib.parse import urlsplit

from .bodies import body_json
from .forms import UploadedFile, parse_content_type
from .redaction import Redaction
from .records import RecordedRequest, RecordedResponse

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = ["SnapshotOptions", "redaction_of", "render_entries", "save_snapshot", "snapshot_entries",
           "write_text"]

#: Request fields left out of a snapshot: the fake's own address, framing, hop-by-hop.
_DROPPED_REQUEST_HEADERS = frozenset({
    "host", "content-length", "transfer-encoding", "connection", "keep-alive", "te", "trailer",
    "upgrade", "expect", "proxy-connection",
})
#: Response fields left out: the server writes them anew (``Date`` would churn every line).
_DROPPED_RESPONSE_HEADERS = frozenset({
    "date", "server", "content-length", "transfer-encoding", "connection", "keep-alive",
})
#: The content codings a snapshot stores decoded.
_DECODED = ("gzip", "x-gzip", "deflate")


class SnapshotOptions(TypedDict, total=False):
    """What a snapshot matches on and hides: keyword arguments of every ``save_stubs``.

    Declared once here for :meth:`Recorder.save_stubs`, ``saveStubs``, the
    pytest handle's ``save_stubs`` and the cassettes.
    """

    #: Header names replay matches on (headers are kept in the file, but
    #: matched only when named here).
    match_headers: Iterable[str]
    #: Headers whose values become ``"<redacted>"``, beside ``Authorization``,
    #: ``Proxy-Authorization``, ``Cookie``, ``Set-Cookie`` and ``X-Api-Key``.
    redact_headers: Iterable[str]
    #: Query parameters (and form fields) whose values become ``"<redacted>"``.
    redact_query: Iterable[str]
    #: JSON object keys, at any depth, whose values become ``"<redacted>"``.
    redact_json: Iterable[str]
    #: ``{placeholder: secret}``: each literal secret replaced by its placeholder
    #: wherever it appears (headers, query, paths, bodies).
    secrets: Mapping[str, str]


def redaction_of(options: SnapshotOptions) -> Redaction:
    """The :class:`Redaction` the options ask for; TypeError names an unknown option."""
    unknown = sorted(set(options) - set(SnapshotOptions.__annotations__))
    if unknown:
        raise TypeError(f"unknown snapshot option {unknown[0]!r}; expected one of "
                        f"{', '.join(SnapshotOptions.__annotations__)}")
    return Redaction(headers=options.get("redact_headers", ()),
                     query=options.get("redact_query", ()),
                     json=options.get("redact_json", ()), secrets=options.get("secrets"))


def _own_path(record: RecordedRequest) -> str:
    """A request's path as a StubApp's file writes it: the path alone."""
    return record.path


def snapshot_entries(requests: Iterable[RecordedRequest], *,
                     path_of: Callable[[RecordedRequest], str] = _own_path,
                     **options: Unpack[SnapshotOptions]) -> list[dict[str, Any]]:
    """The stub-file entries replaying *requests*, in the order they first came.

    Each ``request.path`` is ``path_of(record)``: by default the path, as
    a StubApp reads it; the forward proxy's files give the whole URL
    instead. Only exchanges that got a response are kept: not those the
    app failed (a proxy's ``502`` included), nor those no stub matched.
    Identical requests (as matched, after redaction) become one entry whose
    responses play in order, the last repeating. Raises TypeError for an
    unknown option, ValueError for an empty secret.
    """
    redaction = redaction_of(options)
    match_headers = options.get("match_headers", ())
    if isinstance(match_headers, str):
        raise TypeError(f"match_headers must be a list of names, not the string {match_headers!r}")
    matched = {name.lower() for name in match_headers}
    entries: dict[str, dict[str, Any]] = {}
    for record in requests:
        response = record.response
        if response is None or record.error is not None or record.unmatched or not record.completed:
            continue
        request = _request(record, path_of(record), redaction, matched)
        # What replay tells apart: everything but the headers it does not match.
        key = json.dumps([{name: value for name, value in request.items() if name != "headers"},
                          {name: request["headers"][name] for name in request.get("match_headers", ())}],
                         sort_keys=True)
        entry = entries.setdefault(key, {"request": request, "responses": []})
        entry["responses"].append(_response(record, response, redaction))
    return [_finished(entry) for entry in entries.values()]


def _finished(entry: dict[str, Any]) -> dict[str, Any]:
    """One ``response``, or the ``responses`` in order without the repeats the last one implies."""
    responses = entry.pop("responses")
    while len(responses) > 1 and responses[-1] == responses[-2]:
        responses.pop()
    if len(responses) == 1:
        entry["response"] = responses[0]
    else:
        entry["responses"] = responses
    return entry


def render_entries(entries: list[dict[str, Any]]) -> str:
    """The text of a stub file: keys sorted, two-space indent, a final newline (stable)."""
    return json.dumps(entries, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def save_snapshot(path: str | os.PathLike, requests: Iterable[RecordedRequest], *,
                  path_of: Callable[[RecordedRequest], str] = _own_path,
                  **options: Unpack[SnapshotOptions]) -> int:
    """Write the entries replaying *requests* to the stub file at *path*; return how many.

    The file is replaced whole, written as UTF-8 (see :func:`render_entries`);
    *path_of* as :func:`snapshot_entries` takes it.
    """
    entries = snapshot_entries(requests, path_of=path_of, **options)
    write_text(path, render_entries(entries))
    return len(entries)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Replace the file at *path* with *text* (UTF-8, ``\\n`` line ends on every system)."""
    with open(path, "w", encoding="utf-8", newline="\n") as file:
        file.write(text)


# -- requests --------------------------------------------------------------------------

def _request(record: RecordedRequest, path: str, redaction: Redaction,
             matched: set[str]) -> dict[str, Any]:
    request: dict[str, Any] = {"method": record.method, "path": redaction.text(path),
                               "exact": True}
    if record.query:
        request["query"] = _singles(redaction.fields(record.query))
    headers = _headers([(name, "multipart/form-data" if _is_multipart(name, value) else value)
                        for name, value in record.headers.items()],
                       _DROPPED_REQUEST_HEADERS, redaction, join=True)
    if headers:
        request["headers"] = headers
        request["match_headers"] = sorted(name for name in headers if name.lower() in matched)
    request.update(_request_body(record, redaction))
    return request


def _is_multipart(name: str, value: str) -> bool:
    """A multipart ``Content-Type``, written without its boundary: a new one is drawn at
    every upload, and matching ignores it."""
    return name.lower() == "content-type" and value.lower().startswith("multipart/form-data")


def _request_body(record: RecordedRequest, redaction: Redaction) -> dict[str, Any]:
    if not record.body_size:
        return {}
    kind, _ = parse_content_type(record.headers.get("Content-Type", ""))
    if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        body: dict[str, Any] = {}
        if record.form:
            body["form"] = _singles(redaction.fields(record.form))
        if record.files:
            body["files"] = {field: [_file(upload, redaction) for upload in uploads]
                             for field, uploads in record.files.items()}
        if body:
            return body
    return _body(record.body, kind, redaction)


def _file(upload: UploadedFile, redaction: Redaction) -> dict[str, str]:
    """A file part as the ``files`` of a stub file give it: content as text, or base64."""
    return {"filename": redaction.text(upload.filename), "content_type": upload.content_type,
            **body_json(redaction.data(upload.data), "content")}


# -- responses -------------------------------------------------------------------------

def _response(record: RecordedRequest, response: RecordedResponse,
              redaction: Redaction) -> dict[str, Any]:
    body = response.body
    dropped = set(_DROPPED_RESPONSE_HEADERS)
    if record.method == "HEAD":
        dropped.discard("content-length")  # the length of the body a GET would get
    coding = response.headers.get("Content-Encoding", "").strip().lower()
    if body and coding in _DECODED:
        try:
            body = _decoded(coding, body)
            dropped.add("content-encoding")
        except (OSError, EOFError, zlib.error):
            pass  # not what it claims to be: kept as it came, in base64
    own_url = "{0.scheme}://{0.netloc}".format(urlsplit(record.url))
    pairs = [(name, _relative(value, own_url) if name.lower() == "location" else value)
             for name, value in response.headers.items()]
    result: dict[str, Any] = {"status": response.status}
    headers = _headers(pairs, dropped, redaction, join=False)
    if headers:
        result["headers"] = headers
    kind, _ = parse_content_type(response.headers.get("Content-Type", ""))
    if body:
        result.update(_body(body, kind, redaction))
    return result


def _relative(location: str, own_url: str) -> str:
    """A ``Location`` on the fake's own origin as a path: the port differs at replay."""
    if location.startswith(own_url + "/"):
        return location[len(own_url):]
    return location


# -- shared ----------------------------------------------------------------------------

def _headers(pairs: Iterable[tuple[str, str]], dropped: set[str] | frozenset[str],
             redaction: Redaction, *, join: bool) -> dict[str, Any]:
    """Header fields by name (first spelling kept), redacted; repeated ones joined with
    ``", "`` (*join*) or listed."""
    values: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for name, value in pairs:
        lower = name.lower()
        if lower in dropped:
            continue
        values.setdefault(names.setdefault(lower, name), []).append(redaction.header(name, value))
    if join:
        return {name: ", ".join(items) for name, items in values.items()}
    return {name: items[0] if len(items) == 1 else items for name, items in values.items()}


def _body(data: bytes, kind: str, redaction: Redaction) -> dict[str, Any]:
    """``{"json": ...}`` for a JSON body, else ``{"body": text}`` or ``{"body_base64": ...}``."""
    if kind == "application/json" or kind.endswith("+json"):
        try:
            return {"json": redaction.json(json.loads(data))}
        except ValueError:
            pass
    return body_json(redaction.data(data))


def _singles(fields: Mapping[str, list[str]]) -> dict[str, Any]:
    """Fields with one value as that value, the others as lists (as a stub file writes them)."""
    return {name: values[0] if len(values) == 1 else values for name, values in fields.items()}


def _decoded(coding: str, data: bytes) -> bytes:
    """*data* decoded from a gzip or deflate *coding*: a ``deflate`` body zlib-wrapped as
    RFC 9110 says, or raw as some servers send it."""
    if coding != "deflate":
        return gzip.decompress(data)
    try:
        return zlib.decompress(data)
    except zlib.error:
        return zlib.decompress(data, -zlib.MAX_WBITS)
