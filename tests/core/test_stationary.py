"""Stationary points: a correct gradient passes on absolute agreement, a wrong one is caught.

At an optimum the gradient is zero, the numeric one is its finite difference's error, and
the texts' relative difference is a ratio of two errors (about 1 for a right gradient).
The check judges such a point absolutely: each element against its estimated error, that
error against the curvature's scale, with a note saying so.
"""

import numpy as np
import pytest
from scipy.optimize import minimize

from gradient_check import Outcome, Verdict, check
from gradient_check.core.stationary import is_stationary


def rosenbrock(x: np.ndarray) -> float:
    return float((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2)


def rosenbrock_grad(x: np.ndarray) -> np.ndarray:
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])


MINIMUM = np.array([1.0, 1.0])

RNG = np.random.default_rng(0)
A, B = RNG.standard_normal((20, 3)), RNG.standard_normal(20)
X = RNG.standard_normal((50, 4))
Y = (X @ np.array([1.0, -2.0, 0.5, 0.0]) + RNG.standard_normal(50) > 0).astype(float)
L2 = 0.1


def least_squares(w: np.ndarray) -> float:
    return float(0.5 * np.sum((A @ w - B) ** 2))


def least_squares_grad(w: np.ndarray) -> np.ndarray:
    return A.T @ (A @ w - B)


def logistic(w: np.ndarray) -> float:
    z = X @ w
    return float(np.mean(np.logaddexp(0, z) - Y * z) + L2 / 2 * w @ w)


def logistic_grad(w: np.ndarray) -> np.ndarray:
    return X.T @ (1 / (1 + np.exp(-X @ w)) - Y) / len(Y) + L2 * w


def _fitted_logistic(gtol: float) -> np.ndarray:
    fit = minimize(logistic, np.zeros(4), jac=logistic_grad, method="BFGS", options={"gtol": gtol})
    return fit.x


def _assert_stationary_pass(report) -> None:
    assert report.outcome is Outcome.PASS and report.ok
    assert report.stationary and all(row.absolute for row in report.parameters)
    assert report.headline.startswith("pass — at a stationary point")
    assert any(note.startswith("stationary point: ") for note in report.notes)


def test_rosenbrock_at_its_minimum_passes_absolutely():
    report = check(rosenbrock, MINIMUM, rosenbrock_grad)
    _assert_stationary_pass(report)
    # the analytic gradient is exactly 0, the numeric one its truncation error: diff 1
    assert report.diff == pytest.approx(1.0) and report.verdict is Verdict.WRONG
    assert report.band_reading.startswith("meaningless at a stationary point")
    # judged against the curvature x |theta|: diag(H) = (802, 200) at (1, 1), |theta| = 1
    note = next(n for n in report.notes if n.startswith("stationary point"))
    assert "gradient scale, 8.3e+02" in note
    assert report.row("params").error_bound < 1e-9


@pytest.mark.parametrize("fault", [1e-3, 1e-6])
def test_a_wrong_gradient_at_the_minimum_is_still_caught(fault):
    report = check(rosenbrock, MINIMUM, lambda x: rosenbrock_grad(x) + fault)
    assert report.outcome is Outcome.WRONG
    assert report.row("params").wrong_count == 2


@pytest.mark.parametrize("offset", [1e-9, 1e-6])
def test_doubling_a_small_gradient_near_the_minimum_is_caught(offset):
    near = MINIMUM + np.array([offset, 0.0])
    assert check(rosenbrock, near, rosenbrock_grad).ok
    doubled = check(rosenbrock, near, lambda x: 2 * rosenbrock_grad(x))
    assert doubled.outcome is Outcome.WRONG and doubled.wrong == ["params"]


def test_least_squares_at_its_solution():
    solution = np.linalg.lstsq(A, B, rcond=None)[0]
    _assert_stationary_pass(check(least_squares, solution, least_squares_grad))
    wrong = check(least_squares, solution, lambda w: least_squares_grad(w) + 1e-3)
    assert wrong.outcome is Outcome.WRONG
    near = solution + 1e-3
    doubled = check(least_squares, near, lambda w: 2 * least_squares_grad(w))
    assert doubled.outcome is Outcome.WRONG


@pytest.mark.parametrize("gtol", [1e-12, 1e-8])
def test_logistic_regression_fitted_by_scipy_passes(gtol):
    w = _fitted_logistic(gtol)
    assert np.linalg.norm(logistic_grad(w)) < 1e-7  # a gradient that stands clear of zero...
    report = check(logistic, w, logistic_grad)
    _assert_stationary_pass(report)  # ...but whose extremum lies within the step


def test_logistic_regression_missing_its_l2_term_at_the_optimum_is_caught():
    w = _fitted_logistic(1e-12)
    report = check(logistic, w, lambda v: logistic_grad(v) - L2 * v)
    assert report.outcome is Outcome.WRONG and report.row("params").wrong_count == 4


def test_doubling_the_gradient_of_a_loosely_fitted_model_is_caught():
    w = _fitted_logistic(1e-5)
    assert check(logistic, w, logistic_grad).ok
    assert check(logistic, w, lambda v: 2 * logistic_grad(v)).outcome is Outcome.WRONG


