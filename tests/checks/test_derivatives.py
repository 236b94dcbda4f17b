"""Jacobians, VJPs, JVPs and Hessians: real code judged right, planted bugs named."""

import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der, rosen_hess, rosen_hess_prod

from gradient_check import (
    InvalidProblemError,
    check,
    check_hessian,
    check_jacobian,
    check_jvp,
    check_vjp,
)

POINTS = [
    np.array([1.3, 0.7, 0.8, 1.9, 1.2]),
    np.linspace(-1.2, 1.5, 12),
    np.random.default_rng(3).uniform(-2, 2, 40),
]


@pytest.mark.parametrize("x", POINTS, ids=["n5", "n12", "n40"])
def test_scipy_rosenbrock_derivatives_are_judged_right(x):
    assert check(rosen, x, rosen_der).ok
    assert check_hessian(rosen, x, rosen_der, hessian=rosen_hess).ok
    assert check_hessian(rosen, x, rosen_der, hvp=rosen_hess_prod).ok
    assert check_hessian(rosen, x, rosen_der, hvp=rosen_hess_prod, mode="random").ok


@pytest.mark.parametrize("x", POINTS, ids=["n5", "n12", "n40"])
def test_scipy_rosenbrock_with_one_entry_perturbed_is_named_there(x):
    g = rosen_der(x)
    g[3] *= 1.01
    row = check(rosen, x, g).parameters[0]
    assert [e.label for e in row.wrong] == ["params[3]"]
    H = rosen_hess(x)
    H[2, 3] += 0.05 * abs(H[2, 3]) + 0.01
    report = check_hessian(rosen, x, rosen_der, hessian=H)
    assert [e.label for e in report.parameters[0].wrong] == ["grad[2] / params[3]"]
    assert "NOT symmetric" in report.notes[-1]


def test_hessian_symmetry_is_reported():
    x = POINTS[0]
    report = check_hessian(rosen, x, rosen_der, hessian=rosen_hess)
    assert report.extra["asymmetry"] == 0.0
    assert "is symmetric" in report.notes[-1]


def _residual_problem():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 15)
    y = 2.0 * np.exp(-1.3 * t) + 0.05 * rng.standard_normal(15)

    def residual(p):  # the residual scipy.optimize.least_squares would minimise
        return p[0] * np.exp(-p[1] * t) - y

    def jacobian(p):
        e = np.exp(-p[1] * t)
        return np.stack([e, -p[0] * t * e], axis=1)

    return residual, jacobian, np.array([1.8, 1.1])


def test_residual_jacobian_with_one_wrong_column_names_that_parameter_element():
    residual, jacobian, p = _residual_problem()
    assert check_jacobian(residual, p, jacobian).ok

    def wrong_column(q):
        J = jacobian(q)
        J[:, 1] *= -1  # the sign of d/dp1 lost
        return J

    report = check_jacobian(residual, p, wrong_column)
    wrong = report.parameters[0].wrong
    assert {e.label.split(" / ")[1] for e in wrong} == {"params[1]"}
    assert report.parameters[0].wrong_count == 14  # t = 0 has d/dp1 = 0, unchanged by a sign


def test_jacobian_costs_2n_plus_probes_whatever_the_outputs():
    A = np.random.default_rng(1).standard_normal((50, 6))
    report = check_jacobian(
        lambda x: np.sin(A @ x), np.full(6, 0.3), lambda x: np.cos(A @ x)[:, None] * A
    )
    assert report.ok
    assert report.evaluations["differences"] == 12
    assert report.total_evaluations == 12 + 10  # + centre, 2 repeats, 1 precision, 6 noise


def test_several_outputs_and_parameters_name_the_block():
    def f(p):
        return {"y": np.tanh(p["W"] @ p["x"]), "norm": float(p["x"] @ p["x"])}

    def jac(p, bug=False):
        z = np.tanh(p["W"] @ p["x"])
        dz = 1 - z**2
        dW = np.einsum("i,ij,k->ijk", dz, np.eye(3), p["x"])
        dx = dz[:, None] * p["W"] * (2.0 if bug else 1.0)
        return {"y": {"W": dW, "x": dx}, "norm": {"W": np.zeros((3, 4)), "x": 2 * p["x"]}}

    rng = np.random.default_rng(2)
    p = {"W": rng.standard_normal((3, 4)), "x": rng.standard_normal(4)}
    assert check_jacobian(f, p, jac).ok
    report = check_jacobian(f, p, lambda q: jac(q, bug=True))
    assert report.wrong == ["y / x"]


def _square_problem():
    A = np.array([[1.0, 2.0, 0.5], [-1.0, 0.3, 2.0], [0.7, -0.4, 1.1]])

    def f(x):
        return np.sin(A @ x)

    def vjp(x, u):
        return A.T @ (np.cos(A @ x) * u)

    return f, vjp, A, np.array([0.2, -0.1, 0.4])


def test_vjp_full_and_random_modes_agree_on_a_correct_vjp():
    f, vjp, _, x = _square_problem()
    full = check_vjp(f, x, vjp)
    rand = check_vjp(f, x, vjp, mode="random", directions=4, seed=7)
    assert full.ok and rand.ok
    assert "4 random direction(s) per parameter, seed 7" in rand.notes
    assert full.evaluations["differences"] == 2 * 3  # every coordinate
    assert rand.evaluations["differences"] == 2 * 4  # every direction


