"""Truncation allowed for, never taken for a kink; steps that span f's features shortened.

A central difference's h^2 truncation, large at a fixed step where f''' is large or near
an inflection point, is estimated (Richardson, with its trend over three steps) and
allowed for: it is neither "confirmed wrong" nor a kink. A function whose length scale is
far below |theta| (sin(1000 x) at x = 100, a narrow bump) is measured at shorter steps
until the truncation estimates of two pairs agree, and is never "confirmed wrong" by a
step that spans its features.
"""

import numpy as np
import pytest
from ladder_harness import judge

from gradient_check import check
from gradient_check.core.estimate import richardson
from gradient_check.core.judge import KINK, OK, WRONG


def cubic_plus_line(p: np.ndarray) -> float:
    return float(np.sum(p**3 + p))


@pytest.mark.parametrize("h", [1e-2, 1e-1])
def test_a_cubic_near_its_inflection_at_a_fixed_step_passes(h):
    """f''' = 6 dominates at x = 0.001: the h^2 truncation was confirmed wrong."""
    x = np.array([0.001, 0.0, 0.5])
    right = check(cubic_plus_line, x, 3 * x**2 + 1, h=h)
    assert right.ok
    row = right.row("params")
    assert row.noise_count == 0 and row.kink_count == 0  # truncation, not noise nor kink
    assert check(cubic_plus_line, x, 2 * (3 * x**2 + 1), h=h).wrong == ["params"]


def test_b_cubed_over_three_at_minus_one_and_a_half_is_smooth_not_a_kink():
    """A concave f: its slopes' gap is negative; its truncation was read as a kink."""
    b = np.array([-1.5])
    right = check(lambda p: float(p[0] ** 3 / 3), b, b**2, h=2.0**-10)
    assert right.ok and right.row("params").kink_count == 0
    assert not check(lambda p: float(p[0] ** 3 / 3), b, 1.01 * b**2, h=2.0**-10).ok


@pytest.mark.parametrize(
    ("f", "grad", "x"),
    [
        (np.log, lambda x: 1 / x, [2.0, 3.0]),
        (lambda x: -np.exp(x), lambda x: -np.exp(x), [0.5, 1.0]),
        (np.sqrt, lambda x: 0.5 / np.sqrt(x), [1.0, 2.0]),
    ],
    ids=["log", "-exp", "sqrt"],
)
def test_concave_functions_at_a_fixed_step_show_no_kink(f, grad, x):
    x = np.array(x)
    report = check(lambda p: float(np.sum(f(p))), x, grad(x), h=1e-2)
    assert report.ok and report.row("params").kink_count == 0


def test_an_oscillation_faster_than_the_step_is_not_confirmed_wrong():
    """sin(1000 x) at x = 100: the automatic step 6e-4 is 0.6 rad of it."""
    x = np.array([100.0, 0.5])
    grad = np.array([1000 * np.cos(1000 * x[0]), 1.0])
    loss = lambda p: float(np.sin(1000 * p[0]) + p[1] ** 2)  # noqa: E731
    assert check(loss, x, grad).ok
    assert check(loss, x, 2 * grad).wrong == ["params"]


def bump(width: float):
    """exp(-((x - 1) / w)^2) + y^2 at x = 1 + w, and its gradient there."""
    x = np.array([1.0 + width, 0.5])

    def loss(p: np.ndarray) -> float:
        return float(np.exp(-(((p[0] - 1) / width) ** 2)) + p[1] ** 2)

    slope = -2 * (x[0] - 1) / width**2 * np.exp(-(((x[0] - 1) / width) ** 2))
    return loss, x, np.array([slope, 1.0])


def test_a_bump_narrower_than_the_step_is_not_a_kink_end_to_end():
    """w = 1e-5 against the automatic step 6e-6: its truncation was read as a kink."""
    loss, x, grad = bump(1e-5)
    right = check(loss, x, grad)
    assert right.ok and right.row("params").kink_count == 0
    assert check(loss, x, 2 * grad).wrong == ["params"]
    assert not check(loss, x, 1.01 * grad).ok


@pytest.mark.parametrize("width", [1e-5, 1e-7])
def test_a_narrow_bump_is_measured_inside_it(width):
    """With f's noise pinned to its rounding (a noise table that crosses the bump reads
    it as noise, another stage's matter), the shorter steps resolve the bump."""
    loss, x, grad = bump(width)
    assert judge(loss, x, grad).status(0) == OK
    assert judge(loss, x, 1.1 * grad).status(0) == WRONG
    assert judge(loss, x, 2 * grad).status(0) == WRONG


@pytest.mark.parametrize("x0", [1e2, 1e4])
def test_sin_1000x_with_its_noise_known_is_judged_at_a_step_inside_a_period(x0):
    loss = lambda p: float(np.sin(1000 * p[0]) + p[1] ** 2)  # noqa: E731
    x = np.array([x0, 0.5])
    grad = np.array([1000 * np.cos(1000 * x0), 1.0])
    assert judge(loss, x, grad, noise=1e-9).status(0) == OK
    assert judge(loss, x, 2 * grad, noise=1e-9).status(0) == WRONG


def test_x_cubed_at_zero_with_a_fixed_step_is_truncation_not_noise():
    """D(h) = h^2 exactly, the analytic 0: Richardson's limit is 0, and the first step's
    miss is its truncation, not noise."""
    judged = judge(lambda p: float(p[0] ** 3 + p[1]), [0.0, 0.3], [0.0, 1.0], h=1e-2)
    assert judged.status(0) == OK
    assert judge(lambda p: float(p[0] ** 3 + p[1]), [0.0, 0.3], [3e-3, 1.0], h=1e-2).status(0) == (
        WRONG
    )


def test_richardson_takes_any_ratio_per_row():
    """D(h) = f' + c h^2 at steps r h and h: the extrapolation removes c exactly."""
    h, c = np.array([1e-2, 1e-3]), 3.0
    ratio = np.array([4.0, 2.0])
    coarse = (1.0 + c * (ratio * h) ** 2)[:, None]
    fine = (1.0 + c * h**2)[:, None]
    value, error = richardson(coarse, fine, 2, ratio)
    assert value == pytest.approx(np.ones((2, 1)))
    assert error[:, 0] == pytest.approx(c * h**2)
    assert KINK != OK  # the status codes stay distinct
