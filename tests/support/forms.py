"""Multipart bodies built part by part, with any header a part may carry, for hostile-input tests.

``distutils_upload`` sends what well-behaved clients send; these bodies
carry what they never do: RFC 2231 filenames with control characters,
charsets nobody knows, a body cut before its closing boundary.
"""

from __future__ import annotations

__all__ = ["BOUNDARY", "field_part", "multipart_body"]

BOUNDARY = "fakeserver-test-boundary"


def field_part(name: str, value: str | bytes, *headers: str, params: str = "") -> bytes:
    """One part: ``Content-Disposition`` naming *name*, followed by *params* as
    given (``'; filename="demo-1.0.tar.gz"'``), then *headers*, then *value*."""
    disposition = f'Content-Disposition: form-data; name="{name}"{params}'
    head = "".join(f"{line}\r\n" for line in (disposition, *headers))
    data = value.encode("utf-8") if isinstance(value, str) else value
    return head.encode("utf-8") + b"\r\n" + data


def multipart_body(*parts: bytes, closed: bool = True) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body of *parts* and its Content-Type; *closed* False leaves
    out the closing boundary, as a client cut short does."""
    delimiter = f"--{BOUNDARY}".encode()
    body = b"".join(delimiter + b"\r\n" + part + b"\r\n" for part in parts)
    if closed:
        body += delimiter + b"--\r\n"
    return body, f"multipart/form-data; boundary={BOUNDARY}"
