"""ServerTestCase cassettes: each record mode, written only when the test passed, replayed offline."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import textwrap
import unittest
import urllib.error
import urllib.request
from typing import Any, Callable
from unittest import mock

from fakeserver import ServerTestCase
from tests.support import nothing_left_unclosed, run_case
from tests.support.upstreams import TIMEOUT, api_app, serve

TOKEN = "ghp_0123456789abcdef"


def get_json(url: str, headers: dict[str, str] | None = None) -> Any:
    """The JSON answer to a GET of *url*; raises HTTPError for an error status, its
    response closed: on 3.12 and later, an HTTPError escaping a test is collected
    late, in a cycle, and an open response would then warn that its socket leaked."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        error.close()
        raise


class CassetteCase(unittest.TestCase):
    """Runs test classes recording from a local upstream into a temporary cassette folder."""

    def setUp(self) -> None:
        unclosed = nothing_left_unclosed(self)  # the clients of the tests run here close theirs
        unclosed.__enter__()
        self.addCleanup(unclosed.__exit__, None, None, None)
        self.upstream = serve(self, api_app, record=True)
        self.folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.folder)

    def case(self, body: Callable[[Any], None], mode: str | None, **settings: Any) -> type:
        """A test class named ``GitHubTest`` whose ``test_repos`` runs *body*."""
        class GitHubTest(ServerTestCase, unittest.TestCase):
            upstream = self.upstream.url
            cassette_dir = self.folder
            record_mode = mode

            def test_repos(self) -> None:
                body(self)
        for name, value in settings.items():
            setattr(GitHubTest, name, value)
        return GitHubTest

    def run_ok(self, body: Callable[[Any], None], mode: str | None, **settings: Any) -> None:
        result = run_case(self.case(body, mode, **settings))
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)

    @property
    def cassette(self) -> str:
        return os.path.join(self.folder, "GitHubTest.test_repos.json")

    def entries(self) -> list[dict[str, Any]]:
        with open(self.cassette, encoding="utf-8") as file:
            return json.load(file)

    def upstream_targets(self) -> list[str]:
        return [request.target for request in self.upstream.app.settle()]  # type: ignore[attr-defined]


def octocat(case: Any) -> None:
    """What the test under test does: a client call, and an assertion on the wire."""
    repos = get_json(case.url("/users/octocat"))
    case.assertEqual(repos["login"], "octocat")
    case.assertRequested("/users/octocat", method="GET")


def octocat_and_hubot(case: Any) -> None:
    octocat(case)
    case.assertEqual(get_json(case.url("/users/hubot"))["login"], "hubot")


class RecordModesTest(CassetteCase):
    def test_once_records_a_missing_cassette_then_replays_it_offline(self) -> None:
        self.run_ok(octocat, "once")
        self.assertEqual(self.upstream_targets(), ["/users/octocat"])
        self.assertEqual([entry["request"]["path"] for entry in self.entries()], ["/users/octocat"])
        self.upstream.stop()
        for mode in ("once", "none", None):
            with self.subTest(mode=mode):
                self.run_ok(octocat, mode)

    def test_none_without_a_cassette_says_how_to_record_one(self) -> None:
        result = run_case(self.case(octocat, "none"))
        [(_, failure)] = result.failures
        self.assertEqual(failure.strip().splitlines()[-1], (
            f"AssertionError: No cassette at {self.cassette}: record mode 'none' only "
            f"replays. Record it from {self.upstream.url} with FAKESERVER_RECORD=once in the "
            f'environment, or record_mode = "once" on GitHubTest.'))
        self.assertEqual(self.upstream_targets(), [])

    def test_new_replays_what_matches_and_records_the_rest(self) -> None:
        self.run_ok(octocat, "once")
        original = self.entries()
        self.run_ok(octocat_and_hubot, "new")
        self.assertEqual(self.upstream_targets(), ["/users/octocat", "/users/hubot"])
        entries = self.entries()
        self.assertEqual(entries[:1], original)  # appended to
        self.assertEqual([entry["request"]["path"] for entry in entries],
                         ["/users/octocat", "/users/hubot"])
        with open(self.cassette, "rb") as file:
            before = file.read()
        self.run_ok(octocat_and_hubot, "new")  # nothing new: the file is left alone
        with open(self.cassette, "rb") as file:
            self.assertEqual(file.read(), before)
        self.upstream.stop()
        self.run_ok(octocat_and_hubot, "none")

    def test_all_records_everything_anew(self) -> None:
        self.run_ok(octocat_and_hubot, "once")
        self.run_ok(octocat, "all")
        self.assertEqual(self.upstream_targets(), ["/users/octocat", "/users/hubot", "/users/octocat"])
        self.assertEqual([entry["request"]["path"] for entry in self.entries()], ["/users/octocat"])

    def test_the_environment_gives_the_mode_when_the_class_does_not(self) -> None:
        with mock.patch.dict(os.environ, {"FAKESERVER_RECORD": "once"}):
            self.run_ok(octocat, None)
        self.assertTrue(os.path.exists(self.cassette))
        with mock.patch.dict(os.environ, {"FAKESERVER_RECORD": "sometimes"}):
            result = run_case(self.case(octocat, None))
        [(_, error)] = result.errors
        self.assertEqual(error.strip().splitlines()[-1], "ValueError: FAKESERVER_RECORD must be "
                                                         "one of none, once, new, all, not 'sometimes'")

    def test_replay_answers_as_often_as_asked(self) -> None:
        self.run_ok(octocat, "once")

        def three_times(case: Any) -> None:
            for _ in range(3):
                octocat(case)
        self.run_ok(three_times, "none")

    def test_a_request_the_cassette_lacks_fails_with_the_near_miss_report(self) -> None:
        self.run_ok(octocat, "once")

        def paged(case: Any) -> None:
            get_json(case.url("/users/octocat?page=3"))
        result = run_case(self.case(paged, "none"))
        [(_, failure)] = result.failures
        self.assertIn(textwrap.dedent("""\
            1 request matched no stub (set allow_unmatched_requests = True on the test case to allow it):
            No stub matched GET /users/octocat?page=3; 1 stub declared.
            Closest stubs:
              GET /users/octocat  query parameter 'page': unexpected"""), failure)

    def test_an_empty_cassette_answers_nothing(self) -> None:
        self.run_ok(lambda case: None, "once")
        self.assertEqual(self.entries(), [])
        result = run_case(self.case(octocat, "none"))
        [(_, failure)] = result.failures
        self.assertIn("No stub matched GET /users/octocat; no stubs are declared.", failure)

    def test_stubs_of_the_test_answer_first_and_are_not_recorded(self) -> None:
        def stubbed(case: Any) -> None:
            case.stub("GET", "/users/hubot").respond(json={"login": "stub"})
            case.assertEqual(get_json(case.url("/users/hubot"))["login"], "stub")
            octocat(case)
        self.run_ok(stubbed, "once")
        self.assertEqual(self.upstream_targets(), ["/users/octocat"])
        self.assertEqual([entry["request"]["path"] for entry in self.entries()], ["/users/octocat"])


