"""Forms that cannot be read as declared: the record says why, a stub's ``form=`` does not match."""

from __future__ import annotations

import unittest
import urllib.error
import urllib.request

from fakeserver import AppRunner, StubApp
from tests.support.forms import field_part, multipart_body


class UnknownCharsetTest(unittest.TestCase):
    def setUp(self) -> None:
        self.app = StubApp()
        self.runner = AppRunner(self.app)
        self.addCleanup(self.runner.stop)
        self.runner.start()

    def post(self, charset: str) -> tuple[int, str]:
        body, content_type = multipart_body(
            field_part("name", "demo", f"Content-Type: text/plain; charset={charset}"))
        request = urllib.request.Request(self.runner.url + "/form", data=body,
                                         headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode()

    def test_a_field_in_an_unknown_charset_matches_no_form_stub(self) -> None:
        self.app.stub("POST", "/form", form={"name": "demo"}).respond(text="matched")
        self.assertEqual(self.post("utf-8"), (200, "matched"))
        status, report = self.post("x-unknown")
        self.assertEqual(status, 404)
        self.assertEqual(report, (
            "No stub matched POST /form; 1 stub declared.\n"
            "Closest stubs:\n"
            "  POST /form           form is unreadable: the field 'name' is in an unknown "
            "charset 'x-unknown'\n"))
        self.assertEqual(self.runner.errors, [])
        [unmatched] = self.app.unmatched
        with self.assertRaisesRegex(ValueError, "^the field 'name' is in an unknown charset "
                                                "'x-unknown'$"):
            unmatched.form


if __name__ == "__main__":
    unittest.main()
