"""Hard-coded hosts recorded in spy mode and replayed offline: ``save_stubs`` with full URLs.

The "real" hosts are local upstreams (``https://localhost:PORT`` with the
bundled CA, ``http://127.0.0.1:PORT``); this machine reaches no other.
"""

from __future__ import annotations

import json
import os
import tempfile
import unittest
from typing import Any

from fakeserver.proxy import FakeProxy, FakeProxyHandle, FakeProxyTestCase
from tests.proxy.support import plain, tunnel
from tests.support.upstreams import api_app, serve

SECRET = "k-3f9a7c"


class RecordAndReplayTest(unittest.TestCase):
    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.path = os.path.join(folder.name, "hosts.json")

    def proxy(self, **options: Any) -> FakeProxy:
        proxy = FakeProxy(**options)
        self.addCleanup(proxy.stop)
        proxy.start()
        return proxy

    def traffic(self, proxy: FakeProxy, secure: int, insecure: int) -> list[tuple[int, str, bytes]]:
        """The same requests each time, to two upstream hosts and a faked one: what came back."""
        https = tunnel(proxy, "localhost", secure)
        http = plain(proxy)
        faked = tunnel(proxy, "faked.example")
        answers = []
        try:
            for connection, method, target, body, headers in (
                    (https, "GET", "/users/octocat?page=2", None,
                     {"Authorization": f"token {SECRET}", "Accept": "application/json"}),
                    (https, "POST", f"/upload?api_key={SECRET}", b'{"name": "a"}',
                     {"Content-Type": "application/json"}),
                    (http, "GET", f"http://127.0.0.1:{insecure}/counter", None, {}),
                    (http, "GET", f"http://127.0.0.1:{insecure}/counter", None, {}),
                    (faked, "GET", "/hello", None, {})):
                connection.request(method, target, body, headers)
                response = connection.getresponse()
                answers.append((response.status, response.headers["Content-Type"],
                                response.read()))
        finally:
            for connection in (https, http, faked):
                connection.close()
        return answers

    def test_hosts_recorded_in_spy_mode_are_replayed_offline(self) -> None:
        secure, insecure = serve(self, api_app, tls=True), serve(self, api_app)
        ports = secure.address[1], insecure.address[1]
        spy = self.proxy(passthrough=True)
        spy.stub("GET", "https://faked.example/hello").respond(text="faked")
        recorded = self.traffic(spy, *ports)
        counts = [json.loads(body)["count"] for _, _, body in recorded[2:4]]
        self.assertEqual(counts[1], counts[0] + 1)
        self.assertEqual(spy.save_stubs(self.path, redact_query=["api_key"],
                                        match_headers=["Accept"]), 4)
        secure.stop()
        insecure.stop()

        with open(self.path, encoding="utf-8") as file:
            text = file.read()
        self.assertNotIn(SECRET, text)
        entries = json.loads(text)
        self.assertEqual([(entry["request"]["method"], entry["request"]["path"])
                          for entry in entries],
                         [("GET", f"https://localhost:{ports[0]}/users/octocat"),
                          ("POST", f"https://localhost:{ports[0]}/upload"),
                          ("GET", f"http://127.0.0.1:{ports[1]}/counter"),
                          ("GET", "https://faked.example/hello")])
        first, second = entries[0]["request"], entries[1]["request"]
        self.assertEqual((first["headers"]["Authorization"], first["match_headers"]),
                         ("<redacted>", ["Accept"]))
        self.assertEqual(second["query"], {"api_key": "<redacted>"})
        self.assertEqual(len(entries[2]["responses"]), 2)

        replay = self.proxy()
        self.assertEqual(len(replay.load_stubs(self.path)), 4)
        self.assertEqual(self.traffic(replay, *ports), recorded)
        self.assertEqual(replay.unmatched, [])


class FacesTest(FakeProxyTestCase, unittest.TestCase):
    """``saveStubs`` on the test case and ``save_stubs`` on the pytest handle write alike."""

    def exchange(self, proxy: FakeProxy) -> None:
        proxy.stub("GET", "http://a.example/users").respond(json={"login": "ann"})
        connection = plain(proxy)
        self.addCleanup(connection.close)
        connection.request("GET", "http://a.example/users?page=1")
        self.assertEqual(connection.getresponse().read(), b'{"login": "ann"}')

    def test_both_faces_write_full_urls(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        mine, theirs = (os.path.join(folder.name, name) for name in ("case.json", "handle.json"))
        self.exchange(self.proxy)
        self.assertEqual(self.saveStubs(mine, redact_query=["page"]), 1)
        handle = FakeProxyHandle()
        self.addCleanup(handle.stop)
        handle.start()
        self.exchange(handle)
        self.assertEqual(handle.save_stubs(theirs, redact_query=["page"]), 1)
        with open(mine, encoding="utf-8") as one, open(theirs, encoding="utf-8") as two:
            text = one.read()
            self.assertEqual(text, two.read())
        [entry] = json.loads(text)
        self.assertEqual((entry["request"]["path"], entry["request"]["query"]),
                         ("http://a.example/users", {"page": "<redacted>"}))


class UnknownOptionTest(unittest.TestCase):
    def test_an_unknown_option_is_named(self) -> None:
        with FakeProxy() as proxy, tempfile.TemporaryDirectory() as folder:
            with self.assertRaisesRegex(TypeError, r"^unknown snapshot option 'redact'; "):
                path = os.path.join(folder, "x.json")
                proxy.save_stubs(path, redact=["x"])  # type: ignore[call-arg]


if __name__ == "__main__":
    unittest.main()
