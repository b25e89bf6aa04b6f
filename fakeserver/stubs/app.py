"""StubApp and Stub: say in the test what the server answers, and hear about every near miss.

A :class:`StubApp` is a WSGI app holding stubs, each an
:class:`Expectation` on requests and a script of answers (:class:`Step`
objects). A request no stub matches is answered ``404`` with a report of
the closest stubs and why each missed, and kept in :attr:`StubApp.unmatched`
so that a test can fail on it. Knows nothing of unittest or of sockets.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .._matching import (
    Expectation, Mismatch, PathSpec, ReportStyle, RequestCriteria, format_report, rank_by,
    request_expectation,
)
from .._http.watch import Interrupt
from .._journal.recorder import record_request
from .._journal.records import RecordedRequest
from .._targets import check_target
from .._upstream.proxy import ProxyApp
from .files import load_stub_file
from .replies import FAULTS, HeaderInput, Response, Step
from .scenarios import STARTED, ScenarioRule

if TYPE_CHECKING:
    import ssl

    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = ["Stub", "StubApp"]

__unittest = True  # hide this module's frames from test failure tracebacks


class Stub:
    """One declared exchange: what to match and what to answer; you get one from ``StubApp.stub()``.

    Calls chain: ``stub.respond(503).then(201, json={...})`` answers 503
    first, then 201 for every later call. Thread-safe.
    """

    def __init__(self, owner: "StubApp", method: str | None, path: Any,
                 expectation: Expectation, times: int | None, priority: int, order: int,
                 scenario: ScenarioRule | None = None) -> None:
        self._owner = owner
        #: The method matched (upper case), or None for any.
        self.method = method
        #: The path matched: a string, a ``/items/{id}`` template, a regex, a matcher, or
        #: None for any.
        self.path = path
        self.expectation = expectation
        #: How many requests it answers before it expires (None: no limit).
        self.times = times
        #: Among matching stubs, the highest priority answers (then the newest).
        self.priority = priority
        self.order = order
        #: The stub's part in a scenario, or None.
        self.scenario = scenario
        #: How many requests this stub has answered.
        self.calls = 0
        self._steps: list[Step] = []

    # -- the script --------------------------------------------------------------

    def respond(self, status: int = 200, *, body: bytes | None = None, text: str | None = None,
                json: Any = None, headers: HeaderInput = None, delay: float | None = None) -> "Stub":
        """Answer with this response (after *delay* seconds); returns the stub."""
        return self._add(Step(Response(status, body=body, text=text, json=json, headers=headers),
                              delay=delay))

    def then(self, status: int = 200, *, body: bytes | None = None, text: str | None = None,
             json: Any = None, headers: HeaderInput = None, delay: float | None = None) -> "Stub":
        """The answer to the next call; the last answer repeats for every later one."""
        return self.respond(status, body=body, text=text, json=json, headers=headers, delay=delay)

    def call(self, handler: Callable[[RecordedRequest], Any], *, delay: float | None = None) -> "Stub":
        """Answer with ``handler(request)``: a :class:`Response` or ``(status, headers, body)``."""
        return self._add(Step(handler=handler, delay=delay))

    def proxy(self, upstream: str | ProxyApp, *, timeout: float = 30.0,
              ssl_context: ssl.SSLContext | None = None, delay: float | None = None) -> "Stub":
        """Answer by forwarding the request to *upstream*, as WireMock's ``proxiedFrom`` does.

        *upstream* is a URL (a :class:`ProxyApp` is made with *timeout* and
        *ssl_context*) or a ProxyApp to share, whose connections its owner
        closes. A test can stub a few routes and pass the rest through::

            stubs.stub(priority=-1).proxy("https://api.example.com")
            stubs.stub("GET", "/users/me").respond(json={"login": "test"})
        """
        if not isinstance(upstream, ProxyApp):
            upstream = ProxyApp(upstream, timeout=timeout, ssl_context=ssl_context)
        return self._add(Step(app=upstream, delay=delay))

    def fault(self, kind: str, *, pause: float = 0.01) -> "Stub":
        """Break the last answer declared (or, alone, every answer) with a fault.

        ``"reset"`` (TCP RST), ``"close"`` (closed, no response),
        ``"malformed"`` (garbage bytes), ``"truncate"`` (the response's body
        sent but more announced), or ``"dribble"`` (the response sent in
        pieces of at most 16 bytes, *pause* seconds apart). So
        ``respond(text="x").fault("truncate")`` truncates that response, and
        ``fault("close").then(200)`` fails once, then succeeds.
        """
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; choose one of {', '.join(FAULTS)}")
        with self._owner._lock:
            if self._steps and self._steps[-1].fault is None and self._steps[-1].app is None:
                self._steps[-1].fault, self._steps[-1].pause = kind, pause
            else:
                self._steps.append(Step(fault=kind, pause=pause))
        return self

    def _add(self, step: Step) -> "Stub":
        with self._owner._lock:
            self._steps.append(step)
        return self

    def _step(self) -> Step:
        """The step for the call just counted (``calls`` already incremented)."""
        if not self._steps:
            return Step()
        return self._steps[min(self.calls, len(self._steps)) - 1]

    # -- state -----------------------------------------------------------------------

    @property
    def used(self) -> bool:
        """True once the stub has answered a request."""
        return self.calls > 0

    @property
    def expired(self) -> bool:
        """True once a stub declared with ``times=n`` has answered n requests."""
        return self.times is not None and self.calls >= self.times

    def mismatches(self, request: RecordedRequest,
                   states: dict[str, str] | None = None) -> list[Mismatch]:
        """How *request* differs from what this stub expects (expiry and scenario included).

        *states* are the scenarios' states to judge by (default: the current ones).
        """
        found = self.expectation.mismatches(request)
        if self.expired:
            found.append(Mismatch("times", f"{self.calls} used", f"{self.times} allowed"))
        if self.scenario is not None:
            skipped = self.scenario.mismatch(self._owner.scenarios if states is None else states)
            if skipped is not None:
                found.append(skipped)
        return found

    @property
    def label(self) -> tuple[str, str]:
        """The columns naming this stub in reports: method and path."""
        path = self.path.pattern if isinstance(self.path, re.Pattern) else self.path
        return self.method or "*", str(path or "*")

    def __repr__(self) -> str:
        extra = f" times={self.times}" if self.times is not None else ""
        extra += f" priority={self.priority}" if self.priority else ""
        extra += f" {self.scenario}" if self.scenario is not None else ""
        return f"<Stub {self.expectation}{extra} calls={self.calls}>"


class StubApp:
    """A WSGI app answering from declared stubs; usable alone with ``AppRunner``.

    The newest matching stub answers, unless another has a higher
    ``priority``. A request no stub matches gets *unmatched_status* with a
    plain-text near-miss report and is kept in :attr:`unmatched`. With a
    *fallback* app, requests are handed to it while no stub is declared at
    all. Thread-safe: stubs may be added while requests are in flight.
    """

    def __init__(self, *, unmatched_status: int = 404,
                 fallback: Callable[..., Iterable[bytes]] | None = None) -> None:
        #: The status answered to a request no stub matched.
        self.unmatched_status = unmatched_status
        #: The app answering while no stub is declared at all, or None.
        self.fallback = fallback
        self._lock = threading.Lock()
        self._stubs: list[Stub] = []
        # Each unmatched request with the scenarios' states it met, for its report.
        self._unmatched: list[tuple[RecordedRequest, dict[str, str]]] = []
        self._states: dict[str, str] = {}
        self._order = 0
        self._interrupt = Interrupt()

    # -- declaring ------------------------------------------------------------------

    def stub(self, method: str | None = None, path: PathSpec | None = None, *,
             times: int | None = None, priority: int = 0, scenario: str | None = None,
             state: str | None = None, new_state: str | None = None,
             **criteria: Unpack[RequestCriteria]) -> Stub:
        """Declare a stub; chain ``.respond(...)``, ``.then(...)``, ``.call(...)`` or ``.fault(...)``.

        *method* None (or ``"*"``) matches any method; *path* is a string, a
        ``/items/{id}`` template, a compiled regex or a matcher; the other
        criteria (*query*, *headers*, *body*, *json*, *form*, *files*,
        *cookies*, *auth*, *host*, *predicate*) are those of
        :class:`RequestCriteria`, and take matchers of
        :mod:`fakeserver.match`. A stub with *times* expires after that many
        answers. With *scenario*, it matches only while that scenario is in
        *state* (None: any), and moves it to *new_state* when it answers;
        every scenario starts in ``"Started"``. Without a response it
        answers 200, empty. Raises TypeError for a keyword that is no
        criterion, *status* included: the stub chooses the status, with
        :meth:`Stub.respond`.
        """
        if "status" in criteria:
            raise TypeError("a stub matches requests before they are answered, so it takes no "
                            "status=; give the status it answers with to .respond(status)")
        check_target("stub", path, method, method_first=True)
        method = self._method(method)
        if times is not None and times < 1:
            raise ValueError(f"times must be at least 1, not {times!r}")
        rule = ScenarioRule.of(scenario, state, new_state)
        expectation = request_expectation(path, method, **criteria)
        return self._add_stub(method, path, expectation, times, priority, rule)

    @staticmethod
    def _method(method: str | None) -> str | None:
        """The method a stub matches: None (any) for None or ``"*"``, else *method* upper-cased."""
        return None if method in (None, "*") else method.upper()

    def _add_stub(self, method: str | None, path: PathSpec | None,
                  expectation: Expectation, times: int | None, priority: int,
                  scenario: ScenarioRule | None = None) -> Stub:
        """Declare a stub matching *expectation* (:meth:`stub`'s, or a stub file's exact entry),
        in *scenario* if given.

        *method* is normalized (:meth:`_method`) and *times* checked by the caller.
        """
        with self._lock:
            self._order += 1
            stub = Stub(self, method, path, expectation, times, priority, self._order, scenario)
            self._stubs.append(stub)
        return stub

    @property
    def stubs(self) -> list[Stub]:
        """The declared stubs, oldest first (a copy)."""
        with self._lock:
            return list(self._stubs)

    @property
    def unmatched(self) -> list[RecordedRequest]:
        """Requests no stub matched, oldest first (a copy)."""
        with self._lock:
            return [request for request, _ in self._unmatched]

    # -- scenarios ------------------------------------------------------------------

    @property
    def scenarios(self) -> dict[str, str]:
        """Every scenario the stubs name or a test set, with its state (a copy)."""
        with self._lock:
            named = {stub.scenario.name: STARTED for stub in self._stubs if stub.scenario}
            return {**named, **self._states}

    def scenario_state(self, name: str) -> str:
        """The state of scenario *name*: ``"Started"`` until a stub or a test moves it."""
        with self._lock:
            return self._states.get(name, STARTED)

    def set_scenario_state(self, name: str, state: str) -> None:
        """Move scenario *name* to *state*, as a stub with ``new_state=`` would. Thread-safe."""
        if not isinstance(state, str):
            raise TypeError(f"a scenario's state is a string, not {state!r}")
        with self._lock:
            self._states[name] = state

    def reset_scenarios(self) -> None:
        """Put every scenario back in ``"Started"``. Thread-safe."""
        with self._lock:
            self._states = {}

    def unused(self) -> list[Stub]:
        """Stubs that never answered a request."""
        return [stub for stub in self.stubs if not stub.used]

    def reset(self, keep: Iterable[Stub] = ()) -> None:
        """Forget the unmatched requests and every stub but those in *keep*; every
        scenario is back in ``"Started"``.

        The mixin does it before each test, keeping the stubs the class
        declared (a ``StubApp.from_file(...)`` given as ``app``, or stubs
        added in ``setUpClass``) and dropping those of earlier tests.
        """
        kept = set(map(id, keep))
        with self._lock:
            self._stubs = [stub for stub in self._stubs if id(stub) in kept]
            self._unmatched = []
            self._states = {}
        self._interrupt.clear()

    def interrupt(self) -> None:
        """Cut short every delay and dribble in progress (before stopping a server).

        Implements the ``Interruptible`` protocol that ``AppRunner.stop()``
        calls. Thread-safe; never blocks. :meth:`reset` re-arms the waits.
        """
        self._interrupt.set()

    # -- serving -------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = record_request(environ)
        with self._lock:
            stubs = list(self._stubs)
        if not stubs and self.fallback is not None:
            return self.fallback(environ, start_response)
        matching = [stub for stub in stubs if stub.expectation.matches(request)]
        with self._lock:  # choosing, counting and moving a scenario on: one step
            live = [stub for stub in matching if not stub.expired
                    and (stub.scenario is None or stub.scenario.mismatch(self._states) is None)]
            chosen = max(live, key=lambda stub: (stub.priority, stub.order), default=None)
            if chosen is None:
                request.unmatched = True
                self._unmatched.append((request, dict(self._states)))
            else:
                chosen.calls += 1
                step = chosen._step()
                if chosen.scenario is not None:
                    chosen.scenario.advance(self._states)
        if chosen is None:
            report = self.near_miss_report(request, stubs)
            start_response(Response(self.unmatched_status).status_line,
                           [("Content-Type", "text/plain; charset=utf-8")])
            return [report.encode("utf-8") + b"\n"]
        request.stub = chosen
        return step.reply(request, environ, start_response, self._interrupt)

    def near_miss_report(self, request: RecordedRequest, stubs: list[Stub] | None = None,
                         limit: int | None = 10) -> str:
        """Why no stub matched *request*: the closest stubs, field by field.

        A stub skipped for its scenario's state is judged by the states the
        request met.
        """
        stubs = self.stubs if stubs is None else stubs
        with self._lock:
            states = next((seen for unmatched, seen in self._unmatched if unmatched is request),
                          dict(self._states))
        subject = f"{request.method} {request.target}"
        if not stubs:
            return f"No stub matched {subject}; no stubs are declared."
        headline = f"No stub matched {subject}; {len(stubs)} stub{'s' * (len(stubs) != 1)} declared."
        ranked = rank_by(stubs, lambda stub: stub.mismatches(request, states))
        return format_report(headline, ranked,
                             lambda stub: stub.label, title="Closest stubs",
                             style=ReportStyle(limit, _NEAR_MISS_HINT))

    # -- declarative stubs --------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str | os.PathLike, **options: Any) -> "StubApp":
        """A StubApp with the stubs of a JSON file (see :meth:`load`)."""
        app = cls(**options)
        app.load(path)
        return app

    def load(self, path: str | os.PathLike) -> list[Stub]:
        """Declare the stubs of a JSON file: a list of ``{"request": {...}, "response": {...}}``.

        Request keys: method, path, target, query, headers, body (or
        body_base64), json, form, files, cookies, auth, host; where a value
        is compared, a matcher may stand for it as a one-key object: ``{"$regex": "..."}``,
        ``{"$contains": "..."}``, ``{"$any": true}``, ``{"$absent": true}``,
        ``{"$one_of": [...]}``, ``{"$json_contains": ...}``. Response keys:
        status, headers (a value may be a list, for a repeated field), body
        (or body_base64), text, json, delay, fault; optional times, priority,
        scenario, state and new_state. ``"responses": [...]`` instead of
        ``"response"`` answers each in turn, the last repeating. In a
        request, ``match_headers`` names the headers matched (the others are
        kept for the reader), and ``"exact": true`` (as
        :meth:`Recorder.save_stubs` writes) matches no more and no less than
        the query, form, files and body given, ``"<redacted>"`` standing for
        any value. ``fakeserver/stubs.schema.json`` is the format's JSON
        Schema. *path* may also be a WireMock mapping file (one mapping, or
        ``{"mappings": [...]}``) or a directory of mapping or stub files
        (every ``.json`` file under it, or under its ``mappings`` folder if
        it has one); a mapping field that cannot be honoured raises. Raises
        ValueError naming the file, the entry (or mapping) and the field at
        fault, having declared none of the stubs.
        """
        return load_stub_file(self, path)


#: How the near-miss report of an unmatched request says to list every stub.
_NEAR_MISS_HINT = "call near_miss_report(request, limit=None) to see all"
