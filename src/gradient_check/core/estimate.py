"""How far a finite difference can be from the true derivative: rounding, noise, truncation.

The error of a difference quotient has two parts. Rounding: the function's values carry
noise sigma (rounding in its dtype, or worse where it cancels), which the scheme amplifies
to sigma * sum|w_k| / h. Truncation: the Taylor remainder, O(h**order), estimated from
the same element at two steps. Sigma itself is measured, not assumed: ``noise_level``
reads it from a table of f along a line, the way Moré and Wild's ECnoise does.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np

NOISE_POINTS = 7  # f at theta + k * delta * v, k = 0..6: one centre value and six more
NOISE_ORDERS = (3, 4, 5)  # differences high enough that a smooth f has vanished from them
# Two pairs' estimates of the truncation coefficient c (D(h) = f' + c h^p) within this
# share of each other: the steps are in the asymptotic range, Richardson's estimate holds
TREND_SHARE = 0.5
# an rms below this may have lost squares to underflow (2**-1022 is the smallest normal
# square; 2**-480 squared is 2**-960, far above it): such columns are recomputed scaled
SAFE_RMS = 2.0**-480


def noise_level(table: np.ndarray) -> np.ndarray:
    """Estimate the noise sigma of f from values at equally spaced points along a line.

    The k-th differences of a smooth function at a tiny spacing vanish, leaving the noise;
    for independent noise of deviation sigma, E[(Delta^k f)^2] = sigma^2 (2k)! / (k!)^2.
    Takes the largest estimate over ``NOISE_ORDERS`` (the cautious choice).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> f = 1.0 + 1e-3 * np.arange(7.0) + 1e-9 * rng.standard_normal(7)
    >>> bool(1e-10 < noise_level(f[:, None])[0] < 1e-8)
    True
    """
    table = np.asarray(table, dtype=np.float64)
    diffs, sigmas = table, []
    for order in range(1, table.shape[0]):
        diffs = np.diff(diffs, axis=0)
        if order in NOISE_ORDERS:
            gamma = factorial(order) ** 2 / factorial(2 * order)
            sigmas.append(np.sqrt(gamma) * column_rms(diffs))
    return np.max(sigmas, axis=0)


def column_rms(values: np.ndarray) -> np.ndarray:
    """sqrt(mean(values**2, axis=0)) without overflow or underflow: each column is divided
    by its largest magnitude m before squaring, m sqrt(mean((v / m)**2)), where the plain
    sum of squares is not finite (values near 1e154 square to inf) or lost to underflow.
    NaN stays NaN (never a small noise), inf gives inf."""
    values = np.asarray(values, dtype=np.float64)
    if values.shape[0] == 0:
        return np.zeros(values.shape[1:])
    with np.errstate(over="ignore", under="ignore"):  # both are redone below
        rms = np.sqrt(np.einsum("i...,i...->...", values, values) / values.shape[0])
    largest = np.max(np.abs(values), axis=0)
    redo = ~np.isfinite(rms) | ((rms < SAFE_RMS) & (largest > 0))
    redo &= np.isfinite(largest) & (largest > 0)
    if np.any(redo):
        scaled = values[:, redo] / largest[redo]
        rms = rms.copy()
        rms[redo] = largest[redo] * np.sqrt(np.mean(scaled * scaled, axis=0))
    return rms


def one_sided_slopes(
    f_minus: np.ndarray, f_center: np.ndarray, f_plus: np.ndarray, step: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The slopes either side of theta_i: (f0 - f(-h)) / h and (f(+h) - f0) / h."""
    h = step[:, None]
    return (f_center - f_minus) / h, (f_plus - f_center) / h


