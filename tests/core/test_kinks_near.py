"""Kinks at, near and several inside the step: shorten the step rather than guess.

Piecewise functions with half their elements at a breakpoint or 1e-9 .. 1e-3 from it:
correct derivatives (the frameworks' conventions at the breakpoint) pass; doubled ones and
one element 10 % off are confirmed wrong. A kink just off theta must not hide a fault
inside a wide bracket; several kinks inside one step, which can put f' outside the
one-sided slopes, are stepped past rather than confirmed wrong.
"""

import numpy as np
import pytest
from ladder_harness import judge

from gradient_check import check
from gradient_check.core.judge import KINK, OK, UNRESOLVED, WRONG
from gradient_check.core.refine import refine_elements

OFFSETS = [0.0, 1e-9, 1e-7, 1e-5, 1e-3]
N = 6
NEAR = np.array([True, False, True, False, True, False])  # elements at or near a breakpoint
SIDE = np.array([1.0, -1.0, -1.0, 1.0, 1.0, -1.0])
W = np.array([0.7, -1.3, 1.1, 0.4, -0.9, 1.6])
EDGE = np.array([1.0, -1.0, -1.0, 1.0, 1.0, -1.0])  # breakpoints of clip, hinge labels


def near(breakpoint: np.ndarray, offset: float, inward: bool = False) -> np.ndarray:
    """Half the elements `offset` from their breakpoint (on SIDE), the others 0.3 .. 0.8
    away (``inward``: towards 0, where hinge, clip and huber have a slope)."""
    away = np.linspace(0.3, 0.8, N)
    far = breakpoint * (1 - away) if inward else breakpoint + SIDE * away
    return np.where(NEAR, breakpoint + SIDE * offset, far)


def family(name: str, offset: float) -> tuple:
    """(f, theta, its correct derivative) at the frameworks' conventions."""
    if name == "abs":
        x = near(np.ones(N), offset)
        return lambda p: float(W @ np.abs(p - 1)), x, W * np.sign(x - 1)
    if name == "relu":
        x = near(np.ones(N), offset)
        return lambda p: float(W @ np.maximum(p - 1, 0)), x, W * (x > 1)
    if name == "hinge":  # sum max(0, 1 - y x): the breakpoint at x = y
        x = near(EDGE, offset, inward=True)
        return lambda p: float(np.sum(np.maximum(0, 1 - EDGE * p))), x, -EDGE * (1 - EDGE * x > 0)
    if name == "clip":
        x = near(EDGE, offset, inward=True)
        inside = (x >= -1) & (x <= 1)
        return lambda p: float(W @ np.clip(p, -1, 1)), x, W * inside
    if name == "huber":  # C1: f'' jumps at |r| = 1, f' does not
        x = near(EDGE, offset, inward=True)
        huber = lambda r: np.where(np.abs(r) <= 1, 0.5 * r * r, np.abs(r) - 0.5)  # noqa: E731
        return lambda p: float(W @ huber(p)), x, W * np.clip(x, -1, 1)
    # max of several: pairs (0, 1), (2, 3), (4, 5) tied within the offset, plus a smooth term
    x = np.array([1.0, 1.0 - offset, -0.5, -0.5 + offset, 0.3, 0.3 - offset])
    pairs = x.reshape(3, 2)
    first = pairs[:, 0] >= pairs[:, 1]  # the first argmax takes a tie

    def f(p: np.ndarray) -> float:
        return float(np.sum(W[:3] * p.reshape(3, 2).max(axis=1)) + 0.05 * p @ p)

    grad = 0.1 * x + np.stack([W[:3] * first, W[:3] * ~first], axis=1).ravel()
    return f, x, grad


FAMILIES = ["abs", "relu", "hinge", "clip", "huber", "max"]
KINKED = ["abs", "relu", "hinge", "clip", "max"]
INSIDE_STEP = [1e-9, 1e-8, 1e-7, 1e-6]  # from the breakpoint, inside the automatic step


def across(name: str, offset: float) -> np.ndarray:
    """f' just across each breakpoint (the slope the first step's bracket reaches there):
    the derivative with every near element moved to the other side (a tie broken the
    other way for max)."""
    return family(name, -offset)[2]


@pytest.mark.parametrize("offset", INSIDE_STEP)
@pytest.mark.parametrize("name", KINKED)
def test_near_a_breakpoint_a_fault_inside_the_bracket_is_caught(name, offset):
    """Correct passes, doubled is wrong, and an element at the breakpoint moved 10 % of the
    way towards the slope across it (inside the first step's bracket, which used to accept
    it as a subgradient) is wrong: the kink is not at theta, f' there is one value."""
    f, x, grad = family(name, offset)
    assert all(judge(f, x, grad).status(i) in (OK, KINK) for i in range(x.size))
    assert any(judge(f, x, 2 * grad).status(i) == WRONG for i in range(x.size))
    other = across(name, offset)
    i = int(np.flatnonzero(np.abs(other - grad) > 0.1)[0])
    faulty = grad.copy()
    faulty[i] += 0.1 * (other[i] - grad[i])
    judged = judge(f, x, faulty)
    assert judged.status(i) == WRONG
    assert [k for k in range(x.size) if judged.status(k) == WRONG] == [i]


