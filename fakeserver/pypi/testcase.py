"""PackageIndexTestCase: a package index per test class, and assertions on what was uploaded.

This module owns the unittest side of the fake index: serving it around a
class, a fresh journal per test, removing each test's uploads after it,
``assertUploaded`` and ``assertNotUploaded``, whose checks and failure text
the ``fake_pypi`` fixture shares, as it shares the uploads and client
settings of :class:`IndexUnderTest`. It knows nothing of sockets.
"""

from __future__ import annotations

import os
from typing import Mapping

from .._matching.values import Expected
from .._testing.checks import app_errors
from .._testing.base import MixinBase
from .checks import not_uploaded, upload_arrived, uploaded
from .files import DistributionFile
from .index import PackageIndex
from .testing import IndexUnderTest
from .._journal.recorder import Recorder
from .._http.runner import AppRunner

__all__ = ["PackageIndexTestCase"]

__unittest = True  # hide this module's frames from test failure tracebacks


class PackageIndexTestCase(IndexUnderTest, MixinBase):
    """Mix into a ``unittest.TestCase`` (listed first) to test code that publishes or installs.

    Once per class, ``setUpClass`` serves a :class:`PackageIndex`
    (``self.index``) from an :class:`AppRunner`, through a :class:`Recorder`
    (``self.index_recorder``) so that every request can be inspected; it is
    stopped by a class cleanup registered at once. Each test starts with an
    empty journal, :attr:`uploads` lists the files uploaded during the test
    (not those it put there with ``index.add()``), and every file that
    arrived during the test is removed from the index after it (unless
    ``index_keep_uploads``): files seeded in ``index_root``, or added in
    ``setUpClass``, are seen by every test. An exception raised by the index
    fails the test. Cooperates through ``super()`` with other mixins.
    ``twine_env()``, ``pip_env()`` and ``pypirc()`` point clients here.
    """

    # Configuration (override per subclass)
    #: Who may upload: user name to password (``"__token__"`` for API
    #: tokens). None: anyone may, with any credentials or none.
    index_users: Mapping[str, str] | None = None
    #: A directory to keep the files in (and to list pre-seeded ones from);
    #: None keeps them in memory.
    index_root: str | os.PathLike | None = None
    #: Keep each test's uploads in the index for the tests that follow.
    index_keep_uploads: bool = False
    #: How many uploads a failure message lists (None: all).
    maxUploadsShown: int | None = 10

    # State set by setUpClass
    index: PackageIndex
    index_server: AppRunner
    index_recorder: Recorder
    # and index_url, upload_url (see IndexUnderTest)

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.index = PackageIndex(cls.index_root, users=cls.index_users)
        cls.index_recorder = Recorder(cls.index)
        cls.index_server = AppRunner(cls.index_recorder)
        cls._start_for_class(cls.index_server, cls.index_recorder)
        cls.index_url = cls.index_server.url + "/simple/"
        cls.upload_url = cls.index_server.url + "/legacy/"

    def setUp(self) -> None:
        super().setUp()
        self.index_recorder.clear()
        self._index_mark = self.index.last_serial
        self._index_errors = len(self.index_server.errors)
        self.addCleanup(self._finish_index_test)  # type: ignore[attr-defined]

    def _finish_index_test(self) -> None:
        self.index_recorder.settle()
        if not self.index_keep_uploads:
            for record in self._arrivals():  # its uploads, and the files it added
                self.index.remove(record.filename)
        report = app_errors(self.index_server.errors[self._index_errors:], "the package index")
        if report is not None:
            self.fail(report)  # type: ignore[attr-defined]

    # -- assertions -------------------------------------------------------------------

    def assertUploaded(self, name: Expected[str], version: Expected[str] | None = None,
                       filetype: Expected[str] | None = None,
                       msg: str | None = None) -> DistributionFile | None:
        """Fail unless a file of project *name* (PEP 503 normalized) arrived during this test.

        *version* and *filetype* (``sdist``, ``bdist_wheel``) narrow it
        down; each of the three may be a matcher of :mod:`fakeserver.match`.
        Returns the latest matching upload.
        """
        match, report = uploaded(self.uploads, name, version, filetype,
                                 style=self._style("maxUploadsShown"))
        self._check(report, msg)
        return match

    def waitForUpload(self, name: Expected[str], version: Expected[str] | None = None, *,
                      filetype: Expected[str] | None = None, timeout: float = 5.0,
                      msg: str | None = None) -> DistributionFile:
        """Block until a file of project *name* is uploaded (as in :meth:`assertUploaded`); return it.

        Returns the first match as soon as its upload is over, for clients
        running in a thread or a subprocess; fails with the report of the
        uploads after *timeout* seconds.
        """
        match, report = upload_arrived(self.index_recorder, lambda: self.uploads, name, version,
                                       filetype, timeout=timeout,
                                       style=self._style("maxUploadsShown"))
        self._check(report, msg)
        assert match is not None  # a check for at least one upload passed
        return match

    def assertNotUploaded(self, name: Expected[str], version: Expected[str] | None = None,
                          filetype: Expected[str] | None = None, msg: str | None = None) -> None:
        """Fail if a matching file arrived during this test (same matching as ``assertUploaded``)."""
        self._check(not_uploaded(self.uploads, name, version, filetype,
                                 style=self._style("maxUploadsShown")), msg)
