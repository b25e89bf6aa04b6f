"""fakeserver: test client code against a real local server, not a mock.

Contents (the public names are those in ``__all__``; modules starting with
an underscore are private):

- :class:`AppRunner` (``_runner``): serves any WSGI app on loopback from a
  thread of the test process; :func:`run_server` / :func:`stop_server` keep
  one such server per process. Under it: ``_serving`` (bind, accept, worker
  threads, prompt stop, shared with the SMTP server), ``_http`` (HTTP/1.1
  and the WSGI gateway), ``_request_head`` and ``_body`` (reading requests).
- :class:`Recorder` (``_recording``): WSGI middleware journaling every
  exchange as :class:`RecordedRequest` / :class:`RecordedResponse`
  (``_records``).
- :class:`ServerTestCase` (``_unittest``): the unittest mixin; ``_checks``
  holds what its assertions check and say (shared with the pytest plugin);
  ``_matching`` compares, ranks and words near misses for every fake;
  ``_mixin`` is what the three unittest mixins share.
- :class:`StubApp`, :class:`Stub`, :class:`Response` (``stubs``; faults
  and canned answers in ``_replies``).
- ``tls``: the bundled test CA (:data:`CA_FILE`, :func:`client_ssl_context`)
  and the server side of TLS.

Separate imports, one feature each:

- ``fakeserver.smtp``: :class:`SMTPServer` and :class:`SMTPServerTestCase`
  (``_smtpserver``, ``_smtpsession``, ``_smtpchannel``, ``_smtpauth``,
  ``_smtp_testcase``, ``_smtp_checks``).
- ``fakeserver.pypi``: :class:`PackageIndex` and
  :class:`PackageIndexTestCase` (``_pypi_index``, ``_pypi_files``,
  ``_pypi_pages``, ``_pypi_upload``, ``_pypi_testcase``, ``_pypi_checks``,
  ``_pypi_testing``).
- ``fakeserver.pytest_plugin``: the pytest fixtures (registered as a
  ``pytest11`` entry point; the only module that imports pytest).
- ``python -m fakeserver`` (``__main__``, ``_cli_journal``): the command line.
"""

import logging

from ._journal.recorder import Recorder
from ._journal.records import RecordedRequest
from ._journal.records import RecordedResponse
from ._journal.records import UploadedFile
from ._http.runner import AppRunner
from ._http.runner import demo_app
from ._http.runner import run_server
from ._http.runner import stop_server
from ._testing.testcase import ServerTestCase
from .stubs.app import Response
from .stubs.app import Stub
from .stubs.app import StubApp
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
