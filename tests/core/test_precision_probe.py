"""The working precision, measured: right both ways, with its evidence, whatever the seed.

A float64 function that does not change at a sub-ulp move (constant near theta, changes
that cancel, a large offset, an ignored parameter) is float64; a function computing in
float32 inside is float32, even with float64 parameters.
"""

import numpy as np
import pytest

from gradient_check import Outcome, check, flatten
from gradient_check.core.evaluate import InPlaceEvaluator
from gradient_check.core.probe import centred

SEEDS = range(5)


def outcomes(loss, params, grads, **kw):
    """(ok, evidence) for every seed in SEEDS, and the last report."""
    reports = [check(loss, params, grads, seed=seed, **kw) for seed in SEEDS]
    return {(r.ok, r.evidence) for r in reports}, reports[-1]


def precision_note(report) -> str:
    return next(n for n in report.notes if n.startswith("precision "))


def test_a_locally_constant_function_is_float64_and_never_stepped_further():
    x = np.array([0.45, 1.2, 2.6, -0.7])  # round's jump at 0.5 is 11 % of 0.45 away

    def loss(p):
        return float(np.sum(np.round(p)))

    seen, report = outcomes(loss, x, np.zeros(4))
    assert len(seen) == 1 and report.ok
    assert precision_note(report).startswith("precision float64: f did not change at all")
    # nothing lengthened
    assert "lengthened" not in report.evaluations
    assert report.parameters[0].step_max < 1e-4  # a float64 step, not several per cent
    assert any("does not depend on any parameter" in note for note in report.notes)


def test_a_saturated_clamp_is_flat_and_a_wrong_gradient_there_is_still_caught():
    x = np.array([0.52, 2.0, -3.0])  # 0.52: a step of several per cent reaches the corner

    def loss(p):
        return float(np.sum(np.clip(p, -0.5, 0.5) ** 2))

    seen, report = outcomes(loss, x, np.zeros(3))
    assert seen == {(True, report.evidence)}
    assert precision_note(report).startswith("precision float64: f did not change at all")
    wrong = check(loss, x, np.array([0.0, 1.0, 0.0]))
    assert [e.label for e in wrong.parameters[0].wrong] == ["params[1]"]


@pytest.mark.parametrize(
    ("name", "loss", "x", "grad"),
    [
        ("sum of logs", lambda p: float(np.sum(np.log(p))), np.array([0.8, 1.7]), None),
        ("ratio", lambda p: float(p[0] / p[1]), np.array([3.0, 2.0]), np.array([0.5, -0.75])),
        ("offset", lambda p: float(1e8 + 1e-3 * np.sum(p**2)), np.array([0.3, -1.2]), None),
    ],
)
def test_cancelling_or_offset_float64_functions_are_float64_whatever_the_seed(name, loss, x, grad):
    grads = {
        "sum of logs": 1 / x,
        "offset": 2e-3 * x,
    }.get(name, grad)
    seen, report = outcomes(loss, x, grads)
    assert len(seen) == 1, seen  # the outcome does not depend on `seed`
    assert precision_note(report).startswith("precision float64")
    assert report.parameters[0].step_max < 1e-2 * np.max(np.abs(x))  # not several per cent
    if name != "offset":  # the offset's rounding (1.5e-8 absolute) is the function's own
        assert report.ok
        wrong = grads.copy()
        wrong[0] *= 1.01
        assert {r.evidence.name for r in (check(loss, x, wrong, seed=s) for s in SEEDS)} == {
            "WRONG"
        }


def test_float32_inside_with_float64_parameters_is_float32_and_says_why():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 200)), rng.standard_normal(40)
    w = rng.standard_normal(200) / 10  # float64 parameters, cast to float32 inside

    def loss(p):
        return float(np.mean((np.float32(X) @ p.astype(np.float32) - y) ** 2))

    def grad(p):
        r = (np.float32(X) @ p.astype(np.float32)).astype(np.float64) - y
        return 2 * np.float32(X).astype(np.float64).T @ r / len(y)

    seen, report = outcomes(loss, w, grad(w))
    assert len(seen) == 1 and report.evidence.name != "WRONG"  # no false alarm, any seed
    note = precision_note(report)
    assert note.startswith("precision float32: measured")
    assert "lower precision inside than the float64 it returns" in note
    assert report.parameters[0].step_max > 1e-4  # float32's step, eps32^(1/3) x |w_i|


