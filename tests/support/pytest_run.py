"""Running pytest as users run it: in a subprocess, on test files written for the occasion.

Shared by the pytest plugin's tests and the documentation's pytest examples.
The fixtures come from the checkout (``-p fakeserver.pytest_plugin``, with
plugin autoloading off), and warnings are errors, as in the rest of the suite.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import tempfile
import unittest
from typing import Mapping

ROOT = str(pathlib.Path(__file__).resolve().parents[2])


def run_pytest(test: unittest.TestCase, files: Mapping[str, str], *args: str,
               folder: str | None = None, ini: str = "[pytest]\n",
               environ: Mapping[str, str] | None = None) -> tuple[str, dict[str, int]]:
    """Run pytest on *files* (name to source) in *folder*, or a fresh directory removed
    after *test*, with *ini* as its ``pytest.ini`` and *environ* added to the environment.

    Returns pytest's output and the counts of its summary line, e.g.
    ``{"passed": 3, "failed": 1}``.
    """
    if folder is None:
        directory = tempfile.TemporaryDirectory()
        test.addCleanup(directory.cleanup)
        folder = directory.name
    pathlib.Path(folder, "pytest.ini").write_text(ini)
    for name, source in files.items():
        pathlib.Path(folder, name).write_text(source, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": ROOT, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
           "PYTHONDONTWRITEBYTECODE": "1", **(environ or {})}
    env.pop("PYTEST_ADDOPTS", None)
    result = subprocess.run(
        [sys.executable, "-W", "error", "-m", "pytest", "-p", "no:cacheprovider",
         "-p", "fakeserver.pytest_plugin", "-rfE", *args, *files],
        cwd=folder, env=env, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=120)
    output = result.stdout + result.stderr
    summary = output.strip().splitlines()[-1]
    counts = {word: int(number) for number, word in re.findall(r"(\d+) (\w+)", summary)}
    return output, counts
