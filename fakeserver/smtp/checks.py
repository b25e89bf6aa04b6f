"""The mail checks behind ``assertMailSent`` / ``assert_mail_sent``: what each compares and says.

``SMTPServerTestCase`` (camelCase, ``self.fail``) and the ``fake_smtp``
fixture (snake_case, ``AssertionError``) are two faces of these functions,
so that a failure reads the same under either runner, as the request checks
do for HTTP. Each check takes the messages sent and returns the report when
it fails; only the *style* each face passes, saying how to list everything,
differs. Nothing here knows unittest, pytest or sockets.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

from .._matching import (
    Criterion, Expectation, Mismatch, ReportStyle, count_met, equal, format_report, plural, rank,
    shorten, tally, within,
)
from .._matching.diff import differs
from .._matching.values import Expected, as_expected, compare, fits
from .server import ReceivedMessage, SMTPServer

__all__ = ["mail_arrived", "mail_sent", "no_mail_sent"]

__unittest = True  # hide this module's frames from test failure tracebacks


def mail_sent(sent: list[ReceivedMessage],
              to: Expected[str] | Sequence[Expected[str]] | None = None,
              sender: Expected[str] | None = None, subject: Expected[str] | None = None,
              count: int | None = None, *, style: ReportStyle, first: bool = False,
              waited: float | None = None) -> tuple[ReceivedMessage | None, str | None]:
    """The most recent match (the *first* if asked) and None; or None and the report when too
    few (or not *count*) match, saying it *waited* that many seconds if it did.

    *to* is an address, or a list of addresses that must all be among the
    envelope recipients; *sender* the envelope sender, both compared
    case-insensitively; *subject* must equal the Subject header. Each may
    be a matcher (``match.regex(...)``), or any callable returning a bool.
    """
    expectation = _mail_expectation(to, sender, subject)
    matching = [message for message in sent if expectation.matches(message)]
    if count_met(len(matching), count):
        return (matching[0 if first else -1] if matching else None), None
    wanted = "a message" if count is None else plural(count, "message")
    if expectation.description:
        wanted += " " + expectation.description
    headline = (f"Expected {wanted}{within(waited)}; "
                f"{tally(len(matching), len(sent), 'sent message', 'no messages were sent.')}")
    return None, format_report(headline, rank(expectation, sent), _message_label,
                               title="Closest sent messages", style=style)


def mail_arrived(server: SMTPServer, to: Expected[str] | Sequence[Expected[str]] | None,
                 sender: Expected[str] | None, subject: Expected[str] | None, *, timeout: float,
                 style: ReportStyle) -> tuple[ReceivedMessage | None, str | None]:
    """Wait up to *timeout* seconds for *server* to receive a matching message (see
    :func:`mail_sent`); the first match and None, or None and the report."""
    expectation = _mail_expectation(to, sender, subject)
    server.wait_for(lambda sent: any(map(expectation.matches, sent)), timeout)
    return mail_sent(server.messages, to, sender, subject, style=style, first=True,
                     waited=timeout)


def no_mail_sent(sent: list[ReceivedMessage], *, style: ReportStyle) -> str | None:
    """The report listing the messages sent, if any were."""
    if not sent:
        return None
    verb = "was" if len(sent) == 1 else "were"
    return format_report(f"Expected no mail to be sent; {plural(len(sent), 'message')} {verb} sent.",
                         [(message, None) for message in sent], _message_label,
                         title="Sent messages", style=style)


def _mail_expectation(to: Expected[str] | Sequence[Expected[str]] | None,
                      sender: Expected[str] | None, subject: Expected[str] | None) -> Expectation:
    """An expectation on a :class:`ReceivedMessage`; its description names what was asked."""
    criteria: list[Criterion] = []
    parts = []
    if sender is not None:
        criteria.append(_address_criterion("sender", sender, lambda m: m.mail_from))
        parts.append(f"from {shorten(as_expected(sender))}")
    if to is not None:
        addresses = list(to) if isinstance(to, Iterable) and not isinstance(to, str) else to
        criteria.append(_address_criterion("to", addresses, lambda m: m.rcpt_tos))
        parts.append(f"to {shorten(as_expected(addresses))}")
    if subject is not None:
        criteria.append(equal("subject", subject, _subject))
        parts.append(f"with subject {shorten(as_expected(subject))}")
    return Expectation(" ".join(parts), criteria)


def _address_criterion(field: str, expected: Any,
                       get: Callable[[ReceivedMessage], str | list[str]]) -> Criterion:
    """Every expected address (a list, or one) fits one of the record's (one or a list).

    An address compares ignoring case; a matcher gets the address as sent.
    """
    wanted = [as_expected(address) for address in (expected if isinstance(expected, list)
                                                    else [expected])]

    def fits_address(address: str, one: Any) -> bool:
        return address.lower() == one.lower() if isinstance(one, str) else fits(address, one)

    def differences(record: ReceivedMessage) -> list[Mismatch]:
        listed = _listed(get(record))
        if all(any(fits_address(address, one) for address in listed) for one in wanted):
            return []
        shown = listed[0] if len(listed) == 1 else listed
        if isinstance(expected, list):
            return [differs(field, shown, expected)]
        return compare(field, shown, wanted[0])
    return Criterion(field, differences)


def _listed(addresses: str | list[str]) -> list[str]:
    return [addresses] if isinstance(addresses, str) else addresses


def _subject(record: ReceivedMessage) -> str | None:
    """The Subject header as the reader sees it, or None.

    Python's ``EmailMessage`` folds a long subject right after ``Subject:``,
    and ``email.policy.default`` keeps the folding space when it parses
    one: the space is no part of the subject.
    """
    subject = record.message["Subject"]
    return None if subject is None else str(subject).lstrip()


def _message_label(record: ReceivedMessage) -> tuple[str, str, str, str]:
    """The columns that name a message in reports: sender -> recipients, and subject."""
    recipients = record.rcpt_tos
    shown = ", ".join(recipients[:2]) + (f" (+{len(recipients) - 2} more)" if len(recipients) > 2 else "")
    subject = _subject(record)
    return (record.mail_from or "<>", "->", shown,
            "(no subject)" if subject is None else shorten(subject, 40))