def test_a_float32_model_returned_with_item_is_float32():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((6, 4)).astype(np.float32)

    def loss(p):
        return float(np.sum(np.tanh(A @ np.asarray(p, dtype=np.float32))))

    w = rng.standard_normal(4).astype(np.float32)
    g = (A.T @ (1 - np.tanh(A @ w) ** 2)).astype(np.float64)
    report = check(loss, w, g)
    assert report.ok and precision_note(report).startswith("precision float32: measured")


def test_an_ignored_parameter_is_named_as_exactly_that():
    params = {"a": np.array([0.5, -1.5]), "b": np.array([2.0, 3.0])}

    def loss(p):
        return float(np.sum(p["a"] ** 3))

    report = check(loss, params, {"a": 3 * params["a"] ** 2, "b": np.zeros(2)})
    assert report.ok
    assert any("does not depend on `b`" in note for note in report.notes), report.notes
    # an even function at its minimum is not "independent": f moves, symmetrically
    even = check(lambda p: float(np.sum(p**2)), np.array([0.0, 1.0]), np.array([0.0, 2.0]))
    assert not any("does not depend" in note for note in even.notes)


def test_a_float64_function_costs_one_probe_evaluation():
    from gradient_check.core.precision import measure_precision

    x = np.array([0.3, -1.1, 2.0])
    vector = flatten(x)
    calls = []

    def f(p):
        calls.append(1)
        return float(np.sum(np.sin(p)))

    with centred(f, x, vector, True, "loss", scalar=True) as at:
        before = len(calls)
        found = measure_precision(
            InPlaceEvaluator(f, at.workspace, at.spec), at.workspace, at.spec, at.f0
        )
        assert (found.resolution, found.flat, found.evaluations) == (np.finfo(float).eps, False, 1)
        assert len(calls) - before == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_the_sub_ulp_move_stays_in_every_cell_and_the_ulp_move_leaves_it(dtype):
    from gradient_check.core.precision import SUB_ULP, ulp_move

    rng = np.random.default_rng(2)
    theta = np.concatenate(
        [
            rng.standard_normal(20000) * 10.0 ** rng.integers(-3, 4, 20000),
            rng.standard_normal(500).astype(dtype).astype(np.float64),  # values of dtype
            2.0 ** np.arange(-8, 8),  # binade edges, where the ulp changes
            -(2.0 ** np.arange(-8, 8)),
        ]
    )
    target = ulp_move(theta, dtype)
    moved = target != theta
    sub = theta + (target - theta) * SUB_ULP
    assert np.array_equal(sub.astype(dtype), theta.astype(dtype))  # invisible in dtype
    assert np.all(target[moved].astype(dtype) != theta[moved].astype(dtype))  # visible
    assert moved[np.abs(theta) >= np.finfo(dtype).tiny].all() or dtype is np.float16


def test_float16_inside_with_float64_parameters_is_never_confirmed_wrong():
    """tanh(A16 @ p16) with float64 parameters: blind to 84 float32 ulps, smooth at float16's;
    taken as at least float32-coarse, so the steps are long enough and no element of the
    correct gradient is 'confirmed wrong' (float16's rounding may leave it undecided)."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((5, 4))
    A16 = A.astype(np.float16)
    p = rng.standard_normal(4)

    def loss(q):
        return float(np.sum(np.tanh(A16 @ q.astype(np.float16))))

    z = np.tanh(A @ p)
    report = check(loss, p, A.T @ (1 - z**2))
    assert report.outcome is not Outcome.WRONG
    assert "float64" not in report.notes[0].split(":")[0]


def test_float32_inside_is_found_where_f_does_not_change_along_theta():
    """f = q0 / q1 + q2 / q3 computed in float32, at powers of two: moving every element
    away from zero by 84 float32 ulps scales each by the same factor and leaves f unchanged
    to the bit (g . theta = 0), which is no evidence of coarse arithmetic. The probe tries
    alternating signs before concluding anything, and finds float32."""
    p = np.array([0.5, -0.25, 1.0, 2.0])

    def loss(q):
        q32 = q.astype(np.float32)
        return float(q32[0] / q32[1] + q32[2] / q32[3])

    gradient = np.array([1 / p[1], -p[0] / p[1] ** 2, 1 / p[3], -p[2] / p[3] ** 2])
    report = check(loss, p, gradient)
    assert precision_note(report).startswith("precision float32")
    assert report.outcome is Outcome.PASS
    assert check(loss, p, 2 * gradient).outcome is Outcome.WRONG
