"""SMTP AUTH mechanisms: PLAIN (RFC 4616) and LOGIN, as RFC 4954 frames them.

This module owns turning an initial response and the answers to challenges
into a user name and password, and the error reply for each malformed
exchange. It knows nothing of sockets or session state: the session passes
a function that sends a challenge and returns the client's answer, and
decides whether the credentials are good.
"""

from __future__ import annotations

import base64
from typing import Callable

__all__ = ["MECHANISMS", "AuthError", "read_credentials"]

#: The mechanisms offered, as in the ``EHLO`` reply.
MECHANISMS = ("PLAIN", "LOGIN")
# The challenges of AUTH LOGIN: base64 of "Username:" and "Password:".
_USERNAME_CHALLENGE = "VXNlcm5hbWU6"
_PASSWORD_CHALLENGE = "UGFzc3dvcmQ6"

#: Sends a ``334`` challenge and returns the client's answer line, stripped.
Ask = Callable[[str], str]


class AuthError(Exception):
    """The exchange failed; ``reply`` is the ``(code, text)`` to answer with."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(code, text)
        self.reply = (code, text)


def read_credentials(mechanism: str, initial: str | None, ask: Ask) -> tuple[str, str]:
    """Return ``(user, password)`` from the exchange of *mechanism* (one of :data:`MECHANISMS`).

    *initial* is the initial response of the ``AUTH`` command, if any.
    Raises :class:`AuthError` for a cancelled or malformed exchange.
    """
    if mechanism == "PLAIN":
        parts = _response(initial, "", ask).split(b"\0")
        try:
            authzid, user, password = (part.decode("utf-8") for part in parts)
        except ValueError:  # not three parts, or not UTF-8
            raise AuthError(501, "Malformed AUTH PLAIN response") from None
        if authzid not in ("", user):
            raise AuthError(535, f"{user} may not act as {authzid}")
        return user, password
    user_bytes = _response(initial, _USERNAME_CHALLENGE, ask)
    password_bytes = _response(None, _PASSWORD_CHALLENGE, ask)
    try:
        return user_bytes.decode("utf-8"), password_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise AuthError(501, "Malformed AUTH LOGIN response") from None


def _response(initial: str | None, challenge: str, ask: Ask) -> bytes:
    """Decode *initial*, or else the answer to *challenge*."""
    if initial is None:
        initial = ask(challenge)
    if initial == "*":
        raise AuthError(501, "Authentication cancelled")
    if initial == "=":  # RFC 4954 4: an empty initial response
        return b""
    try:
        return base64.b64decode(initial, validate=True)
    except ValueError:
        raise AuthError(501, "Invalid base64 in AUTH response") from None
