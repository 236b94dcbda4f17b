"""``import gradient_check`` never imports torch; ``gradient_check.torch`` without torch is
a MissingDependencyError naming the extra that installs it."""

import subprocess
import sys

BLOCK = """
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError(f"blocked: {name}", name=name)
sys.meta_path.insert(0, Block())
"""


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_import_gradient_check_leaves_torch_unloaded():
    done = _run(
        "import sys, gradient_check, gradient_check.adapters\nprint('torch' in sys.modules)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "False\n"


def test_the_torch_face_without_torch_names_the_extra():
    done = _run(
        BLOCK
        + "import gradient_check\n"
        + "try:\n"
        + "    import gradient_check.torch\n"
        + "except gradient_check.MissingDependencyError as error:\n"
        + "    print(isinstance(error, ImportError), error)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("True ")
    assert 'pip install "gradient-check[torch]"' in done.stdout
