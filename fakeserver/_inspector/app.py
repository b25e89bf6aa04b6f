"""InspectorApp: the ``/__fakeserver__/`` page and its JSON, in front of a recording app.

Owns the routes under :data:`PREFIX` (the page and its files, the JSON
behind each view, the event stream, downloads), who may reach them (the
Host check of :mod:`.hosts`), the headers that keep what came from the
network inert in a browser (a Content-Security-Policy allowing only the
page's own origin, downloads served as attachments in a sandbox), and
passing every other request to the :class:`Recorder` it wraps, reporting
each finished exchange. What each view contains is decided by the modules
beside it. Knows nothing of sockets or unittest.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import parse_qs

from .._cli.scenarios import is_scenarios_path, serve_scenarios
from .._journal.recorder import RECORD_KEY, Recorder
from .._journal.records import RecordedRequest, RecordedResponse
from .._journal.snapshot import render_entries, snapshot_entries
from .bodies import IMAGE_TYPES, iter_json
from .events import Changes, Cursor, event_stream
from .exchanges import contains_words, details, exchange_json, summary, uploaded_files
from .hosts import host_allowed
from .mail import MailLog, message_details, message_part, message_summary
from .uploads import uploads_json

__all__ = ["PREFIX", "InspectorApp", "inspected"]

#: Where the inspector lives on the server it shares with the app.
PREFIX = "/__fakeserver__"

StartResponse = Callable[..., Any]

#: The page's own files: name, media type.
_STATIC = {"": ("index.html", "text/html; charset=utf-8"),
           "inspector.js": ("inspector.js", "text/javascript; charset=utf-8"),
           "inspector.css": ("inspector.css", "text/css; charset=utf-8"),
           "favicon.svg": ("favicon.svg", "image/svg+xml")}
#: Only the page's own origin; nothing inline, nothing remote.
_PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                "connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; "
                "frame-ancestors 'none'")
#: For bytes from the network: no script, no remote content, an opaque origin.
_SANDBOX_POLICY = "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'self'"
#: A mail's HTML part, in the page's sandboxed iframe: its own inline styles only.
_MAIL_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'"
_COMMON = [("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store"),
           ("Referrer-Policy", "no-referrer")]
_BATCH = 65536


class _Answer(Exception):
    """Raised by a route to answer with a status and a plain-text explanation."""

    def __init__(self, status: str, text: str, headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(text)
        self.status, self.text, self.headers = status, text, headers or []


class InspectorApp:
    """WSGI middleware serving the inspector at ``/__fakeserver__/`` beside a recorded app.

    Requests under :data:`PREFIX` are the inspector's: they reach neither
    the app nor the journal, and only when their ``Host`` names this
    server (see :func:`.hosts.host_allowed`; others get 403). Every other
    request goes to *recorder* and, once its exchange is over, to
    *on_exchange* (called from the connection's thread). Without a
    recorder (a mail-only server) other requests get 404. *mail* adds the
    Mail tab; a :class:`~fakeserver.pypi.PackageIndex` recorded adds the
    Index tab. Thread-safe. Implements ``Interruptible``: :meth:`interrupt`
    ends the event streams for good, then passes on to the recorder.
    """

    def __init__(self, recorder: Recorder | None = None,
                 on_exchange: Callable[[RecordedRequest], None] | None = None, *,
                 mail: MailLog | None = None) -> None:
        self.recorder = recorder
        self.on_exchange = on_exchange
        self.mail = mail
        self.index = _index_of(recorder)
        self.changes = Changes()
        if recorder is not None:
            recorder.add_listener(self.changes.bump)
        if mail is not None:
            mail.add_listener(self.changes.bump)

    def interrupt(self) -> None:
        """End every event stream, now and later, and interrupt the recorded app.

        Called by ``AppRunner.stop()``; thread-safe and non-blocking.
        """
        self.changes.close()
        if self.recorder is not None:
            self.recorder.interrupt()

    def __repr__(self) -> str:
        return f"<InspectorApp recorder={self.recorder!r}>"

    # -- the app's requests -----------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == PREFIX or path.startswith(PREFIX + "/"):
            return self._inspect(environ, start_response, path[len(PREFIX):])
        if self.recorder is None:
            return _text(start_response, "404 Not Found",
                         f"This server serves only the inspector, at {PREFIX}/\n")
        try:
            result = self.recorder(environ, start_response)
        except BaseException:
            self._finished(environ)
            raise
        if isinstance(result, (list, tuple)):  # recorded already; the server frames it best as is
            self._finished(environ)
            return result
        return _Finished(result, lambda: self._finished(environ))

    def _finished(self, environ: dict[str, Any]) -> None:
        self.changes.bump()
        if self.on_exchange is not None:
            self.on_exchange(environ[RECORD_KEY])

    # -- the inspector's --------------------------------------------------------------

    def _inspect(self, environ: dict[str, Any], start_response: StartResponse,
                 path: str) -> Iterable[bytes]:
        if not host_allowed(environ):
            return _text(start_response, "403 Forbidden",
                         f"The inspector answers only requests for localhost or this server's "
                         f"address, not Host: {environ.get('HTTP_HOST')!r} (a DNS rebinding "
                         f"defence).\n")
        if is_scenarios_path(environ["PATH_INFO"]):
            recorded = self.recorder.app if self.recorder is not None else None
            return serve_scenarios(recorded, environ, start_response)
        if path == "":
            location = environ.get("SCRIPT_NAME", "") + PREFIX + "/"
            return _text(start_response, "301 Moved Permanently", location + "\n",
                         [("Location", location)])
        method = environ["REQUEST_METHOD"]
        parts = path[1:].split("/")
        try:
            if method == "DELETE" and parts in (["requests"], ["messages"]):
                self._clear(parts[0])
                start_response("204 No Content", list(_COMMON))
                return []
            if method not in ("GET", "HEAD"):
                raise _Answer("405 Method Not Allowed",
                              "GET reads the inspector's views; DELETE clears "
                              f"{PREFIX}/requests and {PREFIX}/messages\n",
                              [("Allow", "GET, HEAD, DELETE")])
            return self._get(environ, start_response, parts)
        except _Answer as answer:
            return _text(start_response, answer.status, answer.text, answer.headers)

    def _clear(self, journal: str) -> None:
        if journal == "requests" and self.recorder is not None:
            self.recorder.clear()
        elif journal == "messages" and self.mail is not None:
            self.mail.clear()

    def _get(self, environ: dict[str, Any], start_response: StartResponse,
             parts: list[str]) -> Iterable[bytes]:
        name = "/".join(parts)
        if name in _STATIC:
            filename, media_type = _STATIC[name]
            headers = [("Content-Type", media_type)]
            if filename == "index.html":
                headers.append(("Content-Security-Policy", _PAGE_POLICY))
            return _bytes(start_response, _static(filename), headers)
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if name == "info":
            journal = self.recorder if self.recorder is not None else self.mail
            return _json(start_response, {
                "requests": self.recorder is not None, "mail": self.mail is not None,
                "index": self.index is not None,
                "limit": journal.limit if journal is not None else None})
        if name == "events":
            start_response("200 OK", [("Content-Type", "text/event-stream"), *_COMMON])
            return event_stream(self.changes, Cursor(self.recorder, self.mail, self.index))
        if name == "stubs.json":
            return self._stub_file(start_response, self._recorded().settle(), "journal")
        if parts[0] == "requests":
            return self._requests(start_response, parts[1:], query)
        if parts[0] == "messages":
            return self._messages(start_response, parts[1:], query)
        if name == "uploads" and self.index is not None:
            return _json(start_response, uploads_json(self.index))
        raise _Answer("404 Not Found", f"No such view: {PREFIX}/{name}\n")

    def _recorded(self) -> Recorder:
        if self.recorder is None:
            raise _Answer("404 Not Found", "This server records no HTTP exchanges.\n")
        return self.recorder

    def _requests(self, start_response: StartResponse, parts: list[str],
                  query: dict[str, list[str]]) -> Iterable[bytes]:
        recorder = self._recorded()
        if not parts and "search" in query:  # the filter's text, looked for in bodies too
            words = [word.lower() for word in query["search"]]
            return _json(start_response, {"ids": [
                r.id for r in recorder.requests if contains_words(r, words)]})
        if not parts:
            since = _since(query)
            requests = recorder.settle() if since is None else recorder.requests
            if since is None:  # the whole journal, bodies and all, as --journal writes it
                return _streamed_json(start_response, [exchange_json(r) for r in requests])
            return _json(start_response, {
                "first": requests[0].id if requests else None, "dropped": recorder.dropped,
                "exchanges": [summary(r) for r in requests if r.id > since]})
        request = _find(recorder.requests, parts[0], lambda r: r.id)
        rest = parts[1:]
        if not rest:
            return _json(start_response, details(request))
        if rest == ["body"]:
            return _download(start_response, request, f"request-{request.id}.body")
        if rest == ["response", "body"] and request.response is not None:
            return _download(start_response, request.response, f"response-{request.id}.body")
        if rest == ["stubs.json"]:
            return self._stub_file(start_response, [request], f"exchange-{request.id}")
        if len(rest) == 2 and rest[0] == "files":
            files = uploaded_files(request)
            upload = files[int(rest[1])] if rest[1].isdigit() and int(rest[1]) < len(files) else None
            if upload is not None:
                return _bytes(start_response, upload.data, _attachment(upload.filename))
        raise _Answer("404 Not Found", f"Exchange {request.id} has no {'/'.join(rest)}\n")

    def _messages(self, start_response: StartResponse, parts: list[str],
                  query: dict[str, list[str]]) -> Iterable[bytes]:
        if self.mail is None:
            raise _Answer("404 Not Found", "This server receives no mail (start it with --smtp).\n")
        messages = self.mail.messages
        if not parts:
            since = _since(query)
            return _json(start_response, {
                "first": messages[0][0] if messages else None, "dropped": self.mail.dropped,
                "messages": [message_summary(number, message) for number, message in messages
                             if since is None or number > since]})
        number, message = _find(messages, parts[0], lambda item: item[0])
        rest = parts[1:]
        if not rest:
            return _json(start_response, message_details(number, message))
        if rest == ["raw"]:
            return _bytes(start_response, message.data, [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Security-Policy", _SANDBOX_POLICY)])
        if rest == ["html"]:
            found = message_part(message, "html")
            if found is not None:
                return _bytes(start_response, found[1], [
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Content-Security-Policy", _MAIL_POLICY)])
        if len(rest) == 2 and rest[0] == "parts" and rest[1].isdigit():
            found = message_part(message, int(rest[1]))
            if found is not None:
                return _bytes(start_response, found[1],
                              _attachment(found[0].get_filename() or f"part-{rest[1]}"))
        raise _Answer("404 Not Found", f"Message {number} has no {'/'.join(rest)}\n")

    def _stub_file(self, start_response: StartResponse, requests: list[RecordedRequest],
                   name: str) -> Iterable[bytes]:
        """The stub file replaying *requests*, as ``Recorder.save_stubs`` writes it."""
        text = render_entries(snapshot_entries(requests))
        return _bytes(start_response, text.encode("utf-8"), [
            ("Content-Type", "application/json"),
            ("Content-Disposition", f'attachment; filename="stubs-{name}.json"')])


def inspected(app: Callable[..., Iterable[bytes]]) -> InspectorApp:
    """*app* behind the inspector: recorded by a new ``Recorder`` unless it is one."""
    return InspectorApp(app if isinstance(app, Recorder) else Recorder(app))


def _index_of(recorder: Recorder | None) -> Any:
    """The package index the recorder records, if it is one (for the Index tab)."""
    if recorder is None:
        return None
    from ..pypi.index import PackageIndex  # only when inspecting: the index is heavy to import
    return recorder.app if isinstance(recorder.app, PackageIndex) else None


def _find(items: list[Any], text: str, number: Callable[[Any], int]) -> Any:
    if text.isdigit():
        for item in items:
            if number(item) == int(text):
                return item
    raise _Answer("404 Not Found", f"No {text!r} in the journal (cleared, or dropped as old)\n")


def _since(query: dict[str, list[str]]) -> int | None:
    """``?since=ID``: only what came after that id (None: everything)."""
    value = query.get("since", [""])[0]
    return int(value) if value.isdigit() else None


@functools.lru_cache(maxsize=None)
def _static(filename: str) -> bytes:
    return (importlib.resources.files(__package__) / "static" / filename).read_bytes()


def _bytes(start_response: StartResponse, body: bytes,
           headers: list[tuple[str, str]]) -> list[bytes]:
    start_response("200 OK", [*headers, ("Content-Length", str(len(body))), *_COMMON])
    return [body]


def _text(start_response: StartResponse, status: str, text: str,
          headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    body = text.encode("utf-8")
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(body))), *(headers or []), *_COMMON])
    return [body]


def _json(start_response: StartResponse, document: Any) -> list[bytes]:
    return _bytes(start_response, json.dumps(document).encode("utf-8"),
                  [("Content-Type", "application/json")])


def _streamed_json(start_response: StartResponse, document: Any) -> Iterator[bytes]:
    """JSON whose large bodies are read from their files as it is sent, in batches."""
    start_response("200 OK", [("Content-Type", "application/json"), *_COMMON])
    batch: list[str] = []
    size = 0
    for piece in iter_json(document):
        batch.append(piece)
        size += len(piece)
        if size >= _BATCH:
            yield "".join(batch).encode("utf-8")
            batch, size = [], 0
    yield "".join(batch).encode("utf-8")


def _attachment(filename: str) -> list[tuple[str, str]]:
    """Headers that make bytes from the network a download, never a page of this origin."""
    safe = re.sub(r'[^A-Za-z0-9._-]', "_", filename) or "download"
    return [("Content-Type", "application/octet-stream"),
            ("Content-Disposition", f'attachment; filename="{safe}"'),
            ("Content-Security-Policy", _SANDBOX_POLICY)]


def _download(start_response: StartResponse, message: RecordedRequest | RecordedResponse,
              filename: str) -> Iterator[bytes]:
    """A recorded body, streamed from its file: inline if a raster image, else an attachment."""
    media_type = message.headers.get("Content-Type", "").split(";")[0].strip().lower()
    headers = ([("Content-Type", media_type), ("Content-Security-Policy", _SANDBOX_POLICY)]
               if media_type in IMAGE_TYPES else _attachment(filename))
    size = message.body_size  # an exchange in progress may add to it meanwhile: send this much
    start_response("200 OK", [*headers, ("Content-Length", str(size)), *_COMMON])
    for piece in message.body_chunks():
        if size <= 0:
            return
        yield piece[:size]
        size -= len(piece)


class _Finished:
    """The app's response iterable, calling *done* after the server has closed it."""

    def __init__(self, result: Iterable[bytes], done: Callable[[], None]) -> None:
        self._result = result
        self._done = done

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._result)

    def close(self) -> None:
        try:
            close = getattr(self._result, "close", None)
            if close is not None:
                close()
        finally:
            self._done()
