"""A point apart: f(theta) differs from f on both sides, which agree with each other.

The central difference (f(theta + h) - f(theta - h)) / 2h never uses f(theta): it is the
derivative of f's continuous extension, and the element is judged by it as a smooth
function's would be (a removable discontinuity), with a note. A real jump (f's values on
the two sides differ from f(theta) by different amounts) stays "cannot tell".
"""

import numpy as np
import pytest

from gradient_check import Outcome, check

THETA = np.array([0.7, 1.0])
APART = "f(theta) stands apart from f on both sides (a removable discontinuity)"


def apart(p: np.ndarray) -> float:
    """p0 where p1 == 1 exactly, plus p0^2: f(p0, 1) stands apart in p1."""
    return float(p[0] * (p[1] == 1.0) + p[0] ** 2)


def test_a_point_apart_is_judged_by_the_central_difference():
    report = check(apart, THETA.copy(), np.array([1 + 2 * 0.7, 0.0]))
    assert report.outcome is Outcome.PASS, report.headline
    note = next(n for n in report.notes if APART in n)
    assert "params[1]" in note and "does not use f(theta)" in note
    assert "params[0]" not in note


@pytest.mark.parametrize("gradient", [[2 * (1 + 1.4), 0.0], [1 + 1.4, 5.0]])
def test_a_wrong_element_beside_or_at_a_point_apart_is_confirmed_wrong(gradient):
    report = check(apart, THETA.copy(), np.array(gradient))
    assert report.outcome is Outcome.WRONG, report.headline
    assert "confirmed wrong" in report.headline


def test_a_real_jump_still_cannot_be_told():
    report = check(
        lambda p: float(np.floor(p[0]) + p[1] ** 2), np.array([3.0, 1.5]), np.array([0.0, 3.0])
    )
    assert report.outcome is Outcome.CANNOT_TELL
    assert "f jumps at params[0]" in report.headline
    assert not any(APART in n for n in report.notes)
