"""The data of one SMTP message: where it ends, dot transparency, and its limits.

This module owns reading what a client sends after ``354``, up to the end
of the message. Lines end with CRLF (RFC 5321 2.3.8); a bare LF or CR ends
none. So only ``<CRLF>.<CRLF>`` ends the data, and a dot is unstuffed only
at the start of a line (RFC 5321 4.5.2): ``<LF>.<CRLF>``, ``<CRLF>.<LF>``,
``<CR>.<CR>`` and the like are message content. A message can never end
early and smuggle the commands after it past a relay that reads it as one
message (SMTP smuggling, CVE-2023-51766).

A data line over 1000 octets, not counting a transparency dot, is read and
discarded to the end of the message, which then gets 500 and is not
recorded: a client that relies on servers re-wrapping long lines is buggy,
and a test should say so. A message over the SIZE limit gets 552 (RFC 1870).
Knows nothing of commands or of the session's state.
"""

from __future__ import annotations

from .channel import MAX_LINE, Channel

__all__ = ["LINE_TOO_LONG", "read_data", "too_big"]

#: The reply to a line over :data:`MAX_LINE` octets, in a command or in the data.
LINE_TOO_LONG = (500, f"Line too long (the limit is {MAX_LINE} octets)")
_END_OF_DATA = b".\r\n"


def too_big(limit: int) -> tuple[int, str]:
    """The reply to a message, or a ``SIZE=``, over *limit* bytes."""
    return 552, f"Message exceeds the fixed maximum size of {limit} bytes"


def read_data(channel: Channel, limit: int | None) -> tuple[bytes, tuple[int, str] | None]:
    """Read up to the end of the data; the unstuffed data and the reply to any problem found.

    *limit* is the largest message in bytes (None: no limit). Blocks until
    the end of the data; raises :class:`~.channel.Disconnected` if the
    client closes first.
    """
    lines: list[bytes] = []
    size = 0
    problem: tuple[int, str] | None = None
    at_line_start = True  # the DATA command's line came last
    while True:
        # One octet more than the limit: the transparency dot does not count.
        line = channel.read_line(MAX_LINE + 1)
        if at_line_start and line == _END_OF_DATA:
            # The CRLF before "." belongs to the end-of-data mark, not the
            # message (RFC 1870 3): smtplib's SIZE= does not count it either.
            if limit is not None and lines and lines[-1].endswith(b"\r\n"):
                size -= 2
            if problem is None and limit is not None and size > limit:
                problem, lines = too_big(limit), []
            return b"".join(lines), problem
        starts_line, at_line_start = at_line_start, channel.ended_with_crlf
        if problem is not None:
            continue
        if starts_line and line is not None and line.startswith(b"."):  # RFC 5321 4.5.2
            line = line[1:]
        if line is None or len(line) > MAX_LINE:  # RFC 5321 4.5.3.1.6
            problem, lines = LINE_TOO_LONG, []
            continue
        size += len(line)
        if limit is not None and size > limit + 2:  # + the CRLF that may end the message
            problem, lines = too_big(limit), []
            continue
        lines.append(line)
