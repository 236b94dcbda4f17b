"""check_function: the Jacobian of a JAX function by argument and output, VJP rows checked,
JVP columns beside them."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradient_check import InvalidProblemError, Outcome
from gradient_check.adapters.jax.jacobians import compare_modes
from gradient_check.adapters.jax.pytree import output_layout
from gradient_check.jax import check_function

RNG = np.random.default_rng(5)
A, B, C = RNG.standard_normal(3), RNG.standard_normal(3), RNG.standard_normal(3)


def make_triple(wrong):
    """a * b + sin(c), custom_vjp: correct, or the cotangent of ``wrong`` doubled."""

    @jax.custom_vjp
    def triple(a, b, c):
        return a * b + jnp.sin(c)

    def fwd(a, b, c):
        return triple(a, b, c), (a, b, c)

    def bwd(saved, g):
        a, b, c = saved
        cotangents = {"a": g * b, "b": g * a, "c": g * jnp.cos(c)}
        if wrong:
            cotangents[wrong] = 2 * cotangents[wrong]
        return cotangents["a"], cotangents["b"], cotangents["c"]

    triple.defvjp(fwd, bwd)
    return triple


@pytest.mark.parametrize("wrong", [None, "a", "c"])
def test_one_wrong_argument_among_several_is_named_alone(wrong):
    triple = make_triple(wrong)
    report = check_function(lambda a, b, c: triple(a, b, c), A, B, C)
    assert [row.block for row in report.parameters if row.outcome is Outcome.PASS] == [
        f"out / {name}" for name in "abc" if name != wrong
    ]
    assert report.wrong == ([] if wrong is None else [f"out / {wrong}"])
    assert any("jax.jvp not compared" in n and "custom_vjp" in n for n in report.notes)


def test_a_transposed_cotangent_is_caught_in_its_argument_only():
    @jax.custom_vjp
    def matvec(w, x):
        return w @ x

    def bwd(saved, g):
        w, x = saved
        return jnp.outer(x, g), w.T @ g  # d/dw is outer(g, x): given transposed

    matvec.defvjp(lambda w, x: (w @ x, (w, x)), bwd)
    w = RNG.standard_normal((3, 3))
    report = check_function(lambda w, x: jnp.tanh(matvec(w, x)), w, A)
    assert report.wrong == ["out / w"]


def test_outputs_and_arguments_are_named_by_key_path_and_argnums_holds_others_fixed():
    def f(x, state, scale):
        return {"y": jnp.sin(x) * state["k"], "aux": (x.sum() * scale, jnp.cos(state["k"]))}

    state = {"k": B[:2]}
    report = check_function(f, A[:2], state, 3.0, argnums=(0, 1))
    assert report.ok, report
    assert [row.block for row in report.parameters] == [
        "out['aux'][0] / x",
        "out['aux'][0] / state['k']",
        "out['aux'][1] / x",
        "out['aux'][1] / state['k']",
        "out['y'] / x",
        "out['y'] / state['k']",
    ]
    assert any("jax.jvp agrees with jax.vjp" in n for n in report.notes)


def test_arguments_without_names_are_named_by_position():
    report = check_function(lambda *xs: xs[0] * xs[1], A, B)
    assert [row.name for row in report.parameters] == ["args[0]", "args[1]"]


def test_two_modes_that_disagree_are_a_problem_naming_the_elements():
    with jax.enable_x64(True):
        outputs = output_layout(jnp.ones(2), "out")
        params = output_layout((jnp.ones(2),), "x")  # named like a parameter: x[0]...
    checked = np.array([[1.0, 0.0], [0.0, 2.0]])
    other = checked.copy()
    other[1, 1] = 2.5
    notes, problems, facts = compare_modes(
        checked, ("rev", "fwd"), lambda mode: other, outputs, params, 2.2e-16, set()
    )
    assert notes == () and facts["fwd"]["disagree"] == 1
    assert "disagree at 1 Jacobian elements: out[1] / x[0][1] (fwd 2.5, rev 2)" in problems[0]
    notes, problems, _ = compare_modes(
        checked, ("rev", "fwd"), lambda mode: other, outputs, params, 2.2e-16, {"out / x[0]"}
    )
    assert problems == () and "disagree" in notes[0]


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"modes": ("rev", "bwd")}, "`modes` is"),
        ({"modes": ()}, "`modes` is"),
        ({"argnums": 3}, "`argnums` is 3, but f gets 2"),
        ({"argnums": (0, 0)}, "distinct positions"),
    ],
)
def test_bad_options_are_named(options, match):
    with pytest.raises(InvalidProblemError, match=match):
        check_function(lambda x, y: x * y, A, B, **options)


def test_a_function_that_cannot_take_the_arguments_is_refused():
    with pytest.raises(InvalidProblemError, match="cannot be called as f"):
        check_function(lambda x: x, A, B)


def test_an_integer_argument_is_held_fixed_and_said_so():
    report = check_function(lambda x, n: x**n, A, 3)
    assert report.ok
    assert [row.name for row in report.parameters] == ["x"]
    assert "held fixed, not being floating-point: `n`" in report.notes
