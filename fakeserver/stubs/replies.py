"""What a stub sends back: a Response, a delay, or a fault on the raw connection.

Owns turning one step of a stub's script into bytes on the wire, including
the broken answers that test a client's robustness (reset, close, garbage,
truncated, dribbled). Knows nothing of matching requests to stubs.
"""

from __future__ import annotations

import json as jsonlib
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence, Union

from .._http.watch import ClientDisconnected, Interrupt, Woken
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
        #: The status code.
        self.status = status
        #: The body, as bytes.
        self.body = body or b""
        if "content-length" not in names:
            pairs.append(("Content-Length", str(len(self.body))))
        #: The header fields, ``Content-Type`` and ``Content-Length`` included.
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
        """The whole response as HTTP/1.1 bytes, closing the connection (for faults).

        Raises :class:`ValueError` for a head no server may send (see
        ``headers=``): a reason to fail the test, not to send it.
        """
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
              interrupt: Interrupt) -> Iterable[bytes]:
        """Answer *request* (a ``RecordedRequest``); waits for the delay unless *interrupt* is set.

        Raises :class:`ClientDisconnected`, ending the exchange, as soon as
        the client leaves during the delay or a dribble.
        """
        if self.delay:
            client = environ.get("fakeserver.client_socket")
            if interrupt.wait(self.delay, client) is Woken.CLIENT_GONE:
                raise _disconnected(request, f"during the stub's {self.delay:g}s delay")
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
        data = _fault_bytes(self.fault, response)  # while the server can still answer 500
        _inject(self.fault, take_socket(), data, self.pause, interrupt, request)
        return []


def _disconnected(request: Any, when: str) -> ClientDisconnected:
    """The error of an exchange whose client left, saying how long after its request."""
    return ClientDisconnected(f"the client disconnected {time.time() - request.time:.2f}s after "
                              f"its request, {when}")


def _fault_bytes(kind: str, response: Response) -> bytes:
    """What the fault *kind* sends; raises ValueError first if *response*'s head is invalid.

    The head is checked whatever the fault sends of it, so that a response
    no server could send fails its test the same way with or without one.
    """
    whole = response.to_bytes()
    if kind == "dribble":
        return whole
    if kind == "truncate":
        promised = str(len(response.body) + 1024)
        return write_head(response.status, [("Content-Length", promised)]) + response.body
    if kind == "malformed":
        return MALFORMED
    return b""  # "reset" and "close" send nothing


def _inject(kind: str, sock: socket.socket, data: bytes, pause: float, interrupt: Interrupt,
            request: Any) -> None:
    """Send the broken answer *kind*, made of *data*; the server closes the socket afterwards."""
    if kind == "reset":  # close with SO_LINGER 0: the kernel sends RST, not FIN
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    elif kind == "dribble":
        for start in range(0, len(data), 16):
            woken = interrupt.wait(pause, sock) if start else Woken.TIMEOUT
            if woken is Woken.INTERRUPTED:
                return
            if woken is Woken.TIMEOUT:
                try:
                    sock.sendall(data[start:start + 16])
                    continue
                except OSError:  # reset by the client
                    pass
            raise _disconnected(request, f"{start} of the {len(data)} bytes of the dribbled "
                                         f"response sent")
    elif data:
        sock.sendall(data)
    # "close": nothing is sent; the server closes the connection.
