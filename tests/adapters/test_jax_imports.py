"""gradient_check never imports JAX by itself; gradient_check.jax without JAX says what to
install."""

import subprocess
import sys

BLOCK_JAX = """
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("jax", "jaxlib"):
            raise ImportError(f"blocked: {name}", name=name)
sys.meta_path.insert(0, Block())
"""


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_importing_and_using_gradient_check_leaves_jax_unimported():
    done = _run(
        "import sys, numpy as np, gradient_check as gc\n"
        "gc.check(lambda x: float(x @ x), np.array([1.0, 2.0]), lambda x: 2 * x)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jax', 'jaxlib')))\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"


def test_the_jax_face_without_jax_names_the_extra_to_install():
    done = _run(
        BLOCK_JAX
        + "from gradient_check import MissingDependencyError\n"
        + "try:\n"
        + "    import gradient_check.jax\n"
        + "except MissingDependencyError as error:\n"
        + "    print(type(error).__name__, isinstance(error, ImportError), error)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("MissingDependencyError True gradient_check.jax needs JAX")
    assert 'pip install "gradient-check[jax]"' in done.stdout
