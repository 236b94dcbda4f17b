"""The core needs numpy alone: it imports with click, rich, matplotlib and scipy absent."""

import subprocess
import sys

BLOCK = """
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"click", "rich", "matplotlib", "scipy", "sklearn"}:
            raise ImportError(f"blocked: {name}", name=name)
sys.meta_path.insert(0, Block())
"""


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK + code], capture_output=True, text=True)


def test_core_check_runs_without_optional_libraries():
    done = _run(
        "import numpy as np, gradient_check as gc\n"
        "r = gc.check(lambda x: float(x @ x), np.array([1.0, 2.0]), lambda x: 2 * x)\n"
        "print(r.ok); print(r)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("True")
    assert "rel. diff" in done.stdout


def test_command_line_without_its_extra_says_how_to_install_it():
    done = _run("from gradient_check.cli import main\nmain()\n")
    assert done.returncode != 0
    assert "pip install 'gradient-check[cli]'" in done.stderr
