"""FakePackageIndex: a served package index with snake_case assertions, as ``fake_pypi`` gives it.

A :class:`FakeServer` serving a fresh :class:`PackageIndex`, with the
uploads and client settings of :class:`IndexUnderTest` and the upload
checks, worded as ``PackageIndexTestCase`` words them. Imports no pytest,
and knows nothing of sockets.
"""

from __future__ import annotations

import os

from .._matching.values import Expected
from .._testing.handle import FakeServer
from .checks import not_uploaded, upload_arrived, uploaded
from .files import DistributionFile
from .index import PackageIndex
from .testing import IndexUnderTest

__all__ = ["FakePackageIndex"]


class FakePackageIndex(IndexUnderTest, FakeServer):
    """A :class:`FakeServer` serving a fresh :class:`PackageIndex`; you get one from ``fake_pypi``.

    Besides the request assertions, :meth:`assert_uploaded` and
    :meth:`assert_not_uploaded` word their failures as
    ``PackageIndexTestCase``'s; ``uploads``, ``twine_env()``, ``pip_env()``
    and ``pypirc()`` are the mixin's too.
    """

    #: How many uploads a failure message lists (None: all).
    max_uploads_shown: int | None = 10

    def __init__(self, root: str | os.PathLike | None = None, *,
                 users: dict[str, str] | None = None) -> None:
        #: The index itself: ``files``, ``add()``, ``remove()``.
        self.index = PackageIndex(root, users=users)
        self._index_mark = self.index.last_serial  # files from *root* are no uploads
        super().__init__(self.index)
        #: The simple repository URL: pip's ``--index-url``.
        self.index_url = self.url + "/simple/"
        #: The legacy upload URL: twine's ``--repository-url``.
        self.upload_url = self.url + "/legacy/"

    def assert_uploaded(self, name: Expected[str], version: Expected[str] | None = None,
                        filetype: Expected[str] | None = None) -> DistributionFile | None:
        """Raise unless a file of project *name* arrived; return the latest such upload.

        Matching as ``PackageIndexTestCase.assertUploaded``.
        """
        __tracebackhide__ = True
        match, report = uploaded(self.uploads, name, version, filetype,
                                 style=self._style("max_uploads_shown"))
        self._check(report)
        return match

    def wait_for_upload(self, name: Expected[str], version: Expected[str] | None = None, *,
                        filetype: Expected[str] | None = None,
                        timeout: float = 5.0) -> DistributionFile:
        """Block until a matching file is uploaded and return it, as ``waitForUpload`` does.

        Raises ``AssertionError`` listing the uploads after *timeout* seconds.
        """
        __tracebackhide__ = True
        match, report = upload_arrived(self.recorder, lambda: self.uploads, name, version,
                                       filetype, timeout=timeout,
                                       style=self._style("max_uploads_shown"))
        self._check(report)
        assert match is not None  # a check for at least one upload passed
        return match

    def assert_not_uploaded(self, name: Expected[str], version: Expected[str] | None = None,
                            filetype: Expected[str] | None = None) -> None:
        """Raise if a matching file arrived (same matching as :meth:`assert_uploaded`)."""
        __tracebackhide__ = True
        self._check(not_uploaded(self.uploads, name, version, filetype,
                                 style=self._style("max_uploads_shown")))
