"""``python -m fakeserver --proxy URL --record FILE``: record a real service, replay it with ``--stubs``."""

from __future__ import annotations

import json
import os
import signal
import tempfile
import unittest

from tests.support.cli import CLI, get
from tests.support.upstreams import api_app, serve


class RecordTest(unittest.TestCase):
    def setUp(self) -> None:
        self.upstream = serve(self, api_app)
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.path = os.path.join(folder.name, "out.json")

    def record(self, signum: int) -> list[str]:
        """Record two exchanges through the CLI, stop it with *signum*; return its last lines."""
        cli = CLI(self, "--port", "0", "--proxy", self.upstream.url, "--record", self.path)
        _, _, port = cli.serving()
        self.assertEqual(cli.lines_until("on exit")[-1],
                         f"fakeserver: writing every exchange to {self.path} on exit (stubs)")
        self.assertEqual(get(f"http://127.0.0.1:{port}/users/octocat?page=2"),
                         (200, b'{"login": "octocat", "query": "page=2"}'))
        self.assertEqual(get(f"http://127.0.0.1:{port}/upload", data=b'{"a": 1}')[0], 200)
        self.assertTrue(cli.lines_until("POST /upload")[-1].endswith("] POST /upload -> 200 OK"))
        self.assertEqual(cli.stop(signum), 0)
        return cli.rest()

    def test_sigterm_writes_the_stubs_and_they_replay(self) -> None:
        lines = self.record(signal.SIGTERM)
        self.assertEqual(lines[-1], f"fakeserver: wrote 2 stubs to {self.path} "
                                    f"(replay: python -m fakeserver --stubs {self.path})")
        with open(self.path, encoding="utf-8") as file:
            entries = json.load(file)
        self.assertEqual([entry["request"]["path"] for entry in entries], ["/users/octocat", "/upload"])
        self.upstream.stop()
        replay = CLI(self, "--port", "0", "--stubs", self.path)
        _, _, port = replay.serving()
        self.assertEqual(get(f"http://127.0.0.1:{port}/users/octocat?page=2"),
                         (200, b'{"login": "octocat", "query": "page=2"}'))
        self.assertEqual(get(f"http://127.0.0.1:{port}/upload", data=b'{"a": 1}')[0], 200)

    def test_ctrl_c_writes_them_too(self) -> None:
        self.record(signal.SIGINT)
        self.assertTrue(os.path.exists(self.path))

    def test_mistakes_are_usage_errors(self) -> None:
        for args, says in ((["--proxy", "ftp://example.com"], "upstream must be an http:// or "
                                                                "https:// URL with a host"),
                           (["--smtp", "--record", self.path], "--record writes HTTP exchanges"),
                           (["--record", "/no/such/folder/out.json"],
                            "--record /no/such/folder/out.json: no such folder"),
                           (["--proxy", self.upstream.url, "--stubs", self.path],
                            "not allowed with argument")):
            with self.subTest(args=args):
                cli = CLI(self, "--port", "0", *args)
                self.assertEqual(cli.wait(), 2)
                self.assertIn(says, cli.stderr)
                self.assertNotIn("Traceback", cli.stderr)


if __name__ == "__main__":
    unittest.main()
