"""Every Python example in README.rst runs, so the documentation cannot rot."""

from __future__ import annotations

import pathlib
import textwrap
import unittest

from tests.support import run_case

README = pathlib.Path(__file__).resolve().parent.parent / "README.rst"


def python_examples(text: str) -> list[tuple[int, str]]:
    """Return (line number, code) for each ``.. code-block:: python`` in *text*."""
    examples = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if line.strip() != ".. code-block:: python":
            continue
        block = []
        for following in lines[number + 1:]:
            if following.strip() and not following.startswith(" "):
                break
            block.append(following)
        examples.append((number + 1, textwrap.dedent("\n".join(block))))
    return examples


class ReadmeTest(unittest.TestCase):
    def test_examples_run(self) -> None:
        examples = python_examples(README.read_text(encoding="utf-8"))
        self.assertGreaterEqual(len(examples), 2)
        for line, code in examples:
            with self.subTest(line=line):
                namespace = {"__name__": f"readme_line_{line}"}
                exec(compile(code, f"README.rst:{line}", "exec"), namespace)
                # Examples that define a unittest case are run too.
                for value in list(namespace.values()):
                    if isinstance(value, type) and issubclass(value, unittest.TestCase):
                        result = run_case(value)
                        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)

    def test_readme_names_the_test_command(self) -> None:
        self.assertRegex(README.read_text(encoding="utf-8"), r"\n    python -m unittest\n")


if __name__ == "__main__":
    unittest.main()
