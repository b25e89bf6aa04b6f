"""Every Python example in README.rst and docs/ runs, so the documentation cannot rot.

An example is a ``.. code-block:: python`` block. It runs as a script, and
a unittest case it defines is run too; one defining pytest tests (a
top-level ``def test_...(fixture)``) runs under pytest instead, with every
such example of the documents in one session. A block captioned
``Before: ...`` shows another tool's code, for comparison, and is not run.
An example that imports a test-only client (``requests``, ``httpx``,
``pytest``) or runs ``-m twine`` (or ``-m pip``) skips without it, as the
interop tests do. The README itself stays an overview: at most 12 KB, its
links into ``docs/`` resolving.
"""

from __future__ import annotations

import ast
import pathlib
import re
import textwrap
import unittest
from typing import NamedTuple

from tests.support import import_extra, run_case
from tests.support.pytest_run import run_pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.rst"
DOCS = ROOT / "docs"

#: Test-only clients an example may need; it skips without them.
EXTRAS = ("requests", "httpx", "pytest", "twine", "pip")


class Example(NamedTuple):
    """One ``.. code-block:: python`` of a document."""

    line: int
    code: str
    caption: str


def code_blocks(text: str) -> list[Example]:
    """Every ``.. code-block:: python`` in *text*, with its line number and caption."""
    examples = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if line.strip() != ".. code-block:: python":
            continue
        options, block = {}, []
        for following in lines[number + 1:]:
            if following.strip() and not following.startswith(" "):
                break
            option = re.match(r"\s+:(\w+):\s*(.*)$", following)
            if option and not block:
                options[option[1]] = option[2]
            else:
                block.append(following)
        examples.append(Example(number + 1, textwrap.dedent("\n".join(block)),
                                options.get("caption", "")))
    return examples


def python_examples(text: str) -> list[tuple[int, str]]:
    """Return (line number, code) for each example of *text* that runs (not "Before: ...")."""
    return [(example.line, example.code) for example in code_blocks(text)
            if not example.caption.startswith("Before")]


def documents() -> list[pathlib.Path]:
    """README.rst and every page of the docs."""
    pages = [path for path in sorted(DOCS.rglob("*.rst")) if "_build" not in path.parts]
    return [README, *pages]


def needed_extras(code: str) -> list[str]:
    """The test-only clients *code* imports, or runs with ``-m``."""
    imported = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.partition(".")[0])
    return [name for name in EXTRAS if name in imported or f'"-m", "{name}"' in code]


def pytest_tests(code: str) -> int:
    """How many pytest test functions *code* defines (top-level ``def test_...(fixture)``)."""
    return sum(1 for node in ast.parse(code).body
               if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
               and node.name.startswith("test_") and node.args.args)


def _where(path: pathlib.Path) -> str:
    return str(path.relative_to(ROOT))


class DocumentationExamplesTest(unittest.TestCase):
    def test_examples_run(self) -> None:
        ran = 0
        for path in documents():
            for line, code in python_examples(path.read_text(encoding="utf-8")):
                if pytest_tests(code):
                    continue  # test_pytest_examples_pass runs these
                with self.subTest(document=_where(path), line=line):
                    for name in needed_extras(code):
                        import_extra(name)
                    self._run(f"{_where(path)}:{line}", code)
                    ran += 1
        self.assertGreaterEqual(ran, 20)

    def _run(self, where: str, code: str) -> None:
        namespace = {"__name__": "example_" + re.sub(r"\W", "_", where)}
        exec(compile(code, where, "exec"), namespace)
        # Examples that define a unittest case are run too.
        for value in list(namespace.values()):
            if isinstance(value, type) and issubclass(value, unittest.TestCase):
                result = run_case(value)
                self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
                self.assertGreater(result.testsRun, 0)

    def test_pytest_examples_pass(self) -> None:
        files, expected = {}, 0
        for path in documents():
            for line, code in python_examples(path.read_text(encoding="utf-8")):
                tests = pytest_tests(code)
                if not tests:
                    continue
                with self.subTest(document=_where(path), line=line):
                    for name in needed_extras(code):
                        import_extra(name)  # a skip leaves this example out
                    files[f"test_{re.sub(r'[^a-z0-9]', '_', f'{_where(path)}_{line}')}.py"] = code
                    expected += tests
        import_extra("pytest")
        self.assertGreaterEqual(len(files), 5)
        output, counts = run_pytest(self, files)
        self.assertEqual(counts, {"passed": expected}, output)

    def test_before_blocks_are_not_run(self) -> None:
        text = textwrap.dedent("""\
            .. code-block:: python
               :caption: Before: another tool

               raise AssertionError("not run")

            .. code-block:: python
               :caption: After: fakeserver

               ran = True
            """)
        self.assertEqual(code_blocks(text)[0].caption, "Before: another tool")
        self.assertEqual(python_examples(text), [(6, "\nran = True")])

    def test_readme_names_the_test_command(self) -> None:
        self.assertRegex(README.read_text(encoding="utf-8"), r"\n    python -m unittest\n")

    def test_readme_is_an_overview_linking_into_the_docs(self) -> None:
        text = README.read_text(encoding="utf-8")
        self.assertLessEqual(len(text.encode("utf-8")), 12 * 1024,
                             "the README is an overview: move the details into docs/")
        targets = re.findall(r"<(docs/[^>]+)>`__?", text)
        targets += re.findall(r"^\.\. image:: (\S+)", text, re.M)
        self.assertGreaterEqual(len(targets), 10)
        for target in targets:
            with self.subTest(target=target):
                self.assertTrue((ROOT / target).is_file(), "no such file")


if __name__ == "__main__":
    unittest.main()
