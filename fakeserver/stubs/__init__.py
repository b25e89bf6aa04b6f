"""TODO"""

from .app import Response
from .app import Stub
from .app import StubApp

__all__ = ["Response", "Stub", "StubApp"]
