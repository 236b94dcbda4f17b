"""Run code in a fresh interpreter, optionally with some libraries refused at import, the
way an install without them leaves them (shared by the tests of what imports what)."""

import subprocess
import sys


def blocker(names: tuple[str, ...]) -> str:
    """Python source that makes importing any of ``names`` (top-level) raise ImportError."""
    return f"""
import sys, importlib.abc
BLOCKED = {names!r}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"blocked: {{name}}", name=name)
sys.meta_path.insert(0, Block())
"""


def run_python(code: str, blocked: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """``code`` run by a fresh interpreter with ``blocked`` refused; its output captured."""
    source = (blocker(blocked) if blocked else "") + code
    return subprocess.run([sys.executable, "-c", source], capture_output=True, text=True)
