"""Scenarios: stubs that answer by state, as WireMock's do.

A scenario is a name and a state, ``"Started"`` until a stub moves it. A
stub declared with ``scenario="cart", state="Started",
new_state="has-item"`` matches only while ``cart`` is ``Started``, and moves
it to ``has-item`` when it answers. The states live in the
:class:`StubApp`, whose lock makes the check and the move one step among
concurrent requests; this module holds a stub's part (:class:`ScenarioRule`)
and how a skipped stub is worded in a near-miss report. Knows nothing of
HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, MutableMapping

from .._matching import Mismatch
from .._matching.diff import note

__all__ = ["STARTED", "ScenarioRule"]

#: The state every scenario starts in, and returns to when stubs are reset.
STARTED = "Started"


@dataclass(frozen=True)
class ScenarioRule:
    """A stub's part in scenario *name*: it answers while the scenario is in *state*
    (None: any), and then moves it to *new_state* (None: stays)."""

    name: str
    state: str | None = None
    new_state: str | None = None

    @classmethod
    def of(cls, scenario: str | None, state: str | None,
           new_state: str | None) -> "ScenarioRule | None":
        """The rule of ``stub(scenario=, state=, new_state=)``, or None without a scenario.

        Raises ValueError for a state without a scenario, TypeError for a
        value that is no string.
        """
        if scenario is None:
            if state is not None or new_state is not None:
                raise ValueError("state= and new_state= are states of a scenario: "
                                 "name it with scenario=")
            return None
        for keyword, value in (("scenario", scenario), ("state", state), ("new_state", new_state)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{keyword}= must be a string, not {value!r}")
        return cls(scenario, state, new_state)

    def mismatch(self, states: Mapping[str, str]) -> Mismatch | None:
        """Why the stub is skipped with the scenarios in *states*, or None if it may answer:
        ``scenario 'cart' is 'Started', stub needs 'has-item'``."""
        current = states.get(self.name, STARTED)
        if self.state is None or current == self.state:
            return None
        return note("scenario", f"is {current!r}, stub needs {self.state!r}",
                    f"scenario {self.name!r}")

    def advance(self, states: MutableMapping[str, str]) -> None:
        """Move the scenario on, as the stub answers (under the StubApp's lock)."""
        if self.new_state is not None:
            states[self.name] = self.new_state

    def __str__(self) -> str:
        moves = f" -> {self.new_state!r}" if self.new_state is not None else ""
        return f"scenario {self.name!r} {self.state!r}{moves}"
