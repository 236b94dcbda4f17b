"""The texts' relative difference and its four verdict bands.

    diff = ||g - g_approx||_2 / (||g_approx||_2 + ||g||_2)

A ratio, so one standard serves while gradients shrink during training. Both norms zero
(0/0) means both gradients are exactly zero, which agree: diff is 0. The norms are scaled
by the largest magnitude before squaring, so gradients near 1e154 do not overflow to inf
(and the diff to NaN) nor ones near 1e-160 underflow to 0; a NaN diff stays NaN, and the
band of NaN is "wrong": NaN is never agreement.
"""

from __future__ import annotations

import numpy as np

from ..report import Verdict

# Band edges from the texts: > 1e-2 wrong, 1e-4..1e-2 suspicious, 1e-7..1e-4 non-smooth only.
BAND_EDGES = (1e-7, 1e-4, 1e-2)
# The texts' allowance for depth: none up to SHALLOW layers, DEEP_DECADES decades (1e-4 ->
# 1e-2) at DEEP layers, log-linear in between and on beyond.
SHALLOW, DEEP, DEEP_DECADES = 3, 10, 2


# A sum of squares at least this large lost no element to underflow that could matter (a
# square below 2**-1022 is under 2**-62 of it), and a finite one did not overflow.
_SAFE_SQUARES = 2.0**-960


def euclidean_norm(values: np.ndarray | list[float]) -> float:
    """||values||_2 without overflow or underflow: m ||values / m|| with m = max |values|.

    The plain sqrt(sum x^2) is taken where the sum of squares is finite and far from
    underflow (one pass); otherwise the scaled form. NaN anywhere gives NaN, inf gives inf.
    """
    values = np.ravel(np.asarray(values, dtype=np.float64))
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is what the test detects
        squares = float(np.vdot(values, values))
    if np.isfinite(squares) and squares >= _SAFE_SQUARES:
        return float(np.sqrt(squares))
    largest = float(np.max(np.abs(values), initial=0.0))
    if largest == 0 or not np.isfinite(largest):
        return largest
    scaled = values / largest
    return largest * float(np.sqrt(np.vdot(scaled, scaled)))


def relative_difference(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """||analytic - numeric|| / (||numeric|| + ||analytic||), with 0/0 read as 0.

    Both vectors are divided by the largest magnitude in either first, so neither the
    difference nor a norm overflows (1e308 - (-1e308)) or underflows (1e-300 against 0
    is a diff of 1, not 0/0).
    """
    analytic = np.ravel(np.asarray(analytic, dtype=np.float64))
    numeric = np.ravel(np.asarray(numeric, dtype=np.float64))
    largest = float(  # np.maximum, unlike max(), keeps a NaN
        np.maximum(np.max(np.abs(analytic), initial=0.0), np.max(np.abs(numeric), initial=0.0))
    )
    if largest == 0:
        return 0.0
    if np.isfinite(largest):
        analytic, numeric = analytic / largest, numeric / largest
    with np.errstate(invalid="ignore"):  # inf - inf is NaN, and NaN is the answer
        difference = euclidean_norm(analytic - numeric)
    return relative_difference_from_norms(
        difference, euclidean_norm(analytic), euclidean_norm(numeric)
    )


def relative_difference_from_norms(difference: float, analytic: float, numeric: float) -> float:
    """The relative difference from the three norms ||g - g_approx||, ||g||, ||g_approx||
    (a block's, or the norm of blocks' norms), with 0/0 read as 0. Divided by the larger
    norm first, so two norms near 1e308 do not overflow their sum; NaN stays NaN."""
    if np.isnan(difference) or np.isnan(analytic) or np.isnan(numeric):
        return float("nan")
    largest = max(analytic, numeric)
    if largest == 0:
        return 0.0
    return float((difference / largest) / (analytic / largest + numeric / largest))


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
