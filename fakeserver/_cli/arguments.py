"""The command line's arguments: the parser, its value types, and loading ``--app``.

Owns what ``python -m fakeserver --help`` shows and what argparse refuses
(a port out of range, a journal limit below 1: usage and exit status 2).
Knows nothing of servers.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any, Callable

__all__ = ["DEFAULT_JOURNAL_LIMIT", "build_parser", "load_app"]

#: How many exchanges (or messages) the journal keeps unless told otherwise.
DEFAULT_JOURNAL_LIMIT = 1000

DESCRIPTION = """\
Run a fake server until Ctrl-C. By default: a request inspector answering
every request 200 and printing it. The running server's live page is at
/__fakeserver__/ and its journal at /__fakeserver__/requests (JSON; DELETE
clears it)."""


def port_number(text: str) -> int:
    """A TCP port, 0 to 65535 (argparse turns the error into usage and exit status 2)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range 0-65535")
    return port


def journal_limit(text: str) -> int:
    """A number of exchanges to keep, at least 1."""
    try:
        limit = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid journal limit: {text!r}") from None
    if limit < 1:
        raise argparse.ArgumentTypeError(f"the journal must keep at least 1 exchange, not {limit}")
    return limit


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fakeserver", description=DESCRIPTION)
    parser.add_argument("--host", default="127.0.0.1",
                        help="the interface to bind (default: %(default)s); anything but "
                             "loopback lets others read the journal")
    parser.add_argument("--port", type=port_number, default=None,
                        help="the port to bind; 0 picks a free one (default: 8000, 8025 with --smtp, "
                             "8080 with --forward-proxy)")
    parser.add_argument("--tls", action="store_true",
                        help="serve HTTPS (SMTPS with --smtp) with the bundled test certificate")
    parser.add_argument("--journal", metavar="FILE",
                        help="append every exchange to FILE as JSON Lines")
    parser.add_argument("--journal-limit", metavar="N", type=journal_limit,
                        default=DEFAULT_JOURNAL_LIMIT,
                        help="keep the last N exchanges (or messages) in memory for the page and "
                             "the JSON; older ones are dropped and counted (default: %(default)s)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--app", metavar="MODULE:CALLABLE", help="serve this WSGI app")
    mode.add_argument("--stubs", metavar="FILE.json",
                      help="serve the stubs declared in this file (or WireMock's mappings: a "
                           "mapping file, or a directory of them)")
    mode.add_argument("--pypi", action="store_true", help="serve a fake package index")
    mode.add_argument("--smtp", action="store_true", help="serve a fake mail server")
    mode.add_argument("--proxy", metavar="URL",
                      help="forward every request to this http:// or https:// upstream")
    parser.add_argument("--record", metavar="FILE.json",
                        help="on exit, write every exchange as a stub file that --stubs replays")
    parser.add_argument("--root", metavar="DIR",
                        help="with --pypi: keep the packages in DIR (default: in memory)")
    parser.add_argument("--inspector-port", metavar="PORT", type=port_number, default=None,
                        help="with --smtp: the port of the web page showing the mail "
                             "(default: a free one)")
    parser.add_argument("--forward-proxy", action="store_true",
                        help="serve a forward proxy faking every host, HTTPS included (with "
                             "--stubs: the hosts of the file, whose paths are full URLs); "
                             "prints the shell's export lines (default port 8080)")
    return parser


def load_app(spec: str) -> Callable[..., Any]:
    """Import ``module:callable`` (the callable may be a dotted attribute path)."""
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        raise ValueError("expected MODULE:CALLABLE, e.g. myproject.wsgi:application")
    target: Any = importlib.import_module(module_name)
    for name in attribute.split("."):
        target = getattr(target, name)
    if not callable(target):
        raise ValueError(f"{attribute} is {target!r}, not a WSGI callable")
    return target
