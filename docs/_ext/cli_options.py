"""A Sphinx directive that documents a command line from its own argument parser.

``.. cli-options:: fakeserver.__main__:build_parser`` calls the function and
renders the parser's usage, description and every option as ``.. option::``
entries (so ``:option:`--port``` links to it), with the choices that exclude
each other. The page cannot drift from the command: it *is* the parser.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any, Callable

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


def load_parser(spec: str) -> argparse.ArgumentParser:
    """Call ``module:function`` and return the parser it builds."""
    module_name, _, function = spec.partition(":")
    build: Callable[[], argparse.ArgumentParser] = getattr(importlib.import_module(module_name),
                                                           function)
    return build()


def _escape(text: str) -> str:
    """Plain text as reStructuredText that shows it verbatim."""
    for special in ("\\", "*", "`", "|", "_"):
        text = text.replace(special, "\\" + special)
    return text


def _signature(action: argparse.Action) -> str:
    """``--port PORT``, ``--tls``, ``-h, --help``: how each spelling is written."""
    if action.nargs == 0:
        return ", ".join(action.option_strings)
    metavar = action.metavar or action.dest.upper()
    return ", ".join(f"{option} {metavar}" for option in action.option_strings)


def options_rst(parser: argparse.ArgumentParser) -> list[str]:
    """The reStructuredText documenting *parser*: usage, description, each option."""
    formatter = parser._get_formatter()
    lines = ["Usage:", "", ".. code-block:: text", ""]
    lines += ["   " + line for line in parser.format_usage().strip().splitlines()]
    lines += ["", *_escape(parser.description or "").splitlines(), ""]
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        help_text = formatter._expand_help(action) if action.help else ""
        lines += [f".. option:: {_signature(action)}", ""]
        lines += ["   " + line for line in _escape(help_text).splitlines()] + [""]
    for group in parser._mutually_exclusive_groups:
        names = ", ".join(f":option:`{action.option_strings[-1]}`"
                          for action in group._group_actions)
        lines += [f"Only one of {names} may be given.", ""]
    return lines


class CliOptions(SphinxDirective):
    """``.. cli-options:: module:function``: the options of the parser it returns."""

    required_arguments = 1

    def run(self) -> list[Any]:
        holder = nodes.Element()
        lines = StringList(options_rst(load_parser(self.arguments[0])), self.get_source_info()[0])
        self.state.nested_parse(lines, self.content_offset, holder)
        return list(holder.children)


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("cli-options", CliOptions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
