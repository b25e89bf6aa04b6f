"""``python -m fakeserver`` sends no response head that could split a response.

What it serves answers through the same checks as in tests: a head no
server may send becomes a 500, and the printout names the error.
"""

from __future__ import annotations

import unittest

from tests.cli.test_cli import CLI, get
from tests.support import json_file


class ResponseHeadTest(unittest.TestCase):
    def test_a_stub_file_s_invalid_head_is_an_app_error(self) -> None:
        path = json_file(self, [{"request": {"method": "GET", "path": "/split"},
                                 "response": {"text": "cut", "headers": {"Content-Length": "-1"}}}])
        cli = CLI(self, "--port", "0", "--stubs", path)
        _, _, port = cli.serving()
        self.assertEqual(get(f"http://127.0.0.1:{port}/split"),
                         (500, b"500 Internal Server Error: the application raised an exception\n"))
        self.assertRegex(cli.lines_until("GET /split")[-1],
                         r"^\[\d\d:\d\d:\d\d\] GET /split -> no response$")
        self.assertEqual(cli.lines_until("the app raised")[-1],
                         "  the app raised ValueError(\"invalid Content-Length '-1': "
                         "must be a non-negative decimal of at most 20 digits\")")
        self.assertEqual(cli.stop(), 0)
        self.assertIn("WARNING: application error on GET /split", cli.stderr)


if __name__ == "__main__":
    unittest.main()
