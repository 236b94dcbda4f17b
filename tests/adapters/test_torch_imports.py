"""``import gradient_check`` never imports torch; ``gradient_check.torch`` without torch is
a MissingDependencyError naming the extra that installs it."""

from fresh_interpreter import run_python

BLOCKED = ("torch",)


def test_import_gradient_check_leaves_torch_unloaded():
    done = run_python(
        "import sys, gradient_check, gradient_check.adapters\nprint('torch' in sys.modules)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "False\n"


def test_the_torch_face_without_torch_names_the_extra():
    done = run_python(
        blocked=BLOCKED,
        code="import gradient_check\n"
        + "try:\n"
        + "    import gradient_check.torch\n"
        + "except gradient_check.MissingDependencyError as error:\n"
        + "    print(isinstance(error, ImportError), error)\n",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("True ")
    assert 'pip install "gradient-check[torch]"' in done.stdout
