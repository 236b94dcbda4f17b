"""Precision and scale: float32 and float16 judged by their own error, any magnitude."""

import numpy as np
import pytest

from gradient_check import Evidence, check

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
    assert any("within the finite difference's own estimated error" in n for n in report.notes)
    assert "lower precision" in report.notes[1]


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
    assert right.evaluations["8h where rounding dominates"] > 0
    wrong = exact.copy()
    wrong[1] *= 1.01
    report = check(loss, w, wrong)
    assert [e.label for e in report.parameters[0].wrong] == ["params[1]"]


def test_an_absolute_step_is_never_lengthened():
    loss32, grads32 = cast_loss(np.float32)
    report = check(loss32, {"W": W.astype(np.float32)}, grads32, h=1e-3)
    assert not any("8h" in reason for reason in report.evaluations)
