"""What a stub sends back: a Response, a delay, or a fault on the raw connection.

Owns turning one step of a stub's script into bytes on the wire, including
the broken answers that test a client's robustness (reset, close, garbage,
truncated, dribbled). Knows nothing of matching requests to stubs.
"""

from __future__ import annotations

import json as jsonlib
import socket
import struct
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence, Union

from .._http.wire import reason_phrase, write_head
from .._journal.recorder import rewound

__all__ = ["FAULTS", "Response", "Step"]

#: The fault kinds a stub can inject.
FAULTS = ("reset", "close", "malformed", "truncate", "dribble")

#: The bytes a "malformed" fault sends instead of HTTP.
MALFORMED = b"\x00\xffTHIS IS NOT HTTP\r\n\x13\x37\r\n\r\n"

HeaderInput = Union[Mapping[str, str], Sequence["tuple[str, str]"], None]


class Response:
    """A canned HTTP response: ``Response(200, json={"ok": True})``.

    Give at most one of *body* (bytes), *text* (sent as UTF-8) or *json*
    (serialized); Content-Type defaults to match, Content-Length is added.
    """

    def __init__(self, status: int = 200, *, body: bytes | None = None, text: str | None = None,
                 json: Any = None, headers: HeaderInput = None) -> None:
        if sum(value is not None for value in (body, text, json)) > 1:
            raise ValueError("give at most one of body=, text= and json=")
        if not isinstance(status, int) or not 100 <= status <= 999:
            raise ValueError(f"status must be an int from 100 to 999, not {status!r}")
        pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers or [])
        if json is not None:
            body, default_type = jsonlib.dumps(json).encode("utf-8"), "application/json"
        elif text is not None:
            body, default_type = text.encode("utf-8"), "text/plain; charset=utf-8"
        else:
            default_type = "application/octet-stream" if body else "text/plain; charset=utf-8"
        if body is not None and not isinstance(body, bytes):
            raise TypeError(f"body must be bytes (use text= for str), not {type(body).__name__}")
        names = {name.lower() for name, _ in pairs}
        if "content-type" not in names:
            pairs.append(("Content-Type", default_type))
        self.status = status
        self.body = body or b""
        if "content-length" not in names:
            pairs.append(("Content-Length", str(len(self.body))))
        self.headers: list[tuple[str, str]] = pairs

    @classmethod
    def coerce(cls, value: Any) -> "Response":
        """A Response from a handler's return value: a Response or ``(status, headers, body)``."""
        if isinstance(value, Response):
            return value
        if isinstance(value, tuple) and len(value) == 3:
            status, headers, body = value
            if isinstance(body, str):
                return cls(status, text=body, headers=headers)
            return cls(status, body=body, headers=headers)
        raise TypeError("a stub handler must return a fakeserver.Response or a "
                        f"(status, headers, body) tuple, not {value!r}")

    @property
    def status_line(self) -> str:
        """``"201 Created"``; unknown codes get the reason ``Unknown``."""
        return f"{self.status} {reason_phrase(self.status)}"

    def to_bytes(self) -> bytes:
        """The whole response as HTTP/1.1 bytes, closing the connection (for faults)."""
        return write_head(self.status, [*self.headers, ("Connection", "close")]) + self.body

    def __repr__(self) -> str:
        return f"<Response {self.status_line} {len(self.body)} bytes>"


@dataclass
class Step:
    """One answer in a stub's script: a response (or handler, or app), a delay, a fault."""

    response: Response | None = None
    handler: Callable[[Any], Any] | None = None
    delay: float | None = None
    fault: str | None = None
    pause: float = 0.01  # between dribbled pieces
    #: A WSGI app answering instead, given the request with its body to read again.
    app: Callable[..., Iterable[bytes]] | None = None

    def reply(self, request: Any, environ: dict[str, Any], start_response: Callable[..., Any],
              interrupt: threading.Event) -> Iterable[bytes]:
        """Answer *request*; waits for the delay unless *interrupt* is set."""
        if self.delay:
            interrupt.wait(self.delay)
        if self.app is not None:
            return self.app(rewound(environ, request), start_response)
        response = self.response
        if self.handler is not None:
            response = Response.coerce(self.handler(request))
        if response is None:
            response = Response()
        if self.fault is None:
            start_response(response.status_line, list(response.headers))
            return [response.body]
        take_socket = environ.get("fakeserver.take_socket")
        if take_socket is None:
            raise RuntimeError("faults need the raw connection: serve the StubApp with "
                               "fakeserver's AppRunner")
        _inject(self.fault, take_socket(), response, self.pause, interrupt)
        return []


def _inject(kind: str, sock: socket.socket, response: Response, pause: float,
            interrupt: threading.Event) -> None:
    """Send the broken answer *kind*; the server closes the socket afterwards."""
    if kind == "reset":  # close with SO_LINGER 0: the kernel sends RST, not FIN
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    elif kind == "malformed":
        sock.sendall(MALFORMED)
    elif kind == "truncate":
        head = write_head(response.status, [("Content-Length", str(len(response.body) + 1024))])
        sock.sendall(head + response.body)
    elif kind == "dribble":
        data = response.to_bytes()
        for start in range(0, len(data), 16):
            if start and interrupt.wait(pause):
                return
            sock.sendall(data[start:start + 16])
    # "close": nothing is sent; the server closes the connection.
