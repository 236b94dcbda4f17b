"""The texts' worked examples, and the order of each scheme's error, measured."""

import numpy as np
import pytest

from gradient_check import StepError, derivative, numerical_gradient, richardson_derivative


def test_quadratic_worked_example_reproduces():
    # f(x) = x^2 + 3x at x = 2, h = 0.001: f(x+h) = 10.007001, f(x-h) = 9.993001, estimate 7
    d = derivative(lambda x: x**2 + 3 * x, 2.0, h=0.001)
    f_minus, f_plus = d.values
    assert f_plus == pytest.approx(10.007001, abs=1e-12)
    assert f_minus == pytest.approx(9.993001, abs=1e-12)
    assert d.value == pytest.approx(7.0, abs=1e-9)


def test_cubic_worked_example_one_and_two_sided():
    # f(t) = t^3 at t = 1, eps = 0.01: one-sided 3.0301, two-sided 3.0001, exact 3
    one_sided = derivative(lambda t: t**3, 1.0, h=0.01, scheme="forward")
    two_sided = derivative(lambda t: t**3, 1.0, h=0.01, scheme="central")
    assert one_sided.value == pytest.approx(3.0301, abs=1e-10)
    assert two_sided.value == pytest.approx(3.0001, abs=1e-10)
    assert abs(one_sided.value - 3) / abs(two_sided.value - 3) == pytest.approx(301, rel=1e-6)


def _slope(scheme: str) -> float:
    steps = np.logspace(-1, -2.5, 6)
    errors = [abs(derivative(np.exp, 0.5, h, scheme).value - np.exp(0.5)) for h in steps]
    return float(np.polyfit(np.log(steps), np.log(errors), 1)[0])


@pytest.mark.parametrize(
    ("scheme", "order"), [("forward", 1), ("backward", 1), ("central", 2), ("five-point", 4)]
)
def test_error_falls_with_the_schemes_order(scheme, order):
    assert _slope(scheme) == pytest.approx(order, abs=0.15)


def test_complex_step_has_no_cancellation():
    d = derivative(lambda z: np.exp(z) * np.sin(z), 1.3, h=1e-20, scheme="complex-step")
    exact = np.exp(1.3) * (np.sin(1.3) + np.cos(1.3))
    assert d.value == pytest.approx(exact, rel=1e-15)


def test_richardson_is_accurate_and_its_estimate_bounds_the_error():
    d = richardson_derivative(np.sin, 1.0, h=0.1)
    actual = abs(d.value - np.cos(1.0))
    assert actual < 1e-12
    assert d.error_estimate >= actual


def test_numerical_gradient_leaves_x_alone():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    saved = x.copy()
    g = numerical_gradient(lambda v: float(np.sum(v**3)), x, h=1e-5)
    np.testing.assert_allclose(g, 3 * saved**2, rtol=1e-8)
    assert np.array_equal(x, saved)


@pytest.mark.parametrize("h", [0.0, -1e-3, float("nan")])
def test_bad_step_is_refused(h):
    with pytest.raises(StepError, match="`h` must be a positive finite number"):
        derivative(np.sin, 1.0, h=h)
