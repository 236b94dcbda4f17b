"""Every derivative check judges the derivative at the precision it was returned in.

A float32 VJP, JVP, HVP or Hessian computed from float64 parameters rounds at float32's
1.2e-7, not float64's 2.2e-16: its error estimate, its linearity tolerance and its
symmetry tolerance must say so, or a correct float32 derivative is called wrong.
"""

import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der, rosen_hess, rosen_hess_prod

from gradient_check import (
    Evidence,
    InvalidProblemError,
    check,
    check_hessian,
    check_jacobian,
    check_jvp,
    check_vjp,
)
from gradient_check.checks.derivatives import Precision, derivative_eps
from gradient_check.checks.hessian import SYMMETRY_ULPS

F32 = float(np.finfo(np.float32).eps)
F64 = float(np.finfo(np.float64).eps)
A = np.array([[1.0, 2.0, 0.5], [-1.0, 0.3, 2.0], [0.7, -0.4, 1.1]])
X = np.array([0.2, -0.1, 0.4])
X5 = np.array([1.3, 0.7, 0.8, 1.9, 1.2])


def f(x):
    return np.sin(A @ x)


def vjp64(x, u):
    return A.T @ (np.cos(A @ x) * u)


def vjp32(x, u):  # the same VJP computed in float32, as a float32 backward would
    a, c = A.astype(np.float32), np.cos(A @ x).astype(np.float32)
    return a.T @ (c * np.asarray(u, dtype=np.float32))


def jvp32(x, t):
    a, c = A.astype(np.float32), np.cos(A @ x).astype(np.float32)
    return c * (a @ np.asarray(t, dtype=np.float32))


def hvp32(x, v):
    return rosen_hess_prod(x, v).astype(np.float32)


def _judged_at_float32(report):
    """ok, and every row's error bound at float32's rounding, not float64's."""
    assert report.ok, (report.problems, report.wrong)
    assert not report.problems
    assert all(row.evidence is Evidence.CONSISTENT for row in report.parameters)
    assert all(not row.kinks for row in report.parameters)  # no rounding mistaken for kinks
    assert all(row.error_bound > F32 for row in report.parameters)


@pytest.mark.parametrize("mode", ["full", "random"])
def test_a_correct_float32_vjp_is_judged_at_float32(mode):
    _judged_at_float32(check_vjp(f, X, vjp32, mode=mode))
    float64 = check_vjp(f, X, vjp64, mode=mode)  # the same VJP in float64: a tight bound
    assert float64.ok and all(row.error_bound < F32 for row in float64.parameters)


@pytest.mark.parametrize("mode", ["full", "random"])
def test_a_correct_float32_jvp_is_judged_at_float32(mode):
    _judged_at_float32(check_jvp(f, X, jvp32, mode=mode))


@pytest.mark.parametrize("mode", ["full", "random"])
def test_a_correct_float32_hvp_is_judged_at_float32(mode):
    _judged_at_float32(check_hessian(rosen, X5, rosen_der, hvp=hvp32, mode=mode))


def test_a_correct_float32_hessian_is_judged_at_float32():
    hessian = rosen_hess(X5).astype(np.float32)
    _judged_at_float32(check_hessian(rosen, X5, rosen_der, hessian=hessian))


def test_float32_hessian_asymmetric_by_rounding_alone_is_symmetric():
    hessian = rosen_hess(X5).astype(np.float32)
    hessian[0, 1] = np.nextafter(hessian[0, 1], np.float32(np.inf))  # one float32 ulp
    report = check_hessian(rosen, X5, rosen_der, hessian=hessian)
    assert report.ok
    # above what float64's tolerance allows, within float32's
    assert SYMMETRY_ULPS * F64 < report.extra["asymmetry"] < F32
    assert "is symmetric" in report.notes[-1]
    hessian[0, 1] *= 1.01  # a real asymmetry is still named, float32 or not
    assert "NOT symmetric" in check_hessian(rosen, X5, rosen_der, hessian=hessian).notes[-1]


@pytest.mark.parametrize("mode", ["full", "random"])
def test_float32_precision_does_not_hide_a_wrong_float32_vjp(mode):
    def wrong(x, u):  # d out[1] / d x[2] off by 1 %, far beyond float32's rounding
        a = A.astype(np.float32).copy()
        a[1, 2] *= np.float32(1.01)
        return a.T @ (np.cos(A @ x).astype(np.float32) * np.asarray(u, dtype=np.float32))

    report = check_vjp(f, X, wrong, mode=mode, directions=4)
    assert not report.ok
    assert report.parameters[0].evidence is Evidence.WRONG
    if mode == "full":
        assert [e.label for e in report.parameters[0].wrong] == ["out[1] / params[2]"]


def test_float32_precision_does_not_hide_a_float32_vjp_ignoring_its_cotangent():
    def ignoring(x, u):
        return A.T.astype(np.float32) @ np.cos(A @ x).astype(np.float32)

    report = check_vjp(f, X, ignoring)
    assert any("not linear in its cotangent" in p for p in report.problems)


def test_gradient_and_jacobian_checks_measure_the_same_way():
    grads32 = check(rosen, X5, lambda x: rosen_der(x).astype(np.float32))
    jac32 = check_jacobian(f, X, lambda x: (np.cos(A @ x)[:, None] * A).astype(np.float32))
    for report in (grads32, jac32):
        _judged_at_float32(report)


def test_derivative_eps_is_the_coarsest_float_leaf():
    assert derivative_eps(np.zeros(3)) == F64
    assert derivative_eps({"W": np.zeros(2), "b": np.zeros(2, np.float32)}) == F32
    assert derivative_eps([np.zeros(2, np.complex64)]) == F32
    assert derivative_eps(np.zeros(2, np.float16)) == float(np.finfo(np.float16).eps)
    assert derivative_eps(np.arange(3)) == F64  # no float leaf: float64's


def test_precision_keeps_the_coarsest_of_every_call_and_passes_values_through():
    precision = Precision()
    assert precision.eps == F64  # nothing seen yet
    given = np.ones(2, np.float32)
    assert precision.seen(given) is given
    precision.seen(np.ones(2))
    assert precision.eps == F32


def test_vjp_refuses_an_unknown_complex_convention():
    with pytest.raises(InvalidProblemError, match="`convention` is 'tf'"):
        check_vjp(f, X, vjp64, convention="tf")
