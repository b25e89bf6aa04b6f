"""The command line: ``python -m fakeserver``, a fake server for clients that are not Python tests.

Without arguments it is a request inspector on ``127.0.0.1:8000``: every
request is answered ``200`` and printed. Options serve a WSGI app, stubs
from a JSON file, a real service through a proxy (``--proxy``, with
``--record`` writing what it answered as stubs on exit), the package index
or the mail server instead; see
``python -m fakeserver --help``. The first line printed names the URL
(``--port 0`` picks a free port), so a script can read it. Ctrl-C or SIGTERM
stops the server and exits 0.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import socket
import sys
import threading
from typing import IO, Any, Callable, Iterable

from ._cli.journal import (
    CONTROL_PATH, JournalApp, exchange_json, format_exchange, format_message, message_json,
)
from ._cli.proxy import make_forward_proxy
from ._journal.recorder import Recorder
from ._journal.records import RecordedRequest
from ._http.runner import AppRunner
from ._http.serving import ServerThread, format_url_host
from ._upstream.proxy import ProxyApp
from .smtp.server import ReceivedMessage, SMTPServer
from .tls import CA_FILE

__all__ = ["main"]

DESCRIPTION = """\
Run a fake server until Ctrl-C. By default: a request inspector answering
every request 200 and printing it. The running HTTP server's journal is at
/__fakeserver__/requests (JSON; DELETE clears it)."""


def inspector_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The default app: ``200 OK`` to everything, so that the printout is the point."""
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [b"OK\n"]


def port_number(text: str) -> int:
    """A TCP port, 0 to 65535 (argparse turns the error into usage and exit status 2)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range 0-65535")
    return port


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fakeserver", description=DESCRIPTION)
    parser.add_argument("--host", default="127.0.0.1",
                        help="the interface to bind (default: %(default)s)")
    parser.add_argument("--port", type=port_number, default=None,
                        help="the port to bind; 0 picks a free one (default: 8000, 8025 with --smtp)")
    parser.add_argument("--tls", action="store_true",
                        help="serve HTTPS (SMTPS with --smtp) with the bundled test certificate")
    parser.add_argument("--journal", metavar="FILE",
                        help="append every exchange to FILE as JSON Lines")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--app", metavar="MODULE:CALLABLE", help="serve this WSGI app")
    mode.add_argument("--stubs", metavar="FILE.json", help="serve the stubs declared in this file")
    mode.add_argument("--pypi", action="store_true", help="serve a fake package index")
    mode.add_argument("--smtp", action="store_true", help="serve a fake mail server")
    mode.add_argument("--proxy", metavar="URL",
                      help="forward every request to this http:// or https:// upstream")
    parser.add_argument("--record", metavar="FILE.json",
                        help="on exit, write every exchange as a stub file that --stubs replays")
    parser.add_argument("--root", metavar="DIR",
                        help="with --pypi: keep the packages in DIR (default: in memory)")
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


class Output:
    """Thread-safe printing to stdout, and the ``--journal`` file; each write is flushed.

    Once stdout is gone (the reader closed the pipe, as ``| head -1`` does)
    printing stops for good, and serving and journaling go on: a connection
    thread must never fail a request because nobody reads the printout.
    """

    def __init__(self, journal: IO[str] | None) -> None:
        self._lock = threading.Lock()
        self._journal = journal
        self.count = 0
        #: False once a write to stdout failed.
        self.printing = True

    def say(self, text: str) -> None:
        with self._lock:
            self._print(text)

    def record(self, text: str, document: dict[str, Any]) -> None:
        with self._lock:
            self.count += 1
            self._print(text)
            if self._journal is not None:
                self._journal.write(json.dumps(document) + "\n")
                self._journal.flush()

    def _print(self, text: str) -> None:
        if not self.printing:
            return
        try:
            print(text, flush=True)
        except (OSError, ValueError):  # BrokenPipeError; ValueError: stdout closed
            self.printing = False

    def close(self) -> None:
        """Make the interpreter's last flush of stdout harmless if stdout broke."""
        if self.printing:
            return
        # Text that never made it out is still buffered: let it go to os.devnull
        # (the remedy in the signal module's documentation, "Note on SIGPIPE").
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, sys.stdout.fileno())
            finally:
                os.close(devnull)
        except (OSError, ValueError, AttributeError):  # stdout without a file descriptor
            sys.stdout = open(os.devnull, "w")


