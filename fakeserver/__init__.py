"""fakeserver: test client code against a real local server, not a mock.

Contents:

- :class:`AppRunner` (``_runner``): serves any WSGI app on loopback from a
  thread of the test process; :func:`run_server` / :func:`stop_server` keep
  one such server per process.
- :class:`Recorder` (``_recording``): WSGI middleware journaling every
  request/response pair as :class:`RecordedRequest` / :class:`RecordedResponse`.
- :class:`ServerTestCase` (``_unittest``): the unittest mixin and its
  ``assertRequested`` family; ``_matching`` computes and words near misses.
- ``_serving``: the lifecycle every server shares (bind, accept, stop).
- ``_http``: the HTTP/1.1 connection handling and the WSGI gateway.
- ``tls``: the bundled test CA (:data:`CA_FILE`, :func:`client_ssl_context`)
  and the server side of TLS.
- ``smtp`` (a separate import): :class:`SMTPServer`, the messages it
  received, and the unittest mixin :class:`SMTPServerTestCase`
  (``_smtpsession`` holds the SMTP conversation).
"""

import logging

from ._records import RecordedRequest
from ._records import RecordedResponse
from ._recording import Recorder
from ._records import UploadedFile
from ._runner import AppRunner
from ._runner import demo_app
from ._runner import run_server
from ._runner import stop_server
from ._unittest import ServerTestCase
from .stubs import Response
from .stubs import Stub
from .stubs import StubApp
from .tls import CA_FILE
from .tls import client_ssl_context

__all__ = [
    "AppRunner",
    "CA_FILE",
    "RecordedRequest",
    "RecordedResponse",
    "Recorder",
    "Response",
    "ServerTestCase",
    "Stub",
    "StubApp",
    "UploadedFile",
    "client_ssl_context",
    "demo_app",
    "run_server",
    "stop_server",
]

__version__ = "0.1.0"

# A library never configures logging for its users; this only keeps records
# from reaching stderr through logging's last-resort handler.
logging.getLogger("fakeserver").addHandler(logging.NullHandler())
