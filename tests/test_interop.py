"""The server against popular third-party HTTP clients (skipped when absent)."""

from __future__ import annotations

import unittest

from fakeserver import AppRunner
from tests.support import echo_app, import_extra, streaming_app


class RequestsTest(unittest.TestCase):
    def test_session_keep_alive_chunked_and_streaming(self) -> None:
        requests = import_extra("requests")
        with AppRunner(echo_app) as runner, requests.Session() as session:
            for i in range(5):
                response = session.post(runner.url + "/r", data=b"p" * i)
                self.assertEqual(response.content, b"p" * i)
            # A generator body is sent chunked by requests.
            response = session.post(runner.url + "/gen", data=iter([b"a", b"b"]))
            self.assertEqual(response.content, b"ab")
        with AppRunner(streaming_app) as runner, requests.Session() as session:
            with session.get(runner.url, stream=True) as response:
                self.assertEqual(b"".join(response.iter_content(None)), b"one,two,three")


class HttpxTest(unittest.TestCase):
    def test_client_keep_alive_and_streaming(self) -> None:
        httpx = import_extra("httpx")
        with AppRunner(echo_app) as runner, httpx.Client() as client:
            for i in range(5):
                response = client.post(runner.url + "/x", content=b"q" * i)
                self.assertEqual(response.content, b"q" * i)
            response = client.post(runner.url + "/gen", content=iter([b"c", b"d"]))
            self.assertEqual(response.content, b"cd")
        with AppRunner(streaming_app) as runner, httpx.Client() as client:
            with client.stream("GET", runner.url) as response:
                self.assertEqual(response.read(), b"one,two,three")


if __name__ == "__main__":
    unittest.main()