def make_http_server(args: argparse.Namespace, parser: argparse.ArgumentParser,
                     output: Output) -> tuple[AppRunner, list[str]]:
    """The HTTP server the options ask for, bound, and the lines announcing it."""
    app: Callable[..., Iterable[bytes]] = inspector_app
    notes = []
    try:
        if args.app:
            app = load_app(args.app)
        elif args.stubs:
            from .stubs.app import StubApp
            app = StubApp.from_file(args.stubs)
        elif args.pypi:
            from .pypi import PackageIndex
            app = PackageIndex(args.root)
        elif args.proxy:
            app = ProxyApp(args.proxy)
            notes.append(f"forwarding every request to {args.proxy}")
    except Exception as error:  # anything an import or a file can raise
        parser.error(f"{error.__class__.__name__}: {error}")

    def on_exchange(request: RecordedRequest) -> None:
        output.record(format_exchange(request), exchange_json(request))

    recorder = Recorder(app)
    runner = AppRunner(JournalApp(recorder, on_exchange), args.host, args.port, tls=args.tls)
    if args.pypi:
        notes.append(f"package index {runner.url}/simple/ (pip install --index-url ...)")
        notes.append(f"uploads to {runner.url}/legacy/ (twine upload --repository-url ...)")
    notes.append(f"journal at {runner.url}{CONTROL_PATH} (JSON; DELETE clears it)")
    return runner, notes


class _PrintingSMTPServer(SMTPServer):
    """An SMTP server that prints (and journals) each message as it is recorded."""

    def __init__(self, output: Output, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._output = output
        self._print_lock = threading.Lock()

    def record(self, **fields: Any) -> None:
        with self._print_lock:  # so that messages[-1] is the one just recorded
            super().record(**fields)
            message: ReceivedMessage = self.messages[-1]
        self._output.record(format_message(message), message_json(message))


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


def save_recording(server: ServerThread, path: str, output: Output) -> int:
    """Write the journal of the stopped HTTP *server* to *path* as stubs; the exit status."""
    app = getattr(server, "app", None)
    assert isinstance(app, JournalApp)  # make_http_server serves one
    try:
        saved = app.recorder.save_stubs(path)
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
    logging.basicConfig(level=logging.WARNING, format="fakeserver: %(levelname)s: %(message)s")
    journal = None
    if args.journal:
        try:
            journal = open(args.journal, "a", encoding="utf-8")
        except OSError as error:
            parser.error(f"--journal {args.journal}: {error.strerror}")
    output = Output(journal)
    try:
        try:
            server: ServerThread
            notes: list[str]
            shell_lines: list[str] = []
            if args.smtp:
                server = _PrintingSMTPServer(output, args.host, args.port, tls=args.tls)
                host, port = server.address
                url, notes = f"smtp{'s' * args.tls}://{format_url_host(host)}:{port}", []
            elif args.forward_proxy:
                server, notes, shell_lines = make_forward_proxy(args, parser, output, inspector_app)
                url = server.url + "/"
            else:
                server, notes = make_http_server(args, parser, output)
                url = server.url + "/"
        except OSError as error:
            print(f"fakeserver: cannot listen on {args.host}:{args.port}: "
                  f"{error.strerror or error}", file=sys.stderr, flush=True)
            return 1
        with StopSignals() as signals:
            server.start()
            try:
                output.say(f"fakeserver: serving {url} (Ctrl-C to stop)")
                if args.tls:
                    notes.append(f"clients must trust the test CA {CA_FILE}")
                if journal is not None:
                    notes.append(f"appending every exchange to {args.journal} (JSON Lines)")
                if args.record:
                    notes.append(f"writing every exchange to {args.record} on exit (stubs)")
                for note in notes:
                    output.say(f"fakeserver: {note}")
                for line in shell_lines:
                    output.say(line)
                signals.wait()
            finally:
                server.stop()
        output.say(f"fakeserver: stopped after {output.count} "
                   f"{'exchange' if output.count == 1 else 'exchanges'}")
        return save_recording(server, args.record, output) if args.record else 0
    finally:
        output.close()
        if journal is not None:
            journal.close()


if __name__ == "__main__":
    sys.exit(main())
