"""What ``python -m fakeserver`` shows and keeps of each exchange.

Owns the two renderings of a recorded request (or received mail message):
a readable block for a person watching the terminal, and a JSON object for
the ``--journal`` file and the ``/__fakeserver__/requests`` endpoint; and
:class:`JournalApp`, the middleware that serves that endpoint and reports
each finished exchange. It knows nothing of argument parsing or signals.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Callable, Iterable, Iterator, cast

from .._journal.bodies import body_json as _body_json
from .._journal.bodies import text_or_none as _text_or_none
from .._journal.recorder import Recorder
from .._journal.records import RecordedRequest
from ..smtp.parsing import text_charset
from ..smtp.server import ReceivedMessage
from .scenarios import is_scenarios_path, serve_scenarios

__all__ = ["CONTROL_PATH", "JournalApp", "exchange_json", "format_exchange", "format_message",
           "message_json"]

#: The journal of the running server, as JSON; ``DELETE`` clears it.
CONTROL_PATH = "/__fakeserver__/requests"
#: How much of a text body the readable rendering shows.
PREVIEW_CHARS = 2000


def _iso(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).isoformat()


def exchange_json(request: RecordedRequest) -> dict[str, Any]:
    """One exchange as a JSON-ready object: the request, the response, the app's error."""
    document: dict[str, Any] = {
        "time": _iso(request.time), "client": list(request.client_address),
        "method": request.method, "path": request.path, "query": request.query_string,
        "headers": [list(item) for item in request.headers.items()],
        **_body_json(request.body),
    }
    response = request.response
    if response is not None:
        document["response"] = {"status": response.status, "reason": response.reason,
                                "headers": [list(item) for item in response.headers.items()],
                                **_body_json(response.body)}
    if request.error is not None:
        document["error"] = repr(request.error)
    return document


def _preview(data: bytes, indent: str) -> list[str]:
    text = _text_or_none(data)
    if text is None:
        return [f"{indent}<{len(data)} bytes of binary data>"]
    shown = text[:PREVIEW_CHARS]
    lines = [indent + line for line in shown.splitlines()]
    if len(text) > len(shown):
        lines.append(f"{indent}... ({len(text) - len(shown)} more characters)")
    return lines


def format_exchange(request: RecordedRequest) -> str:
    """A readable block for one exchange: request line, query, headers, body preview, answer."""
    clock = datetime.datetime.fromtimestamp(request.time).strftime("%H:%M:%S")
    response = request.response
    answer = f"{response.status} {response.reason}" if response is not None else "no response"
    lines = [f"[{clock}] {request.method} {request.target} -> {answer}"]
    for name, values in request.query.items():
        lines.append(f"  query  {name} = {', '.join(map(repr, values))}")
    lines.extend(f"  {name}: {value}" for name, value in request.headers.items())
    if request.body_size:
        lines.append(f"  body ({request.body_size} bytes):")
        lines.extend(_preview(request.body, "    "))
    if request.error is not None:
        lines.append(f"  the app raised {request.error!r}")
    if request.unmatched and response is not None:
        lines.extend(_preview(response.body, "  | "))
    return "\n".join(lines)


def message_json(message: ReceivedMessage) -> dict[str, Any]:
    """One received mail message as a JSON-ready object."""
    return {"time": _iso(message.time), "client": list(message.peer),
            "mail_from": message.mail_from, "rcpt_tos": list(message.rcpt_tos),
            "user": message.user, "tls": message.tls, **_body_json(message.data)}


def format_message(message: ReceivedMessage) -> str:
    """A readable block for one mail message: envelope, headers, the body's text parts."""
    clock = datetime.datetime.fromtimestamp(message.time).strftime("%H:%M:%S")
    lines = [f"[{clock}] MAIL FROM <{message.mail_from}> TO "
             + ", ".join(f"<{address}>" for address in message.rcpt_tos)]
    lines.extend(f"  {name}: {value}" for name, value in message.message.items())
    for part in message.message.walk():
        if part.is_multipart():
            continue
        # decode=True gives the bytes of a non-multipart part (None for a multipart one).
        payload = cast("bytes | None", part.get_payload(decode=True)) or b""
        if part.get_content_maintype() == "text":
            charset = text_charset(part, "utf-8")  # never one that raises LookupError
            lines.append(f"  {part.get_content_type()}:")
            lines.extend(_preview(payload.decode(charset, "replace").encode("utf-8"), "    "))
        else:
            name = part.get_filename()
            lines.append(f"  {part.get_content_type()}{f' {name!r}' if name else ''}: "
                         f"<{len(payload)} bytes>")
    return "\n".join(lines)


class JournalApp:
    """WSGI middleware around a :class:`Recorder`: the control endpoint, and a callback per exchange.

    ``GET /__fakeserver__/requests`` answers the journal as a JSON list of
    :func:`exchange_json` objects, ``DELETE`` there clears it; the paths
    under ``/__fakeserver__/scenarios`` go to :mod:`.scenarios`. None of
    these reaches the app nor the journal. Every other exchange is passed to
    *on_exchange* once it is over (from the connection's thread).
    """

    def __init__(self, recorder: Recorder, on_exchange: Callable[[RecordedRequest], None]) -> None:
        self.recorder = recorder
        self.on_exchange = on_exchange

    def interrupt(self) -> None:
        """Pass a server's stop on to the recorded app (``Interruptible``, as ``Recorder`` does)."""
        self.recorder.interrupt()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == CONTROL_PATH:
            return self._control(environ, start_response)
        if is_scenarios_path(environ.get("PATH_INFO", "")):
            return serve_scenarios(self.recorder.app, environ, start_response)
        try:
            result = self.recorder(environ, start_response)
        except BaseException:
            self.on_exchange(environ["fakeserver.request"])
            raise
        if isinstance(result, (list, tuple)):  # recorded already; the server frames it best as is
            self.on_exchange(environ["fakeserver.request"])
            return result
        return _Finished(result, lambda: self.on_exchange(environ["fakeserver.request"]))

    def _control(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        if method in ("GET", "HEAD"):
            body = json.dumps([exchange_json(r) for r in self.recorder.settle()], indent=2).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        if method == "DELETE":
            self.recorder.clear()
            start_response("204 No Content", [])
            return []
        start_response("405 Method Not Allowed", [("Allow", "GET, HEAD, DELETE"),
                                                  ("Content-Type", "text/plain")])
        return [b"use GET to read the journal, DELETE to clear it\n"]


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
