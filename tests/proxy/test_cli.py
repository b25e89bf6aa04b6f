"""``python -m fakeserver --forward-proxy``: the export lines, the printout, a clean stop."""

from __future__ import annotations

import http.client
import os
import re
import shlex
import signal
import ssl
import unittest
import urllib.request

from tests.cli import test_cli as cli_tests
from tests.cli.test_cli import CLI, TIMEOUT
from tests.support import json_file


def exports(lines: list[str]) -> dict[str, str]:
    """The variables of ``export NAME=value`` lines, as a shell would read them."""
    variables = {}
    for line in lines:
        name, _, value = line[len("export "):].partition("=")
        [variables[name]] = shlex.split(value)
    return variables


def through(env: dict[str, str], url: str) -> tuple[int, bytes]:
    """GET *url* through the proxy and with the CA that *env* names."""
    scheme, _, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    proxy = re.fullmatch(r"http://([\d.]+):(\d+)", env["https_proxy"])
    assert proxy, env["https_proxy"]
    if scheme == "https":
        context = ssl.create_default_context(cafile=env["SSL_CERT_FILE"])
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            proxy[1], int(proxy[2]), timeout=TIMEOUT, context=context)
        connection.set_tunnel(host)
        target = slash + path
    else:
        connection = http.client.HTTPConnection(proxy[1], int(proxy[2]), timeout=TIMEOUT)
        target = url
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class ForwardProxyCLITest(unittest.TestCase):
    def write_stubs(self) -> str:
        return json_file(self, [{"request": {"method": "GET", "path": "https://api.github.com/user"},
                                 "response": {"json": {"login": "ann"}}},
                                {"request": {"path": "http://example.com/x"},
                                 "response": {"text": "plain"}}])

    def test_stubs_exports_and_printout(self) -> None:
        cli = CLI(self, "--forward-proxy", "--port", "0", "--stubs", self.write_stubs())
        scheme, host, port = cli.serving()
        self.assertEqual((scheme, host), ("http", "127.0.0.1"))
        notes = cli.lines_until("to send a shell's clients through the proxy, run:")
        self.assertEqual(notes[0], "fakeserver: faking api.github.com (1 stub), "
                                   "example.com (1 stub); any other host is answered 502")
        self.assertEqual(notes[1], f"fakeserver: live page at http://127.0.0.1:{port}"
                                   "/__fakeserver__/")
        self.assertEqual(notes[2], f"fakeserver: journal at http://127.0.0.1:{port}"
                                   "/__fakeserver__/requests (JSON; DELETE clears it)")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/__fakeserver__/",
                                    timeout=10) as page:
            self.assertEqual(page.headers.get_content_type(), "text/html")
        ca_file = re.fullmatch(r"fakeserver: clients must trust (\S+) \(removed when the proxy "
                               r"stops\)", notes[3])
        assert ca_file, notes
        env = exports([cli.line() for _ in range(12)])
        url = f"http://127.0.0.1:{port}"
        self.assertEqual(env, {
            "http_proxy": url, "https_proxy": url, "HTTP_PROXY": url, "HTTPS_PROXY": url,
            "no_proxy": "localhost,127.0.0.1,::1", "NO_PROXY": "localhost,127.0.0.1,::1",
            **dict.fromkeys(["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "PIP_CERT",
                             "GIT_SSL_CAINFO", "NODE_EXTRA_CA_CERTS"], ca_file[1])})

        self.assertEqual(through(env, "https://api.github.com/user"), (200, b'{"login": "ann"}'))
        block = cli.lines_until("Accept-Encoding")
        self.assertRegex(block[0], r"^\[\d\d:\d\d:\d\d\] GET https://api.github.com/user "
                                   r"-> 200 OK$")
        self.assertEqual(through(env, "http://example.com/x"), (200, b"plain"))
        self.assertRegex(cli.lines_until("Accept-Encoding")[0],
                         r"\] GET http://example.com/x -> 200 OK$")
        status, body = through(env, "https://other.example/")
        self.assertEqual(status, 502)
        self.assertRegex(cli.lines_until("| Fake it")[0],
                         r"\] GET https://other.example/ -> 502 Bad Gateway$")

        self.assertEqual(cli.stop(signal.SIGTERM), 0)
        self.assertEqual(cli.rest()[-1], "fakeserver: stopped after 3 exchanges")
        self.assertFalse(os.path.exists(env["SSL_CERT_FILE"]))
        self.assertEqual(cli.stderr, "")

    def test_without_stubs_every_host_gets_the_inspectors_answer(self) -> None:
        cli = CLI(self, "--forward-proxy", "--port", "0")
        cli.serving()
        self.assertEqual(cli.line(), "fakeserver: answering every host 200 OK "
                                     "(--stubs FILE fakes chosen hosts instead)")
        env = exports([line for line in cli.lines_until("NODE_EXTRA_CA_CERTS")
                       if line.startswith("export ")])
        self.assertEqual(through(env, "https://anything.example/a"), (200, b"OK\n"))
        self.assertEqual(cli.stop(signal.SIGINT), 0)

    assertUsageError = cli_tests.ErrorsTest.assertUsageError

    def test_usage_errors(self) -> None:
        self.assertUsageError("--forward-proxy", "--smtp",
                              says="--forward-proxy takes no --app, --pypi, --smtp or --tls")
        self.assertUsageError("--forward-proxy", "--port", "0", "--stubs", "/no/such.json",
                              says="No such file")


if __name__ == "__main__":
    unittest.main()
