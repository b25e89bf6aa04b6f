"""What every unittest mixin shares: class cleanups of its own, and failing with a report.

``ServerTestCase``, ``SMTPServerTestCase`` and ``PackageIndexTestCase``
each start a server in ``setUpClass`` and stop it with a class cleanup, and
each turns a check's report into a test failure. Both go here once, so
that the three (alone or mixed into one class) behave alike. Nothing here
knows servers or reports.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MixinBase"]

__unittest = True  # hide this module's frames from test failure tracebacks


class MixinBase:
    """The base of the unittest mixins; list a mixin before ``unittest.TestCase``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Python 3.9's unittest keeps one class-cleanup list on TestCase for
        # every test class, so a case run inside another test would stop the
        # outer class's server with its own cleanups. Later versions give
        # each class a list (https://github.com/python/cpython/issues/99645),
        # as this does.
        if "_class_cleanups" not in vars(cls):
            cls._class_cleanups = []  # type: ignore[attr-defined]

    def _check(self, report: str | None, msg: str | None) -> None:
        """Fail the test with *report*, unless it is None; *msg* as unittest's own assertions take it."""
        if report is not None:
            self.fail(self._formatMessage(msg, report))  # type: ignore[attr-defined]
