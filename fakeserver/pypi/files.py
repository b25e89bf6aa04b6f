"""The files of a fake package index: names, filenames, digests, versions and storage.

Owns what a distribution file *is* to the index (:class:`DistributionFile`),
the naming rules it is checked against (PEP 503 normalization, the wheel
and sdist filename formats, a PEP 440 ordering good enough to pick the
latest release), and where the bytes live: in memory, or in a directory
that survives restarts. Directory writes go to a temporary file in the same
directory and are moved into place with ``os.replace``, so a reader never
sees half a file. Knows nothing of HTTP, WSGI or unittest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterator

__all__ = [
    "FILETYPES", "DirectoryStore", "DistributionFile", "FilenameError", "MemoryStore",
    "digests_of", "filename_key", "from_filename", "is_prerelease", "is_project_name",
    "local_label", "normalize", "parse_filename", "valid_name", "version_key",
]

#: The file types an index accepts, by the filename endings that imply them.
FILETYPES = {".whl": "bdist_wheel", ".tar.gz": "sdist", ".zip": "sdist"}

_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_WHEEL = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)(?:-\d[^-]*)?"
                    r"-(?P<python>[^-]+)-[^-]+-[^-]+\.whl$")
_VERSION = re.compile(
    r"^v?(?:(?P<epoch>\d+)!)?(?P<release>\d+(?:\.\d+)*)"
    r"(?:[-_.]?(?P<pre>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?P<pre_n>\d*))?"
    r"(?:-(?P<post_implicit>\d+)|[-_.]?(?:post|rev|r)[-_.]?(?P<post_n>\d*))?"
    r"(?:[-_.]?dev[-_.]?(?P<dev_n>\d*))?(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?$",
    re.IGNORECASE)
_PRE_RANK = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}
_SIDECARS = ".fakeserver"


class FilenameError(ValueError):
    """A filename the index cannot accept; the message says why, for the client."""


def normalize(name: str) -> str:
    """The PEP 503 normalized form of a project name: ``Foo.Bar_baz`` -> ``foo-bar-baz``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def valid_name(name: str) -> bool:
    """True if *name* is a valid project name (PEP 508)."""
    return _NAME.match(name) is not None


def is_project_name(name: str) -> bool:
    """True if *name* is a valid project name already in normalized form (``foo-bar``)."""
    return valid_name(name) and normalize(name) == name


def parse_filename(filename: str) -> tuple[str, str, str, str]:
    """``(name, version, filetype, pyversion)`` as a distribution's filename states them.

    Wheels follow the wheel filename format (``pyversion`` is the python
    tag); sdists are ``{name}-{version}.tar.gz`` (or ``.zip``, which PyPI
    still takes), ``pyversion`` ``source``. Raises :class:`FilenameError`.
    """
    if "/" in filename or "\\" in filename or filename.startswith("."):
        raise FilenameError(f"Invalid filename {filename!r}.")
    if filename.endswith(".whl"):
        match = _WHEEL.match(filename)
        if match is None:
            raise FilenameError(f"Invalid wheel filename {filename!r}: expected "
                                "{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl.")
        return match["name"], match["version"], "bdist_wheel", match["python"]
    for ending, filetype in FILETYPES.items():
        if filename.endswith(ending):
            name, _, version = filename[:-len(ending)].rpartition("-")
            if not name or not version:
                raise FilenameError(f"Invalid sdist filename {filename!r}: expected "
                                    f"{{name}}-{{version}}{ending}.")
            return name, version, filetype, "source"
    raise FilenameError(f"Invalid file extension of {filename!r}: use .tar.gz, .whl or .zip.")


def filename_key(filename: str) -> tuple:
    """What two filenames of one file share: ``Demo-3.0.tar.gz`` and ``demo-3.0.tar.gz`` are one.

    The project name is normalized, the version compared as a version and
    the rest (tags, extension) without regard to case. Raises FilenameError.
    """
    name, version, _, _ = parse_filename(filename)
    rest = filename[len(name) + 1 + len(version):]
    return normalize(name), version_key(version), rest.lower()


def digests_of(data: bytes) -> dict[str, str]:
    """The hex digests an index keeps and checks: ``sha256``, ``md5`` and ``blake2_256``."""
    return {"sha256": hashlib.sha256(data).hexdigest(),
            "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
            "blake2_256": hashlib.blake2b(data, digest_size=32).hexdigest()}


