"""The files of a fake package index: names, filenames, digests and versions.

Owns what a distribution file *is* to the index (:class:`DistributionFile`)
and the naming rules it is checked against: PEP 503 normalization, the
wheel and sdist filename formats (a filename is also a name on disk, so it
has no control characters and fits a file system's limit), and a PEP 440
ordering good enough to pick the latest release. Where the bytes live is
:mod:`.storage`'s. Knows nothing of HTTP, WSGI or unittest.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

__all__ = [
    "FILETYPES", "MAX_FILENAME", "DistributionFile", "FilenameError", "digests_of",
    "filename_key", "from_filename", "is_prerelease", "is_project_name", "local_label",
    "normalize", "parse_filename", "valid_name", "version_key",
]

#: The file types an index accepts, by the filename endings that imply them.
FILETYPES = {".whl": "bdist_wheel", ".tar.gz": "sdist", ".zip": "sdist"}
#: The longest filename the index takes, in bytes of UTF-8: with the ``.json``
#: of its metadata file it stays within the 255 bytes file systems allow a name.
MAX_FILENAME = 240

_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])\Z", re.IGNORECASE)
_WHEEL = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)(?:-\d[^-]*)?"
                    r"-(?P<python>[^-]+)-[^-]+-[^-]+\.whl\Z")
_VERSION = re.compile(
    r"^v?(?:(?P<epoch>\d+)!)?(?P<release>\d+(?:\.\d+)*)"
    r"(?:[-_.]?(?P<pre>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?P<pre_n>\d*))?"
    r"(?:-(?P<post_implicit>\d+)|[-_.]?(?:post|rev|r)[-_.]?(?P<post_n>\d*))?"
    r"(?:[-_.]?dev[-_.]?(?P<dev_n>\d*))?(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\Z",
    re.IGNORECASE)
_PRE_RANK = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}
#: C0 and C1 controls, DEL, and lone surrogates (which no UTF-8 text holds).
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


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
    still takes), ``pyversion`` ``source``. Raises :class:`FilenameError`,
    also for a filename longer than :data:`MAX_FILENAME` or with a control
    character in it.
    """
    if len(filename.encode("utf-8", "surrogatepass")) > MAX_FILENAME:
        raise FilenameError(f"Invalid filename: longer than {MAX_FILENAME} bytes.")
    if _UNPRINTABLE.search(filename):
        raise FilenameError(f"Invalid filename {filename!r}: control characters are not allowed.")
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

    #: The file's name, e.g. ``demo-1.0-py3-none-any.whl``.
    filename: str
    #: The project name as uploaded (see :attr:`project` for the normalized one).
    name: str
    #: The version, e.g. ``1.0``.
    version: str
    #: ``sdist`` or ``bdist_wheel``.
    filetype: str
    #: The wheel's python tag (``py3``), or ``source`` for an sdist.
    pyversion: str
    #: The file's length in bytes.
    size: int
    #: Hex digests of the content: ``sha256``, ``md5``, ``blake2_256``.
    digests: dict[str, str]
    #: The ``Requires-Python`` specifier, served as ``data-requires-python``.
    requires_python: str | None = None
    #: The one-line summary the upload gave.
    summary: str | None = None
    #: Every metadata field the upload sent (``classifiers`` etc.), as lists of values.
    metadata: dict[str, list[str]] = field(default_factory=dict)
    #: The user name the upload authenticated with (None: seeded, or anonymous).
    uploader: str | None = None
    #: True if the file came through the upload API; False if added or found in a directory.
    uploaded: bool = False
    #: ``time.time()`` when the file arrived.
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
