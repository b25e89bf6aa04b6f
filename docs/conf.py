"""Sphinx configuration: the reference comes from the docstrings, the CLI options from its parser.

Build with warnings as errors and every reference checked::

    sphinx-build -W -n -b html docs docs/_build/html
"""

import os
import sys

DOCS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(DOCS))  # the checkout's fakeserver, not an installed one
sys.path.insert(0, os.path.join(DOCS, "_ext"))

import fakeserver  # noqa: E402

project = "fakeserver"
author = "the fakeserver authors"
copyright = "the fakeserver authors; MIT License"
version = release = fakeserver.__version__

extensions = [
    "sphinx.ext.autodoc",
    "cli_options",
    "public_names",
]

exclude_patterns = ["_build"]
html_theme = "alabaster"
html_theme_options = {"description": "Test client code against a real local server, not a mock."}

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True

# No network while building: the standard library's inventory cannot be
# fetched, so references to its types are shown as plain text instead.
nitpick_ignore_regex = [
    ("py:.*", r"(ssl|email|wsgiref|re|os|socket|threading|typing|collections|argparse|"
              r"unittest|logging|subprocess|pathlib|urllib)(\..*)?"),
    ("py:.*", r"_pytest\..*|pytest\..*|pluggy\..*"),
    # Type variables (``def start(self: _Handle) -> _Handle``) have no page.
    ("py:(class|obj)", r"fakeserver\..*\._[A-Z]\w*"),
    # Private types in the constructor of Stub, which users never call.
    ("py:class", r"fakeserver\._matching\.(\w+\.)?(Expectation|Mismatch)"),
    ("py:class", r"fakeserver\.stubs\.scenarios\.ScenarioRule"),
]

# The pytest plugin is documented without pytest installed: its decorators
# are mocked, which hands back the fixture functions and their docstrings.
autodoc_mock_imports = ["pytest", "pluggy"]
