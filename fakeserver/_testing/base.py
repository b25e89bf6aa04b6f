"""What every face of the checks shares: naming its settings in reports, failing, serving per class.

A check returns a report; a face turns it into its runner's failure, and
says in the report's last line which of its own settings lists everything.
:class:`MixinBase` is the base of the unittest mixins (``ServerTestCase``,
``SMTPServerTestCase``, ``PackageIndexTestCase``), so that the three, alone
or mixed into one class, start and stop their servers alike;
:class:`HandleBase` is the base of the objects the pytest fixtures give.
Nothing here knows sockets or pytest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .misuse import CLASS_SET_UP, TEST_SET_UP, check_base_order, require_super
from .._matching import ReportStyle

if TYPE_CHECKING:
    from .._http.serving import ServerThread
    from .._journal.recorder import Recorder

__all__ = ["Face", "HandleBase", "MixinBase"]

__unittest = True  # hide this module's frames from test failure tracebacks


class Face:
    """A face of the checks: the object a test asserts through."""

    #: Where a report tells the reader to change a setting: "the test case", "the fake server".
    _settings_on: ClassVar[str]

    def _style(self, setting: str) -> ReportStyle:
        """The report style capped by this face's *setting*, whose hint says to set it to None.

        The setting's name is the hint's, so the two cannot disagree.
        """
        return ReportStyle(getattr(self, setting),
                           f"set {setting} = None on {self._settings_on} to see all")


class MixinBase(Face):
    """The base of the unittest mixins; list a mixin before ``unittest.TestCase``.

    A class that lists it after, or whose ``setUpClass`` or ``setUp`` does
    not call ``super()``, gets a TypeError saying what to write (see
    :mod:`.misuse`).
    """

    _settings_on = "the test case"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Python 3.9's unittest keeps one class-cleanup list on TestCase for
        # every test class, so a case run inside another test would stop the
        # outer class's server with its own cleanups. Later versions give
        # each class a list (https://github.com/python/cpython/issues/99645),
        # as this does.
        if "_class_cleanups" not in vars(cls):
            cls._class_cleanups = []  # type: ignore[attr-defined]
        check_base_order(cls, MixinBase)
        if cls.__module__.split(".")[0] != "fakeserver":  # ours are known to call super()
            require_super(cls)

    @classmethod
    def setUpClass(cls) -> None:
        """Note that the chain of ``super().setUpClass()`` calls reached the mixins."""
        super().setUpClass()  # type: ignore[misc]
        setattr(cls, CLASS_SET_UP, True)

    def setUp(self) -> None:
        """Note that the chain of ``super().setUp()`` calls reached the mixins."""
        super().setUp()  # type: ignore[misc]
        setattr(self, TEST_SET_UP, True)

    @classmethod
    def _start_for_class(cls, server: ServerThread, recorder: Recorder | None = None) -> None:
        """Start *server* for this class, having registered its stop as a class cleanup.

        Registered first, the cleanup stops the server even if a subclass's
        ``setUpClass`` fails after this; it then clears *recorder*'s journal,
        releasing the bodies kept on disk. Returns at once: the socket
        already listens.
        """
        if recorder is not None:
            cls.addClassCleanup(recorder.clear)  # type: ignore[attr-defined]  # runs last
        cls.addClassCleanup(server.stop)  # type: ignore[attr-defined]
        server.start()

    def _check(self, report: str | None, msg: str | None) -> None:
        """Fail the test with *report*, unless it is None; *msg* as unittest's own assertions take it."""
        if report is not None:
            self.fail(self._formatMessage(msg, report))  # type: ignore[attr-defined]


class HandleBase(Face):
    """The base of what the pytest fixtures give: assertions raise ``AssertionError``.

    Nothing here imports pytest: a handle works without it, and the
    fixtures only create, reset and stop it.
    """

    _settings_on = "the fake server"

    @staticmethod
    def _check(report: str | None) -> None:
        """Raise ``AssertionError`` with *report*, unless it is None."""
        __tracebackhide__ = True
        if report is not None:
            raise AssertionError(report)
