"""The proxy's environment for clients, and its life: the CA's files, a prompt stop, no leaks.
"""

from __future__ import annotations

import os
import threading
import time
import unittest

from fakeserver._inspector.app import InspectorApp
from fakeserver.proxy import FakeProxy
from tests.proxy.support import (
    ProxyTestCase, fetch, plain, private_temp_dir, proxy_files, raw_connect, tunnel,
)
from tests.support import (
    assert_nothing_left, assert_stops_promptly, nothing_left_unclosed, status_of,
    wait_for_server_threads,
)


class EnvironmentTest(ProxyTestCase):
    def test_env_has_every_clients_variables(self) -> None:
        url, ca_file = self.proxy.url, self.proxy.ca_file
        self.assertEqual(self.proxy.env(base={}), {
            "http_proxy": url, "https_proxy": url, "HTTP_PROXY": url, "HTTPS_PROXY": url,
            "no_proxy": "localhost,127.0.0.1,::1", "NO_PROXY": "localhost,127.0.0.1,::1",
            "SSL_CERT_FILE": ca_file, "REQUESTS_CA_BUNDLE": ca_file, "CURL_CA_BUNDLE": ca_file,
            "PIP_CERT": ca_file, "GIT_SSL_CAINFO": ca_file, "NODE_EXTRA_CA_CERTS": ca_file})
        self.assertRegex(url, r"^http://127\.0\.0\.1:\d+$")

    def test_env_is_a_copy_of_os_environ_with_them(self) -> None:
        env = self.proxy.env()
        self.assertIsNot(env, os.environ)
        self.assertEqual(env["PATH"], os.environ["PATH"])
        self.assertEqual(env["https_proxy"], self.proxy.url)

    def test_a_routed_loopback_name_is_proxied(self) -> None:
        self.proxy.host("localhost")
        self.assertEqual(self.proxy.env(base={"no_proxy": "github.com"})["no_proxy"],
                         "127.0.0.1,::1")

    def test_patch_env_sets_and_restores(self) -> None:
        os.environ["https_proxy"] = "http://before.example:3128"
        self.addCleanup(os.environ.pop, "https_proxy", None)
        os.environ.pop("NODE_EXTRA_CA_CERTS", None)
        with self.proxy.patch_env():
            self.assertEqual(os.environ["https_proxy"], self.proxy.url)
            self.assertEqual(os.environ["NODE_EXTRA_CA_CERTS"], self.proxy.ca_file)
        self.assertEqual(os.environ["https_proxy"], "http://before.example:3128")
        self.assertNotIn("NODE_EXTRA_CA_CERTS", os.environ)


class LifecycleTest(unittest.TestCase):
    def test_stop_is_prompt_with_tunnels_open(self) -> None:
        proxy = FakeProxy()
        proxy.start()
        proxy.stub("GET", "https://api.github.com/user").respond(text="ok")
        idle = tunnel(proxy, "api.github.com")
        self.addCleanup(idle.close)
        self.assertEqual(fetch(idle, "/user"), (200, b"ok"))  # a tunnel kept alive
        waiting, answer = raw_connect(proxy, "api.github.com:443")  # no TLS started
        self.addCleanup(waiting.close)
        self.assertEqual(status_of(answer), 200)
        half, _ = raw_connect(proxy, "plain.example:80")
        self.addCleanup(half.close)
        half.sendall(b"GET / HTTP/1.1\r\nHost: plain.exa")  # a request head cut short
        wait_for_server_threads(4)  # the accept loop and three connections
        ca_file = proxy.ca_file
        assert_stops_promptly(self, proxy)
        self.assertFalse(os.path.exists(ca_file))
        for sock in (waiting, half):
            self.assertEqual(sock.recv(1), b"")

    def test_stop_cuts_a_delayed_stub_short(self) -> None:
        self.stop_cuts_a_delayed_stub_short(FakeProxy())

    def test_stop_cuts_a_delayed_stub_short_behind_the_inspector(self) -> None:
        proxy = FakeProxy()
        proxy.app = InspectorApp(proxy.recorder, lambda request: None)
        self.stop_cuts_a_delayed_stub_short(proxy)

    def stop_cuts_a_delayed_stub_short(self, proxy: FakeProxy) -> None:
        proxy.start()
        slow = proxy.stub("GET", "http://slow.example/").respond(text="late", delay=30)
        outcome: list = []

        def client() -> None:
            connection = plain(proxy)
            try:
                outcome.append(fetch(connection, "http://slow.example/"))
            except OSError as error:
                outcome.append(error)
            finally:
                connection.close()

        thread = threading.Thread(target=client)
        thread.start()
        deadline = time.monotonic() + 5
        while slow.calls == 0 and time.monotonic() < deadline:  # until it waits out its delay
            time.sleep(0.001)
        assert_stops_promptly(self, proxy)
        thread.join(5)
        self.assertEqual(outcome, [(200, b"late")])  # answered at once, not cut off

    def test_nothing_leaks_after_20_cycles(self) -> None:
        context_files: list[str] = []

        def cycle() -> None:
            with FakeProxy() as proxy:
                proxy.stub("GET", "https://api.example/x").respond(text="x")
                connection = tunnel(proxy, "api.example")
                self.assertEqual(fetch(connection, "/x"), (200, b"x"))
                connection.close()
                context_files.append(proxy.ca_file)

        temporary = private_temp_dir(self)
        with nothing_left_unclosed(self):
            assert_nothing_left(self, cycle, 20)
        self.assertEqual(len(context_files), 21)
        self.assertEqual({os.path.dirname(path) for path in context_files}, {temporary})
        self.assertFalse(any(os.path.exists(path) for path in context_files))
        self.assertEqual(proxy_files(temporary), set())

    def test_the_ca_is_made_at_first_use_and_gone_after_stop(self) -> None:
        with FakeProxy() as proxy:
            self.assertIsNone(proxy._authority._ca)
            ca_file = proxy.ca_file
            self.assertTrue(os.path.exists(ca_file))
        self.assertFalse(os.path.exists(ca_file))
        with self.assertRaisesRegex(RuntimeError, "start a new FakeProxy"):
            proxy.ca_file
        self.assertRegex(repr(proxy), r"^<FakeProxy http://127\.0\.0\.1:\d+ stopped routes=\[\]>$")


if __name__ == "__main__":
    unittest.main()
