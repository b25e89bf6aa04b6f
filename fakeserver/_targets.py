"""The path and method arguments of stubs and request checks, refused when they cannot be meant.

``stub()`` takes the method first and the path second, the assertions the
path first (``assertRequested("/items", method="POST")``): swapping them is
an easy slip, which would otherwise give a check that can never pass, or a
stub that never matches. A path is a string starting with ``/``, a full URL
(matched by its scheme, host, port, path and query, as the journal spells
them: see :func:`url_origin`), a ``/items/{id}`` template, a compiled regex,
a matcher, or None. Nothing here knows servers or test frameworks.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

__all__ = ["check_target", "is_path", "is_url", "url_origin"]

#: The ports a URL leaves out.
_DEFAULT_PORTS = {"http": 80, "https": 443}

__unittest = True  # hide this module's frames from test failure tracebacks


def is_url(text: str) -> bool:
    """True for a full ``http://`` or ``https://`` URL (the scheme in any case)."""
    return text[:8].lower().startswith(("http://", "https://"))


def url_origin(url: str) -> str:
    """``scheme://host[:port]`` of the full *url*, spelled one way: lower case, IPv6 in
    brackets, no default port; so ``HTTPS://API.example.com:443/x`` and
    ``https://api.example.com/y`` have one origin. Raises ValueError for a bad port."""
    parts = urlsplit(url)
    scheme, host, port = parts.scheme.lower(), parts.hostname or "", parts.port
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}" + ("" if port in (None, _DEFAULT_PORTS.get(scheme)) else f":{port}")


def is_path(value: Any) -> bool:
    """True for a string that can be a path: starting with ``/``, or a full URL."""
    return isinstance(value, str) and (value.startswith("/") or is_url(value))


def _shown(value: Any) -> str:
    """An argument as the caller would write it, strings in double quotes."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def _as_path(value: Any) -> str:
    """*value* written as a path: a leading ``/`` added unless it is a URL."""
    text = str(value)
    return _shown(text if is_path(text) else "/" + text)


def check_target(call: str, path: Any, method: Any, *, method_first: bool = False) -> None:
    """Raise ValueError, saying what to write, when *path* or *method* cannot be what was meant.

    *call* names the function as the caller wrote it (``assertRequested``);
    *method_first* says it takes the method first, as ``stub()`` does.
    """
    swapped = is_path(method) or (isinstance(path, str) and path.isalpha() and path.isupper())
    bad_path = isinstance(path, str) and not is_path(path)
    if not (swapped or bad_path):
        return
    if method_first:
        given = _shown(method) + (f", {_shown(path)}" if path is not None else "")
        if swapped:  # stub("/items", "GET"), stub("/items"), stub(None, "GET")
            fixed = ", ".join(part for part in (_shown(path) if path is not None else _shown("GET"),
                                                _as_path(method) if method is not None else "")
                              if part)
            raise ValueError(f"{call}({given}) takes the method first: write {call}({fixed})")
        fixed = f"{_shown(method)}, {_as_path(path)}"
    else:
        if swapped:  # assertRequested("POST", "/items"), assertRequested("POST")
            given = _shown(path) + (f", {_shown(method)}" if method is not None else "")
            fixed = (_as_path(method) if method is not None else "None") + (
                f", method={_shown(path)}" if path is not None else "")
            raise ValueError(f"{call}({given}) takes the path first: write {call}({fixed})")
        rest = f", method={_shown(method)}" if method is not None else ""
        given, fixed = _shown(path) + rest, _as_path(path) + rest
    raise ValueError(f'{call}({given}): a path starts with "/" (or is a full URL or a compiled '
                     f"pattern): write {call}({fixed})")
