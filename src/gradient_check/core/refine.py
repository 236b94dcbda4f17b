"""Refine the rows in doubt: a second difference at 2h or h/2 confirms, clears or brackets.

An element the first pass could not clear is measured again, at 2h where the first pass
saw no curvature (rounding dominates: the longer step halves it), at h/2 otherwise (the
shorter step quarters the truncation). From the two differences: Richardson's
extrapolation and its error where f is smooth; where the one-sided slopes jump rather than
shrink with h, a kink, and any value between them is a valid subgradient. An element is
wrong only if it fails both times; one that fails only the first time is noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .estimate import one_sided_slopes, richardson
from .judge import (
    GAP_NOISE,
    KINK,
    NOISE,
    OK,
    WRONG,
    ErrorModel,
    FirstPass,
    Refinement,
    curvature_negligible,
    slopes_from,
)

LONGER, SHORTER = 2.0, 0.5  # the second step, against the first: Richardson's ratio 2
KINK_GAP_RATIO = 0.75  # a smooth f's slope gap halves with h; one that stays is a kink at theta
SLOPE_CHANGE_NOISE = 3.0  # noise of a one-sided slope's change between the steps, in roundings
LOPSIDED_SHARE = 0.5  # slopes that moved this much more on one side than on the other
IRREGULAR_SHARE = 0.5  # a departure from the smooth pattern this large against the gap
KINK_ROUNDING = 4.0  # a bracketed element's error, in units of the two steps' rounding

# (rows, steps) -> (differences (rows, outputs), f's values (rows, offsets, outputs), steps)
Measure = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


def refine_doubt(
    analytic: np.ndarray,
    first: FirstPass,
    errors: ErrorModel,
    measure: Measure,
    order: int,
    f0: np.ndarray,
) -> Refinement:
    """Measure the rows the first pass left in doubt at a second step and judge them there.

    ``measure(rows, steps)`` takes each row's difference at the given steps. Where the
    first pass saw no curvature the second step is 2h (never for a row already lengthened),
    otherwise h/2.
    """
    doubt = np.flatnonzero(~first.consistent.all(axis=1))
    if doubt.size == 0:
        return Refinement.none(analytic.shape[1])
    gaps = None if first.gaps is None else first.gaps[doubt]
    quiet = curvature_negligible(gaps, errors)
    up = np.zeros(doubt.size, dtype=bool) if quiet is None else quiet
    up &= ~first.lengthened[doubt]  # never lengthen a row twice
    second, values, second_steps = measure(
        doubt, first.nominal[doubt] * np.where(up, LONGER, SHORTER)
    )
    slopes = None
    if gaps is not None:  # a central difference: its one-sided slopes come for free
        slopes = (
            slopes_from(first.primary[doubt], gaps, first.steps[doubt]),
            one_sided_slopes(values[:, 0], f0, values[:, 1], second_steps),
        )
    refined = judge_doubt(analytic, first, errors, doubt, second, second_steps, up, order, slopes)
    return Refinement(
        doubt,
        refined.status,
        refined.numeric,
        refined.error,
        refined.low,
        refined.high,
        evaluations=(("refinement", values.shape[0] * values.shape[1]),),
    )


def judge_doubt(
    analytic: np.ndarray,
    first: FirstPass,
    errors: ErrorModel,
    doubt: np.ndarray,
    second: np.ndarray,
    second_steps: np.ndarray,
    up: np.ndarray,
    order: int,
    slopes: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None,
) -> Refined:
    """Judge the doubt rows from D(h) and a second difference at 2h (``up``) or h/2.

    ``slopes`` are the one-sided slopes (minus, plus) at the first and the second step.
    Elements the first pass found consistent keep their first values.
    """
    first_noise = np.multiply.outer(1.0 / first.steps[doubt], errors.noise)
    second_noise = np.multiply.outer(1.0 / second_steps, errors.noise)
    at_first = first.primary[doubt]
    column = up[:, None]

    def pick(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # (at the larger step, at the smaller step) from (at the first, at the second)
        return np.where(column, b, a), np.where(column, a, b)

    large, small = pick(at_first, second)
    noise_large, noise_small = pick(first_noise, second_noise)
    slopes_large = slopes_small = None
    if slopes is not None:
        (minus_first, plus_first), (minus_second, plus_second) = slopes
        minus_large, minus_small = pick(minus_first, minus_second)
        plus_large, plus_small = pick(plus_first, plus_second)
        slopes_large, slopes_small = (minus_large, plus_large), (minus_small, plus_small)
    verdict = refine_elements(
        analytic[doubt],
        large,
        small,
        noise_large,
        noise_small,
        errors.analytic_rounding,
        order,
        errors.margin,
        slopes_large,
        slopes_small,
    )
    first_rounding = first_noise + errors.analytic_rounding
    loose = first_rounding
    if first.gaps is not None:  # + |gap| / 2h: the bound that holds wherever f' is monotone
        loose = first_rounding + np.abs(first.gaps[doubt]) / (2 * first.steps[doubt][:, None])
    first_wrong = first.residual[doubt] > errors.margin * loose
    status = np.where((verdict.status == OK) & first_wrong, NOISE, verdict.status)
    flagged = ~first.consistent[doubt]
    return Refined(
        np.where(flagged, status, OK),
        np.where(flagged, verdict.numeric, at_first),
        np.where(flagged, verdict.error, first_rounding),
        verdict.low,
        verdict.high,
    )


@dataclass(frozen=True)
class Refined:
    """Elements judged at two steps: status codes, best numeric value, its error, and the
    one-sided slope bracket where a kink was found (NaN elsewhere)."""

    status: np.ndarray
    numeric: np.ndarray
    error: np.ndarray
    low: np.ndarray
    high: np.ndarray


def refine_elements(
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
) -> Refined:
    """Classify elements measured at two steps (coarse = 2 x fine): smooth, or a kink.

    Smooth: Richardson's extrapolation, with |D(h/2) - D(h)| / (2^p - 1) as the
    truncation error; its rounding is (2^p r(h/2) + r(h)) / (2^p - 1). Kinks (see
    ``kinks``): the analytic value must lie between the one-sided slopes.
    """
    extrapolated, truncation = richardson(coarse, fine, order)
    weight = 2**order
    numeric = extrapolated
    error = truncation + (weight * rounding_fine + rounding_coarse) / (weight - 1)
    error = error + analytic_rounding
    low = np.full_like(coarse, np.nan)
    high = np.full_like(coarse, np.nan)
    kink = np.zeros(coarse.shape, dtype=bool)
    if slopes_coarse is not None and slopes_fine is not None:
        kink, bracket_low, bracket_high = kinks(
            slopes_coarse, slopes_fine, rounding_coarse, rounding_fine, margin
        )
        kink_error = KINK_ROUNDING * (rounding_fine + rounding_coarse) + analytic_rounding
        numeric = np.where(kink, fine, numeric)
        error = np.where(kink, kink_error, error)
        low = np.where(kink, bracket_low, low)
        high = np.where(kink, bracket_high, high)
    beyond = np.abs(analytic - numeric) > margin * error
    inside = (analytic >= low - margin * error) & (analytic <= high + margin * error)
    status = np.where(kink, np.where(inside, KINK, WRONG), np.where(beyond, WRONG, OK))
    return Refined(status, numeric, error, low, high)


def kinks(
    slopes_coarse: tuple[np.ndarray, np.ndarray],
    slopes_fine: tuple[np.ndarray, np.ndarray],
    rounding_coarse: np.ndarray,
    rounding_fine: np.ndarray,
    margin: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the one-sided slopes (minus, plus) at two steps show a kink, and the bracket
    of valid subgradients there: (kink mask, low, high).

    Kink at theta_i: the slope gap does not halve with the step (it keeps at least
    KINK_GAP_RATIO of itself); the bracket is the slopes and their limits as h -> 0. A kink
    elsewhere inside the step (or several): the slopes change between the steps in no
    smooth pattern; the one-sided slopes at both steps bound the valid values.
    """
    minus1, plus1 = slopes_coarse
    minus2, plus2 = slopes_fine
    gap1, gap2 = np.abs(plus1 - minus1), np.abs(plus2 - minus2)
    significant = gap1 > margin * GAP_NOISE * rounding_coarse
    at_theta = (gap2 > margin * GAP_NOISE * rounding_fine) & (gap2 >= KINK_GAP_RATIO * gap1)
    # A smooth f moves both one-sided slopes by about -/+ h f'' / 4 between the steps; a
    # kink inside the step moves only the slope on its side.
    change_plus, change_minus = plus1 - plus2, minus1 - minus2
    noise = margin * SLOPE_CHANGE_NOISE * (rounding_fine + rounding_coarse)
    moved = np.abs(change_plus) + np.abs(change_minus)
    lopsided = np.abs(change_plus + change_minus) > LOPSIDED_SHARE * moved
    lopsided &= moved > noise
    # Smooth, the slopes move by +/- half the small step's gap (h f'' / 4 each). A kink
    # inside the step moves only the slope on its side; several kinks break the pattern
    # in other ways. Five points cannot tell where inside the step such kinks sit, so
    # there the one-sided slopes bound the valid values, as at a kink at theta itself.
    mismatch = np.abs(change_plus - gap2 / 2) + np.abs(change_minus + gap2 / 2)
    irregular = (mismatch > IRREGULAR_SHARE * gap2) & (mismatch > noise)
    inside_step = ~at_theta & significant & (lopsided | irregular)
    # The one-sided derivatives are the slopes' limits as h -> 0; extrapolate each
    # (2 s(h/2) - s(h)), and accept anything between the slopes and their limits.
    limits = np.stack([minus2, plus2, 2 * minus2 - minus1, 2 * plus2 - plus1])
    slopes = np.stack([minus1, plus1, minus2, plus2])
    candidates = np.where(inside_step, slopes, limits)
    return at_theta | inside_step, candidates.min(axis=0), candidates.max(axis=0)
