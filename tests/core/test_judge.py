"""Kinks: a valid subgradient is accepted and reported apart; anything else is wrong."""

import numpy as np
import pytest

from gradient_check import check

STEP = np.finfo(float).eps ** (1 / 3)  # the automatic central step at theta = 1


@pytest.mark.parametrize("where", [0.0, 0.1, 0.25, 0.33, 0.45, 0.6])
def test_abs_kink_at_or_inside_the_step(where):
    kink = 1.0 + where * STEP

    def loss(p):
        return float(abs(p["a"][0] - kink) + p["b"][0] ** 2)

    params = {"a": np.array([1.0]), "b": np.array([2.0])}
    right = check(loss, params, {"a": np.array([-1.0]), "b": np.array([4.0])})
    assert right.ok
    if where == 0:  # at the kink: reported apart, not hidden
        assert right.row("a").kink_count == 1
    # off it, a shorter step that no longer reaches the kink sees a smooth |a - kink| there
    # (issue 14: a kink just off the point is not accepted on a bracket that spans it)
    wrong = check(loss, params, {"a": np.array([-2.0]), "b": np.array([4.0])})
    assert wrong.wrong == ["a"]


@pytest.mark.parametrize("subgradient", [0.0, 0.3, 1.0])
def test_relu_at_zero_accepts_any_value_between_the_one_sided_slopes(subgradient):
    report = check(
        lambda p: float(np.sum(np.maximum(p, 0.0))),
        np.array([0.0, 1.5, -2.0]),
        np.array([subgradient, 1.0, 0.0]),
    )
    assert report.ok
    kink = report.parameters[0].kinks[0]
    assert kink.label == "params[0]"
    assert (kink.low, kink.high) == pytest.approx((0.0, 1.0), abs=1e-6)
    assert "where the analytic value is a valid subgradient" in str(report)


def test_relu_at_zero_outside_the_bracket_is_wrong():
    report = check(
        lambda p: float(np.sum(np.maximum(p, 0.0))), np.array([0.0, 1.5]), np.array([1.5, 1.0])
    )
    assert [e.label for e in report.parameters[0].wrong] == ["params[0]"]


def test_max_pooling_tie_and_hinge():
    def pool(p):  # max over a window with a tie: the subgradient may split the weight
        return float(np.max(p["x"]) + np.sum(np.maximum(0.0, 1.0 - p["w"] * 2.0)))

    params = {"x": np.array([3.0, 3.0, 1.0]), "w": np.array([0.5, 0.1])}
    grads = {"x": np.array([0.5, 0.5, 0.0]), "w": np.array([-1.0, -2.0])}
    report = check(pool, params, grads)
    assert report.ok
    assert sum(row.kink_count for row in report.parameters) >= 3
