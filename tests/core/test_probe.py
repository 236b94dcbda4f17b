"""Precision and scale: float32 and float16 judged by their own error, any magnitude."""

import random

import numpy as np
import pytest

from gradient_check import Evidence, Outcome, StochasticLossError, check, check_jacobian

rng = np.random.default_rng(0)
A = rng.standard_normal((5, 4))
W = rng.standard_normal((4, 3))


def loss(p):  # computes in whatever dtype it is given
    return float(np.sum(np.tanh(A @ p["W"])))


def grads(p):
    return {"W": A.T @ (1 - np.tanh(A @ p["W"]) ** 2)}


def cast_loss(dtype):
    def loss_in(p):  # a loss that computes in `dtype` whatever it is given
        Wd, Ad = np.asarray(p["W"], dtype=dtype), A.astype(dtype)
        return dtype(np.sum(np.tanh(Ad @ Wd)))

    def grads_in(p):
        Wd, Ad = np.asarray(p["W"], dtype=dtype), A.astype(dtype)
        return {"W": Ad.T @ (1 - np.tanh(Ad @ Wd) ** 2)}

    return loss_in, grads_in


def test_float32_parameters_are_promoted_where_the_loss_allows():
    report = check(loss, {"W": W.astype(np.float32)}, grads)
    assert report.ok and report.diff < 1e-7
    assert "low-precision parameters were evaluated as float64 copies" in report.notes


def test_float32_loss_no_false_alarm_and_the_disagreement_explained():
    loss32, grads32 = cast_loss(np.float32)
    report = check(loss32, {"W": W.astype(np.float32)}, grads32)
    assert report.ok
    assert report.diff > 1e-7  # the texts' bands alone would not call this correct
    assert any(n.startswith("precision float32") for n in report.notes)
    assert any("returns lower precision values" in n for n in report.notes)


def test_float32_loss_still_catches_a_one_percent_error():
    loss32, grads32 = cast_loss(np.float32)
    g = grads32({"W": W})
    g["W"][1, 2] *= 1.01
    report = check(loss32, {"W": W.astype(np.float32)}, g)
    assert report.wrong == ["W"]
    assert [e.label for e in report.row("W").wrong] == ["W[1, 2]"]


def test_float16_loss_cannot_tell_and_says_what_would():
    loss16, _ = cast_loss(np.float16)
    report = check(loss16, {"W": W.astype(np.float16)}, grads)
    assert report.evidence is Evidence.CANNOT_TELL
    assert not report.ok and report.wrong == []
    assert "evaluate the function in float64" in report.row("W").advice


@pytest.mark.parametrize("scale", [1e-8, 1e-4, 1e4, 1e8])
def test_any_magnitude_of_loss_and_of_parameters(scale):
    by_loss = check(lambda p: scale * loss(p), {"W": W}, lambda p: {"W": scale * grads(p)["W"]})
    assert by_loss.ok and by_loss.diff < 1e-8
    params = {"W": scale * W}
    by_params = check(
        lambda p: loss({"W": p["W"] / scale}),
        params,
        lambda p: {"W": grads({"W": p["W"] / scale})["W"] / scale},
    )
    assert by_params.ok and by_params.diff < 1e-8
    row = by_params.row("W")
    assert 1e-7 * scale < row.step_max < 1e-4 * scale  # the step follows the parameters

    def wrong(p):
        g = grads({"W": p["W"] / scale})["W"] / scale
        g[0, 0] *= 1.001
        return {"W": g}

    assert [
        e.label for e in check(lambda p: loss({"W": p["W"] / scale}), params, wrong).row("W").wrong
    ] == ["W[0, 0]"]


def test_rounding_limited_rows_get_a_longer_step_and_a_one_percent_error_is_named():
    w = np.array([0.5, -0.25, 0.125, 2.0], dtype=np.float32)
    c = np.array([3.0, -2.0, 1.0, 0.5], dtype=np.float32)

    def loss(p):  # a float32 model whose loss comes back as a Python float, dominated by 100
        w32 = np.asarray(p, dtype=np.float32)
        return float(np.float32(100.0) + c @ w32 + np.sum(w32 * w32))

    exact = (c + 2 * w).astype(np.float64)
    right = check(loss, w, exact)
    assert right.ok
    assert right.evaluations["lengthened"] > 0
    wrong = exact.copy()
    wrong[1] *= 1.01
    report = check(loss, w, wrong)
    assert [e.label for e in report.parameters[0].wrong] == ["params[1]"]


def test_an_absolute_step_is_never_lengthened():
    loss32, grads32 = cast_loss(np.float32)
    report = check(loss32, {"W": W.astype(np.float32)}, grads32, h=1e-3)
    assert "lengthened" not in report.evaluations


