"""Every ```python block in docs/*.md and README.md runs, so the documentation cannot rot.

* A block in doctest form (its first line starts with ``>>>``) is checked as a doctest: each
  expected output must match (``ELLIPSIS`` and ``NORMALIZE_WHITESPACE`` on).
* The other python blocks of a file run top to bottom in one namespace, so a later block may use
  names an earlier one defined (doctest blocks share that namespace too).
* Each file runs in its own temporary working folder holding a synthetic demo evaluation at
  ``data/demo`` (a copy of one written once per session), so examples can call
  ``ek.load_evaluation("data/demo/evaluation.yml")`` and may write files freely.
* Every dotted name ``evalkit.x.y`` in the prose must be a module or one of its attributes, and
  every file named by path (``evalkit/demo/truths.py``, ``tests/test_x.py``) must exist.
* Blocks that are not meant to run (shell commands, YAML, output samples) are fenced as
  ``bash``, ``yaml`` or ``text``; a fence that names no language is refused, so no Python example
  can hide from this test.
"""

from __future__ import annotations

import doctest
import importlib
import io
import re
import shutil
import textwrap
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

import evalkit as ek

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
PYTHON = {"python", "py", "pycon"}
#: An opening or closing code fence: its indentation, backticks or tildes, and info string.
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
DEMO_CONFIG = "data/demo/evaluation.yml"
#: A dotted name of evalkit's, such as ``evalkit.outcomes.paired.before_after`` (not the project
#: file ``evalkit.yml``, docs/jupyterlab.md).
DOTTED_NAME = re.compile(r"\bevalkit(?!\.ya?ml\b)(?:\.[A-Za-z_]\w*)+")
#: A file of the repository named by its path: ``evalkit/demo/truths.py``, ``tests/test_x.py``.
FILE_PATH = re.compile(r"(?<![\w./])(?:src/)?(?:evalkit|tests|benchmarks)/[\w/]+\.(?:py|ipynb)")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown file."""

    path: Path
    line: int  # line number of the block's first code line
    language: str
    code: str

    @property
    def where(self) -> str:
        shown = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{shown}:{self.line}"

    @property
    def is_doctest(self) -> bool:
        return self.code.lstrip().startswith(">>>")


def fenced_blocks(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file, in order (code dedented)."""
    blocks: list[Block] = []
    opening: re.Match[str] | None = None
    start, lines = 0, []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = FENCE.match(text)
        if opening is None:
            if match:
                opening, start, lines = match, number + 1, []
            continue
        fence = opening["fence"]
        closes = (
            match is not None
            and match["fence"][0] == fence[0]
            and len(match["fence"]) >= len(fence)
            and not match["info"].strip()
        )
        if closes:
            language = opening["info"].strip().split(" ")[0].lower()
            code = textwrap.dedent("\n".join(lines)) + "\n"
            blocks.append(Block(path, start, language, code))
            opening = None
        else:
            lines.append(text)
    if opening is not None:
        raise AssertionError(f"{path}:{start - 1}: code fence is never closed.")
    return blocks


def run_examples(path: Path) -> int:
    """Run the python blocks of ``path`` in the current folder; return how many ran.

    Raises
    ------
    AssertionError
        Naming the file and line of the first block that raises or whose output differs.
    """
    namespace: dict[str, object] = {"__name__": "__docs_example__"}
    blocks = [b for b in fenced_blocks(path) if b.language in PYTHON]
    for block in blocks:
        if block.is_doctest:
            test = doctest.DocTestParser().get_doctest(
                block.code, namespace, block.where, str(path), block.line - 1
            )
            runner = doctest.DocTestRunner(
                optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
            )
            report = io.StringIO()
            runner.run(test, out=report.write, clear_globs=False)
            if runner.failures:
                raise AssertionError(f"{block.where}: doctest failed\n{report.getvalue()}")
        else:
            # pad with blank lines so tracebacks give the line number in the Markdown file
            source = "\n" * (block.line - 1) + block.code
            try:
                exec(compile(source, str(path), "exec"), namespace)
            except Exception:
                raise AssertionError(
                    f"{block.where}: python block raised\n{traceback.format_exc()}"
                ) from None
    return len(blocks)


@pytest.fixture(scope="session")
def demo_evaluation(tmp_path_factory) -> Path:
    """The ``evaluation.yml`` of a synthetic demo (400 episodes), validated once."""
    config = ek.write_demo(tmp_path_factory.mktemp("docs") / "demo", episodes=400, seed=11)
    ek.load_evaluation(config)  # validate now, so every copy starts with a current cache
    return config


@pytest.fixture
def docs_workdir(tmp_path, monkeypatch, demo_evaluation) -> Path:
    """A fresh working folder with a copy of the demo at ``data/demo``, made current."""
    shutil.copytree(demo_evaluation.parent, tmp_path / "data" / "demo")  # keeps mtimes: cached
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _with_python(paths: list[Path]) -> list[Path]:
    return [p for p in paths if any(b.language in PYTHON for b in fenced_blocks(p))]


def test_every_fence_names_its_language():
    unnamed = [b.where for p in DOCUMENTS for b in fenced_blocks(p) if not b.language]
    assert not unnamed, (
        "fence these blocks as python (examples that run), or bash / yaml / text: "
        + ", ".join(unnamed)
    )


def _resolves(dotted: str) -> bool:
    """Whether ``evalkit.a.b.c`` is an importable module or an attribute of one."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            if not hasattr(found, name):
                return False
            found = getattr(found, name)
        return True
    return False


def test_names_in_the_docs_exist():
    """Prose names modules and functions too (``evalkit.data.evaluation.load_evaluation``)."""
    missing = [
        f"{path.relative_to(ROOT)}:{number}: {name}"
        for path in DOCUMENTS
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for name in DOTTED_NAME.findall(line)
        if not _resolves(name)
    ]
    assert not missing, "no such module or function: " + "; ".join(missing)


def test_files_named_in_the_docs_exist():
    missing = [
        f"{path.relative_to(ROOT)}:{number}: {name}"
        for path in DOCUMENTS
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for name in FILE_PATH.findall(line)
        if not ((ROOT / name).is_file() or (ROOT / "src" / name).is_file())
    ]
    assert not missing, "no such file: " + "; ".join(missing)


def test_the_readme_shows_the_notebook_usage():
    code = "".join(b.code for b in fenced_blocks(ROOT / "README.md") if b.language in PYTHON)
    assert "import evalkit as ek" in code and "ek.load_evaluation(" in code


@pytest.mark.parametrize("path", _with_python(DOCUMENTS), ids=lambda p: str(p.relative_to(ROOT)))
def test_python_examples_run(path, docs_workdir):
    assert (docs_workdir / DEMO_CONFIG).is_file()
    assert run_examples(path) > 0


def test_a_broken_example_fails(docs_workdir):
    page = docs_workdir / "broken.md"
    page.write_text(
        "```python\nimport evalkit as ek\n```\n\n"
        "```python\n>>> ek.wilson_ci(40, 100)[0] > 0.3\nTrue\n```\n\n"
        "```python\nek.no_such_function()\n```\n",
        encoding="utf-8",
    )
    with pytest.raises(AssertionError, match=r"broken.md:11: python block raised"):
        run_examples(page)
    page.write_text("```python\n>>> 1 + 1\n3\n```\n", encoding="utf-8")
    with pytest.raises(AssertionError, match=r"broken.md:2: doctest failed"):
        run_examples(page)
