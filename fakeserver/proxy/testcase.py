"""FakeProxyTestCase: a unittest mixin faking whole hosts through a proxy, with URL assertions.

Owns the test-facing lifecycle of a :class:`FakeProxy`: one per class,
the hosts of ``fake_hosts`` routed once, and for each test a fresh journal,
the class's routes and stubs only, the environment patched so that clients
made in the test use the proxy, and a failure for every unmatched request
or app error. It shares that lifecycle's journal and server-side reports
with ``ServerTestCase``; what the assertions check and say comes from
``_checks`` (shared with the pytest fixture's handle); sockets stay in
``server``.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence, Union

from .._journal.records import RecordedRequest
from .._testing.base import MixinBase
from .._testing.served import ServedRequests
from ..stubs.app import Stub
from . import _checks
from ._checks import URL
from ._routing import Routes, SavedRoute
from .server import FakeProxy

if TYPE_CHECKING:
    from .._matching import ExchangeCriteria, RequestCriteria

    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = ["FakeProxyTestCase"]

__unittest = True  # hide this module's frames from test failure tracebacks

WSGIApp = Callable[..., Iterable[bytes]]


class FakeProxyTestCase(ServedRequests, MixinBase):
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

    # How reports name the settings
    _requests_shown = "maxRequestsShown"

    # State set by setUpClass
    proxy: FakeProxy
    #: The proxy's routes, which hold every host's stubs (as ``self.proxy.routes``).
    stubs: Routes
    _class_routes: list[SavedRoute] | None = None

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        hosts = cls.fake_hosts
        if isinstance(hosts, str):
            raise TypeError(f"{cls.__name__}.fake_hosts must be a list of host names or a dict "
                            f"of apps, not a string: write fake_hosts = [{hosts!r}]")
        cls.proxy = cls.server = FakeProxy(passthrough=cls.proxy_passthrough)
        cls.recorder, cls.stubs = cls.proxy.recorder, cls.proxy.routes
        cls._start_for_class(cls.proxy, cls.recorder)
        if isinstance(hosts, Mapping):
            for name, app in hosts.items():
                cls.proxy.route(name, app)
        else:
            for name in hosts:
                cls.proxy.host(name)
        cls._class_routes = None  # taken at the first setUp, after any subclass setUpClass

    def setUp(self) -> None:
        super().setUp()
        saved = self._class_routes
        if saved is None:  # first test: what the class declared stays
            saved = type(self)._class_routes = self.stubs.save()
        self._begin_test(keep=saved)
        self.addCleanup(self._check_proxy_side)  # type: ignore[attr-defined]
        patch = self.proxy.patch_env()
        patch.__enter__()
        self.addCleanup(patch.__exit__, None, None, None)  # type: ignore[attr-defined]

    def _check_proxy_side(self) -> None:
        """Fail the test for app exceptions and unmatched requests it caused."""
        self._check(self._server_side_problems(), None)

    # -- stubs ---------------------------------------------------------------------

    def stub(self, method: str | None = None, url: str | None = None, *,
             times: int | None = None, priority: int = 0,
             **criteria: Unpack[RequestCriteria]) -> Stub:
        """Declare a stub for this test on the host of the full *url*; chain ``.respond(...)``.

        ``self.stub("GET", "https://api.github.com/user").respond(json={...})``.
        A host not in ``fake_hosts`` is faked for this test. Other arguments
        as :meth:`StubApp.stub`.
        """
        return self.proxy.stub(method, url, times=times, priority=priority, **criteria)

    def load_stubs(self, path: str | os.PathLike) -> list[Stub]:
        """Declare this test's stubs from a JSON file whose paths are full URLs."""
        return self.proxy.load_stubs(path)

    # -- assertions ---------------------------------------------------------------

    def assertRequested(self, url: URL, method: str | None = None, *, count: int | None = None,
                        msg: str | None = None,
                        **criteria: Unpack[ExchangeCriteria]) -> RecordedRequest | None:
        """Fail unless at least one (or exactly *count*) recorded requests match.

        *url* is a full URL (``?query`` included or not; ``{name}`` fields
        match one path segment), a compiled regex matched against the whole
        URL without its query, or None for any. The other criteria are those
        of ``ServerTestCase.assertRequested``. Returns the most recent match.
        """
        match, report = _checks.requested(self.requests, url, method, count=count,
                                          style=self._request_style, **criteria)
        self._check(report, msg)
        return match

    def assertNotRequested(self, url: URL, method: str | None = None, *, msg: str | None = None,
                           **criteria: Unpack[ExchangeCriteria]) -> None:
        """Fail if any recorded request matches (same matching as :meth:`assertRequested`)."""
        self._check(_checks.not_requested(self.requests, url, method, style=self._request_style,
                                          **criteria), msg)

    def assertRequestCount(self, expected: int, msg: str | None = None) -> None:
        """Fail unless exactly *expected* requests were recorded in this test, any host."""
        self._check(_checks.request_count(self.requests, expected, style=self._request_style),
                    msg)

    def assertRequestsInOrder(self, *expected: tuple[str, str] | str, msg: str | None = None) -> None:
        """Fail unless requests matching each URL (or ``(method, URL)``) came in this order."""
        self._check(_checks.requests_in_order(self.requests, expected, style=self._request_style),
                    msg)

    def assertAllStubsUsed(self, msg: str | None = None) -> None:
        """Fail naming every stub, of any host, that answered no request in this test."""
        self._check(_checks.all_stubs_used(self.proxy.routes, self.requests,
                                           style=self._request_style), msg)
