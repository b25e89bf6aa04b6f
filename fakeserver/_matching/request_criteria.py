"""The criteria on HTTP requests: declared once, checked by one table.

:class:`RequestCriteria` (and :class:`ExchangeCriteria`, which adds the
response's status) are the keywords every signature taking request criteria
unpacks; :func:`request_expectation` turns them into an :class:`Expectation`
through the table ``_CRITERIA``. Knows nothing of servers or of unittest.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence, TypedDict
from urllib.parse import parse_qs

from .criteria import (
    Criterion, Expectation, equal, json_criterion, path_criterion, predicate_criterion, subset,
)
from .diff import shorten
from .files import FileSpec, files_criterion

if TYPE_CHECKING:
    from .._journal.records import RecordedRequest

    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = ["ExchangeCriteria", "RequestCriteria", "request_expectation"]

__unittest = True  # hide this module's frames from test failure tracebacks


class RequestCriteria(TypedDict, total=False):
    """What a request must carry to match, beside its path and method: keyword arguments.

    Stubs and the assertions on recorded requests take these keywords
    (``**criteria: Unpack[RequestCriteria]``), so a criterion is declared
    here once, and checked by the table in :func:`request_expectation`. A
    criterion left out, or None, matches anything.
    """

    #: Query parameters, as a subset: a string must be one of the key's
    #: values (``{"tag": "a"}`` fits ``?tag=a&tag=b``); a list must be all
    #: of them, in order.
    query: Mapping[str, str | Sequence[str]] | None
    #: Headers, as a subset; names compare case-insensitively.
    headers: Mapping[str, str] | None
    #: The body, byte for byte (a string is encoded as UTF-8).
    body: bytes | str | None
    #: The body parsed as JSON, compared for equality.
    json: Any
    #: Form fields (URL-encoded or multipart), as a subset like *query*.
    form: Mapping[str, str | Sequence[str]] | None
    #: Multipart file parts, by field: a filename (str), a content (bytes),
    #: or a dict of ``filename``, ``content`` and ``content_type``; a list
    #: must be all of the field's files, in order. The boundary never matters.
    files: Mapping[str, FileSpec | Sequence[FileSpec]] | None
    #: A function of the :class:`RecordedRequest` that must return true.
    predicate: Callable[[RecordedRequest], bool] | None


class ExchangeCriteria(RequestCriteria, total=False):
    """:class:`RequestCriteria` and what the server answered: for assertions on recorded requests.

    A stub takes no *status*: it matches a request before answering it.
    """

    #: The status code of the response.
    status: int | None


def _body(body: bytes | str) -> tuple[Criterion, str]:
    expected = body.encode("utf-8") if isinstance(body, str) else body
    return equal("body", expected, lambda r: r.body), f"body {shorten(expected)}"


#: How each criterion of :class:`ExchangeCriteria` is checked, and named in the
#: expectation's description; in the order reports list them.
_CRITERIA: dict[str, Callable[[Any], tuple[Criterion, str]]] = {
    "query": lambda query: (subset("query", query, lambda r: r.query), f"query {shorten(query)}"),
    "headers": lambda headers: (subset("headers", headers, _header_lists, fold_case=True),
                                f"headers {shorten(dict(headers))}"),
    "body": _body,
    "json": lambda json: (json_criterion(json), f"json {shorten(json)}"),
    "form": lambda form: (subset("form", form, lambda r: r.form), f"form {shorten(form)}"),
    "files": lambda files: (files_criterion(files), f"files {shorten(dict(files))}"),
    "status": lambda status: (equal("status", status, _status), f"status {status}"),
    "predicate": lambda predicate: (predicate_criterion(predicate),
                                    f"{getattr(predicate, '__name__', 'predicate')}()"),
}


def request_expectation(path: str | re.Pattern | None = None, method: str | None = None,
                        **criteria: Unpack[ExchangeCriteria]) -> Expectation:
    """An expectation on a recorded HTTP request (and its response status).

    *path* is a string (one containing ``?`` also requires that query, as
    a subset), a ``/items/{id}`` template or a compiled regex; None matches
    any, as does a *method* of None. Raises TypeError for a keyword that is
    not a criterion.
    """
    for name in criteria:
        if name not in _CRITERIA:
            raise TypeError(f"unknown request criterion {name!r}; expected one of "
                            f"{', '.join(_CRITERIA)}")
    checks: list[Criterion] = []
    if method is not None:
        method = method.upper()
        checks.append(equal("method", method, lambda r: r.method))
    if isinstance(path, str) and "?" in path:
        path, query_text = path.split("?", 1)
        criteria["query"] = {**parse_qs(query_text, keep_blank_values=True),
                             **(criteria.get("query") or {})}
    if path is not None:
        checks.append(path_criterion(path))
    details = []
    for name, make in _CRITERIA.items():
        value = criteria.get(name)
        if value is not None:
            criterion, detail = make(value)
            checks.append(criterion)
            details.append(detail)
    target = (path.pattern if isinstance(path, re.Pattern) else path) if path is not None else "*"
    description = f"{method} {target}" if method else target
    if details:
        description += " with " + ", ".join(details)
    return Expectation(description, checks)


def _header_lists(record: Any) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    for name, value in record.headers.items():
        lists.setdefault(name.lower(), []).append(value)
    return lists


def _status(record: Any) -> int | None:
    response = record.response
    return response.status if response is not None else None
