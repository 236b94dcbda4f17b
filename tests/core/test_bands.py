"""The texts' relative difference and its four bands: edges, 0/0, NaN, band_scale, and
norms that neither overflow nor underflow."""

import numpy as np
import pytest

from gradient_check import Verdict, depth_allowance, relative_difference, verdict_of
from gradient_check.core.bands import euclidean_norm, relative_difference_from_norms


@pytest.mark.parametrize(
    ("diff", "verdict"),
    [
        (0.0, Verdict.CORRECT),
        (1e-7, Verdict.CORRECT),  # an edge belongs to the band below it
        (1.0000001e-7, Verdict.NON_SMOOTH_ONLY),
        (1e-4, Verdict.NON_SMOOTH_ONLY),
        (1.0000001e-4, Verdict.SUSPICIOUS),
        (1e-3, Verdict.SUSPICIOUS),
        (1e-2, Verdict.SUSPICIOUS),
        (1.0000001e-2, Verdict.WRONG),
        (1.0, Verdict.WRONG),
        (float("nan"), Verdict.WRONG),  # NaN is never agreement
        (float("inf"), Verdict.WRONG),
    ],
)
def test_band_edges_are_the_texts(diff, verdict):
    assert verdict_of(diff) is verdict


def test_band_scale_moves_every_edge():
    assert verdict_of(5e-7, band_scale=10) is Verdict.CORRECT
    assert verdict_of(5e-4, band_scale=10) is Verdict.NON_SMOOTH_ONLY
    assert verdict_of(5e-2, band_scale=10) is Verdict.SUSPICIOUS
    assert verdict_of(2e-1, band_scale=10) is Verdict.WRONG
    assert verdict_of(5e-3, band_scale=depth_allowance(10)) is Verdict.NON_SMOOTH_ONLY


def test_relative_difference_is_the_texts_formula():
    g, approx = np.array([3.0, 4.0]), np.array([3.0, 4.5])
    expected = 0.5 / (np.linalg.norm(approx) + 5.0)
    assert relative_difference(g, approx) == pytest.approx(expected, rel=1e-15)
    assert relative_difference(g, -g) == 1.0  # opposite vectors: the largest it can be


def test_zero_over_zero_reads_as_agreement():
    assert relative_difference(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_difference(np.zeros(3), np.array([0.0, 1e-30, 0.0])) == 1.0


def test_no_underflow_a_tiny_gradient_against_zero_is_a_diff_of_one():
    assert relative_difference(np.zeros(3), np.array([0.0, 1e-300, 0.0])) == 1.0
    assert relative_difference(np.array([1e-320]), np.array([2e-320])) == pytest.approx(1 / 3)


@pytest.mark.parametrize("scale", [1e154, 1e200, 1e300])
def test_no_overflow_the_diff_of_huge_gradients_is_the_diff_of_their_shapes(scale):
    g = np.array([3.0, -4.0, 1.0, 2.5])
    approx = 2 * g
    with np.errstate(all="raise"):  # no intermediate may overflow either
        assert relative_difference(scale * g, scale * approx) == pytest.approx(1 / 3, rel=1e-14)
        assert relative_difference(scale * g, scale * g) == 0.0
    assert relative_difference(np.array([1e308, -1e308]), np.array([-1e308, 1e308])) == 1.0


def test_nan_is_never_agreement():
    for analytic, numeric in [([np.nan, 0.0], [0.0, 0.0]), ([0.0, 0.0], [np.nan, 0.0])]:
        diff = relative_difference(np.array(analytic), np.array(numeric))
        assert np.isnan(diff) and verdict_of(diff) is Verdict.WRONG
    assert np.isnan(relative_difference(np.array([np.inf]), np.array([np.inf])))
    assert np.isnan(relative_difference_from_norms(np.nan, 1.0, 1.0))
    assert np.isnan(relative_difference_from_norms(1.0, 0.0, np.nan))


def test_euclidean_norm_is_scaled_where_squares_would_overflow_or_underflow():
    assert euclidean_norm(np.array([3e200, 4e200])) == pytest.approx(5e200, rel=1e-15)
    assert euclidean_norm(np.array([3e-200, 4e-200])) == pytest.approx(5e-200, rel=1e-15)
    assert euclidean_norm(np.array([3.0, 4.0])) == 5.0
    assert euclidean_norm(np.zeros(0)) == 0.0
    assert np.isnan(euclidean_norm(np.array([1.0, np.nan])))
    assert euclidean_norm(np.array([1.0, -np.inf])) == np.inf


def test_euclidean_norm_of_huge_values_warns_nothing():
    with np.errstate(all="raise"):
        assert euclidean_norm(np.full(4, 1e200)) == pytest.approx(2e200, rel=1e-15)
