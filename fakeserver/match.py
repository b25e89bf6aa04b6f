"""Value matchers: say what a value must look like, not what it must equal.

Import the module, ``from fakeserver import match``, and use its matchers
wherever a request, a message or an upload is compared with a value: the
path, ``query``, ``headers``, ``form``, ``json``, ``body``, ``files``,
``cookies``, ``auth`` and ``host`` of ``stub()``, ``assertRequested()``,
``assertNotRequested()`` and the pytest handles; ``to``, ``sender`` and
``subject`` of the mail checks; the name, ``version`` and ``filetype`` of
the upload checks::

    self.stub("POST", "/orders", headers={"X-Id": match.regex(r"^[0-9]+$")},
              json=match.json_contains({"items": [{"sku": "A1"}]}))
    self.assertRequested("/login", form={"user": match.ANY, "debug": match.ABSENT})

Any callable returning a bool works as well (``lambda value: len(value) <
80``); an exception it raises counts as a no. Reports word each matcher
that failed: ``header 'X-Id' does not match /^[0-9]+$/ (got 'abc')``.
In a JSON stub file, the same matchers are one-key objects:
``{"$regex": "..."}``, ``{"$contains": "..."}``, ``{"$any": true}``,
``{"$absent": true}``, ``{"$one_of": [...]}``, ``{"$json_contains": ...}``.
"""

from ._matching.values import ABSENT
from ._matching.values import ANY
from ._matching.values import Matcher
from ._matching.values import contains
from ._matching.values import json_contains
from ._matching.values import one_of
from ._matching.values import regex

__all__ = [
    "ABSENT",
    "ANY",
    "Matcher",
    "contains",
    "json_contains",
    "one_of",
    "regex",
]
