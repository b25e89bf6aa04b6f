"""PackageIndex: a WSGI app speaking PyPI's APIs, for ``twine upload`` and ``pip install``.

This module owns the catalogue (files in memory or in a directory, serials,
atomic storage) and the routes: the legacy upload API, the simple
repository API in HTML and JSON, the JSON API and uploaded docs. What an
upload must carry, what each page looks like and how files are named and
stored are decided by the modules beside it. It knows nothing of unittest
or pytest.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Iterable, Mapping, Sequence
from urllib.parse import parse_qs, quote
from wsgiref.util import application_uri

from .files import (
    DirectoryStore, DistributionFile, FilenameError, MemoryStore, filename_key, from_filename,
    normalize, version_key,
)
from .pages import (
    docs_member, file_content_type, negotiate, project_json, simple_project, simple_projects,
)
from .upload import UploadError, authenticate, docs_from_form, file_from_form, read_form

__all__ = ["PackageIndex"]

_UPLOAD_PATHS = ("/", "/legacy", "/legacy/")
_NOT_ACCEPTABLE = ("406 Not Acceptable: the simple pages are served as text/html, "
                   "application/vnd.pypi.simple.v1+html and application/vnd.pypi.simple.v1+json")


class PackageIndex:
    """A WSGI app emulating PyPI: upload with twine, install with pip.

    - ``POST /`` or ``/legacy/``: the legacy upload API (``:action`` =
      ``file_upload``, ``doc_upload`` or ``submit``), HTTP Basic auth
      against *users* (``{"__token__": "pypi-..."}`` for API tokens; None
      lets anyone upload). Refusals are ``4xx`` with the reason in the
      status line, as PyPI words them.
    - ``/simple/`` and ``/simple/<project>/``: PEP 503 HTML or PEP 691 JSON.
    - ``/packages/<filename>``, ``/pypi/<project>/json``,
      ``/pypi/<project>/<version>/json``, ``/docs/<project>/``.

    Files live in memory, or in the directory *root*, where they survive
    restarts and where distributions dropped by hand are listed too (read
    when the index is created). An upload is checked whole before anything
    is stored, and stored atomically. Thread-safe: serve it from any number
    of connection threads and call its methods from the test at the same time.
    """

    def __init__(self, root: str | os.PathLike | None = None, *,
                 users: Mapping[str, str] | None = None) -> None:
        #: Who may upload (user name to password or token); None: anyone.
        self.users = dict(users) if users is not None else None
        self._store = DirectoryStore(root) if root is not None else MemoryStore()
        self._lock = threading.Lock()
        self._files: dict[str, DistributionFile] = {}
        self._serial = 0
        for record in self._store.load():
            self._insert(record)

    # -- the catalogue ------------------------------------------------------------

    @property
    def files(self) -> list[DistributionFile]:
        """Every file in the index, oldest first (a copy)."""
        with self._lock:
            return sorted(self._files.values(), key=lambda record: record.serial)

    @property
    def last_serial(self) -> int:
        """The serial of the latest change; a file added later has a larger one."""
        with self._lock:
            return self._serial

    def add(self, filename: str, data: bytes, *, requires_python: str | None = None,
            summary: str | None = None) -> DistributionFile:
        """Put a file into the index without uploading it, as if dropped into *root*.

        Its name, version and type come from *filename*; raises ValueError
        for a filename the index would refuse or one it already has.
        """
        record = from_filename(filename, data)
        record.requires_python, record.summary = requires_python, summary
        self._store_new(record, data)
        return record

    def remove(self, filename: str) -> None:
        """Delete a file (and its metadata) from the index; no error if it is not there."""
        with self._lock:
            self._store.remove(filename)
            self._files.pop(filename, None)
            self._serial += 1

    def _insert(self, record: DistributionFile) -> None:
        self._serial += 1
        record.serial = self._serial
        filename = record.filename
        record._read = lambda: self._store.read(filename)
        self._files[filename] = record

    def _store_new(self, record: DistributionFile, data: bytes) -> None:
        with self._lock:
            for existing in self._files.values():
                reason = _same_file(record, existing)
                if reason is not None:
                    # twine --skip-existing recognizes "File already exists" in the reason.
                    raise FilenameError(f"File already exists ({record.filename!r}, with sha256 "
                                        f"hash {existing.digests['sha256']!r}){reason}.")
            self._store.write(record, data)
            self._insert(record)

    def _project_files(self, project: str) -> list[DistributionFile]:
        return [record for record in self.files if record.project == project]

    # -- WSGI -----------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO") or "/"
        try:
            if path in _UPLOAD_PATHS and method == "POST":
                return self._post(environ, start_response)
            if path in _UPLOAD_PATHS or method not in ("GET", "HEAD"):
                allow = "POST" if path in _UPLOAD_PATHS else "GET, HEAD"
                return _answer(start_response, "405 Method Not Allowed", b"", [("Allow", allow)])
            return self._get(environ, start_response, path)
        except UploadError as error:
            headers = [("WWW-Authenticate", 'Basic realm="fakeserver"')] if error.status == 401 else []
            reason = error.message.replace("\r", " ").replace("\n", " ")
            status = f"{error.status} {reason.encode('latin-1', 'replace').decode('latin-1')}"
            return _answer(start_response, status, f"{error.status} {error.message}\n".encode(),
                           headers)

    def _post(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        uploader = authenticate(environ, self.users)
        form, files = read_form(environ)
        action = (form.get(":action") or [""])[0]
        if action == "file_upload":
            record, data = file_from_form(form, files, uploader)
            try:
                self._store_new(record, data)
            except FilenameError as error:
                raise UploadError(400, str(error)) from None
        elif action == "doc_upload":
            with self._lock:
                self._store.write_docs(*docs_from_form(form, files))
        elif action != "submit":  # registering a project first is accepted, and not needed
            raise UploadError(400, f"Unknown action {action!r}: use file_upload or doc_upload."
                              if action else "Missing required field ':action'.")
        return _answer(start_response, "200 OK", b"OK\n")

    def _get(self, environ: dict[str, Any], start_response: Callable[..., Any],
             path: str) -> Iterable[bytes]:
        base = application_uri(environ).rstrip("/")
        prefix = environ.get("SCRIPT_NAME", "")
        parts = path.strip("/").split("/")
        kind, name = parts[0], parts[1] if len(parts) > 1 else ""

        def file_url(record: DistributionFile) -> str:
            return f"{base}/packages/{quote(record.filename)}"

        if kind == "simple" and len(parts) <= 2:
            wanted = f"/simple/{normalize(name)}/" if name else "/simple/"
            if path != wanted:
                query = environ.get("QUERY_STRING")
                location = prefix + wanted + (f"?{query}" if query else "")
                return _answer(start_response, "301 Moved Permanently", b"", [("Location", location)])
            return self._simple(environ, start_response, name and normalize(name), file_url)
        if kind == "packages" and len(parts) == 2:
            with self._lock:
                record = self._files.get(name)
                data = record.data if record is not None else None
            if data is not None:
                return _answer(start_response, "200 OK", data,
                               [("Content-Type", file_content_type(name))])
        if kind == "pypi" and parts[-1] == "json" and len(parts) in (3, 4):
            records = self._project_files(normalize(name))
            version = parts[2] if len(parts) == 4 else None
            if records and (version is None or any(r.version == version for r in records)):
                return _answer(start_response, "200 OK",
                               project_json(records, file_url, base, version),
                               [("Content-Type", "application/json")])
            return _answer(start_response, "404 Not Found", b'{"message": "Not Found"}',
                           [("Content-Type", "application/json")])
        if kind == "docs" and name:
            if len(parts) == 2 and not path.endswith("/"):
                return _answer(start_response, "301 Moved Permanently", b"",
                               [("Location", f"{prefix}/docs/{normalize(name)}/")])
            archive = self._store.read_docs(normalize(name))
            member = archive and docs_member(archive, path.split("/", 3)[3])
            if member:
                return _answer(start_response, "200 OK", member[0], [("Content-Type", member[1])])
        return _answer(start_response, "404 Not Found", b"404 Not Found\n")

    def _simple(self, environ: dict[str, Any], start_response: Callable[..., Any], project: str,
                file_url: Callable[[DistributionFile], str]) -> Iterable[bytes]:
        requested = parse_qs(environ.get("QUERY_STRING", "")).get("format", [None])[0]
        if requested:  # ?format=...v1+json with the "+" unescaped: parse_qs made it a space
            requested = requested.replace(" ", "+")
        content_type = negotiate(requested or environ.get("HTTP_ACCEPT"))
        if content_type is None:
            return _answer(start_response, "406 Not Acceptable", _NOT_ACCEPTABLE.encode() + b"\n")
        headers = [("Content-Type", content_type + ("" if "json" in content_type
                                                    else "; charset=utf-8")), ("Vary", "Accept")]
        if not project:
            names: dict[str, str] = {}
            for record in self.files:
                names.setdefault(record.project, record.name)
            body = simple_projects(sorted(names.values(), key=normalize),
                                   lambda normalized: f"{environ.get('SCRIPT_NAME', '')}"
                                                      f"/simple/{normalized}/", content_type)
            return _answer(start_response, "200 OK", body, headers)
        records = self._project_files(project)
        if not records:
            return _answer(start_response, "404 Not Found", b"404 Not Found\n")
        return _answer(start_response, "200 OK",
                       simple_project(project, records, file_url, content_type), headers)

    def __repr__(self) -> str:
        where = getattr(self._store, "root", "memory")
        return f"<PackageIndex {where}: {len(self._files)} files>"


def _same_file(new: DistributionFile, existing: DistributionFile) -> str | None:
    """Why PyPI would take *new* for *existing* again (to end the refusal), or None.

    PyPI never takes the same content twice, nor a filename that differs
    from a known one only by case or name normalization, nor a second sdist
    of a release (``demo-3.0.0.tar.gz`` beside ``demo-3.0.tar.gz``).
    """
    if new.filename == existing.filename:
        return ""
    if new.digests["sha256"] == existing.digests["sha256"]:
        return f": the same content as {existing.filename!r}"
    if filename_key(new.filename) == filename_key(existing.filename):
        return f": the same file as {existing.filename!r}"
    if (new.filetype == existing.filetype == "sdist" and new.project == existing.project
            and version_key(new.version) == version_key(existing.version)):
        return (f": release {existing.version} of {existing.name} already has "
                f"the sdist {existing.filename!r}")
    return None


def _answer(start_response: Callable[..., Any], status: str, body: bytes,
            headers: Sequence[tuple[str, str]] = ()) -> list[bytes]:
    header_list = list(headers)
    if not any(name == "Content-Type" for name, _ in header_list):
        header_list.append(("Content-Type", "text/plain; charset=utf-8"))
    header_list.append(("Content-Length", str(len(body))))
    start_response(status, header_list)
    return [body]
