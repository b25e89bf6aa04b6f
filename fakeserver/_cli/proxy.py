"""``python -m fakeserver --forward-proxy``: the fake proxy for a shell, and how it is announced.

Owns building the proxy the options ask for (stubs from a file whose paths
are full URLs, or the inspector's answer for every host), the ``export``
lines a shell pastes to send its clients through it, and printing each
exchange with its whole URL. Printing and journaling themselves are the
command line's (``__main__``, ``journal``).
"""

from __future__ import annotations

import argparse
import collections
import shlex
from typing import cast

from .._inspector.app import InspectorApp
from .._inspector.exchanges import exchange_json
from .._journal.records import RecordedRequest
from ..proxy._urls import URLView
from ..proxy.server import FakeProxy
from .journal import CONTROL_PATH, INSPECTOR_PATH, format_exchange
from .printing import Output
from .servers import Serving, answer_ok

__all__ = ["make_forward_proxy"]


def make_forward_proxy(args: argparse.Namespace, parser: argparse.ArgumentParser,
                       output: Output) -> Serving:
    """The proxy, bound; the notes announcing it; and the shell lines that use it.

    Without ``--stubs`` every host is answered ``200 OK``; with it, only the
    hosts of the file, and any other gets a 502 naming them.
    """
    proxy = FakeProxy(args.host, args.port)
    try:
        if args.stubs:
            proxy.load_stubs(args.stubs)
        else:
            proxy.route("*", answer_ok)
    except (OSError, ValueError, TypeError) as error:
        proxy.stop()
        parser.error(f"{error.__class__.__name__}: {error}")

    def on_exchange(request: RecordedRequest) -> None:
        document = exchange_json(request)
        document["url"] = request.url
        # The view stands in for the request, so that its first line shows the whole URL.
        output.record(format_exchange(cast(RecordedRequest, URLView(request))),
                      document)

    proxy.app = InspectorApp(proxy.recorder, on_exchange)
    if args.stubs:
        counts = collections.Counter(host for host, _ in proxy.routes.stubs())
        notes = ["faking " + ", ".join(f"{host} ({count} stub{'s' * (count != 1)})"
                                       for host, count in counts.items())
                 + "; any other host is answered 502"]
    else:
        notes = ["answering every host 200 OK (--stubs FILE fakes chosen hosts instead)"]
    page = proxy.url + INSPECTOR_PATH
    notes.append(f"live page at {page}")
    notes.append(f"journal at {proxy.url}{CONTROL_PATH} (JSON; DELETE clears it)")
    notes.append(f"clients must trust {proxy.ca_file} (removed when the proxy stops)")
    notes.append("to send a shell's clients through the proxy, run:")
    exports = tuple(f"export {name}={shlex.quote(value)}"
                    for name, value in proxy.env(base={}).items())
    return Serving(proxy.url, page, [proxy], notes, proxy.recorder, exports)
