"""NaN is never agreement in the judge and the refinement; their sums do not overflow.

Gradients near 1e154 square to inf, inf - inf is NaN, and a comparison ``x > bound`` is
False for NaN: written that way, NaN read as agreement. Every comparison in judge, refine
and patterns puts NaN on the side of doubt, and the noise and slope norms are scaled.
"""

import warnings

import numpy as np
import pytest
from ladder_harness import judge

from gradient_check import check
from gradient_check.core.estimate import column_rms, noise_level
from gradient_check.core.judge import (
    OK,
    UNRESOLVED,
    WRONG,
    ErrorModel,
    Judged,
    error_model,
    error_norm,
    first_pass,
)
from gradient_check.core.refine import refine_elements
from gradient_check.core.schemes import CENTRAL


def model(noise: float = 1e-16, rounding: float = 0.0) -> ErrorModel:
    one = lambda v: np.array([v])  # noqa: E731
    return ErrorModel(one(noise), one(noise), one(rounding), one(1.0), 4.0)


def test_a_nan_residual_or_gap_is_never_consistent():
    steps = np.array([1e-5, 1e-5, 1e-5])
    residual = np.array([[np.nan], [0.0], [0.0]])
    gaps = np.array([[0.0], [np.nan], [0.0]])
    primary = np.ones((3, 1))
    consistent = first_pass(model(), residual, primary, steps, steps, gaps)
    assert consistent[:, 0].tolist() == [False, False, True]


def test_an_error_model_that_overflowed_clears_nothing():
    steps = np.array([1e-5])
    consistent = first_pass(
        model(noise=np.inf), np.zeros((1, 1)), np.ones((1, 1)), steps, steps, None
    )
    assert not consistent.any()


def refined_at(coarse: float, fine: float, analytic: float) -> int:
    one = lambda v: np.array([[v]])  # noqa: E731
    result = refine_elements(
        analytic=one(analytic),
        coarse=one(coarse),
        fine=one(fine),
        rounding_coarse=one(1e-12),
        rounding_fine=one(1e-12),
        analytic_rounding=np.zeros(1),
        order=2,
        margin=4.0,
        slopes_coarse=(one(coarse), one(coarse)),
        slopes_fine=(one(fine), one(fine)),
    )
    return int(result.status[0, 0])


@pytest.mark.parametrize(
    ("coarse", "fine"), [(np.nan, 1.0), (1.0, np.nan), (np.inf, 1.0), (np.inf, np.inf)]
)
def test_a_difference_that_overflowed_is_unresolved_not_agreement(coarse, fine):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # inf - inf on the way is expected
        assert refined_at(coarse, fine, 1.0) == UNRESOLVED


def test_an_analytic_value_that_is_not_finite_is_wrong():
    assert refined_at(1.0, 1.0, np.nan) == WRONG
    assert refined_at(1.0, 1.0, np.inf) == WRONG
    assert refined_at(1.0, 1.0, 1.0) == OK


def test_noise_of_values_near_1e200_is_finite_and_scales():
    rng = np.random.default_rng(0)
    table = 1.0 + 1e-3 * np.arange(7.0) + 1e-9 * rng.standard_normal(7)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow on the way
        big = noise_level(1e200 * table[:, None])[0]
        rms = column_rms(np.array([[3e200, 1e-300], [4e200, 0.0]]))
    assert big == pytest.approx(1e200 * noise_level(table[:, None])[0], rel=1e-6)
    assert rms == pytest.approx([np.sqrt(12.5) * 1e200, np.sqrt(0.5) * 1e-300], rel=1e-12)
    assert np.isnan(column_rms(np.array([[np.nan], [1.0]]))[0])  # NaN stays NaN


def test_the_error_norm_of_a_block_near_1e200_does_not_overflow():
    scale = 1e200
    loss = lambda p: float(scale * np.sum(p**2) / 2)  # noqa: E731
    x = np.array([0.3, -1.2, 0.7])
    analytic = 2 * scale * x[:, None]
    judged = judge(loss, x, analytic, noise=4e-16 * scale)
    model_ = error_model(
        analytic, np.finfo(float).eps, 0.0, np.array([4e-16 * scale]), CENTRAL, 4.0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        whole = Judged(analytic, judged.first, model_, judged.refinement)
        norm = error_norm(whole, slice(0, 3), slice(0, 1))
    assert np.isfinite(norm) and norm > 0
    assert all(judged.status(i) == WRONG for i in range(3))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # other stages may warn near 1e200
@pytest.mark.parametrize("scale", [1e154, 1e200])
def test_end_to_end_a_correct_gradient_passes_and_doubled_is_confirmed_wrong(scale):
    """f's own values near 1e200 square to inf in the noise table: sigma was inf there, its
    bound inf, and every element "within" it, a doubled gradient too."""
    x = np.array([0.3, -1.2, 0.7])
    loss = lambda p: float(scale * np.sum(p**2) / 2)  # noqa: E731
    assert check(loss, x, scale * x).ok
    doubled = check(loss, x, 2 * scale * x)
    assert doubled.wrong == ["params"] and doubled.row("params").wrong_count == 3
