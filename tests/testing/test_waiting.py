"""Waiting for requests, mail and uploads that come later: returned on arrival, reported at the timeout."""

from __future__ import annotations

import threading
import time
import unittest
import urllib.request
from typing import Callable

from fakeserver import ServerTestCase
from fakeserver.pypi import PackageIndexTestCase
from fakeserver.smtp import SMTPServerTestCase
from tests.smtp.test_testcase import send
from tests.support import failure_message
from tests.support.distributions import build_sdist, build_wheel, distutils_upload

#: What a client does before it calls back: long enough for the wait to block first.
LATER = 0.05
#: A timeout the waits must never reach when the call comes: its wake-up is not a poll.
GENEROUS = 30.0


def later(test: unittest.TestCase, action: Callable[[], object]) -> None:
    """Run *action* from another thread after :data:`LATER` seconds, as a client calling back."""
    thread = threading.Thread(target=lambda: (time.sleep(LATER), action()))
    thread.start()
    test.addCleanup(thread.join, GENEROUS)


def post(url: str, data: bytes) -> None:
    urllib.request.urlopen(url, data=data, timeout=GENEROUS).close()


class WaitForRequestTest(ServerTestCase, unittest.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.stub("POST", "/hook")

    def test_returns_the_first_match_as_soon_as_it_is_recorded(self) -> None:
        later(self, lambda: [post(self.url("/hook"), body) for body in (b"1", b"2")])
        started = time.monotonic()
        request = self.waitForRequest("/hook", "POST", timeout=GENEROUS)
        waited = time.monotonic() - started
        self.assertEqual(request.body, b"1")
        self.assertEqual(request.response.status, 200)
        self.assertLess(waited, 1.0)  # woken by the request, not by a poll or the timeout
        self.assertEqual(self.waitForRequest("/hook", body=b"2", timeout=GENEROUS).body, b"2")

    def test_a_request_already_recorded_returns_at_once(self) -> None:
        post(self.url("/hook"), b"early")
        self.assertEqual(self.waitForRequest(timeout=0).body, b"early")

    def test_fails_with_the_near_miss_report_at_the_timeout(self) -> None:
        self.stub("GET", "/hook")
        urllib.request.urlopen(self.url("/hook"), timeout=GENEROUS).close()
        started = time.monotonic()
        text = failure_message(self, self.waitForRequest, "/hook", "POST", timeout=0.2)
        self.assertGreaterEqual(time.monotonic() - started, 0.2)
        self.assertEqual(text, "Expected a request matching POST /hook within 0.2s; 0 of 1 "
                               "recorded request match.\n"
                               "Closest recorded requests:\n"
                               "  GET /hook           method 'GET' != 'POST'")

    def test_assert_requested_waits_when_given_a_timeout(self) -> None:
        later(self, lambda: [post(self.url("/hook"), body) for body in (b"1", b"2")])
        request = self.assertRequested("/hook", count=2, timeout=GENEROUS)
        self.assertEqual(request.body, b"2")
        self.assertEqual(failure_message(self, self.assertRequested, "/hook", count=3,
                                         timeout=0.01).splitlines()[0],
                         "Expected 3 requests matching /hook within 0.01s; 2 of 2 recorded "
                         "requests match.")

    def test_the_arguments_are_checked_like_the_assertions(self) -> None:
        with self.assertRaises(ValueError) as caught:
            self.waitForRequest("POST", "/hook")
        self.assertEqual(str(caught.exception), 'waitForRequest("POST", "/hook") takes the path '
                                                'first: write waitForRequest("/hook", method="POST")')


class WaitForMailTest(SMTPServerTestCase, unittest.TestCase):
    def test_returns_the_first_match_as_soon_as_it_is_sent(self) -> None:
        later(self, lambda: [send(self.smtp_host, self.smtp_port, "app@example.com", to, "Hi")
                             for to in ("bob@example.com", "ann@example.com")])
        started = time.monotonic()
        message = self.waitForMail(to="ann@example.com", timeout=GENEROUS)
        self.assertLess(time.monotonic() - started, 1.0)
        self.assertEqual(message["To"], "ann@example.com")
        self.assertEqual(len(self.outbox), 2)

    def test_fails_listing_what_was_sent_at_the_timeout(self) -> None:
        send(self.smtp_host, self.smtp_port, "app@example.com", "bob@example.com", "Hi")
        self.assertEqual(failure_message(self, self.waitForMail, "ann@example.com", timeout=0.1),
                         "Expected a message to 'ann@example.com' within 0.1s; 0 of 1 sent "
                         "message match.\n"
                         "Closest sent messages:\n"
                         "  app@example.com -> bob@example.com 'Hi'            to "
                         "'bob@example.com' != 'ann@example.com'")


class WaitForUploadTest(PackageIndexTestCase, unittest.TestCase):
    def test_returns_the_first_match_as_soon_as_it_is_stored(self) -> None:
        later(self, lambda: [distutils_upload(self.upload_url, *build_sdist()),
                             distutils_upload(self.upload_url, *build_wheel())])
        started = time.monotonic()
        upload = self.waitForUpload("demo", "1.0", filetype="bdist_wheel", timeout=GENEROUS)
        self.assertLess(time.monotonic() - started, 1.0)
        self.assertEqual(upload.filename, "demo-1.0-py3-none-any.whl")
        self.assertEqual(self.waitForUpload("Demo", timeout=GENEROUS).filetype, "sdist")

    def test_fails_listing_the_uploads_at_the_timeout(self) -> None:
        self.assertEqual(failure_message(self, self.waitForUpload, "demo", "2.0", timeout=0.1),
                         "Expected an upload of demo 2.0 within 0.1s; nothing was uploaded.")


if __name__ == "__main__":
    unittest.main()
