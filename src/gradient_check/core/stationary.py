"""Stationary points: the scale against which a gradient that is about zero is judged.

At an optimum or a saddle the gradient is zero, the numeric one is its finite difference's
error, and the texts' relative difference ||a - d|| / (||a|| + ||d||) is a ratio of two
errors: it means nothing. There a block is judged on absolute agreement: each element
against its estimated error (a wrong element is still confirmed wherever its error exceeds
margin x that: the judge's test, unchanged), and the error itself against the size of
gradient that matters at this point, which the vanishing gradient cannot give: the
curvature's, G_ir = |f''_ir| x scale_i (``curvature``).

A block counts as stationary when its numeric derivative is within its estimated error of
zero, or when the stationary point lies inside the step: the one-sided slopes
(f0 - f-) / h and (f+ - f0) / h, which are d -/+ gap / 2h, straddle zero, ||d|| <= ||gap||
/ 2h over the block (gaps beyond their noise, kinks left out). Newton's step to the
stationary point, d / f'', is then shorter than h. This is what lets a fitted model pass
whose gradient, 1e-9 say, stands clear of its error, 1e-10, but far too little for a
relative difference to be resolved; a steep function (gamma or exp at 100) whose curvature
dwarfs its slope is not mistaken for one, since its slopes do not change sign within h.

An element that no difference could resolve even at a step as long as its own scale
(|a| <= noise / scale, with f unchanged over the step beyond its rounding: erf at 10) agrees
at the limit of precision and leaves the spread (``resolvable_spread``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..report import Evidence, Row, Verdict
from .blockscan import best_numeric, chunked_norm
from .judge import GAP_NOISE, JUMP, KINK, REMOVABLE, ROWS_AT_ONCE, Judged

# A derivative that no central difference could resolve even at a step as long as the
# element's own scale s_i (the longest step the check calls local): below noise_r / s_i.
RESOLVABLE_STEP = 1.0  # in units of the element's scale s_i = h_i / relative_step_i


@dataclass(frozen=True)
class Curvature:
    """What the central differences' gaps say about f'' (nothing for other schemes)."""

    judged: Judged
    scale: float  # ||G||: the size of gradient that matters at this point

    def half_gap(self, rows: slice, cols: slice) -> np.ndarray | None:
        """A block's |gap| / 2h beyond noise, f'' h / 2 (``half_gaps``); None without gaps."""
        return half_gaps(self.judged, rows, cols)

    def straddle(self, rows: slice, cols: slice) -> float:
        """The norm of a block's half gaps (0 without gaps), a chunk of rows at a time."""
        if self.judged.first.gaps is None:
            return 0.0
        width = len(range(*cols.indices(self.judged.analytic.shape[1])))
        return chunked_norm(lambda part: half_gaps(self.judged, part, cols), rows, width)


def half_gaps(
    judged: Judged, rows: slice = slice(None), cols: slice = slice(None)
) -> np.ndarray | None:
    """The one-sided slopes' half gap |gap_ir| / 2h_i = |f''_ir| h_i / 2 over a block (a new
    array; None where no gaps were measured: schemes other than central). Gaps within their
    noise (margin x GAP_NOISE x sigma_r) and elements at kinks (a slope jump, not
    curvature) count as zero."""
    gaps = judged.first.gaps
    if gaps is None:
        return None
    rows = slice(*rows.indices(gaps.shape[0]))
    floor = judged.errors.margin * GAP_NOISE * judged.errors.sigma[cols]
    half_gap = np.abs(gaps[rows, cols])
    half_gap -= floor
    np.maximum(half_gap, 0.0, out=half_gap)
    refined = judged.refinement
    inside = (refined.doubt >= rows.start) & (refined.doubt < rows.stop)
    if inside.any():
        kinks = np.isin(refined.status[inside][:, cols], (KINK, JUMP, REMOVABLE))
        local = refined.doubt[inside] - rows.start
        half_gap[local] = np.where(kinks, 0.0, half_gap[local])
    count = half_gap.shape[0]
    for start in range(0, count, ROWS_AT_ONCE):  # no temporaries of every row
        stop = min(count, start + ROWS_AT_ONCE)
        steps = judged.first.steps[rows.start + start : rows.start + stop]
        half_gap[start:stop] /= 2 * steps[:, None]
    return half_gap


