"""The servers the command line's options ask for, bound, inspected, and how they are announced.

Owns choosing the HTTP app (the default answer, ``--app``, ``--stubs``,
``--pypi``, ``--proxy``), recording it in a journal bounded by ``--journal-limit``
behind the inspector, and, for ``--smtp``, the mail server with the web
server showing its mail. Each exchange or message is printed and journaled
through :class:`~.printing.Output`. Knows nothing of signals.
"""

from __future__ import annotations

import argparse
import logging
import threading
from typing import Any, Callable, Iterable, NamedTuple

from .._http.runner import AppRunner
from .._http.serving import ServerThread, format_url_host
from .._inspector.app import InspectorApp
from .._inspector.exchanges import exchange_json
from .._inspector.hosts import is_loopback
from .._inspector.mail import MailLog, message_json
from .._journal.recorder import Recorder
from .._journal.records import RecordedRequest
from ..smtp.server import ReceivedMessage, SMTPServer
from .arguments import load_app
from .journal import CONTROL_PATH, INSPECTOR_PATH, format_exchange, format_message
from .printing import Output

__all__ = ["Serving", "answer_ok", "make_http_server", "make_mail_servers", "warn_if_exposed"]

logger = logging.getLogger("fakeserver")


class Serving(NamedTuple):
    """Bound servers, not started yet, and how to announce them."""

    #: What the first line of output names: where clients connect.
    url: str
    #: The inspector page.
    page: str
    servers: list[ServerThread]
    notes: list[str]
    #: The HTTP journal (None for mail), for ``--record``.
    recorder: Recorder | None = None
    #: Lines printed after the notes, for a shell to paste (``export ...``).
    shell: tuple[str, ...] = ()


def answer_ok(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The default app: ``200 OK`` to everything, so that the printout is the point."""
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [b"OK\n"]


def make_http_server(args: argparse.Namespace, parser: argparse.ArgumentParser,
                     output: Output) -> Serving:
    """The HTTP server the options ask for, bound, and the lines announcing it."""
    app: Callable[..., Iterable[bytes]] = answer_ok
    notes = []
    try:
        if args.app:
            app = load_app(args.app)
        elif args.stubs:
            from ..stubs.app import StubApp
            app = StubApp.from_file(args.stubs)
        elif args.pypi:
            from ..pypi import PackageIndex
            app = PackageIndex(args.root)
        elif args.proxy:
            from .._upstream.proxy import ProxyApp
            app = ProxyApp(args.proxy)
            notes.append(f"forwarding every request to {args.proxy}")
    except Exception as error:  # anything an import or a file can raise
        parser.error(f"{error.__class__.__name__}: {error}")

    def on_exchange(request: RecordedRequest) -> None:
        output.record(format_exchange(request), exchange_json(request))

    recorder = Recorder(app, limit=args.journal_limit)
    runner = AppRunner(InspectorApp(recorder, on_exchange), args.host, args.port, tls=args.tls)
    if args.pypi:
        notes.append(f"package index {runner.url}/simple/ (pip install --index-url ...)")
        notes.append(f"uploads to {runner.url}/legacy/ (twine upload --repository-url ...)")
    notes.append(f"live page at {runner.url}{INSPECTOR_PATH}")
    notes.append(f"journal at {runner.url}{CONTROL_PATH} (JSON; DELETE clears it)")
    return Serving(runner.url + "/", runner.url + INSPECTOR_PATH, [runner], notes, recorder)


class _PrintingSMTPServer(SMTPServer):
    """An SMTP server that prints, journals and shows each message as it is recorded.

    The :class:`MailLog` is its journal (numbered, bounded); the server's
    own list of messages is emptied as each is handed on, so that a long
    run keeps only what the log keeps.
    """

    def __init__(self, output: Output, mail: MailLog, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._output = output
        self._mail = mail
        self._print_lock = threading.Lock()

    def record(self, **fields: Any) -> None:
        with self._print_lock:  # so that messages[-1] is the one just recorded
            super().record(**fields)
            message: ReceivedMessage = self.messages[-1]
            self.clear()
        self._mail.add(message)
        self._output.record(format_message(message), message_json(message))


def make_mail_servers(args: argparse.Namespace, output: Output) -> Serving:
    """The SMTP server and the web server showing its mail, bound, and the lines announcing them."""
    mail = MailLog(args.journal_limit)
    smtp = _PrintingSMTPServer(output, mail, args.host, args.port, tls=args.tls)
    try:
        web = AppRunner(InspectorApp(mail=mail), args.host, args.inspector_port or 0, tls=args.tls)
    except BaseException:
        smtp.stop()
        raise
    host, port = smtp.address
    page = web.url + INSPECTOR_PATH
    return Serving(f"smtp{'s' * args.tls}://{format_url_host(host)}:{port}", page, [smtp, web],
                   [f"live page at {page}"])


def warn_if_exposed(host: str, page: str, smtp: bool) -> None:
    """Log a warning naming what others can read, unless *host* is loopback only."""
    if is_loopback(host):
        return
    shown = ("every message received" if smtp else
             "every request with its headers (Authorization included), bodies and uploads")
    logger.warning("--host %s is not loopback: anyone who can reach this machine can read %s "
                   "at %s, and clear it (bind 127.0.0.1 to keep it to yourself)",
                   host, shown, page)
