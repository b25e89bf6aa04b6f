"""Where a fake package index keeps its bytes: in memory, or in a directory.

Owns the two stores behind :class:`PackageIndex`: a dict that is gone with
the index, and a directory that survives restarts, where distributions
dropped by hand are found and the metadata of each upload is kept in a
JSON file beside it (a "sidecar" in ``.fakeserver/``). Directory writes go
to a temporary file in the same directory and are moved into place with
``os.replace``, so a reader never sees half a file. A sidecar is trusted
only as far as it checks out: one that does not parse, or does not fit its
file, is ignored with a warning and the file is listed as its name and
content tell. Knows nothing of HTTP, WSGI or unittest; callers serialize
writes.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import tempfile
from typing import Any, BinaryIO, Iterator

from .files import (
    DistributionFile, FilenameError, from_filename, is_project_name, normalize, valid_name,
    version_key,
)

__all__ = ["DirectoryStore", "MemoryStore"]

logger = logging.getLogger("fakeserver")

_SIDECARS = ".fakeserver"
#: What a sidecar adds to what a file's name and content tell, and the types it may have.
_UPLOADED_FIELDS: dict[str, tuple[type, ...]] = {
    "name": (str,), "version": (str,), "pyversion": (str,), "requires_python": (str, type(None)),
    "summary": (str, type(None)), "metadata": (dict,), "uploader": (str, type(None)),
    "uploaded": (bool,), "upload_time": (int, float),
}
#: 9999-12-31, the last day an upload time can be written as an ISO 8601 date.
_LAST_TIME = 253402214400


class MemoryStore:
    """Bytes kept in a dict: gone with the index. Callers serialize writes."""

    def __init__(self) -> None:
        self._files: dict[str, bytes] = {}
        self._docs: dict[str, bytes] = {}

    def load(self) -> Iterator[DistributionFile]:
        return iter(())

    def write(self, record: DistributionFile, data: bytes) -> None:
        self._files[record.filename] = data

    def read(self, filename: str) -> bytes:
        return self._files[filename]

    def remove(self, filename: str) -> None:
        self._files.pop(filename, None)

    def write_docs(self, project: str, archive: bytes) -> None:
        self._docs[_docs_name(project)] = archive

    def open_docs(self, project: str) -> BinaryIO | None:
        """The documentation zip of *project*, open for reading; None if there is none.

        The caller closes it. A later upload replaces the archive without
        disturbing a reader of the old one.
        """
        archive = self._docs.get(project) if is_project_name(project) else None
        return io.BytesIO(archive) if archive is not None else None


class DirectoryStore(MemoryStore):
    """Files kept flat in *root*, uploaded metadata beside them in ``.fakeserver/``.

    Distributions dropped into *root* by hand are found by :meth:`load`.
    Every write is atomic (temporary file, then ``os.replace``): a crash or
    a failed upload never leaves a partial file. Callers serialize writes.
    """

    def __init__(self, root: str | os.PathLike) -> None:
        super().__init__()
        self.root = os.fspath(root)
        self._sidecars = os.path.join(self.root, _SIDECARS)
        os.makedirs(os.path.join(self._sidecars, "docs"), exist_ok=True)

    def load(self) -> Iterator[DistributionFile]:
        """The distributions in *root*, oldest first; other files are ignored.

        A malformed sidecar is ignored, with one warning logged for it.
        """
        found = []
        for entry in os.scandir(self.root):
            if not entry.is_file() or entry.name.startswith("."):
                continue
            try:
                data = self.read(entry.name)
                record = from_filename(entry.name, data)
                record.upload_time = entry.stat().st_mtime
            except (FilenameError, OSError):
                continue
            found.append(self._with_sidecar(record))
        return iter(sorted(found, key=lambda record: (record.upload_time, record.filename)))

    def _with_sidecar(self, record: DistributionFile) -> DistributionFile:
        """The uploaded metadata of *record*, if its sidecar describes this very content."""
        path = self._sidecar(record.filename)
        try:
            with open(path, "rb") as file:
                saved = json.load(file)
            if not isinstance(saved, dict):
                raise ValueError("not a JSON object")
            if saved.get("digests") != record.digests:
                return record  # the file was replaced by hand: its name and content rule
            return _uploaded(record, saved)
        except FileNotFoundError:
            return record  # dropped by hand
        except (OSError, ValueError, RecursionError) as error:  # RecursionError: nested too deep
            logger.warning("ignoring the malformed metadata file %s: %s", path, error)
            return record

    def _sidecar(self, filename: str) -> str:
        self._path(filename)  # the same check as for the file itself
        return os.path.join(self._sidecars, filename + ".json")

    def write(self, record: DistributionFile, data: bytes) -> None:
        # The sidecar first: the file appearing is what commits the upload.
        _write_atomically(self._sidecar(record.filename),
                          json.dumps(record.to_json(), indent=1).encode("utf-8"))
        try:
            _write_atomically(self._path(record.filename), data)
        except BaseException:
            _remove(self._sidecar(record.filename))
            raise

    def read(self, filename: str) -> bytes:
        with open(self._path(filename), "rb") as file:
            return file.read()

    def remove(self, filename: str) -> None:
        if _plain_filename(filename):  # anything else cannot be ours
            _remove(self._path(filename))
            _remove(self._sidecar(filename))

    def _path(self, filename: str) -> str:
        """Where *filename* lives: always directly in *root* (raises ValueError otherwise)."""
        if not _plain_filename(filename):
            raise ValueError(f"not a distribution filename: {filename!r}")
        return os.path.join(self.root, filename)

    def write_docs(self, project: str, archive: bytes) -> None:
        _write_atomically(os.path.join(self._sidecars, "docs", _docs_name(project) + ".zip"),
                          archive)

    def open_docs(self, project: str) -> BinaryIO | None:
        if not is_project_name(project):
            return None
        try:
            return open(os.path.join(self._sidecars, "docs", project + ".zip"), "rb")
        except FileNotFoundError:
            return None


def _uploaded(record: DistributionFile, saved: dict[str, Any]) -> DistributionFile:
    """*record* with the uploaded metadata *saved* in its sidecar; ValueError if malformed.

    What the file's name and content tell (its filename, type, size and
    digests) is never taken from the sidecar; the rest must have the types
    an upload gives it and name the file's project and version.
    """
    fields = {key: saved.get(key, getattr(record, key)) for key in _UPLOADED_FIELDS}
    for key, types in _UPLOADED_FIELDS.items():
        if not isinstance(fields[key], types):
            raise ValueError(f"{key!r} is {fields[key]!r}")
    metadata = fields["metadata"]
    if not all(isinstance(values, list) and all(isinstance(value, str) for value in values)
               for values in metadata.values()):
        raise ValueError("'metadata' is not lists of strings")
    if not 0 <= fields["upload_time"] <= _LAST_TIME:
        raise ValueError(f"'upload_time' is {fields['upload_time']!r}")
    if not valid_name(fields["name"]) or normalize(fields["name"]) != record.project:
        raise ValueError(f"'name' is {fields['name']!r}, not the project of the file")
    if version_key(fields["version"]) != version_key(record.version):
        raise ValueError(f"'version' is {fields['version']!r}, not the version of the file")
    return dataclasses.replace(record, **fields)


def _plain_filename(filename: str) -> bool:
    """True for a name that stays in its directory: no separator, not hidden, not empty."""
    return (bool(filename) and not filename.startswith(".") and "/" not in filename
            and "\\" not in filename and "\0" not in filename
            and os.path.basename(filename) == filename)


def _docs_name(project: str) -> str:
    """*project*, checked to be a normalized project name: it becomes part of a path."""
    if not is_project_name(project):
        raise ValueError(f"not a normalized project name: {project!r}")
    return project


def _write_atomically(path: str, data: bytes) -> None:
    """Write *data* to *path* so that readers see the old file or the whole new one."""
    descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".upload-")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        _remove(temporary)
        raise


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
