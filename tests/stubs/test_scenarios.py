"""Scenarios: stubs that answer by state, moved atomically, reset per test, worded in near misses."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import textwrap
import threading
import unittest

from fakeserver import AppRunner, ServerTestCase, StubApp
from tests.stubs.test_stubs import call
from tests.support import failure_message, run_case


class CartTest(ServerTestCase, unittest.TestCase):
    """The issue's example: a cart that is empty until an item is posted."""

    def setUp(self) -> None:
        super().setUp()
        self.stub("GET", "/cart", scenario="cart", state="Started").respond(json=[])
        self.stub("POST", "/cart", scenario="cart", state="Started",
                  new_state="has-item").respond(201)
        self.stub("GET", "/cart", scenario="cart", state="has-item").respond(json=["apple"])

    def test_the_state_moves_when_a_stub_answers(self) -> None:
        self.assertEqual(self.scenarioState("cart"), "Started")
        self.assertEqual(call(self.url("/cart"))[:2], (200, b"[]"))
        self.assertEqual(call(self.url("/cart"), b"apple")[0], 201)
        self.assertScenarioState("cart", "has-item")
        self.assertEqual(call(self.url("/cart"))[:2], (200, b'["apple"]'))
        self.assertEqual(call(self.url("/cart"))[:2], (200, b'["apple"]'))

    def test_every_test_starts_in_started_and_a_test_may_move_it(self) -> None:
        self.assertScenarioState("cart", "Started")
        self.setScenarioState("cart", "has-item")
        self.assertEqual(call(self.url("/cart"))[:2], (200, b'["apple"]'))

    def test_assert_scenario_state_says_where_it_is(self) -> None:
        self.assertEqual(failure_message(self, self.assertScenarioState, "cart", "has-item"),
                         "Expected scenario 'cart' to be 'has-item'; it is 'Started'.")
        self.assertEqual(failure_message(self, self.assertScenarioState, "crat", "has-item"),
                         "Expected scenario 'crat' to be 'has-item'; it is 'Started'.\n"
                         "No stub names scenario 'crat'; the scenarios are: 'cart'.")

    def test_a_stub_skipped_for_its_state_says_so(self) -> None:
        self.allow_unmatched_requests = True
        self.assertEqual(call(self.url("/cart"), b"", method="DELETE")[0], 404)
        self.setScenarioState("cart", "has-item")
        status, body, _ = call(self.url("/cart"), b"pear")
        self.assertEqual(status, 404)
        report = textwrap.dedent("""\
            No stub matched POST /cart; 3 stubs declared.
            Closest stubs:
              POST /cart           scenario 'cart' is 'has-item', stub needs 'Started'
              GET  /cart           method 'POST' != 'GET'
              GET  /cart           method 'POST' != 'GET'; scenario 'cart' is 'has-item', stub needs 'Started'""")
        self.assertEqual(body.decode(), report + "\n")
        # Reported later, each request with the states it met, not the states now.
        self.setScenarioState("cart", "Started")
        delete, post = self.stubs.unmatched
        self.assertEqual(self.stubs.near_miss_report(post), report)
        self.assertIn("GET  /cart           method 'DELETE' != 'GET'; scenario 'cart' is "
                      "'Started', stub needs 'has-item'", self.stubs.near_miss_report(delete))


