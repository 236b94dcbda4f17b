"""Judge every derivative element against the finite difference's own estimated error.

Arrays here are (coordinates, outputs): row i is theta_i, column r is output r.
An element is wrong only where |analytic - numeric| exceeds ``margin`` times its error
estimate at the first step *and* after refinement at h/2 (confirmed). At a kink (the
one-sided slopes jump rather than shrink with h) any value between the one-sided slopes is
a valid subgradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_MARGIN = 4.0  # "clearly exceeds": |analytic - numeric| > margin x estimated error
ANALYTIC_ROUNDING = 32.0  # a backward pass's own rounding, in ulps of its dtype
GAP_NOISE = 3.0  # noise of (f+ - 2 f0 + f-) / h, in units of sigma / h (sqrt(6) ~ 2.45)
SMOOTH_GAP_RATIO = (0.25, 0.75)  # a smooth function's slope gap halves with h: ratio 1/2
KINK_RELATIVE_GAP = 1e-3  # one-sided slopes this far apart, relatively, are worth a look

OK, WRONG, KINK, NOISE = 0, 1, 2, 3


@dataclass
class Judgement:
    """Per element: its status code, best numeric value, and estimated error."""

    status: np.ndarray
    numeric: np.ndarray
    error: np.ndarray
    low: np.ndarray  # one-sided slope bracket, where a kink was found
    high: np.ndarray


def first_pass(
    analytic: np.ndarray,
    numeric: np.ndarray,
    rounding: np.ndarray,
    gap: np.ndarray | None,
    margin: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Elements consistent with the first difference, and those first judged wrong.

    Consistent: within ``margin`` x rounding of the numeric value, with one-sided slopes
    that agree as closely as a smooth function's do. First judged wrong: beyond even the
    loose bound rounding + |gap| / 2 (the true derivative lies between the one-sided slopes
    wherever f' is monotone over the step).
    """
    residual = np.abs(analytic - numeric)
    consistent = residual <= margin * rounding
    loose = rounding.copy()
    if gap is not None:
        anomalous = (np.abs(gap) > margin * GAP_NOISE * rounding) & (
            np.abs(gap) > KINK_RELATIVE_GAP * (np.abs(numeric) + np.abs(gap))
        )
        consistent &= ~anomalous
        loose += np.abs(gap) / 2
    return consistent, residual > margin * loose


def refine(
    analytic: np.ndarray,
    coarse: np.ndarray,
    fine: np.ndarray,
    rounding_coarse: np.ndarray,
    rounding_fine: np.ndarray,
    analytic_rounding: np.ndarray,
    order: int,
    margin: float,
    slopes_coarse: tuple[np.ndarray, np.ndarray] | None,
    slopes_fine: tuple[np.ndarray, np.ndarray] | None,
) -> Judgement:
    """Classify elements measured at steps h and h/2: smooth, kink, or a kink within h.

    Smooth: Richardson's extrapolation, with |D(h/2) - D(h)| / (2^p - 1) as the
    truncation error. Kink at theta_i: the slope gap does not halve with the step; accept
    the analytic value between the one-sided slopes. Kink between h/2 and h away: the gap
    vanishes at h/2, and D(h/2) is judged with its own monotone bound.
    """
    from .estimate import richardson

    extrapolated, truncation = richardson(coarse, fine, order)
    weight = 2**order
    numeric = extrapolated
    error = truncation + (weight * rounding_fine + rounding_coarse) / (weight - 1)
    error = error + analytic_rounding
    low = np.full_like(coarse, np.nan)
    high = np.full_like(coarse, np.nan)
    kink = np.zeros(coarse.shape, dtype=bool)
    if slopes_coarse is not None and slopes_fine is not None:
        minus1, plus1 = slopes_coarse
        minus2, plus2 = slopes_fine
        gap1, gap2 = np.abs(plus1 - minus1), np.abs(plus2 - minus2)
        lo_ratio, hi_ratio = SMOOTH_GAP_RATIO
        kink = (gap2 > margin * GAP_NOISE * rounding_fine) & (gap2 >= hi_ratio * gap1)
        straddle = ~kink & (gap1 > margin * GAP_NOISE * rounding_coarse) & (gap2 < lo_ratio * gap1)
        numeric = np.where(kink | straddle, fine, numeric)
        straddle_error = rounding_fine + gap2 / 2 + analytic_rounding
        error = np.where(straddle, straddle_error, error)
        # The one-sided derivatives are the slopes' limits as h -> 0; extrapolate each
        # (2 s(h/2) - s(h)), and accept anything between the slopes and their limits.
        candidates = np.stack([minus2, plus2, 2 * minus2 - minus1, 2 * plus2 - plus1])
        kink_error = 4 * (rounding_fine + rounding_coarse) + analytic_rounding
        error = np.where(kink, kink_error, error)
        low = np.where(kink, candidates.min(axis=0), low)
        high = np.where(kink, candidates.max(axis=0), high)
    beyond = np.abs(analytic - numeric) > margin * error
    inside = (analytic >= low - margin * error) & (analytic <= high + margin * error)
    status = np.where(kink, np.where(inside, KINK, WRONG), np.where(beyond, WRONG, OK))
    return Judgement(status, numeric, error, low, high)


def relative_bound(
    error: np.ndarray, analytic: np.ndarray, numeric: np.ndarray, margin: float, scale: float
) -> float:
    """The relative difference the estimated errors alone could produce in a block.

    Judged against the block's own size, or against ``scale`` (the whole derivative's)
    where the block is zero within its error: a zero gradient is then decidable.
    """
    spread = float(np.linalg.norm(margin * error))
    size = float(np.linalg.norm(analytic) + np.linalg.norm(numeric))
    if size <= spread:
        size = scale
    if spread == 0:
        return 0.0
    return spread / size if size > 0 else float("inf")