class WrittenOnlyWhenPassedTest(CassetteCase):
    def test_a_test_that_did_not_pass_writes_nothing(self) -> None:
        def failing(case: Any) -> None:
            octocat(case)
            case.fail("the client is wrong")

        def erroring(case: Any) -> None:
            octocat(case)
            raise RuntimeError("the client crashed")

        def skipping(case: Any) -> None:
            octocat(case)
            case.skipTest("not today")

        def failing_a_subtest(case: Any) -> None:
            octocat(case)
            with case.subTest(page=1):
                case.fail("a subtest failed")

        def failing_on_the_server_side(case: Any) -> None:
            octocat(case)
            recording = case.stubs.stubs[0]
            recording.times = recording.calls  # expired: the next request matches no stub
            with case.assertRaises(urllib.error.HTTPError):
                urllib.request.urlopen(case.url("/users/hubot"), timeout=TIMEOUT)

        for body in (failing, erroring, skipping, failing_a_subtest, failing_on_the_server_side):
            with self.subTest(body=body.__name__):
                result = run_case(self.case(body, "once"))
                self.assertFalse(result.wasSuccessful() and not result.skipped)
                self.assertFalse(os.path.exists(self.cassette))

    def test_an_expected_failure_writes_nothing(self) -> None:
        case = self.case(lambda case: (octocat(case), case.fail("known bug")), "once")
        case.test_repos = unittest.expectedFailure(case.test_repos)  # type: ignore[attr-defined]
        result = run_case(case)
        self.assertEqual(len(result.expectedFailures), 1)
        self.assertFalse(os.path.exists(self.cassette))


class SettingsTest(CassetteCase):
    def test_secrets_never_reach_the_file_and_come_back_in_replay(self) -> None:
        def with_token(case: Any) -> None:
            me = get_json(case.url(f"/users/{TOKEN}?access_token={TOKEN}"),
                          {"Authorization": f"token {TOKEN}"})
            case.assertEqual(me["login"], TOKEN)
        self.run_ok(with_token, "once", secrets={"<TOKEN>": TOKEN}, redact_json=["query"])
        with open(self.cassette, encoding="utf-8") as file:
            text = file.read()
        self.assertNotIn(TOKEN, text)
        self.assertIn("/users/<TOKEN>", text)
        self.upstream.stop()
        self.run_ok(with_token, "none", secrets={"<TOKEN>": TOKEN}, redact_json=["query"])

    def test_cassette_dir_is_relative_to_the_test_module(self) -> None:
        folder = "cassettes-%s" % os.path.basename(self.folder)
        here = os.path.join(os.path.dirname(os.path.abspath(__file__)), folder)
        self.addCleanup(shutil.rmtree, here, True)
        self.run_ok(octocat, "once", cassette_dir=folder)
        self.assertTrue(os.path.exists(os.path.join(here, "GitHubTest.test_repos.json")))

    def test_an_app_and_an_upstream_exclude_each_other(self) -> None:
        result = run_case(self.case(octocat, "once", app=staticmethod(api_app)))
        [(_, error)] = result.errors
        self.assertEqual(error.strip().splitlines()[-1], "TypeError: GitHubTest sets both app and "
                                                         "upstream: cassettes replay through stubs, "
                                                         "so leave app unset")


if __name__ == "__main__":
    unittest.main()
