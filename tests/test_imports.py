"""The core needs numpy alone: it imports and checks with every optional library absent.

Each test runs a fresh interpreter whose import system refuses the optional libraries (the
command line's click and rich, plots' matplotlib, the frameworks, scipy and friends), the
way a bare ``pip install gradient-check`` leaves them.
"""

import json
import subprocess

from fresh_interpreter import run_python

BLOCKED = ("click", "rich", "matplotlib", "scipy", "sklearn", "torch", "jax", "jaxlib", "dask")

NUMPY_ONLY = ("core", "checks", "report", "render", "render.text", "nn", "errors", "adapters")

CHECK = (
    "import numpy as np, gradient_check as gc\n"
    "r = gc.check(lambda x: float(x @ x), np.array([1.0, 2.0]), lambda x: 2 * x)\n"
)


def _run(code: str) -> subprocess.CompletedProcess:
    return run_python(code, BLOCKED)


def test_the_blocker_blocks():
    done = _run("import rich\n")
    assert done.returncode != 0 and "blocked: rich" in done.stderr


def test_core_check_runs_without_optional_libraries():
    done = _run(CHECK + "print(r.ok); print(r)\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("True")
    assert "rel. diff" in done.stdout


def test_every_numpy_only_subpackage_imports_without_optional_libraries():
    done = _run(
        "import importlib\n"
        f"for name in {NUMPY_ONLY!r}:\n"
        "    importlib.import_module('gradient_check.' + name)\n"
        "from gradient_check.core import engine, flatten, judge, summarise\n"
        "from gradient_check.checks import gradient, hessian, jacobian, products, sweep\n"
        "print('imported')\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "imported\n"


def test_import_leaves_mutation_testing_and_the_command_line_unloaded():
    done = _run(
        CHECK
        + "str(r)\n"
        + "import json\n"
        + "loaded = sorted(m for m in sys.modules if m.startswith('gradient_check.'))\n"
        + "print(json.dumps(loaded))\n"
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert "gradient_check.checks.gradient" in loaded  # the listing is real
    for lazy in ("gradient_check.mutation", "gradient_check.cli", "gradient_check.render.console"):
        assert not [m for m in loaded if m == lazy or m.startswith(lazy + ".")], loaded
    assert "gradient_check.render.plots" not in loaded


def test_mutation_names_load_on_first_use():
    done = _run(
        "import gradient_check as gc\n"
        "assert 'gradient_check.mutation' not in sys.modules\n"
        "print(gc.MutationReport.__name__, 'gradient_check.mutation' in sys.modules)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "MutationReport True\n"


def test_command_line_without_its_extra_says_how_to_install_it():
    done = _run("from gradient_check.cli import main\nmain()\n")
    assert done.returncode != 0
    assert "pip install 'gradient-check[cli]'" in done.stderr
