"""The documentation site builds with warnings as errors, and every example in it runs.

Every ```python block of docs/**/*.md runs as written: the blocks of one page in page
order, sharing one fresh namespace, in a scratch directory. A block right after a
``<!-- no-run: why -->`` line is shown, not run. A page that needs a part of the package
that may not be there (a framework, an extra) says so with
``<!-- requires: gradient_check.torch ... -->`` and is skipped, with the reason, while that
part does not import. A block with ``title="my_problem.py"`` is also written to that file,
so that later blocks and commands can use it; a command in a ```bash block that ends with
``# exit N`` is run, in page order too, and must exit with N.
"""

from __future__ import annotations

import importlib
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import gradient_check

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,})(?P<info>[^`]*)$")
NO_RUN = re.compile(r"^\s*<!--\s*no-run(?P<why>:[^>]*\S)?\s*-->\s*$")
REQUIRES = re.compile(r"<!--\s*requires:(?P<names>[^>]*)-->")
TITLE = re.compile(r'\btitle="(?P<title>[^"]+)"')
EXIT = re.compile(r"^(?P<command>[^#]+?)\s*#\s*exit (?P<status>\d+)\b")
PYTHON = ("python", "py")
SHELL = ("bash", "sh", "shell", "console")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown page."""

    language: str
    code: str
    line: int  # of the opening fence, counting from 1
    title: str | None = None
    runs: bool = True  # False after a no-run marker


def code_blocks(text: str) -> list[Block]:
    """The fenced code blocks of ``text``, dedented, with the no-run marker read."""
    lines, blocks, previous, i = text.splitlines(), [], "", 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            previous = lines[i] if lines[i].strip() else previous
            i += 1
            continue
        indent, fence, info = opening["indent"], opening["fence"], opening["info"].strip()
        end = i + 1
        while end < len(lines) and not re.fullmatch(rf"[ \t]*{fence}`*[ \t]*", lines[end]):
            end += 1
        if end == len(lines):
            raise ValueError(f"line {i + 1}: the code block opened here is never closed")
        body = [
            line[len(indent) :] if line.startswith(indent) else line for line in lines[i + 1 : end]
        ]
        title = TITLE.search(info)
        blocks.append(
            Block(
                language=info.split()[0].lower() if info else "",
                code="\n".join(body) + "\n",
                line=i + 1,
                title=title["title"] if title else None,
                runs=NO_RUN.match(previous) is None,
            )
        )
        previous, i = "", end + 1
    return blocks


def python_blocks(text: str) -> list[Block]:
    return [block for block in code_blocks(text) if block.language in PYTHON]


def run_blocks(blocks: list[Block], source: Path, namespace: dict | None = None) -> dict:
    """Run ``blocks`` in order in one namespace; a traceback names the page's own lines."""
    namespace = {"__name__": f"docs_{source.stem}"} if namespace is None else namespace
    for block in blocks:
        if block.runs:
            # blank lines first, so that line numbers in a traceback are the page's
            code = compile("\n" * block.line + block.code, str(source), "exec")
            exec(code, namespace)
    return namespace


def missing_requirement(text: str) -> str | None:
    """Why the page cannot run yet: the first required name that does not import."""
    for found in REQUIRES.finditer(text):
        for name in found["names"].replace(",", " ").split():
            try:
                resolve(name)
            except (ImportError, AttributeError) as error:
                return f"needs {name}, which is not available yet ({error})"
    return None


def resolve(name: str) -> object:
    """Import the longest module prefix of the dotted ``name``, then its attributes."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            if cut == 1:
                raise
            continue
        for attribute in parts[cut:]:
            value = getattr(value, attribute)
        return value
    raise ImportError(name)


def commands(block: Block) -> list[tuple[str, int]]:
    """(command, expected exit status) of every ``# exit N`` line of a shell block."""
    if block.language not in SHELL or not block.runs:
        return []
    found = [EXIT.match(line.strip()) for line in block.code.splitlines()]
    return [(match["command"], int(match["status"])) for match in found if match]


def run_command(command: str, status: int, workdir: Path, source: Path) -> None:
    """Run a ``gradient-check`` command in this process (click's runner: the same command,
    without another interpreter's start-up) or a ``pytest`` one in a fresh interpreter,
    and compare its exit status with the page's."""
    words = shlex.split(command)
    if words[:3] == ["python", "-m", "pytest"]:
        words = words[2:]
    if words[0] == "gradient-check":
        from click.testing import CliRunner

        from gradient_check.cli.commands import cli

        done = CliRunner().invoke(cli, words[1:])
        code, output = done.exit_code, done.output
    elif words[0] == "pytest":
        argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *words[1:]]
        ran = subprocess.run(argv, cwd=workdir, capture_output=True, text=True)
        code, output = ran.returncode, ran.stdout + ran.stderr
    else:
        raise ValueError(f"`{command}`: only gradient-check and pytest commands are run")
    assert code == status, (
        f"{source.name}: `{command}` exited {code}, the page says {status}\n{output}"
    )


def run_page(page: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Run the page's Python and its ``# exit N`` commands in page order, in ``workdir``;
    a titled Python block is also written to its file there, and can be imported."""
    text = page.read_text()
    why = missing_requirement(text)
    if why:
        pytest.skip(f"{page.relative_to(ROOT)} {why}")
    monkeypatch.chdir(workdir)
    monkeypatch.syspath_prepend(str(workdir))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("NO_COLOR", "1")
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    before = set(sys.modules)
    try:
        for block in code_blocks(text):
            if block.language in PYTHON and block.title:
                (workdir / block.title).write_text(block.code)
            if block.language in PYTHON:
                run_blocks([block], page, namespace)
            for command, status in commands(block):
                run_command(command, status, workdir, page)
    finally:  # the page's own modules (my_problem.py) must not leak into the next page
        for name in set(sys.modules) - before:
            if str(getattr(sys.modules[name], "__file__", "") or "").startswith(str(workdir)):
                del sys.modules[name]
    return namespace


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_every_example_of_the_page_runs_as_written(page, tmp_path, monkeypatch):
    run_page(page, tmp_path, monkeypatch)


def test_a_no_run_marker_says_why():
    """No-run blocks are rare, and each says why it cannot run."""
    bare = [
        f"{page.relative_to(ROOT)}:{number}"
        for page in PAGES
        for number, line in enumerate(page.read_text().splitlines(), 1)
        if (marker := NO_RUN.match(line)) and not marker["why"]
    ]
    assert bare == []


def test_the_extraction_reads_fences_markers_and_titles():
    text = (
        "# page\n\n```python\na = 1\n```\n\n<!-- no-run: a sketch -->\n```python\nb = \n```\n"
        '\n!!! note\n    ```python title="p.py"\n    c = a + 1\n    ```\n\n'
        "```bash\ngradient-check check p.py:f --json -  # exit 1\nls\n```\n"
    )
    blocks = code_blocks(text)
    assert [(b.language, b.runs, b.title) for b in blocks] == [
        ("python", True, None),
        ("python", False, None),
        ("python", True, "p.py"),
        ("bash", True, None),
    ]
    assert blocks[2].code == "c = a + 1\n"
    assert commands(blocks[3]) == [("gradient-check check p.py:f --json -", 1)]
    assert commands(blocks[0]) == []
    namespace = run_blocks(python_blocks(text), Path("page.md"))
    assert namespace["c"] == 2  # the blocks share one namespace; the no-run one is skipped
    with pytest.raises(ValueError, match="never closed"):
        code_blocks("```python\nx = 1\n")


def test_a_failing_example_names_its_line_in_the_page():
    text = "# page\n\nsome words\n\n```python\nx = 1\nraise RuntimeError('here')\n```\n"
    with pytest.raises(RuntimeError) as caught:
        run_blocks(python_blocks(text), Path("page.md"))
    assert caught.traceback[-1].lineno + 1 == 7  # the raise is line 7 of the page


def test_a_page_needing_a_missing_part_names_it():
    assert missing_requirement("<!-- requires: gradient_check.check -->") is None
    why = missing_requirement("<!-- requires: gradient_check.no_such_face -->")
    assert why is not None and "gradient_check.no_such_face" in why
    why = missing_requirement("<!-- requires: gradient_check.Report.no_such_method -->")
    assert why is not None and "no_such_method" in why


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built once by ``mkdocs build --strict`` in a subprocess."""
    for module in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python"):
        pytest.importorskip(module, reason=f"the docs extra is not installed ({module})")
    target = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(target)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return target


def test_the_site_builds_with_warnings_as_errors(site):
    assert (site / "index.html").is_file()
    for page in PAGES:
        built = page.relative_to(DOCS).with_suffix("")
        built = built.parent if built.name == "index" else built
        assert (site / built / "index.html").is_file(), page


def test_the_api_reference_documents_every_public_name(site):
    html = (site / "api" / "index.html").read_text()
    anchors = set(re.findall(r'id="(gradient_check(?:\.\w+)+)"', html))
    assert "gradient_check.check_jacobian" in anchors
    missing = [
        name
        for name in gradient_check.__all__
        if f"gradient_check.{name}" not in anchors
        and not any(anchor.endswith(f".{name}") for anchor in anchors)
    ]
    assert missing == []
    assert "Flattens every parameter into theta" in " ".join(html.split())  # check's docstring


@pytest.mark.parametrize("face", ["torch", "jax"])
def test_the_api_reference_documents_each_face(site, face):
    module = pytest.importorskip(f"gradient_check.{face}", reason=f"{face} is not installed")
    html = (site / "api" / face / "index.html").read_text()
    anchors = set(re.findall(r'id="(gradient_check(?:\.\w+)+)"', html))
    assert [n for n in module.__all__ if f"gradient_check.{face}.{n}" not in anchors] == []
