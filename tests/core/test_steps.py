"""Steps that follow each element: its own scale, not its tensor's mean magnitude."""

import numpy as np
import pytest

from gradient_check import check, flatten, relative
from gradient_check.core.steps import element_scales

X = np.array([0.01, 100.0, 50.0, 30.0])  # one array holding 0.01 and 100


def log_loss(p):
    return float(np.sum(np.log(p)))


def test_an_element_far_below_its_tensors_mean_is_stepped_at_its_own_scale():
    scales = element_scales(flatten(X))
    np.testing.assert_array_equal(scales, X)
    report = check(log_loss, X, 1 / X)
    assert report.ok and report.parameters[0].step_min < 1e-6  # 0.01's step, not 100's


def test_a_one_percent_error_at_the_small_element_is_confirmed_not_a_kink():
    wrong = 1 / X
    wrong[0] *= 1.01
    report = check(log_loss, X, wrong)
    row = report.parameters[0]
    assert [e.label for e in row.wrong] == ["params[0]"]
    assert row.kink_count == 0  # log is smooth: no "valid subgradient" at 0.01


def test_relative_steps_follow_each_element_and_never_leave_the_domain():
    report = check(log_loss, X, 1 / X, h=relative(0.5))  # half of each element
    assert not any("domain" in note for note in report.notes)
    assert report.parameters[0].step_min == pytest.approx(0.005)


def test_a_zero_takes_its_tensors_typical_element_and_a_tiny_one_a_floor():
    W = np.array([0.0, 1e-30, 2.0, 3.0, 4.0, 100.0])
    scales = element_scales(flatten({"W": W, "b": np.zeros(2)}))
    assert scales[0] == 3.0  # the median nonzero magnitude, not dragged up by the 100
    assert scales[1] == pytest.approx(np.sqrt(np.finfo(float).eps) * 3.0)
    np.testing.assert_array_equal(scales[2:6], W[2:])
    np.testing.assert_array_equal(scales[6:], [3.0, 3.0])  # an all-zero tensor: theta's
    assert element_scales(flatten(np.zeros(3))).tolist() == [1.0, 1.0, 1.0]
    # the floor follows the precision: float32's is sqrt(eps32) of the typical element
    assert element_scales(flatten(W), np.finfo(np.float32).eps)[1] == pytest.approx(
        np.sqrt(np.finfo(np.float32).eps) * 3.0
    )


@pytest.mark.parametrize("centre", [-2.0, 2.0, -0.5, 1024.0, -3.0])
def test_both_sides_of_a_power_of_two_take_the_same_step(centre):
    """At theta = -2 floats below are twice as coarse as above: a step rounded on the fine
    side is not exact on the coarse one, and the difference of a quadratic at its minimum
    came out as -2.2e-16 against an estimated error of 4e-17: a false 'confirmed wrong'."""
    c = np.array([1.0, centre])
    report = check(lambda v: float(np.sum((v - c) ** 2)), c.copy(), np.zeros(2))
    assert report.ok, report
    assert all(row.worst_numeric == 0.0 for row in report.parameters)