def test_a_steep_function_is_not_mistaken_for_a_stationary_one():
    # exp(10 x) at x = 3: the curvature x |x| dwarfs the slope, but the slopes either side
    # of x do not change sign within the step
    report = check(
        lambda x: float(np.sum(np.exp(10 * x))), np.array([3.0, 2.5]), lambda x: 10 * np.exp(10 * x)
    )
    assert report.ok and not report.stationary
    assert not any(row.absolute for row in report.parameters)
    assert not any("stationary" in note for note in report.notes)


def test_an_ordinary_point_is_judged_relatively():
    report = check(rosenbrock, np.array([-1.2, 1.0]), rosenbrock_grad)
    assert report.ok and not report.stationary
    assert report.headline == (
        "pass — every element agrees with the finite difference within its estimated error"
    )


def test_the_decision_between_relative_and_absolute():
    assert is_stationary(best=1e-12, spread=1e-10, half_gap=0.0)  # zero within its error
    assert is_stationary(best=1e-9, spread=1e-10, half_gap=1e-6)  # slopes straddle zero
    assert not is_stationary(best=1e-3, spread=1e-10, half_gap=1e-6)  # a real slope
    assert is_stationary(best=float("nan"), spread=1e-10, half_gap=0.0)  # never relative


# Derivatives no finite difference could resolve (below noise / the element's own scale)
# agree at the limit of precision; one above that floor is still "cannot tell", and a
# resolvable fault is still confirmed wrong.
W3 = np.array([0.7, -1.3, 0.4])
ERF_POINT = np.array([10.9, -8.8, 9.7])  # erf is flat to an ulp of +-1 here: f' ~ 1e-34


def _erf_loss(v: np.ndarray) -> float:
    from scipy.special import erf

    return float(W3 @ erf(v))


def _erf_grad(v: np.ndarray) -> np.ndarray:
    return W3 * 2 / np.sqrt(np.pi) * np.exp(-v * v)


def test_a_derivative_below_any_resolvable_size_passes_where_f_is_flat_to_an_ulp() -> None:
    report = check(_erf_loss, ERF_POINT.copy(), _erf_grad(ERF_POINT))
    _assert_stationary_pass(report)
    doubled = check(_erf_loss, ERF_POINT.copy(), 2 * _erf_grad(ERF_POINT))
    assert doubled.outcome is Outcome.PASS  # a fault below the floor: nothing can see it


def test_a_claimed_derivative_a_longer_step_could_see_is_not_passed_where_f_is_flat() -> None:
    above_floor = np.array([1e-13, 0.0, 0.0])  # within the error (~1e-11), above 1e-17
    assert check(_erf_loss, ERF_POINT.copy(), above_floor).outcome is Outcome.CANNOT_TELL
    resolvable = np.array([1e-6, 0.0, 0.0])
    assert check(_erf_loss, ERF_POINT.copy(), resolvable).outcome is Outcome.WRONG


def test_i0_near_zero_passes_and_a_resolvable_fault_there_is_confirmed() -> None:
    from scipy.special import i0, i1

    x = np.array([1e-8, -0.8e-8, 1.1e-8])
    report = check(lambda v: float(W3 @ i0(v)), x.copy(), W3 * i1(x))
    _assert_stationary_pass(report)
    wrong = W3 * i1(x) + np.array([0.0, 1e-2, 0.0])
    assert check(lambda v: float(W3 @ i0(v)), x.copy(), wrong).outcome is Outcome.WRONG


def _monkey(v: np.ndarray) -> float:
    return float(v[0] ** 3 - 3 * v[0] * v[1] ** 2)


def _monkey_grad(v: np.ndarray) -> np.ndarray:
    return np.array([3 * v[0] ** 2 - 3 * v[1] ** 2, -6 * v[0] * v[1]])


def test_the_monkey_saddle_whose_curvature_vanishes_passes_at_its_centre() -> None:
    _assert_stationary_pass(check(_monkey, np.zeros(2), np.zeros(2)))
    assert check(_monkey, np.zeros(2), np.array([1e-3, 0.0])).outcome is Outcome.WRONG


@pytest.mark.parametrize("factor", [2.0, 1.01])
def test_the_monkey_saddle_off_centre_still_confirms_scaled_faults(factor: float) -> None:
    x = np.array([1e-3, -2e-3])
    assert check(_monkey, x.copy(), _monkey_grad(x)).outcome is Outcome.PASS
    assert check(_monkey, x.copy(), factor * _monkey_grad(x)).outcome is Outcome.WRONG


def test_the_top_of_a_gaussian_1e8_off_passes_and_a_doubled_gradient_does_not() -> None:
    def top(v: np.ndarray) -> float:
        return float(np.exp(-v @ v))

    x = np.array([1e-8, -1e-8])
    grad = -2 * x * np.exp(-x @ x)
    _assert_stationary_pass(check(top, x.copy(), grad))
    assert not check(top, x.copy(), 2 * grad).ok
