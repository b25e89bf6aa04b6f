"""What a fake package index serves: simple repository pages, the JSON API, docs.

Owns the formats clients parse: the simple repository API in HTML
(PEP 503) and JSON (PEP 691, version 1.1 with PEP 700's ``versions``,
``size`` and ``upload-time``) and the choice between them from the
``Accept`` header; the ``/pypi/<project>/json`` documents; files inside an
uploaded documentation zip; and the content type of each distribution file.
Everything here is a pure function of the index's records; routing, auth and
storage are :class:`PackageIndex`'s.
"""

from __future__ import annotations

import datetime
import html
import io
import json
import mimetypes
import zipfile
from typing import Any, Callable, Sequence

from .files import DistributionFile, is_prerelease, normalize, version_key

__all__ = [
    "SIMPLE_HTML", "SIMPLE_JSON", "docs_member", "file_content_type", "negotiate",
    "project_json", "simple_project", "simple_projects",
]

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
#: What the simple pages can be served as; on a tie (``*/*``) the first wins, as on PyPI.
_OFFERED = ("text/html", SIMPLE_HTML, SIMPLE_JSON)
_ALIASES = {"application/vnd.pypi.simple.latest+json": SIMPLE_JSON,
            "application/vnd.pypi.simple.latest+html": SIMPLE_HTML}
_API_VERSION = "1.1"

FileURL = Callable[[DistributionFile], str]


def negotiate(accept: str | None) -> str | None:
    """The content type to serve for an ``Accept`` header; None if nothing offered is acceptable.

    Follows RFC 9110: each offered type takes the q-value of the most
    specific range matching it; the highest q wins, then specificity, then
    our order (HTML first). No header means ``text/html``.
    """
    if not accept or not accept.strip():
        return "text/html"
    ranges = []
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        ranges.append((_ALIASES.get(media, media), quality))
    best: tuple[float, int, int] | None = None
    chosen = None
    for preference, offered in enumerate(_OFFERED):
        matches = [(_specificity(media, offered), quality) for media, quality in ranges
                   if _specificity(media, offered) >= 0]
        if not matches:
            continue
        specificity, quality = max(matches)
        score = (quality, specificity, -preference)
        if quality > 0 and (best is None or score > best):
            best, chosen = score, offered
    return chosen


def _specificity(media_range: str, offered: str) -> int:
    """2 for an exact match, 1 for ``type/*``, 0 for ``*/*``, -1 for no match."""
    if media_range == offered:
        return 2
    if media_range == "*/*":
        return 0
    if media_range.endswith("/*") and offered.startswith(media_range[:-1]):
        return 1
    return -1


def simple_projects(names: Sequence[str], project_url: Callable[[str], str],
                    content_type: str) -> bytes:
    """The ``/simple/`` page: every project, by its display name."""
    if content_type == SIMPLE_JSON:
        return _json({"meta": {"api-version": _API_VERSION},
                      "projects": [{"name": name} for name in names]})
    links = "".join(f'    <a href="{html.escape(project_url(normalize(name)))}">'
                    f"{html.escape(name)}</a>\n" for name in names)
    return _html("Simple index", links)


def simple_project(project: str, files: Sequence[DistributionFile], file_url: FileURL,
                   content_type: str) -> bytes:
    """A ``/simple/<project>/`` page: each file with its sha256 and Requires-Python."""
    if content_type == SIMPLE_JSON:
        entries = []
        for record in files:
            entry: dict[str, Any] = {"filename": record.filename, "url": file_url(record),
                                     "hashes": {"sha256": record.digests["sha256"]}}
            if record.requires_python:
                entry["requires-python"] = record.requires_python
            entry.update({"yanked": False, "size": record.size,
                          "upload-time": _iso_time(record.upload_time)})
            entries.append(entry)
        versions = sorted({record.version for record in files}, key=version_key)
        return _json({"meta": {"api-version": _API_VERSION}, "name": project,
                      "files": entries, "versions": versions})
    links = []
    for record in files:
        url = html.escape(f"{file_url(record)}#sha256={record.digests['sha256']}")
        requires = (f' data-requires-python="{html.escape(record.requires_python)}"'
                    if record.requires_python else "")
        links.append(f'    <a href="{url}"{requires}>{html.escape(record.filename)}</a><br>\n')
    return _html(f"Links for {project}", "".join(links))


