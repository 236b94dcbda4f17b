"""The texts' relative difference and its four verdict bands.

    diff = ||g - g_approx||_2 / (||g_approx||_2 + ||g||_2)

A ratio, so one standard serves while gradients shrink during training. Both norms zero
(0/0) means both gradients are exactly zero, which agree: diff is 0.
"""

from __future__ import annotations

import numpy as np

from ..report import Verdict

# Band edges from the texts: > 1e-2 wrong, 1e-4..1e-2 suspicious, 1e-7..1e-4 non-smooth only.
BAND_EDGES = (1e-7, 1e-4, 1e-2)
# The texts' allowance for depth: none up to SHALLOW layers, DEEP_DECADES decades (1e-4 ->
# 1e-2) at DEEP layers, log-linear in between and on beyond.
SHALLOW, DEEP, DEEP_DECADES = 3, 10, 2


def relative_difference(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """||analytic - numeric|| / (||numeric|| + ||analytic||), with 0/0 read as 0."""
    analytic, numeric = np.ravel(analytic), np.ravel(numeric)
    return relative_difference_from_norms(
        np.linalg.norm(analytic - numeric), np.linalg.norm(analytic), np.linalg.norm(numeric)
    )


def relative_difference_from_norms(difference: float, analytic: float, numeric: float) -> float:
    """The relative difference from the three norms ||g - g_approx||, ||g||, ||g_approx||
    (a block's, or sums of blocks' squares under a square root), with 0/0 read as 0."""
    denominator = analytic + numeric
    if denominator == 0:
        return 0.0
    return float(difference / denominator)


def verdict_of(diff: float, band_scale: float = 1.0) -> Verdict:
    """The band a relative difference falls in; ``band_scale`` multiplies the edges."""
    correct, smooth, suspicious = (edge * band_scale for edge in BAND_EDGES)
    if not diff <= suspicious:  # NaN reads as wrong
        return Verdict.WRONG
    if diff > smooth:
        return Verdict.SUSPICIOUS
    if diff > correct:
        return Verdict.NON_SMOOTH_ONLY
    return Verdict.CORRECT


def depth_allowance(depth: int) -> float:
    """A ``band_scale`` for a deep network, since errors accumulate with depth.

    The texts allow a diff of 1e-2 for a 10-layer network where 1e-4 is the usual bar:
    1 up to 3 layers, rising log-linearly to 100 at 10 layers (and on beyond).

    >>> depth_allowance(3), depth_allowance(10)
    (1.0, 100.0)
    """
    return float(10 ** (DEEP_DECADES * max(depth - SHALLOW, 0) / (DEEP - SHALLOW)))
