"""Jumps: one-sided slopes that grow like 1/h are a discontinuity, never a kink.

No analytic value is a valid subgradient at a jump. A jump inside the step but off theta
leaves the stencil once the step is shorter than its distance, and f is then judged where
it is smooth; a jump at theta (within the shortest step) is reported as JUMP, "cannot
tell", unless the analytic value is far outside the slopes either side of it.
"""

import numpy as np
import pytest
from ladder_harness import AUTO, judge

from gradient_check import check
from gradient_check.core.judge import JUMP, OK, UNRESOLVED, WRONG
from gradient_check.core.refine import refine_elements


def step_plus_line(where: float):
    """x + H(x - where) + y^2: a unit jump at x = where, slope 1 on both sides."""

    def f(p: np.ndarray) -> float:
        return float(p[0] + (p[0] > where) + p[1] ** 2)

    return f


@pytest.mark.parametrize("offset", [1e-9, 1e-7, 1e-6, 1e-5])
@pytest.mark.parametrize("side", [-1.0, 1.0])
def test_a_jump_off_theta_is_stepped_past_and_the_smooth_slope_judged(offset, side):
    theta = np.array([1.0 + side * offset, 0.5])
    f = step_plus_line(1.0)
    right = judge(f, theta, [1.0, 1.0])
    assert right.status(0) == OK
    assert judge(f, theta, [1.1, 1.0]).status(0) == WRONG  # one element 10 % off
    assert judge(f, theta, [1000.0, 1.0]).status(0) == WRONG


@pytest.mark.parametrize(
    "f",
    [
        lambda p: float(np.sign(p[0]) + 0.5 * p[1] ** 2),  # sign at 0
        lambda p: float(np.floor(p[0] + 3.0) + p[1] ** 2),  # floor at an integer
        lambda p: float(np.heaviside(p[0], 0.5) + p[1] ** 2),  # a step, f(0) between
    ],
    ids=["sign", "floor", "heaviside"],
)
def test_a_jump_at_theta_is_a_jump_and_cannot_be_checked(f):
    """The a.e. derivative (0) is not confirmed; nor accepted as a subgradient."""
    theta = np.array([0.0, 0.5])
    right = judge(f, theta, [0.0, 1.0])
    assert right.status(0) == JUMP
    low, high = right.bracket(0)  # the slopes either side of the jump, without it
    assert abs(low) < 1e-6 and abs(high) < 1e-6
    assert judge(f, theta, [1000.0, 1.0]).status(0) == WRONG  # far outside even those


def test_a_jump_at_theta_keeps_the_slope_of_the_function_beside_it():
    f = step_plus_line(0.0)
    theta = np.array([0.0, 0.5])
    assert judge(f, theta, [1.0, 1.0]).status(0) == JUMP
    assert judge(f, theta, [1.2, 1.0]).status(0) == JUMP  # within the slack: cannot tell
    assert judge(f, theta, [2.0, 1.0]).status(0) == WRONG  # doubled: far outside


def test_slopes_that_grow_like_one_over_h_are_not_a_bracket():
    """At two steps only, a gap that doubles as the step halves is not a kink: today's
    bracket [1, 1 + 1/h] would accept a value 1000 times off."""
    one = lambda v: np.array([[v]])  # noqa: E731
    h = 1e-5
    result = refine_elements(
        analytic=one(1000.0),
        coarse=one(1 + 1 / (4 * h)),
        fine=one(1 + 1 / (2 * h)),
        rounding_coarse=one(1e-12),
        rounding_fine=one(1e-12),
        analytic_rounding=np.zeros(1),
        order=2,
        margin=4.0,
        slopes_coarse=(one(1.0), one(1 + 1 / (2 * h))),
        slopes_fine=(one(1.0), one(1 + 1 / h)),
    )
    assert result.status[0, 0] == UNRESOLVED  # two steps decide nothing: no bracket, no pass


def test_a_jump_inside_the_step_no_longer_accepts_a_value_1000_times_off():
    """End to end: the jump 0.3 h from theta; today a bracket [1, 275234] accepted 1000."""
    f = step_plus_line(1.0 + 0.3 * AUTO)
    x = np.array([1.0, 2.0])
    assert check(f, x, np.array([1.0, 4.0])).ok
    wrong = check(f, x, np.array([1000.0, 4.0]))
    assert wrong.row("params").wrong_count == 1
    assert not wrong.ok
