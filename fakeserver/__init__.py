"""fakeserver: test client code against a real local server, not a mock.

The public names are those in ``__all__`` (and the ``match``, ``smtp``,
``pypi``, ``proxy``, ``tls`` and ``pytest_plugin`` modules); a leading
underscore marks what is private. The tree has one folder per feature:

- ``_http/``, the server core: :class:`AppRunner` serves any WSGI app on
  loopback from a thread of the test process (:func:`demo_app` when given
  none); :func:`run_server` and :func:`stop_server` keep one per process.
- ``_journal/``, what went over the wire: :class:`Recorder` journals every
  exchange as :class:`RecordedRequest` and :class:`RecordedResponse`, with
  form fields and :class:`UploadedFile` parts.
- ``_matching/``: expected vs recorded, near misses ranked and worded.
- ``_targets.py``: the path and method arguments refused when swapped or
  without their ``/``, with what to write instead.
- ``match.py``: the value matchers (``match.regex(...)``, ``match.ANY``,
  ``match.json_contains(...)``, ...), imported as ``from fakeserver import match``.
- ``_testing/``: the assertions and failure reports shared by unittest and
  pytest, and :class:`ServerTestCase`, the unittest mixin.
- ``_upstream/``: :class:`ProxyApp`, forwarding every request to a real
  service over kept-alive connections, for recording it.
- ``stubs/``: :class:`StubApp`, its :class:`Stub` declarations and canned
  :class:`Response` objects and faults.
- ``tls.py``: the bundled test CA (:data:`CA_FILE`,
  :func:`client_ssl_context`) and the server side of TLS.
- ``smtp/``, ``pypi/`` and ``proxy/``: a fake mail server, a fake package
  index and a forward proxy faking fixed hosts, imported on their own as
  ``fakeserver.smtp``, ``fakeserver.pypi`` and ``fakeserver.proxy``.
- ``pytest_plugin.py``: the pytest fixtures (the one module importing pytest).
- ``__main__.py`` and ``_cli/``: the command line, ``python -m fakeserver``.
"""

import logging

from ._http.runner import AppRunner
from ._http.runner import demo_app
from ._http.runner import run_server
from ._http.runner import stop_server
from ._journal.forms import UploadedFile
from ._journal.recorder import Recorder
from ._journal.records import RecordedRequest
from ._journal.records import RecordedResponse
from ._testing.testcase import ServerTestCase
from ._upstream.proxy import ProxyApp
from .stubs.app import Stub
from .stubs.app import StubApp
from .stubs.replies import Response
from .tls import CA_FILE
from .tls import client_ssl_context

__all__ = [
    "AppRunner",
    "CA_FILE",
    "ProxyApp",
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
