"""Distributions built by code, and a client that uploads them as ``setup.py upload`` did.

The wheels and sdists are valid and byte-for-byte reproducible: pip
installs them offline (the sdist builds with an in-tree backend that copies
the wheel inside it), and twine uploads them. Shared by the package index's
own tests, the real-client tests and the pytest plugin's.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import tarfile
import urllib.error
import urllib.request
import zipfile
from typing import Any, NamedTuple

__all__ = ["Reply", "build_sdist", "build_wheel", "distutils_upload", "fetch"]

_EPOCH = (1980, 1, 1, 0, 0, 0)


# -- distributions built by code ---------------------------------------------------

def _escaped(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _metadata(name: str, version: str, requires_python: str | None) -> bytes:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
             f"Summary: The {name} test package"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    return ("\n".join(lines) + "\n\n").encode()


def build_wheel(name: str = "demo", version: str = "1.0",
                requires_python: str | None = ">=3.8") -> tuple[str, bytes]:
    """A valid pure-Python wheel: a module, METADATA, WHEEL and RECORD; byte-for-byte reproducible."""
    dist_info = f"{_escaped(name)}-{version}.dist-info"
    members = {
        f"{_escaped(name)}.py": f"VERSION = {version!r}\n".encode(),
        f"{dist_info}/METADATA": _metadata(name, version, requires_python),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: fakeserver-tests\n"
                              b"Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(
        f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},"
        f"{len(data)}\n" for path, data in members.items())
    members[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in members.items():
            archive.writestr(zipfile.ZipInfo(path, _EPOCH), data)
    return f"{_escaped(name)}-{version}-py3-none-any.whl", buffer.getvalue()


_BACKEND = b'''"""Builds the wheel by copying the one shipped inside: no network, no setuptools."""
import os
import shutil

WHEEL = %r


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), WHEEL), wheel_directory)
    return WHEEL
'''


def build_sdist(name: str = "demo", version: str = "1.0",
                requires_python: str | None = ">=3.8") -> tuple[str, bytes]:
    """A PEP 625 sdist with PKG-INFO whose in-tree backend pip can build offline."""
    wheel_name, wheel = build_wheel(name, version, requires_python)
    root = f"{_escaped(name)}-{version}"
    members = {
        "PKG-INFO": _metadata(name, version, requires_python),
        "pyproject.toml": b'[build-system]\nrequires = []\nbuild-backend = "backend"\n'
                          b'backend-path = ["."]\n',
        "backend.py": _BACKEND % wheel_name,
        wheel_name: wheel,
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        for path, data in members.items():
            info = tarfile.TarInfo(f"{root}/{path}")
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            archive.addfile(info, io.BytesIO(data))
    return f"{root}.tar.gz", buffer.getvalue()


# -- clients -------------------------------------------------------------------------

_BOUNDARY = "--------------GHSKFJDLGDS7543FJKLFHRE75642756743254"


def distutils_upload(url: str, filename: str, data: bytes, *, auth: tuple[str, str] | None = None,
                     action: str = "file_upload", **fields: Any) -> Reply:
    """POST as ``setup.py upload`` did: its multipart layout, md5_digest, Basic auth.

    *fields* override or (with None) drop the metadata distutils sent.
    """
    name, version = fields.pop("name", "demo"), fields.pop("version", "1.0")
    form: dict[str, Any] = {
        ":action": action, "protocol_version": "1", "metadata_version": "1.0",
        "name": name, "version": version, "summary": "The demo test package",
        "home_page": "https://example.com/demo", "author": "Ann", "author_email": "ann@example.com",
        "license": "MIT", "description": "Long text", "keywords": "", "platform": "UNKNOWN",
        "classifiers": ["Programming Language :: Python :: 3", "License :: OSI Approved"],
        "requires_python": ">=3.8", "comment": "",
        "filetype": "bdist_wheel" if filename.endswith(".whl") else "sdist",
        "pyversion": "py3" if filename.endswith(".whl") else "",
        "md5_digest": hashlib.md5(data).hexdigest(),
        "sha256_digest": hashlib.sha256(data).hexdigest(),
        "content": (filename, data),
    }
    form.update(fields)
    body = io.BytesIO()
    for key, values in form.items():
        for value in values if isinstance(values, list) else [values]:
            if value is None:
                continue
            title = f'\r\nContent-Disposition: form-data; name="{key}"'
            if isinstance(value, tuple):
                title += f'; filename="{value[0]}"'
                value = value[1]
            else:
                value = str(value).encode("utf-8")
            body.write(b"\r\n--" + _BOUNDARY.encode() + title.encode() + b"\r\n\r\n" + value)
    body.write(b"\r\n--" + _BOUNDARY.encode() + b"--\r\n")
    request = urllib.request.Request(url, data=body.getvalue(), headers={
        "Content-type": f"multipart/form-data; boundary={_BOUNDARY}"})
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    return fetch(request)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


class Reply(NamedTuple):
    """What :func:`fetch` got: the status, reason phrase, headers and body."""

    status: int
    reason: str
    headers: Any
    body: bytes


def fetch(request: urllib.request.Request | str, headers: dict[str, str] | None = None,
          method: str | None = None) -> Reply:
    """One exchange, redirects not followed."""
    if isinstance(request, str):
        request = urllib.request.Request(request, headers=headers or {}, method=method)
    try:
        with _OPENER.open(request) as response:
            return Reply(response.status, response.reason, response.headers, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, error.reason, error.headers, error.read())
