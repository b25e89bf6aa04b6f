"""fakeserver: test client code against a real local server, not a mock.

Contents:

- :class:`AppRunner` (``_runner``): serves any WSGI app on loopback from a
  thread of the test process; :func:`run_server` / :func:`stop_server` keep
  one such server per process.
- ``_serving``: the lifecycle every server shares (bind, accept, stop).
- ``_http``: the HTTP/1.1 connection handling and the WSGI gateway.
"""

import logging

from ._runner import AppRunner
from ._runner import demo_app
from ._runner import run_server
from ._runner import stop_server

__all__ = [
    "AppRunner",
    "demo_app",
    "run_server",
    "stop_server",
]

__version__ = "0.1.0"

# A library never configures logging for its users; this only keeps records
# from reaching stderr through logging's last-resort handler.
logging.getLogger("fakeserver").addHandler(logging.NullHandler())