def version_key(version: str) -> tuple:
    """A sort key ordering versions as PEP 440 does; unparsable ones sort first.

    Versions equal under PEP 440 (``3.0`` and ``3.0.0``) have equal keys; a
    local version (``1.0+local``) sorts after its public version, never equal to it.
    """
    match = _VERSION.match(version)
    if match is None:
        return (-1,)
    release = tuple(int(part) for part in match["release"].split("."))
    while len(release) > 1 and release[-1] == 0:
        release = release[:-1]
    post = match["post_implicit"] if match["post_implicit"] is not None else match["post_n"]
    dev = match["dev_n"]
    if match["pre"]:
        pre: tuple = (0, _PRE_RANK[match["pre"].lower()], int(match["pre_n"] or 0))
    elif dev is not None and post is None:
        pre = (-1,)
    else:
        pre = (1,)
    local = tuple((1, int(part), "") if part.isdigit() else (0, 0, part.lower())
                  for part in re.split(r"[-_.]", match["local"] or "") if part)
    return (0, int(match["epoch"] or 0), release, pre, int(post or 0) if post is not None else -1,
            int(dev or 0) if dev is not None else float("inf"), local)


def local_label(version: str) -> str | None:
    """The local version label of *version* (``local`` in ``1.0+local``), or None."""
    match = _VERSION.match(version)
    return match["local"] if match is not None else None


def is_prerelease(version: str) -> bool:
    """True for alpha, beta, candidate and development releases."""
    match = _VERSION.match(version)
    return match is not None and bool(match["pre"] or match["dev_n"] is not None)


@dataclass(eq=False)
class DistributionFile:
    """One file in the index, with what its upload said of it.

    You get one from :attr:`PackageIndex.files`, :meth:`PackageIndex.add`
    or ``assertUploaded``. Files found in an index directory, or put there
    with :meth:`PackageIndex.add`, carry what their filename and content
    tell: their ``metadata`` is empty, their ``uploader`` None and
    ``uploaded`` False. Do not change its fields.
    """

    filename: str
    name: str
    version: str
    filetype: str
    pyversion: str
    size: int
    #: Hex digests of the content: ``sha256``, ``md5``, ``blake2_256``.
    digests: dict[str, str]
    requires_python: str | None = None
    summary: str | None = None
    #: Every metadata field the upload sent (``classifiers`` etc.), as lists of values.
    metadata: dict[str, list[str]] = field(default_factory=dict)
    #: The user name the upload authenticated with (None: seeded, or anonymous).
    uploader: str | None = None
    #: True if the file came through the upload API; False if added or found in a directory.
    uploaded: bool = False
    upload_time: float = field(default_factory=time.time)
    #: Increases with every change to the index; later files have larger ones.
    serial: int = 0
    _read: Callable[[], bytes] | None = field(default=None, repr=False)

    @property
    def project(self) -> str:
        """The normalized project name the file is listed under."""
        return normalize(self.name)

    @property
    def data(self) -> bytes:
        """The file's content, as the index serves it."""
        assert self._read is not None, "a DistributionFile only reads once it is in an index"
        return self._read()

    def to_json(self) -> dict:
        """The fields as JSON-ready data (what a directory index keeps beside the file)."""
        return {key: value for key, value in asdict(self).items() if key != "_read"}

    def __repr__(self) -> str:
        return f"<DistributionFile {self.filename} ({self.filetype}) {self.size} bytes>"


def from_filename(filename: str, data: bytes) -> DistributionFile:
    """The record of a file known only by its name and content (raises FilenameError)."""
    name, version, filetype, pyversion = parse_filename(filename)
    return DistributionFile(filename, name, version, filetype, pyversion, len(data),
                            digests_of(data))


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

    def read_docs(self, project: str) -> bytes | None:
        if not is_project_name(project):
            return None
        return self._docs.get(project)


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
        """The distributions in *root*, oldest first; other files are ignored."""
        found = []
        for entry in os.scandir(self.root):
            if not entry.is_file() or entry.name.startswith("."):
                continue
            try:
                data = self.read(entry.name)
                record = from_filename(entry.name, data)
            except (FilenameError, OSError):
                continue
            record.upload_time = entry.stat().st_mtime
            found.append(self._with_sidecar(record))
        return iter(sorted(found, key=lambda record: (record.upload_time, record.filename)))

    def _with_sidecar(self, record: DistributionFile) -> DistributionFile:
        """The uploaded metadata of *record*, if its sidecar describes this very content."""
        try:
            with open(self._sidecar(record.filename), encoding="utf-8") as file:
                saved = json.load(file)
        except (OSError, ValueError):
            return record
        if saved.get("digests") != record.digests:
            return record  # the file was replaced by hand: its name and content rule
        saved.pop("serial", None)
        return DistributionFile(**saved)

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

    def read_docs(self, project: str) -> bytes | None:
        if not is_project_name(project):
            return None
        try:
            with open(os.path.join(self._sidecars, "docs", project + ".zip"), "rb") as file:
                return file.read()
        except FileNotFoundError:
            return None


def _plain_filename(filename: str) -> bool:
    """True for a name that stays in its directory: no separator, not hidden, not empty."""
    return (bool(filename) and not filename.startswith(".") and "/" not in filename
            and "\\" not in filename and os.path.basename(filename) == filename)


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
