"""Expected versus recorded: field-by-field matching, near-miss ranking, report text.

The one place that decides whether a recorded request (or message, or
upload) meets an expectation, computes how it differs field by field, ranks
the near misses and formats them. Assertions, stubs and the other fakes
all use it, so every failure message has the same shape. It knows nothing
of servers or of unittest.

- ``diff``: :class:`Mismatch`, one difference as data, and the one place
  that renders values into it (offsets in long values, sides never alike).
- ``values``: comparing one value with an expected one: equality, the
  matchers of :mod:`fakeserver.match` (defined here), JSON paths.
- ``criteria``: :class:`Criterion` (one field check) and
  :class:`Expectation` (the criteria a record must all meet).
- ``request_criteria``: :class:`RequestCriteria`, the criteria on HTTP
  requests declared once, and :func:`request_expectation`; ``files``, the
  ``files=`` criterion on multipart uploads.
- ``report``: ranking near misses and :func:`format_report`.

Call flow of a check::

    request_expectation(path, method, **criteria)  -> Expectation (Criterion per field)
    rank(expectation, records)                     -> records, closest first
        Expectation.mismatches(record)             -> [Mismatch], capped per field
            Criterion.differences(record)          -> compare() / json_differences()
                differs() / missing() / note()     -> Mismatch, rendered once
    format_report(headline, ranked, ...)           -> one aligned line per record
"""

from .criteria import Criterion
from .criteria import Expectation
from .criteria import equal
from .diff import Mismatch
from .diff import plural
from .diff import shorten
from .report import ReportStyle
from .report import count_met
from .report import format_report
from .report import rank
from .report import rank_by
from .report import tally
from .report import within
from .request_criteria import ExchangeCriteria
from .request_criteria import PathSpec
from .request_criteria import RequestCriteria
from .request_criteria import request_expectation

__all__ = [
    "Criterion",
    "ExchangeCriteria",
    "Expectation",
    "Mismatch",
    "PathSpec",
    "ReportStyle",
    "RequestCriteria",
    "count_met",
    "equal",
    "format_report",
    "plural",
    "rank",
    "rank_by",
    "request_expectation",
    "shorten",
    "tally",
    "within",
]
