"""check_grads: jax.test_util.check_grads' signature and failure, every element checked."""

import inspect

import jax
import jax.numpy as jnp
import jax.test_util
import numpy as np
import pytest

from gradient_check import GradientCheckError, InvalidProblemError
from gradient_check.jax import CheckGradsError, check_grads

X = np.array([0.4, -1.3, 0.9])
Y = np.array([1.1, 0.2, -0.7])


def make_sin(second_order_bug):
    """sin with a custom_jvp whose tangent uses a custom_jvp cos: right at first order; at
    second order right, or with the derivative of cos given as +sin (a sign)."""

    @jax.custom_jvp
    def cos(x):
        return jnp.cos(x)

    @cos.defjvp
    def cos_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return jnp.cos(x), (1.0 if second_order_bug else -1.0) * jnp.sin(x) * t

    @jax.custom_jvp
    def sin(x):
        return jnp.sin(x)

    @sin.defjvp
    def sin_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return jnp.sin(x), cos(x) * t

    return sin


def test_the_signature_is_jaxs_with_our_options_after_it():
    ours = list(inspect.signature(check_grads).parameters.values())
    theirs = list(inspect.signature(jax.test_util.check_grads).parameters.values())
    assert [(p.name, p.default) for p in ours[: len(theirs)]] == [
        (p.name, p.default) for p in theirs
    ]
    assert all(p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) for p in ours[len(theirs) :])


def test_a_correct_function_passes_every_order_asked_for():
    reports = check_grads(lambda x, y: jnp.sin(x) * y, (X, Y), order=2)
    assert [r.ok for r in reports] == [True, True, True]  # f, its JVP map, its VJP map
    assert [row.name for row in reports[1].parameters][:2] == ["primals[0]", "primals[1]"]


def test_a_wrong_rule_raises_an_assertion_error_carrying_the_report():
    sin = make_sin(True)
    check_grads(sin, (X,), order=1)  # first order is right
    with pytest.raises(AssertionError) as raised:
        check_grads(sin, (X,), order=2)
    error = raised.value
    assert isinstance(error, CheckGradsError) and isinstance(error, GradientCheckError)
    assert str(error).startswith("check_grads failed at order 2: the Jacobian of JVP of f: fail:")
    assert "confirmed wrong" in str(error) and "rel. diff" in str(error)
    assert error.report.wrong and not error.report.ok
    with pytest.raises(AssertionError):  # jax's own check agrees it is wrong
        jax.test_util.check_grads(sin, (X,), order=2, modes=("fwd",))


def test_a_correct_second_order_rule_passes():
    assert all(r.ok for r in check_grads(make_sin(False), (X,), order=2))


def test_eps_is_the_step_and_a_tolerance_that_disagrees_with_the_evidence_is_noted():
    (report,) = check_grads(jnp.sin, (X,), order=1, modes=("rev",), eps=1e-3, rtol=1e-12)
    assert report.ok
    assert report.step == "h = 0.001"
    assert any("would fail `out / x`" in n and "evidence says pass" in n for n in report.notes)
    assert not any("jax.jvp" in n for n in report.notes)  # rev alone: nothing compared


@pytest.mark.parametrize(
    ("arguments", "match"),
    [({"order": 0}, "`order` is 0"), ({"order": 1, "modes": ("up",)}, "`modes` is")],
)
def test_bad_arguments_are_named(arguments, match):
    with pytest.raises(InvalidProblemError, match=match):
        check_grads(jnp.sin, (X,), **arguments)
