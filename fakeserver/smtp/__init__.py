"""A fake SMTP server that records the messages it receives.

Contents:

- :class:`SMTPServer`: the server, on loopback in a thread of the test
  process, with the settings a test changes (credentials, size limit,
  configured refusals, STARTTLS or implicit TLS) and its journal,
  :attr:`SMTPServer.messages`.
- :class:`ReceivedMessage`: one message as it arrived: the envelope, the
  raw data and the parsed message, who logged in and whether over TLS.
- :class:`SMTPServerTestCase`: the unittest mixin, with ``assertMailSent``
  and ``assertNoMailSent``; the ``fake_smtp`` pytest fixture words its
  failures the same way.

Example::

    with SMTPServer() as server:
        with smtplib.SMTP(*server.address) as client:
            client.sendmail("ann@example.com", ["bob@example.com"], b"Subject: hi\\r\\n\\r\\nhello")
        [message] = server.messages
        assert message.message["Subject"] == "hi"
"""

from .testcase import SMTPServerTestCase
from .server import ReceivedMessage
from .server import SMTPServer

__all__ = [
    "ReceivedMessage",
    "SMTPServer",
    "SMTPServerTestCase",
]
