"""Form bodies: the fields and files of an urlencoded or ``multipart/form-data`` body.

The one form parser of fakeserver: :attr:`RecordedRequest.form` and
:attr:`RecordedRequest.files` call it on a recorded body, and the package
index on an upload. It also owns reading a ``Content-Type`` value (media
type and parameters), which the records use for a body's charset. Pure
functions of bytes and text: nothing here knows WSGI, records or sockets.
"""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from typing import cast
from urllib.parse import parse_qs

__all__ = ["FORM_TYPES", "Fields", "Files", "UploadedFile", "parse_content_type", "parse_form"]

#: The media types whose bodies :func:`parse_form` reads.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class UploadedFile:
    """A file part of a ``multipart/form-data`` body; you get one from ``RecordedRequest.files``."""

    def __init__(self, name: str, filename: str, content_type: str, data: bytes) -> None:
        self.name = name
        self.filename = filename
        self.content_type = content_type
        self.data = data

    def __repr__(self) -> str:
        return (f"<UploadedFile {self.name}={self.filename!r} {self.content_type} "
                f"{len(self.data)} bytes>")


#: Form fields by name, each with the list of its values (as ``parse_qs`` gives them).
Fields = dict[str, list[str]]
#: File parts by field name.
Files = dict[str, list[UploadedFile]]


def parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """The media type of a ``Content-Type`` *value*, lower-cased, and its parameters.

    Parameter names are lower-cased and quotes around values dropped:
    ``'Text/Plain; Charset="latin-1"'`` gives ``("text/plain", {"charset": "latin-1"})``.
    """
    kind, *rest = value.split(";")
    params = {}
    for item in rest:
        key, _, val = item.strip().partition("=")
        params[key.lower()] = val.strip('"')
    return kind.strip().lower(), params


def parse_form(content_type: str, body: bytes) -> tuple[Fields, Files]:
    """The fields and file parts of *body*, a form of the given ``Content-Type``.

    An urlencoded body gives fields only (decoded as latin-1, blank values
    kept); a multipart one gives text fields (in each part's charset,
    UTF-8 by default, undecodable bytes replaced) and :class:`UploadedFile`
    parts (as bytes). Any other content type gives two empty dicts. A
    malformed multipart body gives what could be parsed of it.
    """
    kind, _ = parse_content_type(content_type)
    if kind == "application/x-www-form-urlencoded":
        return parse_qs(body.decode("latin-1"), keep_blank_values=True), {}
    if kind != "multipart/form-data":
        return {}, {}
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    fields: Fields = {}
    files: Files = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        # None: not a form field. Never an RFC 2231 tuple: the HTTP policy decodes those.
        if not isinstance(name, str):
            continue
        # decode=True gives the bytes of a non-multipart part, None for a multipart one.
        data = cast("bytes | None", part.get_payload(decode=True)) or b""
        filename = part.get_filename()
        if filename is None:
            charset = part.get_content_charset() or "utf-8"
            fields.setdefault(name, []).append(data.decode(charset, "replace"))
        else:
            files.setdefault(name, []).append(
                UploadedFile(name, filename, part.get_content_type(), data))
    return fields, files
