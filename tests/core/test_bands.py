"""The texts' relative difference and its four bands: edges, 0/0, NaN, band_scale."""

import numpy as np
import pytest

from gradient_check import Verdict, depth_allowance, relative_difference, verdict_of


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