@pytest.mark.parametrize("offset", [0.0, 1e-3])
@pytest.mark.parametrize("name", FAMILIES)
def test_guard_at_and_away_from_breakpoints(name, offset):
    """Guards (these passed before): at an exact breakpoint and 1e-3 from it, correct
    passes; doubled and one element 10 % off (away from the breakpoints) are wrong."""
    f, x, grad = family(name, offset)
    assert all(judge(f, x, grad).status(i) in (OK, KINK) for i in range(x.size))
    assert any(judge(f, x, 2 * grad).status(i) == WRONG for i in range(x.size))
    faulty = grad.copy()
    i = int(np.argmax(np.abs(grad) * ~NEAR)) if name != "max" else 0
    faulty[i] *= 1.1
    judged = judge(f, x, faulty)
    assert [k for k in range(x.size) if judged.status(k) == WRONG] == [i]


@pytest.mark.parametrize("offset", INSIDE_STEP)
def test_a_kink_just_off_theta_does_not_hide_a_fault_inside_its_bracket(offset):
    """f = -0.2 x + |x| at x = offset: f' = 0.8, the bracket at the first step [-1.2, 0.8]
    holds 0.72 (10 % off) and -1.2 (the other side's slope): both are wrong."""
    f = lambda p: float(-0.2 * p[0] + abs(p[0]) + p[1] ** 2)  # noqa: E731
    x = np.array([offset, 0.5])
    assert judge(f, x, [0.8, 1.0]).status(0) in (OK, KINK)
    assert judge(f, x, [0.72, 1.0]).status(0) == WRONG
    assert judge(f, x, [-0.2, 1.0]).status(0) == WRONG  # between the slopes, off both


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 5, 6])
def test_several_kinks_inside_one_step_are_stepped_past(seed):
    """Hinge and L1 terms of one element, 1e-9 .. 1e-6 from their kinks, of both signs:
    f' can lie outside the one-sided slopes at the first step; the shorter steps find it."""
    rng = np.random.default_rng(seed)
    kinks = 1.0 + rng.choice([-1, 1], 4) * np.array([1e-9, 3e-8, 2e-7, 1e-6])
    weights = np.array([1.0, -2.0, 1.5, -0.7]) * rng.choice([-1, 1], 4)
    f = lambda p: float(weights @ np.abs(p[0] - kinks) + np.maximum(0, 1 - p[1]))  # noqa: E731
    x = np.array([1.0, 0.5])
    right = float(weights @ np.sign(1.0 - kinks))
    assert judge(f, x, [right, -1.0]).status(0) in (OK, KINK)
    assert judge(f, x, [2 * right, -1.0]).status(0) == WRONG
    assert judge(f, x, [1.1 * right, -1.0]).status(0) == WRONG


def test_guard_an_interior_subgradient_at_an_exact_kink_costs_a_few_evaluations():
    """abs'(0) = sign(0) = 0 lies strictly inside [-1, 1]: only a step near the shortest
    that still resolves it tells a kink at theta from one just off it; refinement jumps
    there (4 evaluations more), it does not walk down stage by stage."""
    f = lambda p: float(abs(p[0]) + p[1] ** 2)  # noqa: E731
    judged = judge(f, [0.0, 0.5], [0.0, 1.0])
    assert judged.status(0) == KINK
    assert judged.bracket(0) == pytest.approx((-1.0, 1.0), abs=1e-6)
    assert judged.refined_evaluations <= 6


def test_a_kink_seen_at_two_steps_only_is_not_confirmed_wrong():
    """Outside the one-sided slopes at two steps: unresolved, not wrong (several kinks in
    the step could put f' there); settled at three, it is wrong (through the ladder)."""
    one = lambda v: np.array([[v]])  # noqa: E731
    result = refine_elements(
        analytic=one(3.0),
        coarse=one(0.0),
        fine=one(0.0),
        rounding_coarse=one(1e-12),
        rounding_fine=one(1e-12),
        analytic_rounding=np.zeros(1),
        order=2,
        margin=4.0,
        slopes_coarse=(one(-1.0), one(1.0)),
        slopes_fine=(one(-1.0), one(1.0)),
    )
    assert result.status[0, 0] == UNRESOLVED
    f = lambda p: float(abs(p[0]) + p[1] ** 2)  # noqa: E731
    assert judge(f, [0.0, 0.5], [3.0, 1.0]).status(0) == WRONG


@pytest.mark.parametrize("offset", [0.0, 1e-3])
@pytest.mark.parametrize("name", FAMILIES)
def test_guard_end_to_end_at_and_away_from_breakpoints(name, offset):
    """Guards through ``check`` (the probe's noise table does not cross these breakpoints)."""
    f, x, grad = family(name, offset)
    assert check(f, x, grad).ok
    assert not check(f, x, 2 * grad).ok
    faulty = grad.copy()
    i = int(np.argmax(np.abs(grad) * ~NEAR)) if name != "max" else 0
    faulty[i] *= 1.1
    wrong = check(f, x, faulty)
    assert [e.label for e in wrong.parameters[0].wrong] == [f"params[{i}]"]


@pytest.mark.parametrize("offset", [1e-9, 1e-7, 1e-6])
def test_end_to_end_a_kink_just_off_theta_hides_no_fault(offset):
    f = lambda p: float(-0.2 * p[0] + abs(p[0]) + p[1] ** 2)  # noqa: E731
    x = np.array([offset, 0.5])
    assert check(f, x, np.array([0.8, 1.0])).ok
    assert check(f, x, np.array([0.72, 1.0])).wrong == ["params"]
