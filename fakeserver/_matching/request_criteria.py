"""The criteria on HTTP requests: declared once, checked by one table.

:class:`RequestCriteria` (and :class:`ExchangeCriteria`, which adds the
response's status) are the keywords every signature taking request criteria
unpacks; :func:`request_expectation` turns them into an :class:`Expectation`
through the table ``_CRITERIA``. Knows nothing of servers or of unittest.
"""

from __future__ import annotations

import base64
import re
import sys
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence, TypedDict, Union
from urllib.parse import parse_qs, urlsplit

from .._targets import is_url, request_url, url_origin
from .criteria import (
    Criterion, Expectation, equal, json_criterion, path_criterion, predicate_criterion, subset,
)
from .diff import Mismatch, missing, note, shorten, unexpected
from .files import FileSpec, files_criterion
from .values import ABSENT, Expected, Matcher, as_expected, compare

if TYPE_CHECKING:
    from .._journal.records import RecordedRequest

    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = ["ExchangeCriteria", "PathSpec", "RequestCriteria", "request_expectation"]

__unittest = True  # hide this module's frames from test failure tracebacks


#: What a request's path is matched with: a string (``"/items?page=2"`` also
#: requires the query; a full URL, the scheme, host and port too), a
#: ``/items/{id}`` template, a compiled regex (matching the whole path) or a
#: matcher.
PathSpec = Union[str, "re.Pattern[str]", Matcher]


class RequestCriteria(TypedDict, total=False):
    """What a request must carry to match, beside its path and method: keyword arguments.

    Stubs and the assertions on recorded requests take these keywords
    (``**criteria: Unpack[RequestCriteria]``), so a criterion is declared
    here once, and checked by the table in ``request_expectation``. A
    criterion left out, or None, matches anything. Wherever a value is
    compared, a matcher of :mod:`fakeserver.match` (or any callable
    returning a bool) may stand for it.
    """

    #: Query parameters, as a subset: a string must be one of the key's
    #: values (``{"tag": "a"}`` fits ``?tag=a&tag=b``); a list must be all
    #: of them, in order.
    query: Mapping[str, Expected[str] | Sequence[Expected[str]]] | None
    #: Headers, as a subset; names compare case-insensitively.
    headers: Mapping[str, Expected[str] | Sequence[Expected[str]]] | None
    #: The body, byte for byte (a string is encoded as UTF-8).
    body: Expected[bytes | str] | None
    #: The body parsed as JSON, compared for equality (``match.json_contains``
    #: for a part of it).
    json: Any
    #: Form fields (URL-encoded or multipart), as a subset like *query*.
    form: Mapping[str, Expected[str] | Sequence[Expected[str]]] | None
    #: Multipart file parts, by field: a filename (str), a content (bytes),
    #: or a dict of ``filename``, ``content`` and ``content_type``; a list
    #: must be all of the field's files, in order. The boundary never matters.
    files: Mapping[str, FileSpec | Sequence[FileSpec]] | None
    #: Cookies of the ``Cookie`` header, as a subset like *query*.
    cookies: Mapping[str, Expected[str] | Sequence[Expected[str]]] | None
    #: ``(user, password)`` of Basic authentication.
    auth: tuple[Expected[str], Expected[str]] | Matcher | None
    #: The host the request was sent to (the ``Host`` header), ignoring case;
    #: its port is compared only when given (``"api.example.com:8443"``).
    host: Expected[str] | None
    #: The path and query as requested (``"/items?page=2"``), compared whole:
    #: no parameter more or less, in the order sent (WireMock's ``url``).
    target: Expected[str] | None
    #: A function of the :class:`RecordedRequest` that must return true.
    predicate: Callable[[RecordedRequest], bool] | None


class ExchangeCriteria(RequestCriteria, total=False):
    """:class:`RequestCriteria` and what the server answered: for assertions on recorded requests.

    A stub takes no *status*: it matches a request before answering it.
    """

    #: The status code of the response.
    status: Expected[int] | None


def _body(body: Any) -> Criterion:
    return equal("body", body.encode("utf-8") if isinstance(body, str) else body, lambda r: r.body)


def _auth_criterion(expected: Any) -> Criterion:
    """Basic authentication with ``(user, password)``, each a value or a matcher."""
    expected = as_expected(tuple(expected) if isinstance(expected, list) else expected)

    def differences(record: Any) -> list[Mismatch]:
        header = record.headers.get("Authorization")
        if expected is ABSENT:  # no Authorization header at all
            return [] if header is None else [unexpected("auth", "auth")]
        if header is None:
            return [missing("auth", "auth")]
        credentials = _basic_credentials(header)
        if credentials is None:
            return [note("auth", f"is not Basic: {shorten(header)}")]
        if isinstance(expected, Matcher):
            return compare("auth", credentials, expected)
        return [mismatch for part, actual, wanted in zip(("user", "password"), credentials, expected)
                for mismatch in compare("auth", actual, wanted, f"auth {part}")]
    return Criterion("auth", differences)