def test_a_loss_that_seeds_the_global_generator_itself_is_deterministic():
    noise = np.random.default_rng(5).standard_normal(3)

    def seeded(p):  # draws from numpy's and Python's global generators, seeded first
        np.random.seed(0)
        random.seed(0)
        return float(np.sum((p + np.random.standard_normal(3)) ** 2) + random.random())

    np.random.seed(0)
    draw = np.random.standard_normal(3)
    x = noise
    np.random.seed(1234)
    random.seed(99)
    numpy_before, python_before = np.random.get_state(), random.getstate()
    report = check(seeded, x, 2 * (x + draw))
    assert report.ok
    assert any("seeds the global random generator itself" in n for n in report.notes)
    numpy_after = np.random.get_state()
    assert np.array_equal(numpy_after[1], numpy_before[1]) and numpy_after[2:] == numpy_before[2:]
    assert random.getstate() == python_before  # the user's states, restored


@pytest.mark.parametrize("draws", ["numpy", "python", "reseeds numpy, draws python"])
def test_a_loss_that_draws_without_seeding_is_still_refused(draws):
    def loss(p):
        if draws == "numpy":
            return float(np.sum(p**2) + 1e-3 * np.random.standard_normal())
        if draws == "python":
            return float(np.sum(p**2) + 1e-3 * random.random())
        np.random.seed(0)
        return float(np.sum(p**2) + 0 * np.random.standard_normal() + 1e-3 * random.random())

    with pytest.raises(StochasticLossError, match="random"):
        check(loss, np.array([0.5, -1.0]), np.array([1.0, -2.0]))


def test_any_exception_against_float64_copies_falls_back_to_the_parameters_precision():
    def picky(p):  # a float32 PyTorch model raises this for float64 inputs
        if p.dtype != np.float32:
            raise RuntimeError("mat1 and mat2 must have the same dtype")
        return np.float32(np.sum(p**2))

    x = np.array([0.5, 1.5], dtype=np.float32)
    report = check(picky, x, 2 * x)
    assert report.ok
    assert any("RuntimeError: mat1 and mat2 must have the same dtype" in n for n in report.notes)


@pytest.mark.parametrize("stop", [KeyboardInterrupt, SystemExit])
def test_keyboard_interrupt_and_system_exit_are_not_a_rejected_copy(stop):
    x = np.array([0.5, 1.5], dtype=np.float32)
    saved = x.copy()

    def interrupted(p):
        raise stop()

    with pytest.raises(stop):
        check(interrupted, x, 2 * x)
    assert x.tobytes() == saved.tobytes()


def test_the_noise_of_a_function_that_is_zero_is_said_in_absolute_terms():
    report = check(lambda p: float(np.sum(p**2)), np.zeros(3), np.zeros(3))
    note = next(n for n in report.notes if n.startswith("measured noise"))
    assert "absolute (f = 0)" in note and "relative" not in note
    both = check_jacobian(
        lambda p: np.array([np.sum(p**2), 1.0 + p[0]]),
        np.zeros(2),
        np.array([[0.0, 0.0], [1.0, 0.0]]),
    )
    note = next(n for n in both.notes if n.startswith("measured noise"))
    assert "relative" in note and "absolute (where f is about that size)" in note


@pytest.mark.parametrize("factor", [2.0, 1.01])
def test_a_step_spanning_many_of_fs_wiggles_is_shortened_not_trusted(factor):
    """J_2(x) at x ~ 1e8 oscillates with period 2 pi while the automatic step is about 600:
    a difference over 100 periods averages to about 0 and 'confirms' a correct derivative
    wrong. The rough noise table shows it; the steps are kept where f was seen smooth."""
    special = pytest.importorskip("scipy.special")
    x = np.array([1e8, 3.3e7, 7.7e7])
    w = np.array([0.3, -1.2, 0.7])

    def loss(p):
        return float(w @ special.jv(2, p))

    gradient = w * special.jvp(2, x)
    right = check(loss, x, gradient)
    assert right.outcome is Outcome.PASS
    assert any("scale shorter than the automatic step" in n for n in right.notes)
    assert right.row("params").step_max < 2 * np.pi / 10
    assert check(loss, x, factor * gradient).outcome is Outcome.WRONG


def test_a_smooth_function_at_its_minimum_keeps_its_steps():
    """At a minimum f is about 0 and its table's values shrink with the spacing, yet the
    table is smooth: no shortening (that would read curvature as structure)."""

    def rosenbrock(p):
        return float((1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2)

    report = check(rosenbrock, np.ones(2), np.zeros(2))
    assert report.outcome is Outcome.PASS
    assert not any("scale shorter" in n for n in report.notes)


def test_a_random_loss_that_is_exactly_zero_at_theta_is_refused_by_name():
    """Its spread over a tolerance floored at the smallest float overflows: still refused
    as random, not a RuntimeWarning (the suite turns warnings into errors)."""
    draws = iter([0.0, 0.5, 0.25, 0.125])
    with pytest.raises(StochasticLossError, match="random"):
        check(lambda p: next(draws), np.array([1.0]), np.array([0.0]))
