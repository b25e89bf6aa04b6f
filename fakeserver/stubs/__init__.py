"""Stubs: declare in the test what the server answers, and hear about every near miss.

Contents:

- :class:`StubApp` (``app``): the WSGI app answering from declared stubs,
  and :class:`Stub`, one declared exchange with its script of answers. A
  request no stub matches gets a report of the closest stubs.
- ``files``: stubs declared in a JSON file (:meth:`StubApp.load`), and
  ``recorded``: the exact entries a snapshot of a journal writes there.
- :class:`Response` (``replies``): a canned answer; the faults a stub can
  inject instead (reset, close, garbage, truncated, dribbled); or a
  :class:`~fakeserver.ProxyApp` answering for it (``stub.proxy(upstream)``).
- ``scenarios``: stubs that answer by state (``scenario=``, ``state=``,
  ``new_state=``), as WireMock's scenarios do.

A stub matches on the same criteria as the request assertions
(:class:`RequestCriteria`), but for the status. Example::

    stubs = StubApp()
    stubs.stub("POST", "/upload").respond(503).then(201, json={"ok": True})
    with AppRunner(stubs) as runner:
        ...  # the client under test talks to runner.url
"""

from .app import Stub
from .app import StubApp
from .replies import Response

__all__ = [
    "Response",
    "Stub",
    "StubApp",
]
