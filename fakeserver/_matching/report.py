"""Ranking near misses and formatting reports: the one shape of every failure message.

Records (or stubs) ranked by how they differ from an expectation, then one
aligned line each, capped as the :class:`ReportStyle` says. Knows nothing
of servers or of unittest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from .criteria import Expectation
from .diff import Mismatch, plural

__all__ = ["ReportStyle", "count_met", "format_report", "rank", "rank_by", "tally", "within"]

__unittest = True  # hide this module's frames from test failure tracebacks


def tally(matching: int, total: int, noun: str, empty: str) -> str:
    """How many of *total* records match, as a headline ends; *empty* when there are none.

    ``tally(1, 3, "upload", ...)`` is ``1 of 3 uploads matches.``
    """
    if total == 0:
        return empty
    return f"{matching} of {plural(total, noun)} {'matches' if matching == 1 else 'match'}."


def count_met(matching: int, count: int | None) -> bool:
    """Whether *matching* records satisfy a check asking for exactly *count* (None: at least one)."""
    return matching == count if count is not None else matching > 0


def within(waited: float | None) -> str:
    """`` within 0.5s``, for the headline of a check that waited *waited* seconds; else ``""``."""
    return f" within {waited:g}s" if waited is not None else ""


def rank(expectation: Expectation, records: Iterable[Any]) -> list[tuple[Any, list[Mismatch]]]:
    """Records with their mismatches, fewest first; ties keep the records' order."""
    return rank_by(records, expectation.mismatches)


def rank_by(items: Iterable[Any], mismatches: Callable[[Any], list[Mismatch]]
            ) -> list[tuple[Any, list[Mismatch]]]:
    """Items with ``mismatches(item)``, closest first; ties keep the items' order.

    Closest: the fewest fields differing, then the fewest differences.

    :func:`rank` compares one expectation with many records; a stub server
    compares many expectations (its stubs) with one request.
    """
    scored = [(item, mismatches(item)) for item in items]
    scored.sort(key=lambda item: (len({mismatch.field for mismatch in item[1]}), len(item[1])))
    return scored


@dataclass(frozen=True)
class ReportStyle:
    """How long a report may grow: at most *limit* records (None: all), then *hint*.

    Each face of the checks builds its own from the setting that sets the
    limit (``maxRequestsShown`` on a test case, ``max_requests_shown`` on a
    fake server, ...), and *hint* names that setting, so that the reader
    learns how to see the records left out.
    """

    limit: int | None
    hint: str


def format_report(headline: str, ranked: Sequence[tuple[Any, Sequence[Mismatch | str] | None]],
                  label: Callable[[Any], Sequence[str]], *, title: str,
                  style: ReportStyle) -> str:
    """The headline, then one aligned line per record with what differs.

    Each record comes with its mismatches, or notes in their place (``[]``
    shows "(matches)", None shows nothing). *label* gives a record's columns (e.g. method and
    target); *style* caps the listing and words its last line.
    """
    lines = [headline]
    if not ranked:
        return headline
    limit, hint = style.limit, style.hint
    shown = list(ranked if limit is None else ranked[:limit])
    if not shown:
        return f"{headline}\n  ... {len(ranked)} not listed; {hint}"
    rows = [list(label(record)) for record, _ in shown]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    widths[-1] = max(widths[-1] + 2, 16)
    lines.append(f"{title}:")
    for row, (_, mismatches) in zip(rows, shown):
        columns = " ".join(cell.ljust(width) for cell, width in zip(row, widths))
        if mismatches is None:  # a plain listing, nothing compared
            detail = ""
        else:
            detail = "; ".join(str(m) for m in mismatches) if mismatches else "(matches)"
        lines.append(f"  {columns}{detail}".rstrip())
    if len(ranked) > len(shown):
        lines.append(f"  ... and {len(ranked) - len(shown)} more; {hint}")
    return "\n".join(lines)
