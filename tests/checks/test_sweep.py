"""The step-size sweep: truncation falls, rounding rises, the estimate tracks the measure."""

import numpy as np
import pytest

from gradient_check import StochasticLossError, check
from gradient_check.checks.sweep import sweep


def _problem():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((6, 6))
    x = rng.uniform(-1, 1, 6)

    def loss(x):
        return float(np.sum(np.tanh(A @ x)))

    def grads(x):
        return A.T @ (1 - np.tanh(A @ x) ** 2)

    return loss, x, grads


def test_sweep_shows_the_texts_trade_off():
    loss, x, grads = _problem()
    s = sweep(loss, x, grads)
    measured = {p.h: p.measured for p in s.points}
    assert [p.h for p in s.points] == [10.0**-k for k in range(1, 13)]
    # truncation regime: central error falls as h^2 (a factor ~100 per decade)
    assert measured[1e-2] / measured[1e-3] == pytest.approx(100, rel=0.2)
    # rounding regime: error grows as h shrinks below the optimum
    assert measured[1e-12] > 100 * measured[1e-6]
    assert 1e-7 <= s.best_h <= 1e-4  # the texts' recommended range
    assert 1e-7 <= s.auto_h <= 1e-4
    for p in s.points:  # the estimate is an upper estimate, within two orders of the truth
        assert p.measured <= 2 * p.estimated
        assert p.estimated <= 300 * max(p.measured, 1e-15)


def test_sweep_without_gradient_uses_richardson_reference_and_leaves_params():
    loss, x, grads = _problem()
    saved = x.copy()
    with_grads = sweep(loss, x, grads)
    without = sweep(loss, x)
    assert without.reference == "Richardson five-point"
    for a, b in zip(with_grads.points[:4], without.points[:4], strict=True):
        assert a.measured == pytest.approx(b.measured, rel=1e-3)
    assert x.tobytes() == saved.tobytes()
    assert "<- automatic step" in str(without)


def test_sweep_samples_large_problems():
    x = np.linspace(-1, 1, 500)
    s = sweep(lambda v: float(np.sum(v**3)), x, lambda v: 3 * v**2, elements=32)
    assert s.elements == 32


def test_sweep_refuses_a_random_loss_as_check_does():
    x = np.array([0.3, -0.7, 1.1])
    own = np.random.default_rng(5)

    def from_the_global_rng(v):
        return float(np.sum(v**2) + 1e-3 * np.random.rand())

    def from_its_own_rng(v):  # draws nothing global: caught by the repeats
        return float(np.sum(v**2) + 1e-3 * own.random())

    before = np.random.get_state()[1].copy()
    for loss in (from_the_global_rng, from_its_own_rng):
        for run in (sweep, check):
            with pytest.raises(StochasticLossError, match="is random"):
                run(loss, x, lambda v: 2 * v)
    assert np.array_equal(np.random.get_state()[1], before)
