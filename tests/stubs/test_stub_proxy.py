"""stub(...).proxy(upstream): a few routes stubbed, the rest answered by a real service."""

from __future__ import annotations

import http.client
import json
import unittest

from fakeserver import ProxyApp, ServerTestCase
from tests.support.upstreams import TIMEOUT, describe_app, fetch, serve


class StubProxyTest(ServerTestCase, unittest.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.upstream = serve(self, describe_app)

    def test_stubs_override_a_few_routes_and_pass_the_rest_through(self) -> None:
        self.stub(priority=-1).proxy(self.upstream.url)
        self.stub("GET", "/users/me").respond(json={"login": "stubbed"})
        self.assertEqual(json.loads(fetch(self.url("/users/me"))[2]), {"login": "stubbed"})
        seen = json.loads(fetch(self.url("/repos?page=2"), b"sent on")[2])
        self.assertEqual((seen["method"], seen["target"], seen["body"]),
                         ("POST", "/repos?page=2", "sent on"))
        first, second = self.requests
        self.assertEqual((first.response.status, second.response.status), (200, 200))
        self.assertIs(second.stub, self.stubs.stubs[0])  # type: ignore[union-attr]

    def test_a_chunked_body_is_forwarded_with_its_length(self) -> None:
        self.stub("POST", "/upload").proxy(self.upstream.url)
        connection = http.client.HTTPConnection(*self.server.address, timeout=TIMEOUT)
        self.addCleanup(connection.close)
        connection.request("POST", "/upload", body=iter([b"one,", b"two"]), encode_chunked=True,
                           headers={"Expect": "100-continue"})
        seen = json.loads(connection.getresponse().read())
        self.assertEqual(seen["body"], "one,two")
        names = {name.lower(): value for name, value in seen["headers"]}
        self.assertEqual(names["content-length"], "7")
        self.assertNotIn("transfer-encoding", names)
        self.assertNotIn("expect", names)

    def test_a_shared_proxy_and_a_script_of_answers(self) -> None:
        with ProxyApp(self.upstream.url) as proxy:
            self.stub("GET", "/flaky").respond(503).proxy(proxy).fault("close")
            self.assertEqual(fetch(self.url("/flaky"))[0], 503)
            self.assertEqual(json.loads(fetch(self.url("/flaky"))[2])["target"], "/flaky")
            with self.assertRaises(http.client.RemoteDisconnected):  # a fault of its own
                fetch(self.url("/flaky"))


if __name__ == "__main__":
    unittest.main()