def test_transposed_vjp_is_caught_by_the_value_check():
    f, _, A, x = _square_problem()
    transposed = lambda x, u: A @ (np.cos(A @ x) * u)  # noqa: E731
    report = check_vjp(f, x, transposed)
    assert report.wrong == ["out / params"]
    assert not report.problems  # still linear: only the values can catch it
    assert not check_vjp(f, x, transposed, mode="random").ok


def test_vjp_ignoring_its_cotangent_is_caught_by_the_linearity_check():
    f, _, A, x = _square_problem()
    ignoring = lambda x, u: A.T @ np.cos(A @ x)  # noqa: E731
    report = check_vjp(f, x, ignoring)
    assert not report.ok
    assert any("not linear in its cotangent" in p for p in report.problems)


def test_jvp_full_random_and_a_wrong_one():
    f, _, A, x = _square_problem()
    jvp = lambda x, t: np.cos(A @ x) * (A @ t)  # noqa: E731
    assert check_jvp(f, x, jvp).ok
    assert check_jvp(f, x, jvp, mode="random").ok
    wrong = lambda x, t: np.cos(A @ x) * (A.T @ t)  # noqa: E731
    assert check_jvp(f, x, wrong).wrong == ["out / params"]
    assert check_jvp(f, x, wrong, mode="random").wrong == ["out / params·v"]


def test_nondeterministic_derivative_is_a_problem_with_a_tolerance():
    residual, jacobian, p = _residual_problem()
    rng = np.random.default_rng(0)
    noisy = lambda q: jacobian(q) + 1e-9 * rng.standard_normal((15, 2))  # noqa: E731
    report = check_jacobian(residual, p, noisy)
    assert any("nondeterministic" in problem for problem in report.problems)
    assert not report.ok
    assert check_jacobian(residual, p, noisy, nondet_tol=1e-6).ok


def test_complex_parameters_real_loss_both_conventions():
    z = np.array([1.0 + 2.0j, -0.5 + 0.3j])
    loss = lambda z: float(np.sum(np.abs(z) ** 2) + np.real(z[0] * z[1]))  # noqa: E731
    torch_grad = lambda z: 2 * z + np.conj(np.array([z[1], z[0]]))  # noqa: E731
    report = check(loss, z, torch_grad)
    assert report.ok
    assert report.evaluations["differences"] == 4 * z.size  # 4 per complex element
    assert check(loss, z, lambda z: np.conj(torch_grad(z)), convention="jax").ok
    assert not check(loss, z, lambda z: np.conj(torch_grad(z))).ok


def test_holomorphic_jacobian():
    z = np.array([0.3 + 0.1j, -0.2 + 0.4j])

    def f(z):
        return np.exp(z) * z[::-1]

    def jacobian(z):  # f'(z), complex: d f_i / d z_j
        e = np.exp(z)
        return np.array([[e[0] * z[1], e[0]], [e[1], e[1] * z[0]]])

    assert check_jacobian(f, z, jacobian).ok
    assert not check_jacobian(f, z, lambda z: np.conj(jacobian(z))).ok


def test_bad_blocks_and_modes_are_refused_by_name():
    residual, _, p = _residual_problem()
    with pytest.raises(
        InvalidProblemError, match=r"output `out` and parameter `params`.*\(15, 2\)"
    ):
        check_jacobian(residual, p, np.ones((15, 3)))
    with pytest.raises(InvalidProblemError, match="`mode` is 'fast'"):
        check_vjp(residual, p, lambda q, u: u, mode="fast")
    with pytest.raises(InvalidProblemError, match="exactly one of `hessian` and `hvp`"):
        check_hessian(None, p, lambda q: q)


def test_every_kind_of_check_leaves_both_global_rngs_as_they_were():
    import random

    f, vjp, A, x = _square_problem()

    def noisy_vjp(x, u):  # user code that draws from both global generators
        np.random.rand()
        random.random()
        return vjp(x, u)

    jvp = lambda x, t: np.cos(A @ x) * (A @ t)  # noqa: E731
    np.random.seed(11)
    random.seed(11)
    numpy_state, python_state = np.random.get_state()[1].copy(), random.getstate()
    check_vjp(f, x, noisy_vjp)
    check_vjp(f, x, noisy_vjp, mode="random")
    check_jvp(f, x, jvp, mode="random")
    check_hessian(rosen, POINTS[0], rosen_der, hvp=rosen_hess_prod)
    check(rosen, POINTS[0], lambda v: (np.random.rand(), rosen_der(v))[1])
    assert np.array_equal(np.random.get_state()[1], numpy_state)
    assert random.getstate() == python_state


def test_a_function_that_writes_its_input_is_refused_and_undone():
    from gradient_check import LossError

    _, vjp, A, x = _square_problem()
    saved = x.copy()

    def writes(q):
        q[0] += 1.0
        return np.sin(A @ q)

    with pytest.raises(LossError, match="`f` changed parameter `params` in place"):
        check_vjp(writes, x, vjp)
    assert x.tobytes() == saved.tobytes()
