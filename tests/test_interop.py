"""The server against popular third-party HTTP clients (skipped when absent)."""

from __future__ import annotations

import unittest
from typing import Any, Callable, ContextManager

from fakeserver import AppRunner
from tests.support import echo_app, import_extra, streaming_app


def check_client(test: unittest.TestCase, open_client: Callable[[], ContextManager[Any]],
                 post: Callable[[Any, str, Any], bytes],
                 download: Callable[[Any, str], bytes]) -> None:
    """Keep-alive posts, a chunked upload and a streamed download with one client library.

    *open_client* makes a client (a session keeping connections alive);
    *post* sends a body (bytes, or an iterator the client sends chunked) and
    returns the response body; *download* returns a body read as a stream.
    """
    with AppRunner(echo_app) as runner, open_client() as client:
        for i in range(5):
            test.assertEqual(post(client, runner.url + "/r", b"p" * i), b"p" * i)
        # A generator body is sent chunked.
        test.assertEqual(post(client, runner.url + "/gen", iter([b"a", b"b"])), b"ab")
    with AppRunner(streaming_app) as runner, open_client() as client:
        test.assertEqual(download(client, runner.url), b"one,two,three")


class RequestsTest(unittest.TestCase):
    def test_session_keep_alive_chunked_and_streaming(self) -> None:
        requests = import_extra("requests")

        def post(session: Any, url: str, body: Any) -> bytes:
            return session.post(url, data=body).content

        def download(session: Any, url: str) -> bytes:
            with session.get(url, stream=True) as response:
                return b"".join(response.iter_content(None))

        check_client(self, requests.Session, post, download)


class HttpxTest(unittest.TestCase):
    def test_client_keep_alive_and_streaming(self) -> None:
        httpx = import_extra("httpx")

        def post(client: Any, url: str, body: Any) -> bytes:
            return client.post(url, content=body).content

        def download(client: Any, url: str) -> bytes:
            with client.stream("GET", url) as response:
                return response.read()

        check_client(self, httpx.Client, post, download)


if __name__ == "__main__":
    unittest.main()
