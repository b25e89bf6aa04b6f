"""The command line: ``python -m fakeserver``, a fake server for clients that are not Python tests.

Without arguments it is a request inspector on ``127.0.0.1:8000``: every
request is answered ``200``, printed, and shown live on the page at
``/__fakeserver__/``. Options serve a WSGI app, stubs from a JSON file, a
real service through a proxy (``--proxy``, with ``--record`` writing what
it answered as stubs on exit), the package index or the mail server
instead; see ``python -m fakeserver --help``. The first line printed names
the URL (``--port 0`` picks a free port), so a script can read it. Ctrl-C
or SIGTERM stops the server and exits 0. The pieces are in
``fakeserver/_cli/``: the arguments, the servers, what is printed and how.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from typing import Any

from ._cli.arguments import build_parser
from ._cli.printing import EscapingFormatter, Output
from ._cli.proxy import make_forward_proxy
from ._cli.servers import make_http_server, make_mail_servers, warn_if_exposed
from ._journal.recorder import Recorder
from .tls import CA_FILE

__all__ = ["main"]


class StopSignals:
    """Catch SIGINT (Ctrl-C) and SIGTERM while inside the ``with`` block; :meth:`wait` for one.

    Installed before the server is announced, so that a script which reads
    the first line and at once sends SIGTERM still gets a clean exit.
    """

    def __init__(self) -> None:
        self._received = False
        self._previous: dict[int, Any] = {}
        # The signal module writes a byte here when a signal arrives, which
        # wakes wait(). (Setting a threading.Event from the handler could
        # deadlock: the handler runs in the main thread, which may be holding
        # that Event's lock inside wait().)
        self._reader, self._writer = socket.socketpair()
        self._writer.setblocking(False)
        self._previous_wakeup = -1

    def __enter__(self) -> "StopSignals":
        self._previous_wakeup = signal.set_wakeup_fd(self._writer.fileno())
        watched = [signal.SIGINT] + ([signal.SIGTERM] if hasattr(signal, "SIGTERM") else [])
        for signum in watched:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self._received = True

    def wait(self) -> None:
        """Block until a signal arrives."""
        while not self._received:
            self._reader.recv(1)

    def __exit__(self, *exc_info: object) -> None:
        for signum, old in self._previous.items():
            signal.signal(signum, old)
        signal.set_wakeup_fd(self._previous_wakeup)
        self._reader.close()
        self._writer.close()


def _configure_logging() -> None:
    """Warnings to stderr, every line escaped: log records quote what clients sent."""
    handler = logging.StreamHandler()
    handler.setFormatter(EscapingFormatter("fakeserver: %(levelname)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])


def save_recording(recorder: Recorder, path: str, output: Output) -> int:
    """Write the journal of the stopped server to *path* as stubs; the exit status."""
    try:
        saved = recorder.save_stubs(path)
    except OSError as error:
        print(f"fakeserver: cannot write {path}: {error.strerror or error}", file=sys.stderr,
              flush=True)
        return 1
    output.say(f"fakeserver: wrote {saved} {'stub' if saved == 1 else 'stubs'} to {path} "
               f"(replay: python -m fakeserver --stubs {path})")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad arguments, via argparse)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.root and not args.pypi:
        parser.error("--root needs --pypi")
    if args.inspector_port is not None and not args.smtp:
        parser.error("--inspector-port needs --smtp (the HTTP server shows its page itself)")
    if args.record and args.smtp:
        parser.error("--record writes HTTP exchanges; it cannot be used with --smtp")
    if args.record and not os.path.isdir(os.path.dirname(os.path.abspath(args.record))):
        parser.error(f"--record {args.record}: no such folder")
    if args.forward_proxy and (args.app or args.pypi or args.smtp or args.tls):
        parser.error("--forward-proxy takes no --app, --pypi, --smtp or --tls "
                     "(it serves HTTPS with a CA of its own)")
    if args.port is None:
        args.port = 8025 if args.smtp else 8080 if args.forward_proxy else 8000
    if hasattr(sys.stdout, "reconfigure"):  # a header in any encoding must not kill a thread
        sys.stdout.reconfigure(errors="backslashreplace")
    _configure_logging()
    journal = None
    if args.journal:
        try:
            journal = open(args.journal, "a", encoding="utf-8")
        except OSError as error:
            parser.error(f"--journal {args.journal}: {error.strerror}")
    output = Output(journal)
    try:
        try:
            if args.smtp:
                serving = make_mail_servers(args, output)
            elif args.forward_proxy:
                serving = make_forward_proxy(args, parser, output)
            else:
                serving = make_http_server(args, parser, output)
            url, page, servers, notes, recorder, shell = serving
        except OSError as error:
            print(f"fakeserver: cannot listen on {args.host}:{args.port}: "
                  f"{error.strerror or error}", file=sys.stderr, flush=True)
            return 1
        with StopSignals() as signals:
            try:
                for server in servers:
                    server.start()
                output.say(f"fakeserver: serving {url} (Ctrl-C to stop)")
                warn_if_exposed(args.host, page, args.smtp)
                if args.tls:
                    notes.append(f"clients must trust the test CA {CA_FILE}")
                if journal is not None:
                    notes.append(f"appending every exchange to {args.journal} (JSON Lines)")
                if args.record:
                    notes.append(f"writing every exchange to {args.record} on exit (stubs)")
                for note in notes:
                    output.say(f"fakeserver: {note}")
                for line in shell:
                    output.say(line)
                signals.wait()
            finally:
                for server in servers:
                    server.stop()
        output.say(f"fakeserver: stopped after {output.count} "
                   f"{'exchange' if output.count == 1 else 'exchanges'}")
        if args.record and recorder is not None:
            return save_recording(recorder, args.record, output)
        return 0
    finally:
        output.close()
        if journal is not None:
            journal.close()


if __name__ == "__main__":
    sys.exit(main())
