"""A row's worst element, its norms (scaled: no overflow) and the global diff over blocks."""

import numpy as np
import pytest

from gradient_check import Outcome, check, check_jacobian
from gradient_check.core.blockscan import worst_element


def test_worst_element_is_the_largest_absolute_difference():
    residual = np.array([[0.1, 0.3, 0.0], [0.2, 0.3, 0.05]])
    assert worst_element(residual) == (0, 1)  # the first of a tie, row-major


def test_the_worst_element_is_the_largest_absolute_error_not_the_largest_relative_one():
    a = np.array([[3.0, -1.0, 0.5], [2.0, 0.25, 1e-3]])

    def loss(p):
        return float(np.sum(a * p["W"]) + 0.5 * np.sum(p["W"] ** 2))

    W = np.array([[0.5, 2.0, -1.0], [0.1, 0.2, 0.3]])
    grads = a + W
    grads[0, 1] += 0.3  # 0.3 absolute on 1.0: the worst element
    grads[1, 2] += 0.2  # 0.2 absolute on 0.301: the worst relative error
    row = check(loss, {"W": W}, {"W": grads}).row("W")
    assert row.worst_index == "W[0, 1]"
    assert row.worst_analytic == grads[0, 1]
    assert abs(row.worst_numeric - (a + W)[0, 1]) < 1e-8
    assert abs(row.max_abs_error - 0.3) < 1e-8


def test_a_jacobian_row_names_its_worst_entry_by_output_and_parameter():
    A = np.arange(12.0).reshape(3, 4) / 7
    J = A.copy()
    J[1, 2] += 0.5
    J[0, 0] += 0.1
    row = check_jacobian(lambda x: A @ x, np.array([0.3, -0.2, 0.5, 1.0]), J).parameters[0]
    assert row.worst_index == "out[1] / params[2]"
    assert row.worst_analytic == J[1, 2]
    assert abs(row.worst_numeric - A[1, 2]) < 1e-8


def test_the_global_diff_is_the_texts_formula_over_every_block():
    from gradient_check import relative_difference

    W, b = np.array([[0.5, -1.0], [2.0, 0.25]]), np.array([1.5, -0.5])

    def loss(p):
        return float(np.sum(p["W"] ** 3) / 3 + np.sum(np.sin(p["b"])))

    grads = {"W": W**2 * 1.1, "b": np.cos(b)}
    report = check(loss, {"W": W, "b": b}, grads)
    analytic = np.concatenate([grads["W"].ravel(), grads["b"]])
    exact = np.concatenate([(W**2).ravel(), np.cos(b)])
    assert report.diff == pytest.approx(relative_difference(analytic, exact), rel=1e-7)
    assert report.row("b").diff < 1e-9 and report.wrong == ["W"]


@pytest.mark.parametrize("scale", [1e154, 1e160])
def test_block_norms_of_huge_derivatives_neither_overflow_nor_nan(scale):
    # two outputs: "big" of order `scale` (its squares overflow), "small" of order 1
    def f(p):
        x = p["x"]
        return {"big": np.array([scale * np.sin(x[0]) * x[1]]), "small": np.cos(x)}

    def blocks(p, factor=1.0):
        x = p["x"]
        big = factor * scale * np.array([[np.cos(x[0]) * x[1], np.sin(x[0])]])
        return {"big": {"x": big}, "small": {"x": np.diag(-np.sin(x))}}

    params = {"x": np.array([0.3, 1.2])}
    good = check_jacobian(f, params, blocks)
    assert good.ok and good.diff < 1e-8 and good.row("x", "big").diff < 1e-8
    doubled = check_jacobian(f, params, lambda p: blocks(p, factor=2.0))
    assert doubled.wrong == ["big / x"] and not doubled.ok
    assert doubled.row("x", "big").diff == pytest.approx(1 / 3, rel=1e-6)  # not NaN
    assert doubled.diff == pytest.approx(1 / 3, rel=1e-6)  # "small" is nothing beside it


def test_a_zero_block_of_a_larger_problem_passes_against_the_problems_scale_quietly():
    # ds/dc is exactly zero: judged absolutely, against the whole Jacobian, with no note
    def f(p):
        return {"y": p["x"] ** 2, "s": np.array([np.sum(p["x"])])}

    def blocks(p):
        return {
            "y": {"x": np.diag(2 * p["x"]), "c": np.zeros((2, 1))},
            "s": {"x": np.ones((1, 2)), "c": np.zeros((1, 1))},
        }

    report = check_jacobian(f, {"x": np.array([0.5, -2.0]), "c": np.array([1.0])}, blocks)
    assert report.ok and not report.stationary
    zero = report.row("c", "s")
    assert zero.absolute and zero.diff == 0.0 and zero.error_bound < 1e-9
    assert not any("zero" in note for note in report.notes)
    assert not report.row("x", "y").absolute


def _float32_logistic():
    """Logistic regression computed in float32 inside (the parameters are cast), its bias's
    gradient a few hundredths of the weights': float32 rounding is a large share of the
    bias block itself, but tiny beside the whole gradient."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((30, 6)).astype(np.float32)
    y = (rng.uniform(size=30) < 0.5).astype(np.float32)
    w = 0.5 * rng.standard_normal(6)
    b = 0.0
    for _ in range(20):  # Newton on the bias: its gradient, the mean residual, near zero
        s = 1 / (1 + np.exp(-(X @ w + b)))
        b -= np.mean(s - y) / np.mean(s * (1 - s))
    params = [w, np.array(b + 0.02)]

    def loss(p):
        w, b = (np.asarray(t, dtype=np.float32) for t in p)
        z = X @ w + b
        return float(np.mean(np.logaddexp(np.float32(0), z) - y * z))

    z = X @ params[0].astype(np.float32) + np.float32(params[1])
    r = (1 / (1 + np.exp(-z.astype(np.float64))) - y) / 30
    return loss, params, [X.T.astype(np.float64) @ r, np.array(r.sum())]


def test_a_small_block_in_float32_is_judged_against_the_whole_gradient():
    loss, params, grads = _float32_logistic()
    report = check(loss, params, grads)
    bias = next(row for row in report.parameters if row.name == "[1]")
    assert abs(grads[1]) < 0.05 * np.linalg.norm(grads[0])
    assert report.outcome is Outcome.PASS, report
    assert bias.error_bound > 1e-2  # its own error is too large a share of it ...
    assert any("small beside the whole derivative" in note for note in report.notes)


def test_a_doubled_small_block_is_still_caught():
    loss, params, grads = _float32_logistic()
    report = check(loss, params, [grads[0], 2 * grads[1]])
    assert report.outcome is Outcome.WRONG
    assert [row.name for row in report.parameters if row.outcome is Outcome.WRONG] == ["[1]"]


def test_the_worst_element_states_the_value_its_wrong_element_states():
    """A refined element's numeric value is the refined one everywhere in the report (the
    table's worst element showed the first pass's, the list below it the refined one)."""
    x = np.array([1.0, 2.0, 3.0])
    report = check(lambda v: float(np.sum(v**3)), x, 3 * x**2 + np.array([0, 0, 1e-3]))
    row = report.parameters[0]
    (wrong,) = row.wrong
    assert row.worst_index == wrong.label == "params[2]"
    assert row.worst_numeric == wrong.numeric
