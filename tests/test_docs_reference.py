"""The reference documents every public name and every attribute of the record types.

The pages under ``docs/reference`` name what autodoc renders; these tests
read those directives, so a public name or a record attribute added without
its entry fails here, and Sphinx (where installed) builds the whole site
with warnings as errors and every reference checked.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import pathlib
import re
import subprocess
import sys
import tempfile
import unittest
import urllib.request
from typing import Any

from fakeserver import (
    AppRunner, RecordedRequest, RecordedResponse, Recorder, ServerTestCase, Stub, StubApp,
    UploadedFile,
)
from fakeserver.__main__ import build_parser
from fakeserver._testing.handle import FakeServer
from fakeserver.pypi import DistributionFile, PackageIndexTestCase
from fakeserver.proxy import FakeProxyHandle, FakeProxyTestCase
from fakeserver.pypi.handle import FakePackageIndex
from fakeserver.smtp import ReceivedMessage, SMTPServerTestCase
from fakeserver.smtp.handle import FakeSMTPServer
from tests.support import echo_app, import_extra

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PLUGIN = ROOT / "fakeserver" / "pytest_plugin.py"

#: The modules whose ``__all__`` is public (the pytest plugin is read, not imported).
PUBLIC_MODULES = ("fakeserver", "fakeserver.stubs", "fakeserver.tls", "fakeserver.smtp",
                  "fakeserver.pypi", "fakeserver.proxy", "fakeserver.match")


def reference_entries() -> dict[str, set[str]]:
    """Each full name an autodoc directive of the reference renders, with its listed members."""
    entries: dict[str, set[str]] = {}
    for page in sorted((DOCS / "reference").glob("*.rst")):
        module, current = "", None
        lines = page.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            directive = re.match(r"\.\. (py:module|automodule|auto\w+):: ([\w.]+)", line)
            if directive:
                kind, name = directive.groups()
                if kind in ("py:module", "automodule"):
                    module = name
                full = name if "." in name or kind in ("py:module", "automodule") \
                    else f"{module}.{name}"
                current = entries.setdefault(full, set())
            elif current is not None and line.strip().startswith(":members:"):
                listed = line.split(":members:", 1)[1]
                for following in lines[number + 1:]:
                    if not following.startswith("    ") or following.strip().startswith(":"):
                        break
                    listed += following
                current.update(item.strip() for item in listed.split(",") if item.strip())
    return entries


def documented_objects(entries: dict[str, set[str]]) -> list[Any]:
    """The objects the reference documents, imported: classes, functions, module members."""
    found = []
    for full, members in entries.items():
        if full.startswith("fakeserver.pytest_plugin"):
            continue  # imports pytest: checked by name instead
        module_name, _, name = full.rpartition(".")
        try:
            module = importlib.import_module(full)
        except ImportError:
            module = None
        if module is not None:  # an automodule: its listed members
            found += [getattr(module, member) for member in members]
        else:
            found.append(getattr(importlib.import_module(module_name), name))
    return found


def plugin_names() -> tuple[list[str], list[str]]:
    """The pytest plugin's ``__all__`` and public fixtures, read from its source (no pytest)."""
    tree = ast.parse(PLUGIN.read_text(encoding="utf-8"))
    exported: list[str] = []
    fixtures = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__"
                                                for t in node.targets):
            exported = list(ast.literal_eval(node.value))
        elif isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and any(
                "fixture" in ast.unparse(decorator) for decorator in node.decorator_list):
            fixtures.append(node.name)
    return exported, fixtures


def public_attributes(cls: type, instance: Any = None) -> set[str]:
    """The public attributes of *cls*: class members, dataclass fields, an instance's own."""
    names = {name for name in dir(cls) if not name.startswith("_")}
    if dataclasses.is_dataclass(cls):
        names.update(field.name for field in dataclasses.fields(cls))
    if instance is not None:
        names.update(vars(instance))
    return {name for name in names if not name.startswith("_")}


class ReferenceTest(unittest.TestCase):
    def test_every_public_name_is_documented(self) -> None:
        entries = reference_entries()
        documented = documented_objects(entries)
        for module_name in PUBLIC_MODULES:
            module = importlib.import_module(module_name)
            for name in module.__all__:
                with self.subTest(name=f"{module_name}.{name}"):
                    self.assertTrue(any(getattr(module, name) is obj for obj in documented),
                                    "not in docs/reference")
        exported, fixtures = plugin_names()
        self.assertIn("fake_http", fixtures)
        for name in exported + fixtures:
            with self.subTest(name=f"fakeserver.pytest_plugin.{name}"):
                self.assertTrue(f"fakeserver.pytest_plugin.{name}" in entries,
                                "not in docs/reference")

    def test_every_attribute_of_the_record_types_is_listed(self) -> None:
        recorder = Recorder(echo_app)
        with AppRunner(recorder) as runner:
            body = (b'--b\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\n'
                    b"data\r\n--b--\r\n")
            urllib.request.urlopen(urllib.request.Request(runner.url, data=body, headers={
                "Content-Type": "multipart/form-data; boundary=b"})).close()
        [request] = recorder.settle()
        [upload] = request.files["f"]
        entries = reference_entries()
        for cls, instance in ((RecordedRequest, request), (RecordedResponse, request.response),
                              (UploadedFile, upload), (ReceivedMessage, None),
                              (DistributionFile, None)):
            listed = next(members for full, members in entries.items()
                          if full.rpartition(".")[2] == cls.__name__)
            with self.subTest(cls=cls.__name__):
                self.assertEqual(public_attributes(cls, instance) - listed, set())

    def test_every_method_of_the_test_facing_classes_is_listed(self) -> None:
        entries = reference_entries()
        for cls in (ServerTestCase, SMTPServerTestCase, PackageIndexTestCase, FakeProxyTestCase,
                    FakeServer, FakePackageIndex, FakeSMTPServer, FakeProxyHandle, StubApp, Stub):
            listed = next(members for full, members in entries.items()
                          if full.rpartition(".")[2] == cls.__name__)
            own = {name for name in vars(cls) if not name.startswith("_")}
            with self.subTest(cls=cls.__name__):  # unittest's hooks are not ours to document
                self.assertEqual(own - listed - {"setUp", "setUpClass"}, set())

    def test_sphinx_builds_cleanly_and_lists_every_option(self) -> None:
        import_extra("sphinx")
        with tempfile.TemporaryDirectory() as output:
            build = subprocess.run(
                [sys.executable, "-m", "sphinx", "-W", "-n", "-q", "-b", "text", str(DOCS),
                 output], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
            self.assertEqual(build.returncode, 0, build.stdout + build.stderr)
            options = pathlib.Path(output, "reference", "cli.txt").read_text(encoding="utf-8")
        for action in build_parser()._actions:
            for option in action.option_strings:
                with self.subTest(option=option):
                    self.assertRegex(options, rf"(?m)^(-\S+, )*{re.escape(option)}\b")
        self.assertIn(build_parser().format_usage().split("\n")[0], options)


if __name__ == "__main__":
    unittest.main()
