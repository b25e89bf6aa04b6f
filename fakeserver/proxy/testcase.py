"""FakeProxyTestCase: a unittest mixin faking whole hosts through a proxy, with URL assertions.

Owns the test-facing lifecycle of a :class:`FakeProxy`: one per class,
the hosts of ``fake_hosts`` routed once, and for each test a fresh journal,
the class's routes and stubs only, the environment patched so that clients
made in the test use the proxy, and a failure for every unmatched request
or app error. What the assertions check and say comes from ``_checks``
(shared with the pytest fixture's handle); sockets stay in ``server``.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterable, Mapping, Sequence, Union

from .._journal.records import RecordedRequest
from .._testing.base import MixinBase
from ..stubs.app import Stub
from . import _checks
from ._checks import URL
from .server import FakeProxy

__all__ = ["FakeProxyTestCase"]

__unittest = True  # hide this module's frames from test failure tracebacks

WSGIApp = Callable[..., Iterable[bytes]]

#: How a long failure report tells the reader to list everything.
_HINT = "set maxRequestsShown = None on the test case to see all"


class FakeProxyTestCase(MixinBase):
    """Mix into a ``unittest.TestCase`` (listed first) to test code that calls fixed hosts.

    Once per class, ``setUpClass`` starts a :class:`FakeProxy`
    (``self.proxy``) routing ``fake_hosts``; a class cleanup registered at
    once stops it. During each test ``os.environ`` points clients at it
    (``self.proxy.env()`` gives the same for a subprocess), the journal
    starts empty, and the routes and stubs are those of the class: a test's
    own ``self.stub(...)`` calls last for that test only. A request no stub
    matched, one for an unrouted host, or an app's exception fails the test.
    Its ``stub()`` and assertions take full URLs, so it is not mixed into
    one class with ``ServerTestCase`` (whose take paths).
    """

    # Configuration (override per subclass)
    #: The hosts to fake: a list of names, each answered by its own stubs
    #: (``self.stub("GET", "https://NAME/path")``), or a dict from name to
    #: WSGI app (e.g. ``{"pypi.org": PackageIndex()}``).
    fake_hosts: Union[Sequence[str], Mapping[str, WSGIApp]] = ()
    #: Forward requests for hosts not faked to the real hosts (spy mode).
    proxy_passthrough: bool = False
    #: Let requests that no stub matched pass instead of failing the test.
    allow_unmatched_requests: bool = False
    #: How many recorded requests a failure message lists (None: all).
    maxRequestsShown: int | None = 10

    # State set by setUpClass
    proxy: FakeProxy
    _class_routes: Any = None

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()  # type: ignore[misc]
        hosts = cls.fake_hosts
        if isinstance(hosts, str):
            raise TypeError(f"{cls.__name__}.fake_hosts must be a list of host names or a dict "
                            f"of apps, not a string: write fake_hosts = [{hosts!r}]")
        cls.proxy = FakeProxy(passthrough=cls.proxy_passthrough)
        cls.addClassCleanup(cls._stop_proxy)  # type: ignore[attr-defined]
        if isinstance(hosts, Mapping):
            for name, app in hosts.items():
                cls.proxy.route(name, app)
        else:
            for name in hosts:
                cls.proxy.host(name)
        cls._class_routes = None  # taken at the first setUp, after any subclass setUpClass
        cls.proxy.start()

    @classmethod
    def _stop_proxy(cls) -> None:
        cls.proxy.stop()  # which cuts short a delayed stub
        cls.proxy.clear()

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        routes = self.proxy.routes
        if type(self)._class_routes is None:  # first test: what the class declared stays
            type(self)._class_routes = routes.save()
        routes.restore(type(self)._class_routes)
        self.proxy.clear()
        self._first_proxy_error = len(self.proxy.errors)
        self.addCleanup(self._check_proxy_side)  # type: ignore[attr-defined]
        patch = self.proxy.patch_env()
        patch.__enter__()
        self.addCleanup(patch.__exit__, None, None, None)  # type: ignore[attr-defined]

    def _check_proxy_side(self) -> None:
        """Fail the test for app exceptions and unmatched requests it caused."""
        unmatched = [] if self.allow_unmatched_requests else self.proxy.unmatched
        report = _checks.server_side_problems(
            self.proxy.routes, self.proxy.errors[self._first_proxy_error:], unmatched,
            limit=self.maxRequestsShown,
            allow_hint="set allow_unmatched_requests = True on the test case to allow it")
        if report is not None:
            self.fail(report)  # type: ignore[attr-defined]

    # -- stubs ---------------------------------------------------------------------

    def stub(self, method: str | None = None, url: str | None = None, **criteria: Any) -> Stub:
        """Declare a stub for this test on the host of the full *url*; chain ``.respond(...)``.

        ``self.stub("GET", "https://api.github.com/user").respond(json={...})``.
        A host not in ``fake_hosts`` is faked for this test. Other arguments
        as :meth:`StubApp.stub`.
        """
        return self.proxy.stub(method, url, **criteria)

    def load_stubs(self, path: str | os.PathLike) -> list[Stub]:
        """Declare this test's stubs from a JSON file whose paths are full URLs."""
        return self.proxy.load_stubs(path)

    @property
    def requests(self) -> list[RecordedRequest]:
        """This test's recorded requests, every host's, oldest first."""
        return self.proxy.requests

    # -- assertions ---------------------------------------------------------------

    def assertRequested(self, url: URL, method: str | None = None, *, msg: str | None = None,
                        **criteria: Any) -> RecordedRequest | None:
        """Fail unless at least one (or exactly ``count=``) recorded requests match.

        *url* is a full URL (``?query`` included or not; ``{name}`` fields
        match one path segment), a compiled regex matched against the whole
        URL without its query, or None for any. Other criteria (``query``,
        ``headers``, ``body``, ``json``, ``form``, ``status``, ``count``) as
        ``ServerTestCase.assertRequested``. Returns the most recent match.
        """
        match, report = _checks.requested(self.proxy.requests, url, method,
                                          limit=self.maxRequestsShown, hint=_HINT, **criteria)
        self._check(report, msg)
        return match

    def assertNotRequested(self, url: URL, method: str | None = None, *, msg: str | None = None,
                           **criteria: Any) -> None:
        """Fail if any recorded request matches (same matching as :meth:`assertRequested`)."""
        self._check(_checks.not_requested(self.proxy.requests, url, method,
                                          limit=self.maxRequestsShown, hint=_HINT, **criteria),
                    msg)

    def assertRequestCount(self, expected: int, msg: str | None = None) -> None:
        """Fail unless exactly *expected* requests were recorded in this test, any host."""
        self._check(_checks.request_count(self.proxy.requests, expected,
                                          limit=self.maxRequestsShown, hint=_HINT), msg)

    def assertRequestsInOrder(self, *expected: tuple[str, str] | str, msg: str | None = None) -> None:
        """Fail unless requests matching each URL (or ``(method, URL)``) came in this order."""
        self._check(_checks.requests_in_order(self.proxy.requests, expected,
                                              limit=self.maxRequestsShown, hint=_HINT), msg)

    def assertAllStubsUsed(self, msg: str | None = None) -> None:
        """Fail naming every stub, of any host, that answered no request in this test."""
        self._check(_checks.all_stubs_used(self.proxy.routes, self.proxy.requests,
                                           limit=self.maxRequestsShown, hint=_HINT), msg)
