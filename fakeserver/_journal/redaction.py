"""Redaction: keeping secrets out of the stub files written from a journal.

Owns which values never reach a file and what replaces them: the values of
credential headers (and of the headers, query parameters, form fields and
JSON keys a test names) become ``"<redacted>"``, and each literal secret
a test gives becomes its placeholder wherever it appears. Replaying puts
the secrets back (:func:`reveal`). Pure functions of values: nothing here
knows records, files or servers.
"""

from __future__ import annotations

import base64
from typing import Any, Iterable, Mapping

__all__ = ["DEFAULT_REDACTED_HEADERS", "REDACTED", "Redaction", "reveal"]

#: What a redacted value is replaced by.
REDACTED = "<redacted>"
#: The headers whose values are redacted whatever the options say.
DEFAULT_REDACTED_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie",
                            "X-Api-Key")


class Redaction:
    """What to hide, and how: names whose values become ``"<redacted>"``, secrets their placeholders.

    *headers* add to :data:`DEFAULT_REDACTED_HEADERS` (names compare
    case-insensitively); *query* names query parameters and form fields;
    *json* names object keys at any depth of a JSON body; *secrets* maps
    each placeholder to the literal value it replaces, in headers, query,
    paths and bodies. Raises ValueError for an empty secret, which would
    match everywhere.
    """

    def __init__(self, *, headers: Iterable[str] = (), query: Iterable[str] = (),
                 json: Iterable[str] = (), secrets: Mapping[str, str] | None = None) -> None:
        for option, names in (("redact_headers", headers), ("redact_query", query),
                              ("redact_json", json)):
            if isinstance(names, str):
                raise TypeError(f"{option} must be a list of names, not the string {names!r}")
        self.headers = frozenset(name.lower() for name in (*DEFAULT_REDACTED_HEADERS, *headers))
        self.query = frozenset(query)
        self.json_keys = frozenset(json)
        pairs = list((secrets or {}).items())
        for placeholder, value in pairs:
            if not (isinstance(value, str) and value and isinstance(placeholder, str)):
                raise ValueError(f"secrets must map placeholders to non-empty strings, "
                                 f"not {placeholder!r}: {value!r}")
        # Longest first, so that a secret containing another is replaced whole.
        self.secrets = sorted(pairs, key=lambda pair: -len(pair[1]))

    def text(self, text: str) -> str:
        """*text* with every secret replaced by its placeholder."""
        for placeholder, value in self.secrets:
            text = text.replace(value, placeholder)
        return text

    def data(self, data: bytes) -> bytes:
        """*data* with every secret (as UTF-8) replaced by its placeholder."""
        for placeholder, value in self.secrets:
            data = data.replace(value.encode("utf-8"), placeholder.encode("utf-8"))
        return data

    def header(self, name: str, value: str) -> str:
        """The value of header *name* as a file may show it."""
        return REDACTED if name.lower() in self.headers else self.text(value)

    def fields(self, fields: Mapping[str, list[str]]) -> dict[str, list[str]]:
        """Query parameters or form fields as a file may show them (names kept)."""
        return {self.text(name): [REDACTED if name in self.query else self.text(value)
                                  for value in values]
                for name, values in fields.items()}

    def json(self, value: Any) -> Any:
        """A parsed JSON *value* with the named keys' values redacted, at any depth."""
        if isinstance(value, dict):
            return {self.text(key): REDACTED if key in self.json_keys else self.json(item)
                    for key, item in value.items()}
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def reveal(value: Any, secrets: Mapping[str, str]) -> Any:
    """A stub file's parsed *value* with each placeholder of *secrets* replaced by its secret.

    The inverse of the secrets' redaction, for replaying a file whose
    requests must match those a test sends with the real values: strings
    at any depth, and the bytes of ``body_base64`` and ``content_base64``
    fields, get the secrets back.
    """
    if not secrets:
        return value
    if isinstance(value, dict):
        return {key: _reveal_base64(item, secrets) if key.endswith("_base64")
                else reveal(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [reveal(item, secrets) for item in value]
    if isinstance(value, str):
        for placeholder, secret in secrets.items():
            value = value.replace(placeholder, secret)
    return value


def _reveal_base64(value: Any, secrets: Mapping[str, str]) -> Any:
    if not isinstance(value, str):
        return value  # the file's validation words the mistake
    try:
        data = base64.b64decode(value, validate=True)
    except ValueError:
        return value
    for placeholder, secret in secrets.items():
        data = data.replace(placeholder.encode("utf-8"), secret.encode("utf-8"))
    return base64.b64encode(data).decode("ascii")
