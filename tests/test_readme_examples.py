"""Every example in README.md runs as written, each on its own.

A reader copies one ```python block, not the page: each block runs alone, in a fresh
namespace, in a scratch directory. A block right after ``<!-- no-run: why -->`` (an
excerpt of the package's source, say) is shown, not run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_docs import ROOT, python_blocks, run_blocks

README = ROOT / "README.md"
BLOCKS = python_blocks(README.read_text())


def test_the_readme_has_examples_to_run():
    assert [block for block in BLOCKS if block.runs], "README.md lost its ```python examples"


@pytest.mark.parametrize(
    "block", [b for b in BLOCKS if b.runs], ids=lambda b: f"README.md:{b.line}"
)
def test_the_readme_example_runs_as_written(block, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    run_blocks([block], README)