def _html(title: str, body: str) -> bytes:
    return (f'<!DOCTYPE html>\n<html>\n  <head>\n'
            f'    <meta name="pypi:repository-version" content="{_API_VERSION}">\n'
            f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n"
            f"    <h1>{html.escape(title)}</h1>\n{body}  </body>\n</html>\n").encode("utf-8")


def _json(document: Any) -> bytes:
    return json.dumps(document, indent=1).encode("utf-8")


def _iso_time(timestamp: float) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# The metadata fields ``info`` carries, with the upload field each comes from.
_INFO_TEXT = ("author", "author_email", "description", "description_content_type",
              "download_url", "home_page", "keywords", "license", "maintainer",
              "maintainer_email", "platform")
_INFO_LISTS = ("classifiers", "requires_dist")


def project_json(files: Sequence[DistributionFile], file_url: FileURL, base_url: str,
                 version: str | None = None) -> bytes:
    """The ``/pypi/<project>/json`` document, or ``/pypi/<project>/<version>/json``.

    ``info`` describes *version*, or else the latest release (the highest
    version, pre-releases only when there is nothing else).
    """
    releases: dict[str, list[DistributionFile]] = {}
    for record in sorted(files, key=lambda record: version_key(record.version)):
        releases.setdefault(record.version, []).append(record)
    whole_project = version is None
    if version is None:
        finals = [v for v in releases if not is_prerelease(v)]
        version = (finals or list(releases))[-1]
    shown = releases[version]
    newest = max(shown, key=lambda record: record.serial)
    meta = newest.metadata
    project = newest.project
    info: dict[str, Any] = {field: (meta.get(field) or [""])[0] for field in _INFO_TEXT}
    info.update({field: meta.get(field) or ([] if field == "classifiers" else None)
                 for field in _INFO_LISTS})
    info.update({
        "name": newest.name, "version": version, "summary": newest.summary or "",
        "requires_python": newest.requires_python or "",
        "package_url": f"{base_url}/project/{project}/",
        "project_url": f"{base_url}/project/{project}/",
        "release_url": f"{base_url}/project/{project}/{version}/",
        "yanked": False, "yanked_reason": None,
    })
    document: dict[str, Any] = {"info": info, "last_serial": max(r.serial for r in files)}
    if whole_project:  # as on PyPI, the version document has no "releases"
        document["releases"] = {number: [_file_json(record, file_url) for record in records]
                                for number, records in releases.items()}
    document["urls"] = [_file_json(record, file_url) for record in shown]
    document["vulnerabilities"] = []
    return _json(document)


def _file_json(record: DistributionFile, file_url: FileURL) -> dict[str, Any]:
    return {
        "filename": record.filename, "url": file_url(record), "size": record.size,
        "packagetype": record.filetype, "python_version": record.pyversion,
        "requires_python": record.requires_python,
        "digests": {"sha256": record.digests["sha256"], "md5": record.digests["md5"],
                    "blake2b_256": record.digests["blake2_256"]},
        "md5_digest": record.digests["md5"], "has_sig": False, "comment_text": "",
        "upload_time": _iso_time(record.upload_time)[:19],
        "upload_time_iso_8601": _iso_time(record.upload_time),
        "yanked": False, "yanked_reason": None,
    }


def file_content_type(filename: str) -> str:
    """The Content-Type a distribution file is served with.

    A ``.tar.gz`` is ``application/gzip`` with no ``Content-Encoding``:
    ``mimetypes`` would say ``application/x-tar`` encoded with gzip, and a
    client honouring that encoding (``requests``, a browser) would unpack
    the archive on the fly and get bytes whose sha256 no longer matches.
    """
    if filename.endswith(".tar.gz"):
        return "application/gzip"
    if filename.endswith(".zip"):
        return "application/zip"
    return "application/octet-stream"


def docs_member(archive: bytes, path: str) -> tuple[bytes, str] | None:
    """The file at *path* in a documentation zip (``index.html`` for a directory), or None."""
    if path == "" or path.endswith("/"):
        path += "index.html"
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as docs:
            data = docs.read(path)
    except (KeyError, zipfile.BadZipFile):
        return None
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    return data, content_type
