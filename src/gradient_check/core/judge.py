"""Judge every derivative element against the finite difference's own estimated error.

Arrays here are (probes, outputs): row i is theta_i (or a random direction), column r is
output r. An element is wrong only where |analytic - numeric| exceeds ``margin`` times its
error estimate at the first step *and* after refinement at shorter steps (confirmed;
``refine``). At a kink (the one-sided slopes differ by an amount that does not shrink with
h) any value between the one-sided slopes is a valid subgradient; at a jump (one-sided
slopes that grow like 1/h) none is, and a finite difference cannot check the element.

NaN is never agreement: comparisons are written so that NaN (from overflow, inf - inf)
falls on the side of doubt: ``x <= bound`` for "agrees", ``~(x <= bound)`` for "exceeds".

The first pass touches every element and must stay cheap (a handful of array passes): its
rounding estimate is separable, sigma_r / h_i + the backward's rounding_r. Only the rows in
doubt are refined, and their findings are kept for those rows alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .chunks import chunked_extremes, chunked_sum
from .estimate import column_rms
from .flags import BitMatrix, RowSet
from .gapstore import Gaps
from .schemes import Scheme, rounding_weight

DEFAULT_MARGIN = 4.0  # "clearly exceeds": |analytic - numeric| > margin x estimated error
ANALYTIC_ROUNDING = 32.0  # a backward pass's own rounding, in ulps of its largest value
GAP_NOISE = 3.0  # noise of f+ - 2 f0 + f-, in units of sigma (sqrt(6) ~ 2.45)
KINK_RELATIVE_GAP = 1e-3  # one-sided slopes this far apart, relatively, are worth a look
# ... unless curvature explains it: a smooth f's slopes differ by about h |f''|, which is
# |f'| times the relative step h / scale when f varies on the scale of its parameter
CURVATURE_ALLOWANCE = 100.0
RESOLUTION_WANTED = 1e-3  # a first pass that cannot see a 0.1 % error is worth a longer step
ROWS_AT_ONCE = 1 << 15  # rows a pass over the first pass's arrays takes at once

# An element's status after refinement. OK: agrees. WRONG: confirmed wrong. KINK: a valid
# subgradient between the one-sided slopes. NOISE: failed the first step only. JUMP: f is
# discontinuous within the shortest step (slopes ~ 1/h): no finite difference can check it,
# "cannot tell" unless the analytic value is far outside the slopes either side of the jump.
# UNRESOLVED: the slopes never settled into a pattern (features shorter than the shortest
# step, several kinks, non-finite values): "cannot tell". REMOVABLE: agrees, judged by the
# central difference where f(theta) stands apart from f on both sides (a removable
# discontinuity: the difference never uses f(theta)).
OK, WRONG, KINK, NOISE, JUMP, UNRESOLVED, REMOVABLE = 0, 1, 2, 3, 4, 5, 6


@dataclass(frozen=True)
class ErrorModel:
    """The first pass's separable error estimate: element (i, r) of a difference at step
    h_i is off by about noise_r / h_i + analytic_rounding_r, and disagrees beyond
    ``margin`` times that."""

    noise: np.ndarray  # (outputs,) sigma_r x sum|w|: rounding of D(h) is noise_r / h_i
    sigma: np.ndarray  # (outputs,) the function's own noise
    analytic_rounding: np.ndarray  # (outputs,) the derivative's rounding (and spread)
    typical_slope: np.ndarray  # (outputs,) rms of the analytic derivative of each output
    margin: float

    def rounding(self, steps: np.ndarray) -> np.ndarray:
        """The estimated error of differences at ``steps``: noise / h + backward rounding."""
        out = np.multiply.outer(1.0 / steps, self.noise)
        out += self.analytic_rounding
        return out


def error_model(
    analytic: np.ndarray,
    analytic_eps: float,
    analytic_noise: float,
    sigma: np.ndarray,
    scheme: Scheme,
    margin: float,
) -> ErrorModel:
    """The error model of a check, from the analytic rows (probes, outputs) and f's noise.

    The backward's own rounding, per output: its dtype's eps at the scale of the largest
    derivative of that output, plus the spread of two calls of a nondeterministic one.
    """
    largest = np.maximum(analytic.max(axis=0, initial=0), -analytic.min(axis=0, initial=0))
    rounding = ANALYTIC_ROUNDING * analytic_eps * largest + analytic_noise
    # each output's typical slope: the rms of its derivatives (scaled where squares overflow)
    typical = column_rms(analytic)
    return ErrorModel(sigma * rounding_weight(scheme), sigma, rounding, typical, margin)


@dataclass(frozen=True)
class FirstPass:
    """Every probe's first difference D(h), compared with the analytic value.

    Per probe it holds only what cannot be recomputed cheaply: |analytic - D(h)| and the
    relative steps h_i / scale_i are computed where needed (``Judged.residual``,
    ``relative_steps``); for the coordinates' central differences ``steps``, ``nominal``
    and ``scales`` are columns of the pass's own step table (steptable.py), computed from
    theta where read, with the few rows a retry or a longer step changed set in it.
    """

    primary: np.ndarray  # (probes, outputs) the first finite difference, D(h)
    steps: np.ndarray  # (probes,) the realised h_i
    nominal: np.ndarray  # (probes,) the step asked for, which a second step multiplies
    lengthened: np.ndarray | RowSet  # (probes,) bool: measured again at a longer step, kept
    gaps: np.ndarray | Gaps | None  # f+ - 2 f0 + f- = h x (slopes' gap); central only
    consistent: np.ndarray | BitMatrix  # (probes, outputs) bool: agrees without more
    evaluations: tuple[tuple[str, int], ...]  # (identifier, count) of f's evaluations
    scales: np.ndarray | None = None  # (probes,) scale_i; None: the steps are relative already
    # rows -> each row's tensor's typical magnitude, when the step table has them at hand
    typical: Callable[[np.ndarray], np.ndarray] | None = None

    def relative_steps(self, rows: slice | np.ndarray = slice(None)) -> np.ndarray:
        """h_i / scale_i for the probes ``rows`` (the steps themselves without scales)."""
        return self.steps[rows] if self.scales is None else self.steps[rows] / self.scales[rows]


@dataclass(frozen=True)
class Refinement:
    """The findings for the rows in doubt, measured again at shorter steps."""

    doubt: np.ndarray  # (doubt,) the rows refined
    status: np.ndarray  # (doubt, outputs) int8 codes OK / WRONG / KINK / NOISE / JUMP / ...
    numeric: np.ndarray  # best numeric value of the doubt rows
    error: np.ndarray  # its estimated error
    # one-sided slope bracket where a kink was found; at a jump, the slopes either side of
    # it without the jump (the values f' takes next to the discontinuity); NaN elsewhere
    low: np.ndarray
    high: np.ndarray
    evaluations: tuple[tuple[str, int], ...] = ()
    finest: np.ndarray | None = None  # (doubt,) the shortest step each row was measured at

    @staticmethod
    def none(outputs: int) -> Refinement:
        """No row in doubt: nothing refined, nothing evaluated."""
        empty = np.empty((0, outputs))
        status = np.zeros((0, outputs), dtype=np.int8)
        rows = np.zeros(0, dtype=np.int64)
        return Refinement(rows, status, empty, empty, empty, empty, finest=np.zeros(0))

    @staticmethod
    def joined(parts: list[Refinement]) -> Refinement:
        """The refinements of consecutive shares of the rows in doubt, as one: their arrays
        end to end, their evaluation counts added up by identifier."""
        totals: dict[str, int] = {}
        for part in parts:
            for reason, count in part.evaluations:
                totals[reason] = totals.get(reason, 0) + count
        arrays = {
            name: np.concatenate([getattr(part, name) for part in parts])
            for name in ("doubt", "status", "numeric", "error", "low", "high")
        }
        finest = None if parts[0].finest is None else np.concatenate([p.finest for p in parts])
        return Refinement(**arrays, evaluations=tuple(totals.items()), finest=finest)


@dataclass(frozen=True)
class Judged:
    """A check's findings, as the report reads them: the analytic rows, the first pass,
    its error model, and the refinement of the rows in doubt."""

    analytic: np.ndarray  # (probes, outputs)
    first: FirstPass
    errors: ErrorModel
    refinement: Refinement

    def residual(self, rows: slice | np.ndarray, cols: slice = slice(None)) -> np.ndarray:
        """|analytic - D(h)| over a block of the first pass (a new array)."""
        out = np.subtract(self.analytic[rows, cols], self.first.primary[rows, cols])
        return np.abs(out, out=out)


def first_pass(
    errors: ErrorModel,
    residual: np.ndarray,
    primary: np.ndarray,
    steps: np.ndarray,
    relative_steps: np.ndarray,
    gaps: np.ndarray | None,
) -> np.ndarray:
    """Elements consistent with the first difference, without another evaluation, for a
    block of rows (every argument is that block's).

    Consistent: |analytic - numeric| within ``margin`` x rounding, with one-sided slopes
    that agree as closely as a smooth function's do. A slope gap far above the noise and
    large against the slope itself may be a kink; such an element is measured again.
    """
    # |a - d| <= margin (noise_r / h_i + rounding_r), in three passes over the block; a NaN
    # residual (overflow) is never within, and an output whose error is not finite never is
    bound = np.multiply.outer(errors.margin / steps, errors.noise)
    bound += errors.margin * errors.analytic_rounding
    consistent = residual <= bound
    unknown = ~np.isfinite(errors.noise + errors.analytic_rounding)
    if unknown.any():
        consistent[:, unknown] = False
    if gaps is not None:  # a NaN gap (f+ + f- overflowed) is a suspect too
        suspects = ~(np.abs(gaps) <= errors.margin * GAP_NOISE * errors.sigma)
        suspects &= consistent
        where, cols = np.nonzero(suspects)
        if where.size:
            gap = np.abs(gaps[where, cols]) / steps[where]
            # against the element's slope, or its output's typical slope where that is larger
            slope = np.maximum(np.abs(primary[where, cols]), errors.typical_slope[cols])
            allowed = np.maximum(KINK_RELATIVE_GAP, CURVATURE_ALLOWANCE * relative_steps[where])
            anomalous = ~(gap <= allowed * (slope + gap))
            consistent[where[anomalous], cols[anomalous]] = False
    return consistent


def curvature_negligible(gaps: np.ndarray | None, errors: ErrorModel) -> np.ndarray | None:
    """Rows whose one-sided slopes agree within the noise at every output: no sign of
    curvature (or a kink) at this step, so a larger step costs nothing in truncation."""
    if gaps is None:
        return None
    return np.all(np.abs(gaps) <= errors.margin * GAP_NOISE * errors.sigma, axis=1)


def rounding_limited(
    errors: ErrorModel, first: FirstPass, analytic: np.ndarray | None = None
) -> np.ndarray:
    """Rows whose first difference cannot resolve a RESOLUTION_WANTED relative error (its
    rounding bound is larger) while its one-sided slopes show no curvature above the noise;
    given the ``analytic`` rows, not those where f did not change and the analytic value is
    0 too (nothing to resolve)."""
    # a row can be blurred only if some output's noise bound beats its typical slope: a
    # step shorter than the largest margin noise_r / (wanted typical_r) (cheap to rule out)
    typical = RESOLUTION_WANTED * np.maximum(errors.typical_slope, np.finfo(float).tiny)
    shortest_clear = float(np.max(errors.margin * errors.noise / typical))
    found = [np.zeros(0, dtype=np.int64)]
    for start in range(0, first.steps.size, ROWS_AT_ONCE):  # no temporaries of every row
        steps = first.steps[start : start + ROWS_AT_ONCE]
        rows = start + np.flatnonzero(steps < shortest_clear)
        if rows.size == 0:
            continue
        bound = np.multiply.outer(errors.margin / steps[rows - start], errors.noise)
        scale = np.maximum(np.abs(first.primary[rows]), errors.typical_slope)
        blurred = np.any(bound > RESOLUTION_WANTED * scale, axis=1)
        blurred &= curvature_negligible(first.gaps[rows], errors)
        if analytic is not None:
            blurred &= ~(
                np.all(first.primary[rows] == 0, axis=1) & np.all(analytic[rows] == 0, axis=1)
            )
        found.append(rows[blurred])
    return np.concatenate(found)


def slopes_from(
    derivative: np.ndarray, gaps: np.ndarray, steps: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The one-sided slopes (f0 - f-) / h and (f+ - f0) / h from the central difference
    D = (f+ - f-) / 2h and the gap f+ - 2 f0 + f-: D -/+ gap / 2h."""
    half_gap = gaps / (2 * steps[:, None])
    return derivative - half_gap, derivative + half_gap


def error_norm(judged: Judged, rows: slice, cols: slice) -> float:
    """||error|| over a block: the separable first-pass estimate, refined rows replaced.

    sum_i sum_r (n_r / h_i + a_r)^2 expands into sums over i and over r alone, so the
    block's norm costs no pass over its elements, and its sums over i take the steps a
    chunk at a time. Every term is divided by an upper bound S of the errors before
    squaring (S ||error / S||), so errors near 1e154 do not overflow.
    """
    rows = slice(*rows.indices(judged.first.steps.size))
    size = rows.stop - rows.start
    steps = judged.first.steps

    def inverse(part: slice) -> np.ndarray:  # 1 / h_i, computed a chunk at a time
        return 1.0 / steps[part]

    noise, rounding = judged.errors.noise[cols], judged.errors.analytic_rounding[cols]
    refined = judged.refinement
    inside = np.zeros(0, dtype=bool)
    if refined.doubt.size:
        inside = (refined.doubt >= rows.start) & (refined.doubt < rows.stop)
    replaced = refined.error[inside][:, cols] if inside.any() else np.zeros((0, 0))
    largest = np.max([0.0, chunked_extremes(inverse, rows)[1]]) if size else 0.0
    scale = largest * np.max(noise, initial=0.0)
    scale = max(scale + np.max(rounding, initial=0.0), np.max(replaced, initial=0.0))
    if not scale > 0 or not np.isfinite(scale):
        return float(scale) if np.isnan(scale) or scale > 0 else 0.0
    noise, rounding = noise / scale, rounding / scale
    total = (
        chunked_sum(lambda part: inverse(part) ** 2, rows) * np.sum(noise**2)
        + 2 * chunked_sum(inverse, rows) * np.sum(noise * rounding)
        + size * np.sum(rounding**2)
    )
    if inside.any():
        first = judged.errors.rounding(judged.first.steps[refined.doubt[inside]])[:, cols]
        total += np.sum((replaced / scale) ** 2) - np.sum((first / scale) ** 2)
    return float(scale * np.sqrt(max(total, 0.0)))
