"""Checking an upload to a fake package index, as PyPI's legacy upload API does.

Owns what a ``POST`` to the upload URL must carry and the words used to
refuse it: HTTP Basic credentials, the multipart form (parsed by the
journal's ``parse_form``, the one form parser of fakeserver), the required
fields, the digests, and the agreement between the filename and the
declared name, version and file type. Everything is checked before anything
is stored, so a refused upload leaves no trace. Knows nothing of routing or
storage.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import io
import zipfile
from typing import Any, Mapping

from .files import (
    DistributionFile, FilenameError, digests_of, local_label, normalize, parse_filename,
    valid_name, version_key,
)
from .._journal.forms import Fields, Files, UploadedFile, parse_form

__all__ = ["UploadError", "authenticate", "docs_from_form", "file_from_form", "read_form"]

_DIGEST_FIELDS = {"md5_digest": "md5", "sha256_digest": "sha256", "blake2_256_digest": "blake2_256"}
#: Form fields that are about the request, not the distribution.
_PROTOCOL_FIELDS = (":action", "protocol_version")

#: How much of the request body one read asks for.
_CHUNK = 65536


class UploadError(Exception):
    """A refused request: *status* and a one-line *message* (sent as the reason phrase too)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def authenticate(environ: Mapping[str, Any], users: Mapping[str, str] | None) -> str | None:
    """The user name of the request's Basic credentials, checked against *users*.

    *users* None lets anyone in (the user name, if any, is still returned).
    Raises :class:`UploadError`: 401 without credentials, 403 with wrong ones.
    """
    scheme, _, encoded = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    user = password = None
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(encoded.strip(), validate=True) \
                .decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise UploadError(403, "Invalid authentication information.") from None
    if users is None:
        return user
    if user is None:
        raise UploadError(401, "Credentials required: use HTTP Basic authentication.")
    expected = users.get(user)
    if expected is None or not hmac.compare_digest(expected.encode(), (password or "").encode()):
        raise UploadError(403, "Invalid or non-existent authentication information.")
    return user


def read_form(environ: dict[str, Any]) -> tuple[Fields, Files]:
    """The fields and file parts of a ``multipart/form-data`` request body.

    Reads the body whole into memory (the parser needs it whole), through
    ``wsgi.input``, so that a recorder in front journals it too. Blocks until
    the client has sent it all; a client that disconnects midway raises out
    of here, before anything is stored.
    """
    content_type = environ.get("CONTENT_TYPE", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise UploadError(400, "Invalid request: send the upload as multipart/form-data.")
    stream = environ["wsgi.input"]
    return parse_form(content_type, b"".join(iter(lambda: stream.read(_CHUNK), b"")))


def _field(form: Fields, name: str, *, required: bool = True) -> str | None:
    value = (form.get(name) or [""])[0].strip()
    if not value and required:
        raise UploadError(400, f"Missing required field {name!r}.")
    return value or None


def _content(files: Files) -> UploadedFile:
    parts = files.get("content")
    if not parts:
        raise UploadError(400, "Missing required field 'content' (the file).")
    return parts[0]


def file_from_form(form: Fields, files: Files, uploader: str | None) -> tuple[DistributionFile, bytes]:
    """The record and content of a ``file_upload``; raises :class:`UploadError`."""
    if _field(form, "protocol_version") != "1":
        raise UploadError(400, "Unknown protocol version: use protocol_version 1.")
    name, version, filetype = (_field(form, key) for key in ("name", "version", "filetype"))
    assert name is not None and version is not None and filetype is not None
    _field(form, "metadata_version")
    content = _content(files)
    if not valid_name(name):
        raise UploadError(400, f"Invalid value for name: {name!r} is not a valid project name.")
    if version_key(version) == (-1,):
        raise UploadError(400, f"Invalid value for version: {version!r} is not a PEP 440 version.")
    _refuse_local(version, "Invalid value for version")
    if filetype not in ("sdist", "bdist_wheel"):
        raise UploadError(400, f"Invalid value for filetype: {filetype!r}; use sdist or bdist_wheel.")
    pyversion = _field(form, "pyversion", required=filetype != "sdist") or "source"
    try:
        file_name, file_version, file_type, _ = parse_filename(content.filename)
    except FilenameError as error:
        raise UploadError(400, str(error)) from None
    if file_type != filetype:
        raise UploadError(400, f"Invalid filename {content.filename!r} for filetype "
                               f"{filetype!r}: {file_type} files end in "
                               + (".whl." if file_type == "bdist_wheel" else ".tar.gz or .zip."))
    if normalize(file_name) != normalize(name):
        raise UploadError(400, f"The filename {content.filename!r} does not start with "
                               f"the project name {name!r}.")
    _refuse_local(file_version, f"Invalid filename {content.filename!r}")
    if version_key(file_version) != version_key(version):
        raise UploadError(400, f"The filename {content.filename!r} is for version "
                               f"{file_version!r}, not {version!r}.")
    data = content.data
    digests = digests_of(data)
    supplied = {key: _field(form, field, required=False) for field, key in _DIGEST_FIELDS.items()}
    if not any(supplied.values()):
        raise UploadError(400, "Include at least one message digest "
                               "(sha256_digest, blake2_256_digest or md5_digest).")
    for key, value in supplied.items():
        if value is not None and value.lower() != digests[key]:
            raise UploadError(400, f"The {key} digest supplied does not match a digest "
                                   "calculated from the uploaded file.")
    metadata = {key: list(values) for key, values in form.items() if key not in _PROTOCOL_FIELDS}
    record = DistributionFile(
        content.filename, name, version, filetype, pyversion, len(data), digests,
        requires_python=_field(form, "requires_python", required=False),
        summary=_field(form, "summary", required=False), metadata=metadata, uploader=uploader,
        uploaded=True)
    return record, data


def _refuse_local(version: str, what: str) -> None:
    """Refuse a local version (``1.0+local``), as PyPI does: they are for private indexes."""
    label = local_label(version)
    if label is not None:
        raise UploadError(400, f"{what}: {version!r} has the local version label {label!r}; "
                               "local versions cannot be uploaded to an index.")


def docs_from_form(form: Fields, files: Files) -> tuple[str, bytes]:
    """The normalized project name and zip archive of a ``doc_upload``."""
    name = _field(form, "name")
    assert name is not None
    if not valid_name(name):
        raise UploadError(400, f"Invalid value for name: {name!r} is not a valid project name.")
    data = _content(files).data
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UploadError(400, "Invalid documentation upload: 'content' must be a zip file.")
    return normalize(name), data