def richardson(
    coarse: np.ndarray, fine: np.ndarray, order: int, ratio: float | np.ndarray = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """Richardson extrapolation of D(r s) and D(s) for a scheme of error O(h**order).

    D(s) + (D(s) - D(r s)) / (r**order - 1) cancels the leading error term c h**order; the
    size of that correction, |D(s) - D(r s)| / (r**order - 1), estimates the error of D(s)
    and bounds the error of the extrapolated value. ``ratio`` r may be one per row.
    """
    weight = np.asarray(ratio, dtype=np.float64) ** order - 1
    if weight.ndim:
        weight = weight[:, None]
    correction = (fine - coarse) / weight
    return fine + correction, np.abs(correction)


@dataclass(frozen=True)
class PairReading:
    """The pair read as a smooth f: Richardson's value, its error, |c| of the truncation
    c h^p, how far D moved between the steps, and whether two pairs agree on c."""

    numeric: np.ndarray
    error: np.ndarray
    coefficient: np.ndarray
    moved: np.ndarray
    trend: np.ndarray


def richardson_pair(
    steps: np.ndarray,
    derivative: np.ndarray,
    rounding: np.ndarray,
    analytic_rounding: np.ndarray,
    order: int,
    margin: float,
) -> PairReading:
    """Read differences at three steps (``steps`` (rows, 3) longest first, NaN where not
    measured; ``derivative`` and ``rounding`` (3, rows, outputs)) as a smooth f would be.

    Richardson's extrapolation of the two shortest (ratio r = h_c / h_f), with
    |D(h_f) - D(h_c)| / (r^p - 1) as the truncation and (r^p R_f + R_c) / (r^p - 1) as
    the rounding; and the trend: c = (D(h_1) - D(h_2)) / (h_1^p - h_2^p) from this pair and
    from the pair before agree within TREND_SHARE, as a smooth f's do once the steps are
    short against its length scale (counted only where c is measured that well: a trend
    read within the noise is no evidence).
    """
    powers = steps.T[:, :, None] ** order  # (3, rows, 1)
    older, coarse, fine = derivative
    # steps not measured (NaN) or equal (a one-sided retry) give NaN or inf here, which
    # never agree: such elements stay undecided downstream
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = steps[:, 1] / steps[:, 2]
        numeric, truncation = richardson(coarse, fine, order, ratio)
        weight = ratio[:, None] ** order - 1
        error = truncation + ((weight + 1) * rounding[2] + rounding[1]) / weight
        error = error + analytic_rounding
        span_new, span_old = powers[1] - powers[2], powers[0] - powers[1]
        new, old = (coarse - fine) / span_new, (older - coarse) / span_old
        noise = margin * (
            (rounding[1] + rounding[2]) / span_new + (rounding[0] + rounding[1]) / span_old
        )
    largest = np.maximum(np.abs(new), np.abs(old))
    trend = np.abs(new - old) <= TREND_SHARE * largest + noise
    trend &= noise <= TREND_SHARE * largest
    return PairReading(numeric, error, np.abs(new), np.abs(fine - coarse), trend)


def jumps(
    steps: np.ndarray,
    slopes: tuple[np.ndarray, np.ndarray],
    k: int,
    noise: np.ndarray,
    ratio: float,
) -> tuple:
    """Per side, fit the increment f(theta +/- h) - f0 = s h + J through steps k-1 and k
    (``steps`` (rows, 3); ``slopes`` (minus, plus), each (3, rows, outputs)).

    A continuous f has J = O(h^2) (smooth) or J = O(|f'(+) - f'(-)| d) (a kink at d < h);
    a jump keeps J as h shrinks. Jump: the increment did not shrink with the step (|J| at
    least halfway from 1/r to 1 of the longer step's increment), J moved the slope beyond
    ``noise``, and J / h exceeds ``ratio`` x the fitted slopes |s-| + |s+|.
    Returns (per side: jump mask, J), the slopes without the jump (low, high), max J / h.
    """
    long, short = steps[:, k - 1 : k], steps[:, k : k + 1]
    r = long / short
    sides = []
    for side in slopes:
        coarse, fine = side[k - 1], side[k]
        jump = long * (fine - coarse) / (r - 1)
        fitted = (r * coarse - fine) / (r - 1)
        kept = np.abs(jump) >= (1 + 1 / r) / 2 * np.abs(coarse * long)
        kept &= ~(np.abs(fine - coarse) <= noise)
        sides.append((jump, fitted, fine, kept))
    bound = ratio * (np.abs(sides[0][1]) + np.abs(sides[1][1]))
    found = [kept & (np.abs(jump) / short > bound) for jump, _, _, kept in sides]
    # the slope either side without its jump: the fitted one where it jumps, else the
    # shorter step's own
    without = [np.where(f, fitted, fine) for f, (_, fitted, fine, _) in zip(found, sides)]
    implied = np.maximum(np.abs(sides[0][0]), np.abs(sides[1][0])) / short
    low, high = np.minimum(*without), np.maximum(*without)
    return (found[0], sides[0][0]), (found[1], sides[1][0]), low, high, implied


def coarse_truncation(coarse: np.ndarray, fine: np.ndarray, order: int) -> float:
    """Richardson's estimate of the truncation error of D(2s) itself, as a norm.

    D(2s) - f' ~ c (2s)**order and D(s) - f' ~ c s**order, so the coarse error is
    ||D(2s) - D(s)|| * 2**order / (2**order - 1).
    """
    return float(np.linalg.norm(coarse - fine)) * 2**order / (2**order - 1)