def _basic_credentials(header: str) -> tuple[str, str] | None:
    """``(user, password)`` of a Basic ``Authorization`` header; None for another scheme."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        raw = base64.b64decode(token.strip(), validate=True)
    except ValueError:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # RFC 7617 leaves the charset to the client
        text = raw.decode("latin-1")
    user, _, password = text.partition(":")
    return user, password


def _host_criterion(expected: Any) -> Criterion:
    """The ``Host`` header, ignoring case; the port only when *expected* gives one."""
    with_port = False
    if isinstance(expected, str):
        name, port = _split_host(expected.lower())
        with_port = port is not None
        expected = expected.lower() if with_port else name
    expected = as_expected(expected)

    def differences(record: Any) -> list[Mismatch]:
        header = record.headers.get("Host")
        actual = None if header is None else header.lower() if with_port else \
            _split_host(header.lower())[0]
        return compare("host", actual, expected)
    return Criterion("host", differences)


def _split_host(host: str) -> tuple[str, str | None]:
    """``("example.com", "8080")`` from ``example.com:8080``; ``("::1", None)`` from ``[::1]``."""
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        return name, rest[1:] if rest.startswith(":") else None
    if host.count(":") > 1:  # an IPv6 address without brackets has no port
        return host, None
    name, colon, port = host.rpartition(":")
    return (name, port) if colon and port.isdigit() else (host, None)


#: How each criterion of :class:`ExchangeCriteria` is checked; in the order reports list them.
_CRITERIA: dict[str, Callable[[Any], Criterion]] = {
    "query": lambda query: subset("query", query, lambda r: r.query, noun="query"),
    "headers": lambda headers: subset("headers", headers, _header_lists, noun="header",
                                      fold_case=True),
    "body": _body,
    "json": json_criterion,
    "form": lambda form: subset("form", form, lambda r: r.form, noun="form"),
    "files": files_criterion,
    "cookies": lambda cookies: subset("cookies", cookies, _cookies, noun="cookie"),
    "auth": _auth_criterion,
    "host": _host_criterion,
    "target": lambda target: equal("target", target, lambda r: r.target),
    "status": lambda status: equal("status", status, _status),
    "predicate": predicate_criterion,
}


def request_expectation(path: PathSpec | None = None, method: str | None = None,
                        **criteria: Unpack[ExchangeCriteria]) -> Expectation:
    """An expectation on a recorded HTTP request (and its response status).

    *path* is a string (one containing ``?`` also requires that query, as
    a subset; a full URL is compared with the request's URL, see
    :func:`url_origin`), a ``/items/{id}`` template, a compiled regex
    (matching the whole path) or a matcher; None matches any, as does a
    *method* of None. Raises TypeError for a keyword that is not a
    criterion, ValueError for a URL with a bad port.
    """
    for name in criteria:
        if name not in _CRITERIA:
            raise TypeError(f"unknown request criterion {name!r}; expected one of "
                            f"{', '.join(_CRITERIA)}")
    checks: list[Criterion] = []
    if method is not None:
        method = method.upper()
        checks.append(equal("method", method, lambda r: r.method))
    url = isinstance(path, str) and is_url(path)
    if isinstance(path, str) and "?" in path:
        path, query_text = path.split("?", 1)
        criteria["query"] = {**parse_qs(query_text, keep_blank_values=True),
                             **(criteria.get("query") or {})}
    if isinstance(path, str) and url:  # compared with the request's URL, spelled alike
        path = url_origin(path) + (urlsplit(path).path or "/")
        checks.append(path_criterion(path, request_url))
    elif path is not None:
        checks.append(path_criterion(path))
    details = []
    for name, make in _CRITERIA.items():
        value = criteria.get(name)
        if value is not None:
            checks.append(make(value))
            details.append(_describe(name, value))
    target = (path.pattern if isinstance(path, re.Pattern) else str(path)) if path is not None \
        else "*"
    description = f"{method} {target}" if method else target
    if details:
        description += " with " + ", ".join(details)
    return Expectation(description, checks)


def _describe(name: str, value: Any) -> str:
    """How the expectation's description names one criterion: ``json {'a': 1}``, ``is_admin()``."""
    if name == "predicate":
        return f"{getattr(value, '__name__', 'predicate')}()"
    if name == "body" and isinstance(value, str):
        value = value.encode("utf-8")
    return f"{name} {shorten(as_expected(value))}"


def _header_lists(record: Any) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    for name, value in record.headers.items():
        lists.setdefault(name.lower(), []).append(value)
    return lists


def _cookies(record: Any) -> dict[str, list[str]]:
    """The cookies of every ``Cookie`` header: each name with the list of its values."""
    cookies: dict[str, list[str]] = {}
    for header in record.headers.get_all("Cookie") or []:
        for pair in header.split(";"):
            name, equals, value = pair.strip().partition("=")
            if equals:
                cookies.setdefault(name.strip(), []).append(value.strip())
    return cookies


def _status(record: Any) -> int | None:
    response = record.response
    return response.status if response is not None else None
