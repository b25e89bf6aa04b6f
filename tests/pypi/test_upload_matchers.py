"""The upload checks take matchers for the name, version= and filetype=, worded in their reports."""

from __future__ import annotations

import unittest
from typing import Any

from fakeserver import match
from fakeserver.pypi import PackageIndexTestCase
from tests.support import failure_message
from tests.support.distributions import build_sdist, build_wheel, distutils_upload


class UploadMatchersTest(PackageIndexTestCase, unittest.TestCase):
    def upload(self, dist: tuple[str, bytes], **fields: Any) -> None:
        reply = distutils_upload(self.upload_url, *dist, auth=self.index_credentials, **fields)
        self.assertEqual(reply.status, 200, reply.reason)

    def test_matchers_for_name_version_and_filetype(self) -> None:
        self.upload(build_wheel(version="1.2"), version="1.2")
        self.upload(build_sdist(version="1.2"), version="1.2")
        self.assertEqual(self.assertUploaded("demo", match.regex(r"^1\.")).filetype, "sdist")
        self.assertUploaded(match.one_of("demo", "other"), filetype=match.contains("wheel"))
        self.assertUploaded("demo", lambda version: version.startswith("1."), "bdist_wheel")
        self.assertNotUploaded("demo", match.regex(r"^2\."))
        self.assertNotUploaded(match.contains("plugin"))

    def test_reports_word_each_matcher(self) -> None:
        self.upload(build_wheel(version="1.2"), version="1.2")
        self.assertEqual(failure_message(self, self.assertUploaded, "demo", match.regex(r"^2\.")),
                         "\n".join([
                             "Expected an upload of demo match.regex('^2\\\\.'); 0 of 1 upload match.",
                             "Closest uploads:",
                             "  demo 1.2 bdist_wheel     version does not match /^2\\./ (got '1.2')",
                         ]))
        self.assertEqual(failure_message(self, self.assertNotUploaded, match.contains("dem")),
                         "\n".join([
                             "Expected no upload of match.contains('dem'); 1 of 1 upload matches.",
                             "Matching uploads:",
                             "  demo 1.2 bdist_wheel     (matches)",
                         ]))


if __name__ == "__main__":
    unittest.main()
