"""The scenario endpoints of ``python -m fakeserver --stubs``: read, move and reset scenarios.

- ``GET /__fakeserver__/scenarios``: every scenario with its state, as a
  JSON object (``{"cart": "Started"}``).
- ``PUT /__fakeserver__/scenarios/<name>``: the body, as text, is the
  scenario's new state.
- ``DELETE /__fakeserver__/scenarios``: every scenario back in ``"Started"``.

A server serving no stubs answers ``404`` saying so. Neither reaches the
app nor the journal: the inspector (``fakeserver/_inspector/app.py``) hands
these paths here. Knows nothing of argument parsing.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from ..stubs.app import StubApp

__all__ = ["SCENARIOS_PATH", "is_scenarios_path", "serve_scenarios"]

#: Where the scenarios of the stubs served are read and changed.
SCENARIOS_PATH = "/__fakeserver__/scenarios"


def is_scenarios_path(path: str) -> bool:
    """True for the scenarios endpoint and the path of one scenario under it."""
    return path == SCENARIOS_PATH or path.startswith(SCENARIOS_PATH + "/")


def serve_scenarios(app: Any, environ: dict[str, Any],
                    start_response: Callable[..., Any]) -> list[bytes]:
    """Answer a request to the scenarios endpoint of the server serving *app*."""
    if not isinstance(app, StubApp):
        return _answer(start_response, "404 Not Found",
                       "scenarios belong to stubs: serve some with --stubs FILE.json\n")
    method = environ["REQUEST_METHOD"]
    # The path as the client meant it: PEP 3333 gives UTF-8 bytes as latin-1 text.
    name = environ["PATH_INFO"][len(SCENARIOS_PATH) + 1:].encode("latin-1").decode("utf-8",
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
                           f"curl -X PUT -d has-item ...{SCENARIOS_PATH}/{name}\n")
        app.set_scenario_state(name, state)
        start_response("204 No Content", [])
        return []
    allow = "PUT" if name else "GET, HEAD, DELETE"
    return _answer(start_response, "405 Method Not Allowed",
                   f"GET {SCENARIOS_PATH} reads the scenarios, DELETE resets them, "
                   f"PUT {SCENARIOS_PATH}/<name> with the state as the body moves one\n",
                   [("Allow", allow)])


def _answer(start_response: Callable[..., Any], status: str, text: str,
            headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    body = text.encode("utf-8")
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(body))), *(headers or [])])
    return [body]
