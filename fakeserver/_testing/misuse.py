"""Mistakes in writing a test class with the mixins, caught with a message that says what to write.

:class:`MixinBase` runs these checks on every class that inherits a mixin:

- :func:`check_base_order`, when the class is defined: a mixin listed after
  ``unittest.TestCase``, whose ``setUpClass`` and ``setUp`` call no
  ``super()``, would never start its server.
- :func:`require_super`, as the class's own ``setUpClass`` and ``setUp``
  return: one that did not call ``super()`` is named at once, rather than
  surfacing later as an ``AttributeError`` on ``recorder``.
- :class:`PerTest`: a method of one test, such as ``stub()``, called on the
  class (in ``setUpClass``) is refused, pointing to the class-wide way.

Knows nothing of servers.
"""

from __future__ import annotations

import functools
import types
import unittest
from typing import Any, Callable

__all__ = ["CLASS_SET_UP", "PerTest", "TEST_SET_UP", "check_base_order", "require_super"]

__unittest = True  # hide this module's frames from test failure tracebacks

#: Set on the class by ``MixinBase.setUpClass``, on the test by ``MixinBase.setUp``.
CLASS_SET_UP = "_fakeserver_class_set_up"
TEST_SET_UP = "_fakeserver_set_up"


def _written(cls: type) -> str:
    """A class as a class statement names it: ``unittest.TestCase``, ``ServerTestCase``."""
    if cls.__module__.split(".")[0] == "unittest":
        return f"unittest.{cls.__name__}"
    return cls.__name__


def check_base_order(cls: type, mixin_base: type) -> None:
    """Raise TypeError if *cls* lists a subclass of *mixin_base* after ``unittest.TestCase``.

    ``TestCase.setUpClass`` and ``setUp`` call no ``super()``, so a mixin
    behind it in the MRO would never run its own.
    """
    mro = cls.__mro__
    if unittest.TestCase not in mro:
        return
    behind = mro[mro.index(unittest.TestCase) + 1:]
    late = [base for base in cls.__bases__ if base in behind and issubclass(base, mixin_base)]
    if not late:
        return
    test_case = next(base for base in cls.__bases__ if issubclass(base, unittest.TestCase))
    mixins = [base for base in cls.__bases__
              if issubclass(base, mixin_base) and not issubclass(base, unittest.TestCase)]
    ordered = mixins + [base for base in cls.__bases__ if base not in mixins]
    raise TypeError(f"{cls.__name__} lists {_written(test_case)} before {_written(late[0])}, "
                    f"so the mixin's setUpClass() and setUp() would never run; list the mixin "
                    f"first: class {cls.__name__}({', '.join(map(_written, ordered))})")


def require_super(cls: type) -> None:
    """Make the ``setUpClass`` and ``setUp`` that *cls* defines fail unless they called ``super()``.

    Each is wrapped in place; the wrapper raises TypeError naming the
    missing call when the mixins' own method did not run.
    """
    own = vars(cls)
    method = own.get("setUpClass")
    if isinstance(method, classmethod):
        set_up_class = method.__func__

        @functools.wraps(set_up_class)
        def checked_set_up_class(klass: type) -> None:
            setattr(klass, CLASS_SET_UP, False)
            set_up_class(klass)
            if not vars(klass).get(CLASS_SET_UP):
                raise TypeError(f"{cls.__name__}.setUpClass() did not call super().setUpClass(), "
                                f"so no fake server was started: call it first in "
                                f"{cls.__name__}.setUpClass()")
        setattr(cls, "setUpClass", classmethod(checked_set_up_class))
    set_up = own.get("setUp")
    if isinstance(set_up, types.FunctionType):
        @functools.wraps(set_up)
        def checked_set_up(self: Any) -> None:
            setattr(self, TEST_SET_UP, False)
            set_up(self)
            if not getattr(self, TEST_SET_UP):
                raise TypeError(f"{cls.__name__}.setUp() did not call super().setUp(), so the "
                                f"fake servers were not made ready for this test: call it first "
                                f"in {cls.__name__}.setUp()")
        setattr(cls, "setUp", checked_set_up)


class PerTest:
    """A method for one test that refuses to be called on the class, pointing to *instead*.

    ``cls.stub(...)`` in ``setUpClass`` would otherwise take its first
    argument for ``self``; the class-wide way is ``cls.stubs.stub(...)``.
    """

    def __init__(self, function: Callable[..., Any], instead: str) -> None:
        self.function = function
        self.instead = instead
        self.name = function.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type) -> Callable[..., Any]:
        if instance is not None:
            return types.MethodType(self.function, instance)

        @functools.wraps(self.function)
        def on_the_class(*args: Any, **kwargs: Any) -> Any:
            if args and isinstance(args[0], owner):  # Owner.method(self, ...): a plain call
                return self.function(*args, **kwargs)
            raise TypeError(f"{owner.__name__}.{self.name}() is for one test: call "
                            f"self.{self.name}(...) in the test; for every test of the class, "
                            f"call {self.instead} in setUpClass()")
        return on_the_class
