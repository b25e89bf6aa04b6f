"""The event stream keeping a page up to date, and its end when the server stops."""

from __future__ import annotations

import http.client
import json
import threading
import unittest
from typing import Any, Callable

from fakeserver import AppRunner, Recorder, StubApp
from fakeserver._inspector.app import InspectorApp
from tests.support import assert_stops_promptly
from tests.support.distributions import fetch


def answer_ok(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [])
    return [b"ok"]


class EventReader:
    """An open ``/__fakeserver__/events`` stream, read one event at a time."""

    def __init__(self, test: unittest.TestCase, runner: AppRunner) -> None:
        self.connection = http.client.HTTPConnection(*runner.address, timeout=10)
        test.addCleanup(self.connection.close)
        self.connection.request("GET", "/__fakeserver__/events")
        self.response = self.connection.getresponse()
        test.assertEqual(self.response.getheader("Content-Type"), "text/event-stream")

    def next(self) -> tuple[str, Any]:
        """The next event and its data; ("", None) at the end of the stream."""
        name, data = "", None
        while True:
            line = self.response.readline().decode()
            if not line:
                return "", None
            line = line.rstrip("\n")
            if not line and name:
                return name, data
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                data = json.loads(line[len("data: "):])

    def until(self, wanted: str) -> list[tuple[str, Any]]:
        """Events up to and including the first named *wanted*."""
        events = [self.next()]
        while events[-1][0] not in (wanted, ""):
            events.append(self.next())
        return events


class StreamTest(unittest.TestCase):
    def setUp(self) -> None:
        self.stubs = StubApp(fallback=answer_ok)
        self.runner = AppRunner(self.stubs, inspector=True)
        self.runner.start()
        self.addCleanup(self.runner.stop)

    def get(self, path: str) -> int:
        return fetch(self.runner.url + path).status

    def test_it_starts_with_what_is_kept_then_follows(self) -> None:
        self.get("/before")
        events = EventReader(self, self.runner)
        self.assertEqual(events.next(), ("reset", {}))
        self.assertEqual(events.next(), ("journal", {"first": 1, "dropped": 0}))
        name, [row] = events.next()
        self.assertEqual((name, row["id"], row["path"], row["completed"]), ("exchanges", 1, "/before", True))
        self.get("/after")
        name, [row] = events.until("exchanges")[-1]
        self.assertEqual((row["id"], row["path"]), (2, "/after"))
        if not row["completed"]:  # it began; its end follows
            name, [row] = events.until("exchanges")[-1]
        self.assertEqual((row["id"], row["status"], row["completed"]), (2, 200, True))

    def test_an_exchange_in_progress_is_sent_when_it_begins_and_when_it_ends(self) -> None:
        self.stubs.stub("GET", "/slow").respond(text="done", delay=0.5)
        events = EventReader(self, self.runner)
        self.assertEqual(events.until("journal")[-1], ("journal", {"first": None, "dropped": 0}))
        sender = threading.Thread(target=self.get, args=("/slow",))
        sender.start()
        self.addCleanup(sender.join)
        name, [row] = events.until("exchanges")[-1]
        self.assertEqual((row["path"], row["completed"], row["status"]), ("/slow", False, None))
        name, [row] = events.until("exchanges")[-1]
        self.assertEqual((row["path"], row["completed"], row["status"]), ("/slow", True, 200))

    def test_clearing_says_nothing_is_kept(self) -> None:
        self.get("/one")
        events = EventReader(self, self.runner)
        events.until("exchanges")
        self.runner.app.recorder.clear()  # as ServerTestCase does before each test
        self.assertEqual(events.next(), ("journal", {"first": None, "dropped": 0}))

    def test_a_page_left_open_does_not_hold_stop(self) -> None:
        events = [EventReader(self, self.runner) for _ in range(3)]
        for reader in events:
            reader.until("journal")
        assert_stops_promptly(self, self.runner, within=1.0)
        for reader in events:
            self.assertEqual(reader.next(), ("", None))  # the stream ended


class TrimmedStreamTest(unittest.TestCase):
    def test_the_oldest_dropped_are_announced(self) -> None:
        recorder = Recorder(answer_ok, limit=2)
        runner = AppRunner(InspectorApp(recorder))
        with runner:
            events = EventReader(self, runner)
            events.until("journal")
            for number in range(3):
                fetch(f"{runner.url}/{number}")
            name, data = events.until("journal")[-1]
            while data["dropped"] == 0:
                name, data = events.until("journal")[-1]
            self.assertEqual(data, {"first": 2, "dropped": 1})


if __name__ == "__main__":
    unittest.main()
