"""The mail checks behind ``assertMailSent`` / ``assert_mail_sent``: what each compares and says.

``SMTPServerTestCase`` (camelCase, ``self.fail``) and the ``fake_smtp``
fixture (snake_case, ``AssertionError``) are two faces of these functions,
so that a failure reads the same under either runner, as the request checks
do for HTTP. Each check takes the messages sent and returns the report when
it fails; only the *style* each face passes, saying how to list everything,
differs. Nothing here knows unittest, pytest or sockets.
"""

from __future__ import annotations

from typing import Callable, Sequence

from .._matching import (
    Criterion, Expectation, ReportStyle, equal, format_report, plural, rank, shorten, tally,
)
from .server import ReceivedMessage

__all__ = ["mail_sent", "no_mail_sent"]

__unittest = True  # hide this module's frames from test failure tracebacks


def mail_sent(sent: list[ReceivedMessage], to: str | Sequence[str] | None = None,
              sender: str | None = None, subject: str | None = None, count: int | None = None,
              *, style: ReportStyle) -> tuple[ReceivedMessage | None, str | None]:
    """The most recent match and None; or None and the report when too few (or not *count*) match.

    *to* is an address, or a list of addresses that must all be among the
    envelope recipients; *sender* the envelope sender, both compared
    case-insensitively; *subject* must equal the Subject header.
    """
    expectation = _mail_expectation(to, sender, subject)
    matching = [message for message in sent if expectation.matches(message)]
    if (len(matching) == count) if count is not None else matching:
        return (matching[-1] if matching else None), None
    wanted = "a message" if count is None else plural(count, "message")
    if expectation.description:
        wanted += " " + expectation.description
    headline = (f"Expected {wanted}; "
                f"{tally(len(matching), len(sent), 'sent message', 'no messages were sent.')}")
    return None, format_report(headline, rank(expectation, sent), _message_label,
                               title="Closest sent messages", style=style)


def no_mail_sent(sent: list[ReceivedMessage], *, style: ReportStyle) -> str | None:
    """The report listing the messages sent, if any were."""
    if not sent:
        return None
    verb = "was" if len(sent) == 1 else "were"
    return format_report(f"Expected no mail to be sent; {plural(len(sent), 'message')} {verb} sent.",
                         [(message, None) for message in sent], _message_label,
                         title="Sent messages", style=style)


def _mail_expectation(to: str | Sequence[str] | None, sender: str | None,
                      subject: str | None) -> Expectation:
    """An expectation on a :class:`ReceivedMessage`; its description names what was asked."""
    criteria: list[Criterion] = []
    parts = []
    if sender is not None:
        criteria.append(_address_criterion("sender", sender, lambda m: m.mail_from))
        parts.append(f"from {shorten(sender)}")
    if to is not None:
        addresses = to if isinstance(to, str) else list(to)
        criteria.append(_address_criterion("to", addresses, lambda m: m.rcpt_tos))
        parts.append(f"to {shorten(addresses)}")
    if subject is not None:
        criteria.append(equal("subject", subject, _subject))
        parts.append(f"with subject {shorten(subject)}")
    return Expectation(" ".join(parts), criteria)


def _address_criterion(field: str, expected: str | list[str],
                       get: Callable[[ReceivedMessage], str | list[str]]) -> Criterion:
    """Every expected address is among the record's (one or a list), ignoring case."""
    wanted = [address.lower() for address in _listed(expected)]

    def test(record: ReceivedMessage) -> tuple[bool, str]:
        actual = get(record)
        listed = _listed(actual)
        present = {address.lower() for address in listed}
        shown = listed[0] if len(listed) == 1 else listed
        return all(address in present for address in wanted), shorten(shown)
    return Criterion(field, shorten(expected), test)


def _listed(addresses: str | list[str]) -> list[str]:
    return [addresses] if isinstance(addresses, str) else addresses


def _subject(record: ReceivedMessage) -> str | None:
    subject = record.message["Subject"]
    return None if subject is None else str(subject)


def _message_label(record: ReceivedMessage) -> tuple[str, str, str, str]:
    """The columns that name a message in reports: sender -> recipients, and subject."""
    recipients = record.rcpt_tos
    shown = ", ".join(recipients[:2]) + (f" (+{len(recipients) - 2} more)" if len(recipients) > 2 else "")
    subject = _subject(record)
    return (record.mail_from or "<>", "->", shown,
            "(no subject)" if subject is None else shorten(subject, 40))
