"""Judge every derivative element against the finite difference's own estimated error.

Arrays here are (probes, outputs): row i is theta_i (or a random direction), column r is
output r. An element is wrong only where |analytic - numeric| exceeds ``margin`` times its
error estimate at the first step *and* after refinement at a second step, 2h or h/2
(confirmed). At a kink (the
one-sided slopes jump rather than shrink with h) any value between the one-sided slopes is
a valid subgradient.

The first pass touches every element and must stay cheap (a handful of array passes): its
rounding estimate is separable, sigma_r / h_i + the backward's rounding_r. Only the rows in
doubt are refined, and their findings are kept for those rows alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .estimate import richardson

DEFAULT_MARGIN = 4.0  # "clearly exceeds": |analytic - numeric| > margin x estimated error
ANALYTIC_ROUNDING = 32.0  # a backward pass's own rounding, in ulps of its largest value
GAP_NOISE = 3.0  # noise of f+ - 2 f0 + f-, in units of sigma (sqrt(6) ~ 2.45)
KINK_GAP_RATIO = 0.75  # a smooth f's slope gap halves with h; one that stays is a kink at theta
KINK_RELATIVE_GAP = 1e-3  # one-sided slopes this far apart, relatively, are worth a look
# ... unless curvature explains it: a smooth f's slopes differ by about h |f''|, which is
# |f'| times the relative step h / scale when f varies on the scale of its parameter
CURVATURE_ALLOWANCE = 100.0

OK, WRONG, KINK, NOISE = 0, 1, 2, 3


@dataclass
class Judged:
    """Every element's first comparison, and the refined findings for the rows in doubt."""

    analytic: np.ndarray  # (probes, outputs)
    primary: np.ndarray  # the first finite difference, D(h)
    residual: np.ndarray  # |analytic - primary|
    noise: np.ndarray  # (outputs,) sigma_r x sum|w|: rounding of D(h) is noise_r / h_i
    steps: np.ndarray  # (probes,) the realised h_i
    analytic_rounding: np.ndarray  # (outputs,)
    margin: float
    relative_steps: np.ndarray  # (probes,) h_i / scale_i
    typical_slope: np.ndarray  # (outputs,) rms of the analytic derivative of each output
    doubt: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    status: np.ndarray | None = None  # (doubt, outputs), codes OK / WRONG / KINK / NOISE
    numeric: np.ndarray | None = None  # best numeric value of the doubt rows
    error: np.ndarray | None = None  # its estimated error
    low: np.ndarray | None = None  # one-sided slope bracket, where a kink was found
    high: np.ndarray | None = None

    def rounding(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """The first difference's estimated error on ``rows``: noise / h + backward rounding."""
        out = np.multiply.outer(1.0 / self.steps[rows], self.noise)
        out += self.analytic_rounding
        return out

    def refine(
        self, doubt, consistent, second, second_steps, up, order, slopes_first, slopes_second, gap_h
    ) -> None:
        """Judge the doubt rows from D(h) and a second difference at 2h (``up``) or h/2.

        Where the first pass saw no curvature (rounding dominates), the second step is 2h,
        which halves the rounding error; otherwise h/2, which quarters the truncation.
        """
        first_noise = np.multiply.outer(1.0 / self.steps[doubt], self.noise)
        second_noise = np.multiply.outer(1.0 / second_steps, self.noise)
        first = self.primary[doubt]
        column = up[:, None]

        def pick(at_first, at_second):  # (at the larger step, at the smaller step)
            return (np.where(column, at_second, at_first), np.where(column, at_first, at_second))

        large, small = pick(first, second)
        noise_large, noise_small = pick(first_noise, second_noise)
        slopes_large = slopes_small = None
        if slopes_first is not None:
            minus_large, minus_small = pick(slopes_first[0], slopes_second[0])
            plus_large, plus_small = pick(slopes_first[1], slopes_second[1])
            slopes_large, slopes_small = (minus_large, plus_large), (minus_small, plus_small)
        verdict = refine_elements(
            self.analytic[doubt],
            large,
            small,
            noise_large,
            noise_small,
            self.analytic_rounding,
            order,
            self.margin,
            slopes_large,
            slopes_small,
        )
        first_rounding = first_noise + self.analytic_rounding
        loose = (
            first_rounding
            if gap_h is None
            else (first_rounding + np.abs(gap_h) / (2 * self.steps[doubt][:, None]))
        )
        # beyond even rounding + |gap| / 2, the bound that holds wherever f' is monotone
        first_wrong = self.residual[doubt] > self.margin * loose
        status = np.where((verdict.status == OK) & first_wrong, NOISE, verdict.status)
        flagged = ~consistent
        self.doubt = doubt
        self.status = np.where(flagged, status, OK)
        self.numeric = np.where(flagged, verdict.numeric, first)
        self.error = np.where(flagged, verdict.error, first_rounding)
        self.low, self.high = verdict.low, verdict.high


def curvature_negligible(gap_h: np.ndarray | None, sigma: np.ndarray, margin: float):
    """Rows whose one-sided slopes agree within the noise at every output: no sign of
    curvature (or a kink) at this step, so a larger step costs nothing in truncation."""
    if gap_h is None:
        return None
    return np.all(np.abs(gap_h) <= margin * GAP_NOISE * sigma, axis=1)


def first_pass(
    judged: Judged, gap_h: np.ndarray | None, sigma: np.ndarray, rows: slice = slice(None)
) -> np.ndarray:
    """Elements consistent with the first difference, without another evaluation.

    Consistent: |analytic - numeric| within ``margin`` x rounding, with one-sided slopes
    that agree as closely as a smooth function's do. A slope gap far above the noise and
    large against the slope itself may be a kink; such an element is measured again.
    ``rows`` restricts the work to a block of rows (``gap_h`` is that block's).
    """
    # |a - d| <= margin (noise_r / h_i + rounding_r), in three passes over the block
    bound = np.multiply.outer(judged.margin / judged.steps[rows], judged.noise)
    bound += judged.margin * judged.analytic_rounding
    consistent = judged.residual[rows] <= bound
    if gap_h is not None:
        suspects = np.abs(gap_h) > judged.margin * GAP_NOISE * sigma
        suspects &= consistent
        where, cols = np.nonzero(suspects)
        if where.size:
            at = (
                rows.start + where
                if isinstance(rows, slice) and rows.start is not None
                else (np.arange(judged.steps.size)[rows][where])
            )
            gap = np.abs(gap_h[where, cols]) / judged.steps[at]
            # against the element's slope, or its output's typical slope where that is larger
            slope = np.maximum(np.abs(judged.primary[at, cols]), judged.typical_slope[cols])
            allowed = np.maximum(KINK_RELATIVE_GAP, CURVATURE_ALLOWANCE * judged.relative_steps[at])
            anomalous = gap > allowed * (slope + gap)
            consistent[where[anomalous], cols[anomalous]] = False
    return consistent


RESOLUTION_WANTED = 1e-3  # a first pass that cannot see a 0.1 % error is worth a longer step


def rounding_limited(judged: Judged, gap_h: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Rows whose first difference cannot resolve a RESOLUTION_WANTED relative error (its
    rounding bound is larger) while its one-sided slopes show no curvature above the noise."""
    # a row can be blurred only if some output's noise bound beats its typical slope: a
    # step shorter than the largest margin noise_r / (wanted typical_r) (cheap to rule out)
    typical = RESOLUTION_WANTED * np.maximum(judged.typical_slope, np.finfo(float).tiny)
    shortest_clear = float(np.max(judged.margin * judged.noise / typical))
    rows = np.flatnonzero(judged.steps < shortest_clear)
    if rows.size == 0:
        return rows
    bound = np.multiply.outer(judged.margin / judged.steps[rows], judged.noise)
    scale = np.maximum(np.abs(judged.primary[rows]), judged.typical_slope)
    blurred = np.any(bound > RESOLUTION_WANTED * scale, axis=1)
    quiet = np.all(np.abs(gap_h[rows]) <= judged.margin * GAP_NOISE * sigma, axis=1)
    return rows[blurred & quiet]


def slopes_from(derivative: np.ndarray, gap_h: np.ndarray, steps: np.ndarray):
    """The one-sided slopes (f0 - f-) / h and (f+ - f0) / h from the central difference
    D = (f+ - f-) / 2h and the gap f+ - 2 f0 + f-: D -/+ gap / 2h."""
    half_gap = gap_h / (2 * steps[:, None])
    return derivative - half_gap, derivative + half_gap


@dataclass
class Refined:
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
    truncation error. Kink at theta_i: the slope gap does not halve with the step; accept
    the analytic value between the one-sided slopes. A kink elsewhere inside the step (or
    several): the slopes change between the steps in no smooth pattern; the one-sided
    slopes at both steps bound the valid values.
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
        minus1, plus1 = slopes_coarse
        minus2, plus2 = slopes_fine
        gap1, gap2 = np.abs(plus1 - minus1), np.abs(plus2 - minus2)
        significant = gap1 > margin * GAP_NOISE * rounding_coarse
        kink = (gap2 > margin * GAP_NOISE * rounding_fine) & (gap2 >= KINK_GAP_RATIO * gap1)
        # A smooth f moves both one-sided slopes by about -/+ h f'' / 4 between the steps; a
        # kink inside the step moves only the slope on its side.
        change_plus, change_minus = plus1 - plus2, minus1 - minus2
        moved = np.abs(change_plus) + np.abs(change_minus)
        lopsided = np.abs(change_plus + change_minus) > 0.5 * moved
        lopsided &= moved > margin * 3 * (rounding_fine + rounding_coarse)
        # Smooth, the slopes move by +/- half the small step's gap (h f'' / 4 each). A kink
        # inside the step moves only the slope on its side; several kinks break the pattern
        # in other ways. Five points cannot tell where inside the step such kinks sit, so
        # there the one-sided slopes bound the valid values, as at a kink at theta itself.
        mismatch = np.abs(change_plus - gap2 / 2) + np.abs(change_minus + gap2 / 2)
        irregular = (mismatch > 0.5 * gap2) & (
            mismatch > margin * 3 * (rounding_fine + rounding_coarse)
        )
        inside_step = ~kink & significant & (lopsided | irregular)
        # The one-sided derivatives are the slopes' limits as h -> 0; extrapolate each
        # (2 s(h/2) - s(h)), and accept anything between the slopes and their limits.
        candidates = np.stack([minus2, plus2, 2 * minus2 - minus1, 2 * plus2 - plus1])
        kink_error = 4 * (rounding_fine + rounding_coarse) + analytic_rounding
        bracketed = kink | inside_step
        slopes = np.stack([minus1, plus1, minus2, plus2])
        candidates = np.where(inside_step, slopes, candidates)
        numeric = np.where(bracketed, fine, numeric)
        error = np.where(bracketed, kink_error, error)
        low = np.where(bracketed, candidates.min(axis=0), low)
        high = np.where(bracketed, candidates.max(axis=0), high)
        kink = bracketed
    beyond = np.abs(analytic - numeric) > margin * error
    inside = (analytic >= low - margin * error) & (analytic <= high + margin * error)
    status = np.where(kink, np.where(inside, KINK, WRONG), np.where(beyond, WRONG, OK))
    return Refined(status, numeric, error, low, high)


def squared_error_norm(judged: Judged, rows: slice, cols: slice) -> float:
    """||error||^2 over a block: the separable first-pass estimate, refined rows replaced.

    sum_i sum_r (n_r / h_i + a_r)^2 expands into sums over i and over r alone, so the
    block's norm costs no pass over its elements.
    """
    inverse = 1.0 / judged.steps[rows]
    noise, rounding = judged.noise[cols], judged.analytic_rounding[cols]
    total = (
        np.sum(inverse**2) * np.sum(noise**2)
        + 2 * np.sum(inverse) * np.sum(noise * rounding)
        + inverse.size * np.sum(rounding**2)
    )
    if judged.doubt.size:
        start, stop = rows.start, rows.stop
        inside = (judged.doubt >= start) & (judged.doubt < stop)
        if inside.any():
            first = judged.rounding(judged.doubt[inside])[:, cols]
            total += np.sum(judged.error[inside][:, cols] ** 2) - np.sum(first**2)
    return float(max(total, 0.0))
