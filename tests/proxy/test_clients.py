"""Real clients through the proxy, each in a subprocess given nothing but ``proxy.env()``.

urllib, requests, httpx, curl and pip reach api.github.com and pypi.org as
they would in production: the hosts are hard-coded in the client, the
proxy and the CA come from the environment. requests, httpx and pip are
skipped when this interpreter lacks them (an error where CI sets
FAKESERVER_REQUIRE_EXTRAS=1), curl when it is not installed. Under Python
3.13 the Python clients verify with ``VERIFY_X509_STRICT``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
from typing import Sequence

from fakeserver import StubApp
from fakeserver.proxy import FakeProxyTestCase
from fakeserver.pypi import PackageIndex
from tests.pypi.test_index import build_wheel
from tests.support import import_extra


def _clean(env: dict[str, str]) -> dict[str, str]:
    """The client's environment, without warnings turned into errors in its own code."""
    return {key: value for key, value in env.items() if key != "PYTHONWARNINGS"}


class ClientsTest(FakeProxyTestCase, unittest.TestCase):
    index = PackageIndex()
    fake_hosts = {"api.github.com": StubApp(), "pypi.org": index,
                  "files.pythonhosted.org": index}

    def run_client(self, args: Sequence[str], env: dict[str, str] | None = None) -> str:
        """Run *args* with the proxy's environment; its stdout, failing the test if it fails."""
        process = subprocess.run(args, env=_clean(env or self.proxy.env()),
                                 stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                 timeout=120)
        self.assertEqual(process.returncode, 0, process.stdout + process.stderr)
        return process.stdout

    def python(self, code: str) -> str:
        return self.run_client([sys.executable, "-c", textwrap.dedent(code)])

    def stub_github(self) -> None:
        self.stub("GET", "https://api.github.com/user").respond(json={"login": "ann"})
        self.stub("POST", "http://api.github.com/hook", body=b"ping").respond(201, text="made")

    def assertGithubCalled(self, user_agent: str) -> None:
        self.assertRequestsInOrder(("GET", "https://api.github.com/user"),
                                   ("POST", "http://api.github.com/hook"))
        request = self.assertRequested("https://api.github.com/user", count=1)
        self.assertIn(user_agent, request.headers["User-Agent"])

    def test_urllib(self) -> None:
        self.stub_github()
        output = self.python("""
            import urllib.request
            print(urllib.request.urlopen("https://api.github.com/user").read().decode())
            request = urllib.request.Request("http://api.github.com/hook", data=b"ping")
            with urllib.request.urlopen(request) as response:
                print(response.status, response.read().decode())
            """)
        self.assertEqual(output, '{"login": "ann"}\n201 made\n')
        self.assertGithubCalled("Python-urllib")

    def test_requests(self) -> None:
        import_extra("requests")
        self.stub_github()
        output = self.python("""
            import requests
            with requests.Session() as session:
                print(session.get("https://api.github.com/user").json()["login"])
                print(session.get("https://api.github.com/user").json()["login"])
                response = session.post("http://api.github.com/hook", data=b"ping")
                print(response.status_code, response.text)
            """)
        self.assertEqual(output, "ann\nann\n201 made\n")
        self.assertRequestCount(3)
        [first, second, _] = self.requests
        self.assertEqual(first.client_address, second.client_address)  # one tunnel, kept alive
        self.assertIn("python-requests", first.headers["User-Agent"])

    def test_httpx(self) -> None:
        import_extra("httpx")
        self.stub_github()
        output = self.python("""
            import httpx
            with httpx.Client() as client:
                print(client.get("https://api.github.com/user").json()["login"])
                response = client.post("http://api.github.com/hook", content=b"ping")
                print(response.status_code, response.text)
            """)
        self.assertEqual(output, "ann\n201 made\n")
        self.assertGithubCalled("python-httpx")

    def test_curl(self) -> None:
        curl = shutil.which("curl")
        if curl is None:
            self.skipTest("curl is not installed")
        self.stub_github()
        output = self.run_client([curl, "--silent", "--show-error", "--fail",
                                  "https://api.github.com/user",
                                  "--next", "--silent", "--show-error", "--fail",
                                  "--data-binary", "ping", "http://api.github.com/hook"])
        self.assertEqual(output, '{"login": "ann"}made')
        self.assertGithubCalled("curl/")

    def test_pip_download_from_pypi_org(self) -> None:
        import_extra("pip")
        self.index.add(*build_wheel(), requires_python=">=3.8")
        self.addCleanup(self.index.remove, "demo-1.0-py3-none-any.whl")
        destination = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, destination)
        # pip's own defaults: pypi.org, no configuration but the proxy's certificate.
        env = {key: value for key, value in self.proxy.env().items()
               if not key.startswith("PIP_") or key == "PIP_CERT"}
        env.update({"PIP_CONFIG_FILE": os.devnull, "PIP_NO_CACHE_DIR": "1",
                    "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
        self.run_client([sys.executable, "-m", "pip", "download", "--no-deps", "--no-input",
                         "--dest", destination, "demo"], env)
        self.assertEqual(os.listdir(destination), ["demo-1.0-py3-none-any.whl"])
        self.assertRequested("https://pypi.org/simple/demo/", "GET", status=200)
        self.assertRequested("https://pypi.org/packages/demo-1.0-py3-none-any.whl", "GET",
                             status=200)


if __name__ == "__main__":
    unittest.main()
