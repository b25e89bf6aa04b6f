"""A fake SMTP server that records the messages it receives.

Contents:

- :class:`SMTPServer` (``_smtpserver``): the server, its settings
  (credentials, size limit, configured refusals, STARTTLS or implicit TLS)
  and the journal of :class:`ReceivedMessage` objects.
- :class:`SMTPServerTestCase` (``_smtp_testcase``): the unittest mixin with
  ``assertMailSent`` / ``assertNoMailSent`` (``_smtp_checks``, shared with
  the ``fake_smtp`` fixture).
- ``_smtpsession``: the SMTP conversation on one connection; ``_smtpauth``
  its AUTH mechanisms; ``_smtpchannel`` its line I/O and the switch to TLS.

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
