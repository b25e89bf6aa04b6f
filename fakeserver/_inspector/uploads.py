"""The package index for the inspector's Index tab: projects, releases and files as JSON.

Owns one rendering of a :class:`PackageIndex`'s catalogue: projects by
name, their releases newest first, each file with what its upload said
(metadata, uploader, digests) and a link to download it from the index.
Knows nothing of WSGI or of the page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ..pypi.files import version_key
from ..pypi.index import PackageIndex
from .exchanges import iso_time

__all__ = ["uploads_json"]


def uploads_json(index: PackageIndex) -> dict[str, Any]:
    """``{"serial": ..., "projects": [...]}``: the catalogue, by project and release.

    Download links are relative to the page (``/__fakeserver__/``), which
    the index serves files beside.
    """
    projects: dict[str, dict[str, list[dict[str, Any]]]] = {}
    names: dict[str, str] = {}
    for record in index.files:
        names.setdefault(record.project, record.name)
        projects.setdefault(record.project, {}).setdefault(record.version, []).append({
            "filename": record.filename, "filetype": record.filetype,
            "pyversion": record.pyversion, "size": record.size, "digests": record.digests,
            "requires_python": record.requires_python, "summary": record.summary,
            "metadata": record.metadata, "uploader": record.uploader,
            "uploaded": record.uploaded, "upload_time": iso_time(record.upload_time),
            "download": f"../packages/{quote(record.filename)}",
        })
    return {"serial": index.last_serial, "projects": [
        {"name": names[project],
         "releases": [{"version": version, "files": files}
                      for version, files in sorted(releases.items(),
                                                   key=lambda item: version_key(item[0]),
                                                   reverse=True)]}
        for project, releases in sorted(projects.items())]}