class ScenarioTest(unittest.TestCase):
    def test_the_check_and_the_move_are_one_step_under_concurrent_requests(self) -> None:
        threads = 24
        # Every request is matched at once: each waits in the predicate for all the others.
        together = threading.Barrier(threads)

        def all_at_once(request: object) -> bool:
            together.wait(10)
            return True

        stubs = StubApp()
        stubs.stub("POST", "/claim", scenario="ticket", state="claimed").respond(409)
        stubs.stub("POST", "/claim", scenario="ticket", state="Started", new_state="claimed",
                   predicate=all_at_once).respond(201)  # the newest: chosen whenever it matches
        statuses: list[int] = []
        interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)  # threads take turns as often as they can
        self.addCleanup(sys.setswitchinterval, interval)

        def claim(url: str) -> None:
            statuses.append(call(url, b"me")[0])

        with AppRunner(stubs) as runner:
            workers = [threading.Thread(target=claim, args=(runner.url + "/claim",))
                       for _ in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(30)
        self.assertEqual(sorted(statuses), [201] + [409] * (threads - 1))
        self.assertEqual(stubs.scenarios, {"ticket": "claimed"})

    def test_a_stub_without_state_matches_in_any_and_may_still_move_it(self) -> None:
        stubs = StubApp()
        stubs.stub("POST", "/reset", scenario="s", new_state="Started")
        stubs.stub("POST", "/next", scenario="s", new_state="next")
        with AppRunner(stubs) as runner:
            self.assertEqual(stubs.scenarios, {"s": "Started"})
            call(runner.url + "/next", b"")
            self.assertEqual(stubs.scenario_state("s"), "next")
            call(runner.url + "/reset", b"")
            self.assertEqual(stubs.scenario_state("s"), "Started")
            call(runner.url + "/next", b"")
        stubs.reset_scenarios()
        self.assertEqual(stubs.scenarios, {"s": "Started"})
        self.assertIn("scenario 's' None -> 'next'", repr(stubs.stubs[1]))

    def test_bad_arguments(self) -> None:
        stubs = StubApp()
        with self.assertRaises(ValueError) as caught:
            stubs.stub("GET", "/", state="Started")
        self.assertEqual(str(caught.exception),
                         "state= and new_state= are states of a scenario: name it with scenario=")
        with self.assertRaises(TypeError) as caught:
            stubs.stub("GET", "/", scenario="s", new_state=2)  # type: ignore[arg-type]
        self.assertEqual(str(caught.exception), "new_state= must be a string, not 2")
        self.assertEqual(stubs.stubs, [])
        with self.assertRaises(TypeError) as caught:
            stubs.set_scenario_state("s", None)  # type: ignore[arg-type]
        self.assertEqual(str(caught.exception), "a scenario's state is a string, not None")

    def test_stub_files_declare_scenarios(self) -> None:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        path = os.path.join(directory.name, "stubs.json")
        with open(path, "w", encoding="utf-8") as file:
            json.dump([
                {"request": {"method": "POST", "path": "/cart"}, "response": {"status": 201},
                 "scenario": "cart", "state": "Started", "new_state": "has-item"},
                {"request": {"method": "GET", "path": "/cart"}, "response": {"json": ["apple"]},
                 "scenario": "cart", "state": "has-item"}], file)
        stubs = StubApp.from_file(path)
        with AppRunner(stubs) as runner:
            self.assertEqual(call(runner.url + "/cart")[0], 404)
            self.assertEqual(call(runner.url + "/cart", b"apple")[0], 201)
            self.assertEqual(call(runner.url + "/cart")[:2], (200, b'["apple"]'))
        for entry, error in (
                ({"request": {}, "state": "Started"},
                 "entry 0: state= and new_state= are states of a scenario: name it with scenario="),
                ({"request": {}, "scenario": 1}, "entry 0: scenario must be a string, not 1")):
            with self.subTest(error=error):
                with open(path, "w", encoding="utf-8") as file:
                    json.dump([entry], file)
                with self.assertRaises(ValueError) as caught:
                    StubApp.from_file(path)
                self.assertEqual(str(caught.exception), f"{path}: {error}")

    def test_class_stubs_keep_their_scenarios_and_each_test_starts_over(self) -> None:
        seen = []

        class Case(ServerTestCase, unittest.TestCase):
            @classmethod
            def setUpClass(cls) -> None:
                super().setUpClass()
                cls.stubs.stub("POST", "/login", scenario="auth", new_state="in")

            def test_1(self) -> None:
                call(self.url("/login"), b"")
                seen.append(self.scenarioState("auth"))

            def test_2(self) -> None:
                seen.append(self.scenarioState("auth"))

        result = run_case(Case)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(seen, ["in", "Started"])


if __name__ == "__main__":
    unittest.main()
