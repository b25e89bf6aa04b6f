"""The ``fake_proxy`` fixture, run as users run it (pytest in a subprocess), and its handle."""

from __future__ import annotations

import textwrap
import unittest

from fakeserver.proxy import FakeProxyHandle
from tests.proxy.support import fetch, plain
from tests.support import echo_app, import_extra
from tests.testing import test_pytest_plugin as plugin_tests

SOURCE = '''
import os, subprocess, sys, urllib.error, urllib.request

PROXIES = []

def get(url):
    try:
        with urllib.request.build_opener().open(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()

def test_stubs_env_and_assertions(fake_proxy):
    fake_proxy.stub("GET", "https://api.github.com/user").respond(json={"login": "ann"})
    assert os.environ["https_proxy"] == fake_proxy.url
    assert get("https://api.github.com/user") == (200, b'{"login": "ann"}')
    code = "import urllib.request; print(urllib.request.urlopen('https://api.github.com/user').read())"
    out = subprocess.run([sys.executable, "-c", code], env=fake_proxy.env(), capture_output=True,
                         text=True, check=True).stdout
    assert out == "b'{\\"login\\": \\"ann\\"}'\\n"
    request = fake_proxy.assert_requested("https://api.github.com/user", method="GET", count=2)
    assert request.url == "https://api.github.com/user"
    fake_proxy.assert_not_requested("https://pypi.org/user")
    fake_proxy.assert_request_count(2)
    fake_proxy.assert_requests_in_order("https://api.github.com/user")
    fake_proxy.assert_all_stubs_used()
    PROXIES.append(fake_proxy)

def test_fresh_per_test(fake_proxy):
    assert fake_proxy.requests == [] and fake_proxy.routes.names == []
    assert fake_proxy is PROXIES[0]

def test_environment_restored():
    assert os.environ.get("https_proxy") != PROXIES[0].url

def empty(environ, start_response):
    start_response("200 OK", [])
    return []

def test_assertion_fails(fake_proxy):
    fake_proxy.route("pypi.org", empty)
    get("https://pypi.org/simple/")
    fake_proxy.assert_requested("https://pypi.org/simple/demo/")

def test_unrouted_host_fails(fake_proxy):
    assert get("https://evil.example/")[0] == 502

def test_unmatched_allowed(fake_proxy):
    fake_proxy.allow_unmatched_requests = True
    assert get("https://evil.example/")[0] == 502
'''


class FakeProxyFixtureTest(unittest.TestCase):
    run_pytest = plugin_tests.PytestPluginTest.run_pytest

    def test_fixture(self) -> None:
        import_extra("pytest")
        output, counts = self.run_pytest(SOURCE)
        self.assertEqual(counts, {"passed": 4, "failed": 2}, output)
        self.assertIn(textwrap.dedent("""\
            E       AssertionError: Expected a request matching https://pypi.org/simple/demo/; 0 of 1 recorded request match.
            E       Closest recorded requests:
            E         GET https://pypi.org/simple/  path 'https://pypi.org/simple/' != 'https://pypi.org/simple/demo/'
            """), output)
        self.assertIn("fakeserver: 1 request matched no stub (set allow_unmatched_requests = True "
                      "on the fake proxy to allow it):\n"
                      "GET https://evil.example/: no route for host 'evil.example' "
                      "(routed hosts: none).\n", output)
        self.assertIn("FAILED test_example.py::test_unrouted_host_fails - fakeserver:", output)


class HandleTest(unittest.TestCase):
    """The handle alone, without pytest."""

    def test_reports_name_its_settings_and_reset_restores_them(self) -> None:
        with FakeProxyHandle() as proxy:
            proxy.route("a.example", echo_app)
            proxy.max_requests_shown = 0
            connection = plain(proxy)
            self.addCleanup(connection.close)
            self.assertEqual(fetch(connection, "http://a.example/1")[0], 200)
            with self.assertRaises(AssertionError) as caught:
                proxy.assert_request_count(0)
            self.assertEqual(str(caught.exception), (
                "Expected 0 requests; 1 request recorded.\n"
                "  ... 1 not listed; set max_requests_shown = None on the fake proxy to see all"))
            proxy.reset()
            self.assertEqual((proxy.max_requests_shown, proxy.requests, proxy.routes.names),
                             (10, [], []))


if __name__ == "__main__":
    unittest.main()
