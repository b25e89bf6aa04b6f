"""PackageIndex against the real clients: twine uploads, pip downloads and installs.

Each client runs in a subprocess, as a release script or CI job runs it.
The twine tests skip without twine, the pip tests without pip (both are
errors where CI sets FAKESERVER_REQUIRE_EXTRAS=1).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from typing import Sequence

from fakeserver.pypi import PackageIndexTestCase
from tests.support import import_extra
from tests.support.distributions import build_sdist, build_wheel


def _clean(env: dict[str, str]) -> dict[str, str]:
    """The client's environment, without warnings turned into errors in its own code."""
    return {key: value for key, value in env.items() if key != "PYTHONWARNINGS"}


class ClientTestCase(PackageIndexTestCase, unittest.TestCase):
    """An index, real distributions on disk and a way to run a client."""

    index_users = {"__token__": "pypi-secret", "ann": "pw"}
    client = ""

    @classmethod
    def setUpClass(cls) -> None:
        import_extra(cls.client)  # before any server starts: a skip costs nothing
        super().setUpClass()
        cls.dist_dir = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, cls.dist_dir)
        cls.dists = {}
        for filename, data in (build_wheel(), build_sdist()):
            path = os.path.join(cls.dist_dir, filename)
            with open(path, "wb") as file:
                file.write(data)
            cls.dists[filename] = path

    def run_client(self, args: Sequence[str], env: dict[str, str],
                   client: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", client or self.client, *args], env=_clean(env),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=120)

    def assertSucceeded(self, process: subprocess.CompletedProcess) -> None:
        self.assertEqual(process.returncode, 0, process.stdout + process.stderr)

    def pip(self, *args: str) -> subprocess.CompletedProcess:
        """Run pip on project demo, with this index as its only source."""
        process = self.run_client([*args, "--no-deps", "--no-input", "demo"], self.pip_env(), "pip")
        self.assertSucceeded(process)
        return process

    def temporary_directory(self) -> str:
        path = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, path)
        return path


class TwineTest(ClientTestCase):
    client = "twine"

    def twine_upload(self, *args: str, **settings: str) -> subprocess.CompletedProcess:
        return self.run_client(["upload", "--disable-progress-bar", *args],
                               {**self.twine_env(), **settings})

    def test_upload_then_install_with_pip(self) -> None:
        self.assertSucceeded(self.twine_upload(*self.dists.values()))
        wheel = self.assertUploaded("demo", "1.0", "bdist_wheel")
        sdist = self.assertUploaded("demo", "1.0", "sdist")
        self.assertEqual((wheel.uploader, wheel.requires_python, wheel.summary, sdist.pyversion),
                         ("__token__", ">=3.8", "The demo test package", "source"))
        self.assertEqual(wheel.metadata["metadata_version"], ["2.1"])
        target = self.temporary_directory()
        self.pip("install", "--only-binary", ":all:", "--target", target)
        with open(os.path.join(target, "demo.py")) as module:
            self.assertEqual(module.read(), "VERSION = '1.0'\n")

    def test_a_second_upload_fails_with_twines_duplicate_message(self) -> None:
        wheel = self.dists["demo-1.0-py3-none-any.whl"]
        self.assertSucceeded(self.twine_upload(wheel))
        process = self.twine_upload(wheel)
        self.assertEqual(process.returncode, 1)
        output = " ".join((process.stdout + process.stderr).split())
        self.assertIn("HTTPError: 400 Bad Request", output)
        self.assertIn("File already exists ('demo-1.0-py3-none-any.whl', with sha256 hash", output)

    def test_skip_existing(self) -> None:
        twine = import_extra("twine")
        version = tuple(int(part) for part in twine.__version__.split(".")[:2])
        if version >= (6, 2):
            self.skipTest(f"twine {twine.__version__} refuses --skip-existing for any index "
                          "but pypi.org; twine 6.1 (tests/requirements-interop.txt) runs this")
        self.assertSucceeded(self.twine_upload(self.dists["demo-1.0.tar.gz"]))
        process = self.twine_upload("--skip-existing", *self.dists.values())
        self.assertSucceeded(process)
        self.assertIn("Skipping demo-1.0.tar.gz because it appears to already exist",
                      " ".join((process.stdout + process.stderr).split()))
        self.assertEqual(len(self.uploads), 2)

    def test_a_bad_token_is_refused_with_403(self) -> None:
        process = self.twine_upload(*self.dists.values(), TWINE_PASSWORD="pypi-wrong")
        self.assertEqual(process.returncode, 1)
        output = " ".join((process.stdout + process.stderr).split())
        self.assertIn("HTTPError: 403 Forbidden", output)
        self.assertIn("Invalid or non-existent authentication information.", output)
        self.assertNotUploaded("demo")

    def test_pypirc_repository(self) -> None:
        config = os.path.join(self.temporary_directory(), ".pypirc")
        with open(config, "w") as file:
            file.write(self.pypirc("local"))
        env = {key: value for key, value in self.twine_env().items()
               if not key.startswith("TWINE_")}
        self.assertSucceeded(self.run_client(
            ["upload", "--non-interactive", "--disable-progress-bar", "--config-file", config,
             "-r", "local", self.dists["demo-1.0.tar.gz"]], env))
        self.assertUploaded("demo", "1.0", "sdist")


class PipTest(ClientTestCase):
    client = "pip"

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        for path in cls.dists.values():
            with open(path, "rb") as file:
                cls.index.add(os.path.basename(path), file.read(), requires_python=">=3.8")
        # A newer release that no Python 3 may install: pip must honour Requires-Python.
        cls.index.add(*build_wheel(version="2.0", requires_python="<3"), requires_python="<3")

    def test_install_picks_the_wheel_python_allows(self) -> None:
        target = self.temporary_directory()
        self.pip("install", "--only-binary", ":all:", "--target", target)
        self.assertIn("demo-1.0.dist-info", os.listdir(target))
        self.assertFetched("/simple/demo/", "GET", status=200, accept_json=True)
        self.assertFetched("/packages/demo-1.0-py3-none-any.whl", "GET", status=200)

    def test_download_the_sdist_byte_for_byte(self) -> None:
        target = self.temporary_directory()
        self.pip("download", "--no-binary", ":all:", "--dest", target)
        with open(os.path.join(target, "demo-1.0.tar.gz"), "rb") as file:
            self.assertEqual(file.read(), next(record.data for record in self.index.files
                                               if record.filename == "demo-1.0.tar.gz"))

    def assertFetched(self, path: str, method: str, *, status: int,
                        accept_json: bool = False) -> None:
        matching = [request for request in self.index_recorder.requests
                    if (request.method, request.path) == (method, path)]
        self.assertTrue(matching, [r.target for r in self.index_recorder.requests])
        self.assertEqual(matching[-1].response.status, status)
        if accept_json:
            self.assertIn("application/vnd.pypi.simple.v1+json", matching[-1].headers["Accept"])
            self.assertEqual(matching[-1].response.headers["Content-Type"],
                             "application/vnd.pypi.simple.v1+json")


if __name__ == "__main__":
    unittest.main()
