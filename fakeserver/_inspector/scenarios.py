"""The scenario endpoints beside the inspector: read, move and reset the stubs' scenarios.

- ``GET /__fakeserver__/scenarios``: every scenario with its state, as a
  JSON object (``{"cart": "Started"}``).
- ``PUT /__fakeserver__/scenarios/<name>``: the body, as text, is the
  scenario's new state.
- ``DELETE /__fakeserver__/scenarios``: every scenario back in ``"Started"``.

For a test driving ``python -m fakeserver --stubs FILE`` from outside (or a
server serving the inspector in a test). A server serving no stubs answers
``404`` saying so. Neither reaches the app nor the journal:
:class:`InspectorApp` hands these paths here.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from ..stubs.app import StubApp

__all__ = ["serve_scenarios"]


def serve_scenarios(app: Any, endpoint: str, environ: dict[str, Any],
                    start_response: Callable[..., Any]) -> list[bytes]:
    """Answer a request to *endpoint* (``/__fakeserver__/scenarios``) or a path under it,
    on the server serving *app*."""
    if not isinstance(app, StubApp):
        return _answer(start_response, "404 Not Found",
                       "scenarios belong to stubs: serve some with --stubs FILE.json\n")
    method = environ["REQUEST_METHOD"]
    # The path as the client meant it: PEP 3333 gives UTF-8 bytes as latin-1 text.
    name = environ["PATH_INFO"][len(endpoint) + 1:].encode("latin-1").decode("utf-8",
                                                                                   "replace")
    if not name and method in ("GET", "HEAD"):
        body = json.dumps(app.scenarios, indent=2).encode("utf-8")
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(body)))])
        return [body]
    if not name and method == "DELETE":
        app.reset_scenarios()
        start_response("204 No Content", [])
        return []
    if name and method == "PUT":
        state = environ["wsgi.input"].read().decode("utf-8", "replace").strip()
        if not state:
            return _answer(start_response, "400 Bad Request",
                           f"send the new state of {name!r} as the body, e.g. "
                           f"curl -X PUT -d has-item ...{endpoint}/{name}\n")
        app.set_scenario_state(name, state)
        start_response("204 No Content", [])
        return []
    allow = "PUT" if name else "GET, HEAD, DELETE"
    return _answer(start_response, "405 Method Not Allowed",
                   f"GET {endpoint} reads the scenarios, DELETE resets them, "
                   f"PUT {endpoint}/<name> with the state as the body moves one\n",
                   [("Allow", allow)])


def _answer(start_response: Callable[..., Any], status: str, text: str,
            headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    body = text.encode("utf-8")
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(body))), *(headers or [])])
    return [body]
