"""Gradients near 1e154 and beyond: norms that do not overflow, and NaN never agreement.

f = C sum(sin(theta)) has the gradient C cos(theta); for C >= 1e154 the squares of the
gradient's elements (or their sum) overflow float64, which once turned the relative
difference into NaN and NaN into a pass: a doubled gradient passed.
"""

import warnings

import numpy as np
import pytest

from gradient_check import Outcome, Verdict, check

THETA = np.array([0.3, -1.2, 0.7, 2.0])


def _problem(scale: float):
    def loss(theta: np.ndarray) -> float:
        return float(scale * np.sum(np.sin(theta)))

    def grad(theta: np.ndarray) -> np.ndarray:
        return scale * np.cos(theta)

    return loss, grad


def test_a_correct_gradient_of_magnitude_1e154_passes_without_a_warning():
    loss, grad = _problem(1e154)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow on the way either
        report = check(loss, THETA, grad)
    assert report.outcome is Outcome.PASS and report.ok
    assert report.diff < 1e-9 and report.verdict is Verdict.CORRECT


def test_the_same_gradient_doubled_is_confirmed_wrong_with_a_finite_diff():
    loss, grad = _problem(1e154)
    report = check(loss, THETA, lambda theta: 2 * grad(theta))
    assert report.outcome is Outcome.WRONG and not report.ok
    assert report.diff == pytest.approx(1 / 3, rel=1e-6)  # |2g - g| / (|2g| + |g|), not NaN
    assert report.row("params").wrong_count == 4
    assert report.headline == "fail: confirmed wrong in params (4 elements)"


# Beyond 1e154 the function's values themselves square to inf in places (the noise table,
# the judge's products of gaps); those stages may warn, but the verdict must hold.
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("scale", [1e160, 1e200, 1e300])
def test_verdicts_hold_up_to_1e300(scale):
    loss, grad = _problem(scale)
    correct = check(loss, THETA, grad)
    assert correct.outcome is Outcome.PASS and correct.diff < 1e-9
    doubled = check(loss, THETA, lambda theta: 2 * grad(theta))
    assert doubled.outcome is Outcome.WRONG
    assert doubled.diff == pytest.approx(1 / 3, rel=1e-6)
