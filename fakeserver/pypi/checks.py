"""The upload checks behind ``assertUploaded`` / ``assert_uploaded``: what each compares and says.

``PackageIndexTestCase`` (camelCase, ``self.fail``) and the ``fake_pypi``
fixture (snake_case, ``AssertionError``) are two faces of these functions,
so that a failure reads the same under either runner, as the request checks
do for HTTP. Each check takes the test's uploads and returns the report
when it fails; only the *style* each face passes, saying how to list
everything, differs. Nothing here knows unittest, pytest or sockets.
"""

from __future__ import annotations

from typing import Callable, Sequence

from .._journal.recorder import Recorder
from .._matching import (
    Criterion, Expectation, Mismatch, ReportStyle, equal, format_report, rank, tally, within,
)
from .._matching.diff import differs
from .._matching.values import Expected, as_expected, compare
from .files import DistributionFile, normalize

__all__ = ["not_uploaded", "upload_arrived", "uploaded"]

__unittest = True  # hide this module's frames from test failure tracebacks


def uploaded(uploads: list[DistributionFile], name: Expected[str],
             version: Expected[str] | None = None, filetype: Expected[str] | None = None, *,
             style: ReportStyle, first: bool = False,
             waited: float | None = None) -> tuple[DistributionFile | None, str | None]:
    """The latest upload of project *name* (PEP 503 normalized; the *first* if asked) and
    None; or None and the report, saying it *waited* that many seconds if it did.

    *version* and *filetype* (``sdist``, ``bdist_wheel``) narrow it down;
    each of the three may be a matcher (``match.regex(...)``), or any
    callable returning a bool.
    """
    expectation = _upload_expectation(name, version, filetype)
    matching = [record for record in uploads if expectation.matches(record)]
    if matching:
        return matching[0 if first else -1], None
    return None, format_report(
        f"Expected an upload of {expectation}{within(waited)}; {_tally(0, uploads)}",
        rank(expectation, uploads), _upload_label, title="Closest uploads", style=style)


def upload_arrived(recorder: Recorder, uploads: Callable[[], list[DistributionFile]],
                   name: Expected[str], version: Expected[str] | None,
                   filetype: Expected[str] | None, *, timeout: float,
                   style: ReportStyle) -> tuple[DistributionFile | None, str | None]:
    """Wait up to *timeout* seconds for a matching upload (see :func:`uploaded`) among
    ``uploads()``, re-checked as each exchange *recorder* journals completes; the first
    match and None, or None and the report."""
    expectation = _upload_expectation(name, version, filetype)
    recorder.wait_for(lambda _: any(map(expectation.matches, uploads())), timeout)
    return uploaded(uploads(), name, version, filetype, style=style, first=True, waited=timeout)


def not_uploaded(uploads: list[DistributionFile], name: Expected[str],
                 version: Expected[str] | None = None, filetype: Expected[str] | None = None, *,
                 style: ReportStyle) -> str | None:
    """The report listing the matching uploads (same matching as :func:`uploaded`), if any."""
    expectation = _upload_expectation(name, version, filetype)
    matching: list[tuple[DistributionFile, list[Mismatch]]] = [
        (record, []) for record in uploads if expectation.matches(record)]
    if not matching:
        return None
    return format_report(f"Expected no upload of {expectation}; {_tally(len(matching), uploads)}",
                         matching, _upload_label, title="Matching uploads", style=style)


def _upload_expectation(name: Expected[str], version: Expected[str] | None,
                        filetype: Expected[str] | None) -> Expectation:
    """An expectation on a :class:`DistributionFile`, described as ``demo 1.0 (sdist)``.

    A project *name* compares PEP 503 normalized; a matcher of it gets the
    name as uploaded.
    """
    expected_name = as_expected(name)

    def same_project(record: DistributionFile) -> list[Mismatch]:
        if not isinstance(expected_name, str):
            return compare("name", record.name, expected_name)
        if record.project == normalize(expected_name):
            return []
        return [differs("name", record.name, expected_name)]

    criteria = [Criterion("name", same_project)]
    description = str(expected_name)
    if version is not None:
        criteria.append(equal("version", version, lambda record: record.version))
        description += f" {as_expected(version)}"
    if filetype is not None:
        criteria.append(equal("filetype", filetype, lambda record: record.filetype))
        description += f" ({as_expected(filetype)})"
    return Expectation(description, criteria)


def _tally(matching: int, uploads: Sequence[DistributionFile]) -> str:
    return tally(matching, len(uploads), "upload", "nothing was uploaded.")


def _upload_label(record: DistributionFile) -> tuple[str, str, str]:
    """The columns that name an upload in reports: name, version and file type."""
    return record.name, record.version, record.filetype