def curvature(judged: Judged) -> Curvature:
    """||G|| with G_ir = |d^2 f_r / d theta_i^2| x scale_i = 2 half_gap_ir / relative_step_i:
    the change in the gradient over a move of theta_i by its own scale.

    For a random direction v (already scaled, h relative) G is |v' H v|. An absolute error
    e of the gradient moves a Newton step by e / G of theta's scale, which is why an error
    at a stationary point is judged against ||G||. 0 where no gaps were measured.
    """
    if judged.first.gaps is None:
        return Curvature(judged, 0.0)

    def scaled(part: slice) -> np.ndarray:
        half_gap = half_gaps(judged, part)
        half_gap /= judged.first.relative_steps(part)[:, None]
        return half_gap

    rows, width = slice(0, judged.first.steps.size), judged.analytic.shape[1]
    return Curvature(judged, 2 * chunked_norm(scaled, rows, width))


def is_stationary(best: float, spread: float, half_gap: float) -> bool:
    """Judge a block absolutely: its numeric derivative's norm ``best`` is within its
    estimated error ``spread`` of zero, or within the one-sided slopes' half gap (the
    block's norm of it): the slopes straddle zero. A NaN ``best`` counts as stationary:
    NaN never makes a relative verdict (and the diff's NaN then says cannot tell)."""
    return not best > spread or best <= half_gap


def stationary_notes(rows: list[Row], reference: float) -> list[str]:
    """A note where blocks were judged absolutely because their derivative is within its
    estimated error of zero: the whole point (stationary), or the blocks named whose band
    that explains (an exactly zero block of a Jacobian needs no note)."""
    absolute = [row for row in rows if row.absolute and row.evidence is not Evidence.WRONG]
    if len(absolute) < len(rows):
        absolute = [row for row in absolute if row.verdict is not Verdict.CORRECT]
    if not absolute:
        return []
    how = (
        "judged on absolute agreement: each element against its estimated error, and that "
        f"error against the problem's own gradient scale, {reference:.1e} (curvature x "
        "|theta|, or the whole derivative's size)"
    )
    if len(absolute) == len(rows):
        return [f"stationary point: the gradient is within its estimated error of zero; {how}"]
    names = ", ".join(row.block for row in absolute)
    return [f"{names}: derivative within its estimated error of zero; {how}"]


def resolvable_spread(judged: Judged, rows: slice, cols: slice) -> float:
    """margin x ||estimated error|| over the elements of a stationary block that some
    finite difference could still resolve; the others agree at the limit of precision.

    Element (i, r) is below resolution when both
      * f's change over the step is within its rounding: |best_ir| <= margin x E_ir (E the
        estimated error: noise_r / h_i + the derivative's rounding, or the refined error),
        so every difference at this step is zero within its error, and
      * the analytic value is below what a central difference could see at any step up to
        the element's scale s_i: |a_ir| <= noise_r / (RESOLVABLE_STEP s_i), since
        |a| s_i is then a change of f under its own rounding.
    Such an element (erf at 10, flat to an ulp: a = 1e-34, every difference 0; i0 at 1e-8,
    a = 1e-9 against a floor of 6e-9) agrees with every difference a check could take: its
    error says nothing a step could settle, so it leaves the spread. An analytic value
    above that floor but within the error still counts (cannot tell: a longer step could
    resolve it), and a wrong element is caught by the judge's own test, unchanged.
    Computed a chunk of rows at a time.
    """
    width = len(range(*cols.indices(judged.analytic.shape[1])))
    resolvable = functools.partial(_resolvable_errors, judged, cols=cols)
    return judged.errors.margin * chunked_norm(resolvable, rows, width)


def _resolvable_errors(judged: Judged, rows: slice, cols: slice) -> np.ndarray:
    """The estimated errors of a block's rows, 0 where the element is below resolution."""
    first, errors = judged.first, judged.errors
    best = best_numeric(judged, rows, cols)
    steps = first.steps[rows]
    error = errors.rounding(steps)[:, cols]
    refined = judged.refinement
    inside = (refined.doubt >= rows.start) & (refined.doubt < rows.stop)
    if inside.any():
        error[refined.doubt[inside] - rows.start] = refined.error[inside][:, cols]
    scale = RESOLVABLE_STEP * steps / first.relative_steps(rows)
    floor = errors.noise[cols][None, :] / scale[:, None]
    a = judged.analytic[rows, cols]
    below = (np.abs(best) <= errors.margin * error) & (np.abs(a) <= floor)
    return np.where(below, 0.0, error)
