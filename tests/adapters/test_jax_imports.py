"""gradient_check never imports JAX by itself; gradient_check.jax without JAX says what to
install."""

from fresh_interpreter import run_python

BLOCKED = ("jax", "jaxlib")


def test_importing_and_using_gradient_check_leaves_jax_unimported():
    done = run_python(
        "import sys, numpy as np, gradient_check as gc\n"
        "gc.check(lambda x: float(x @ x), np.array([1.0, 2.0]), lambda x: 2 * x)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jax', 'jaxlib')))\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"


def test_the_jax_face_without_jax_names_the_extra_to_install():
    done = run_python(
        blocked=BLOCKED,
        code="from gradient_check import MissingDependencyError\n"
        + "try:\n"
        + "    import gradient_check.jax\n"
        + "except MissingDependencyError as error:\n"
        + "    print(type(error).__name__, isinstance(error, ImportError), error)\n",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("MissingDependencyError True gradient_check.jax needs JAX")
    assert 'pip install "gradient-check[jax]"' in done.stdout
