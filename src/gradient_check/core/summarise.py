"""Turn judged elements into the report: one row per (output, parameter) block.

Only a few passes over each block's elements (its norms, its worst element); the
elements worth naming (wrong, kinks, unconfirmed) come from the refined rows alone. Norms
are scaled (``bands.euclidean_norm``), so gradients near 1e154 neither overflow nor NaN.

A block is decided when its estimated error could not hide a DECIDABLE difference of the
size that matters: the block's own gradient ||a|| + ||d||, or at a stationary point (the
gradient zero within its error, or its extremum inside the step), where a relative
measure means nothing, the problem's own scale, judged absolutely (``stationary``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..report import Element, Evidence, Report, Row
from .advice import advice, error_parts, undecided_advice
from .bands import BAND_EDGES, euclidean_norm, relative_difference_from_norms, verdict_of
from .blockscan import scan_block
from .chunks import chunked_extremes
from .flatten import ParameterVector, Slot
from .judge import JUMP, KINK, NOISE, REMOVABLE, UNRESOLVED, WRONG, Judged, error_norm
from .outputs import OutputSpec, output_label
from .settings import Settings
from .stationary import (
    Curvature,
    curvature,
    is_stationary,
    resolvable_spread,
    stationary_notes,
)

MAX_LISTED = 50  # elements listed per kind and row; the counts cover all of them
DECIDABLE = BAND_EDGES[2]  # evidence that cannot rule out a 1e-2 difference cannot decide
# a factor-2 fault in a block is a relative difference of 1/3: evidence finer than that
# sees it, whatever the block's share of the whole derivative
FACTOR_TWO = 1.0 / 3.0
_KINDS = {WRONG: "wrong", KINK: "kink", NOISE: "noise", JUMP: "jump", UNRESOLVED: "unresolved"}
APART_NAMED = 5  # elements a removable discontinuity's note names; it counts them all
HEATMAP_ELEMENTS = 4096  # blocks this small keep each element's error ratio (Row.errors)
_ORDER = {Evidence.WRONG: 0, Evidence.CANNOT_TELL: 1, Evidence.CONSISTENT: 2}
# Why f was evaluated: the stages' identifiers, in the report's words ({scheme}: its name).
EVALUATIONS = {
    "centre": "centre",
    "repeats": "repeats (stochasticity)",
    "precision_probe": "precision probe",
    "noise_table": "noise table",
    "differences": "{scheme} differences",
    "lengthened": "longer steps (8h to 512h) where rounding dominates",
    "refinement": "refinement at 2h or h/2",
    "shortened": "shorter steps where kinks, jumps or f's length scale left an element unclear",
    "localisation": "localisation: groups halved down to the wrong elements",
    # the framework adapters' own evaluations, before the core's
    "randomness_probe": "randomness probe (the framework's RNG forked)",
    "vmap_agreement": "vmap agreement (a batched evaluation against a single one)",
    "adapter_setup": "adapter setup",
}


# The stage (CheckInterrupted's: probes, differences, refinement, localisation) each
# identifier's evaluations belong to; every other identifier is a probe's.
STAGE_OF = {
    "differences": "differences",
    "lengthened": "differences",
    "refinement": "refinement",
    "shortened": "refinement",
    "localisation": "localisation",
}


def stage_of(reason: str) -> str:
    """The check's stage an evaluation count's identifier belongs to."""
    return STAGE_OF.get(reason, "probes")


def evaluation_words(reason: str, scheme: str) -> str:
    """The report's words for an evaluation count's identifier (``Report.evaluations`` is
    keyed by identifiers; an identifier no stage words, an adapter's own, is its own word)."""
    words = EVALUATIONS.get(reason)
    return reason if words is None else words.format(scheme=scheme)


@dataclass(frozen=True)
class _Context:
    """What every row of one report is built from."""

    judged: Judged
    spec: OutputSpec
    probes: ParameterVector
    settings: Settings
    reference: float  # a stationary block's scale: ||a|| + ||d|| or ||G||, the larger
    output_scales: np.ndarray  # per output: ||a|| + ||d|| over all its blocks
    curvature: Curvature
    low_precision: bool
    noisy: bool


def _elements(code: int, judged: Judged, rows: slice, cols: slice, label: Callable) -> tuple:
    """The refined elements of one kind inside a block, worst first (at most MAX_LISTED)."""
    refined = judged.refinement
    inside = (refined.doubt >= rows.start) & (refined.doubt < rows.stop)
    status = refined.status[inside][:, cols]
    where = np.argwhere(status == code)
    if where.size == 0:
        return (), 0
    doubt = refined.doubt[inside]
    analytic = judged.analytic[doubt][:, cols]
    numeric, error = refined.numeric[inside][:, cols], refined.error[inside][:, cols]
    low, high = refined.low[inside][:, cols], refined.high[inside][:, cols]
    residual = np.abs(analytic - numeric)[where[:, 0], where[:, 1]]
    elements = []
    for k, r in where[np.argsort(-residual, kind="stable")[:MAX_LISTED]]:
        elements.append(
            Element(
                label=label(int(doubt[k]), cols.start + int(r)),
                analytic=float(analytic[k, r]),
                numeric=float(numeric[k, r]),
                error_estimate=float(error[k, r]),
                kind=_KINDS[code],
                low=None if np.isnan(low[k, r]) else float(low[k, r]),
                high=None if np.isnan(high[k, r]) else float(high[k, r]),
            )
        )
    return tuple(elements), int(where.shape[0])


def _diff(norms: dict[str, float]) -> float:
    """The texts' relative difference from a block's (or all blocks') norms."""
    return relative_difference_from_norms(norms["res"], norms["a"], norms["d"])


@dataclass(frozen=True)
class _Finding:
    """A block's evidence, the bound it rests on, and how it was judged."""

    bound: float  # the relative difference its estimated errors alone could explain
    evidence: Evidence
    advice: str | None  # what would decide a "cannot tell"
    absolute: bool  # judged absolutely: the derivative is within its error of zero
    small: bool = False  # decided against its output's whole derivative (``_evidence``)


def _evidence(
    judged: Judged, rows: slice, cols: slice, norms: dict[str, float], wrong: bool, ctx: _Context
) -> _Finding:
    """The block's finding: wrong if any element is confirmed wrong, "cannot tell" (with
    what would decide) if its error could hide a DECIDABLE difference, else consistent.

    spread = margin x ||estimated error||. The bound is relative, spread / (||a|| + ||d||),
    except at a stationary point (``stationary.is_stationary``: the derivative is zero
    within its error, or its one-sided slopes straddle zero), where a relative measure means
    nothing and the bound is absolute: spread against the problem's scale, the larger of
    its whole derivative's size and its curvature's. A wrong element is still caught
    wherever its error exceeds margin x its estimate (the judge's test). A bound or diff
    that is NaN or inf never decides: NaN is never agreement.
    """
    spread = judged.errors.margin * error_norm(judged, rows, cols)
    straddle = ctx.curvature.straddle(rows, cols)
    absolute = is_stationary(norms["best"], spread, straddle)
    if absolute:  # elements no step could resolve agree at the limit of precision
        spread = resolvable_spread(judged, rows, cols)
    reference = ctx.reference if absolute else norms["a"] + norms["d"]
    bound = 0.0 if spread == 0 else spread / (reference or np.inf)
    if wrong:
        return _Finding(float(bound), Evidence.WRONG, None, absolute)
    if not np.isfinite(_diff(norms)) or not bound <= FACTOR_TWO:
        return _undecidable(judged, rows, cols, bound, absolute, ctx)
    if bound <= DECIDABLE:
        return _Finding(float(bound), Evidence.CONSISTENT, None, absolute)
    # a block small beside its output's whole derivative: what matters is its share of that
    whole = ctx.output_scales[cols.start]
    if whole > 0 and spread / whole <= DECIDABLE:
        return _Finding(float(bound), Evidence.CONSISTENT, None, absolute, small=True)
    return _undecidable(judged, rows, cols, bound, absolute, ctx)


def _undecidable(
    judged: Judged, rows: slice, cols: slice, bound: float, absolute: bool, ctx: _Context
) -> _Finding:
    """A "cannot tell", with what would decide it."""
    what = advice(error_parts(judged, rows, cols), ctx.low_precision, ctx.noisy)
    return _Finding(float(bound), Evidence.CANNOT_TELL, what, absolute)


def _settled(judged: Judged, coordinate: int, output: int, first: float) -> float:
    """An element's numeric value as the report states it elsewhere: its refined value
    where it was measured again, else the first pass's ``first``."""
    refined = judged.refinement
    again = np.flatnonzero(refined.doubt == coordinate)
    return float(refined.numeric[again[0], output]) if again.size else first


def _row(block: Slot, slot: Slot, ctx: _Context) -> tuple[Row, dict[str, float], bool]:
    """One (output, parameter) block's row, its norms for the global diff, and whether it
    was decided against its output's whole derivative (a small block)."""
    judged, spec, probes = ctx.judged, ctx.spec, ctx.probes
    rows, cols = slice(slot.offset, slot.stop), slice(block.offset, block.stop)
    a, d = judged.analytic[rows, cols], judged.first.primary[rows, cols]
    scan = scan_block(judged, rows, cols)  # a chunk of rows at a time: no block held whole
    (i, r), norms = scan.worst, scan.norms

    def label(coordinate: int, output: int) -> str:
        return output_label(spec, probes, output, coordinate)

    wrong, n_wrong = _elements(WRONG, judged, rows, cols, label)
    kinks, n_kinks = _elements(KINK, judged, rows, cols, label)
    noise, n_noise = _elements(NOISE, judged, rows, cols, label)
    jumps, n_jumps = _elements(JUMP, judged, rows, cols, label)
    unresolved, n_unresolved = _elements(UNRESOLVED, judged, rows, cols, label)
    undecided = (jumps + unresolved)[:MAX_LISTED]
    found = _evidence(judged, rows, cols, norms, n_wrong > 0, ctx)
    if not n_wrong and undecided:
        found = _Finding(
            found.bound, Evidence.CANNOT_TELL, undecided_advice(undecided[0]), found.absolute
        )
    diff = _diff(norms)
    step_min, step_max = chunked_extremes(lambda part: judged.first.steps[part], rows)
    row = Row(
        name=slot.name,
        output=None if spec.scalar else block.name,
        shape=slot.shape,
        diff=diff,
        verdict=verdict_of(diff, ctx.settings.band_scale),
        evidence=found.evidence,
        max_abs_error=scan.max_abs_error,
        max_rel_error=scan.max_rel_error,
        worst_index=label(slot.offset + i, block.offset + r),
        worst_analytic=float(a[i, r]),
        worst_numeric=_settled(judged, slot.offset + i, block.offset + r, float(d[i, r])),
        error_bound=found.bound,
        step_min=step_min,
        step_max=step_max,
        wrong=wrong,
        kinks=kinks,
        noise=noise,
        undecided=undecided,
        wrong_count=n_wrong,
        kink_count=n_kinks,
        noise_count=n_noise,
        undecided_count=n_jumps + n_unresolved,
        advice=found.advice,
        absolute=found.absolute,
        errors=_error_ratios(judged, rows, cols) if a.size <= HEATMAP_ELEMENTS else (),
    )
    return row, norms, found.small


def _error_ratios(judged: Judged, rows: slice, cols: slice) -> tuple[float, ...]:
    """Each element's |analytic - numeric| / (margin x its estimated error), refined rows
    at their refined values, parameter elements in C order with the outputs innermost:
    above 1 where the finite difference's error does not explain the difference."""
    a = judged.analytic[rows, cols]
    residual = judged.residual(rows, cols)
    estimate = judged.errors.rounding(judged.first.steps[rows])[:, cols]
    refined = judged.refinement
    inside = (refined.doubt >= rows.start) & (refined.doubt < rows.stop)
    if inside.any():
        k = refined.doubt[inside] - rows.start
        estimate[k] = refined.error[inside][:, cols]
        residual[k] = np.abs(a[k] - refined.numeric[inside][:, cols])
    bound = judged.errors.margin * estimate
    ratio = np.divide(residual, bound, out=np.where(residual > 0, np.inf, 0.0), where=bound > 0)
    return tuple(float(v) for v in ratio.ravel())


def build_report(
    *,
    kind: str,
    probes: ParameterVector,
    spec: OutputSpec,
    judged: Judged,
    settings: Settings,
    evaluations: tuple[tuple[str, int], ...],
    notes: tuple[str, ...],
    low_precision: bool,
    noisy: bool,
    extra: dict | None = None,
    problems: tuple[str, ...] = (),
) -> Report:
    """Assemble the report: rows wrong first, the global diff and band, the evidence.

    ``probes`` names the rows of ``judged`` (theta's coordinates, or random directions);
    ``evaluations`` are the stages' (identifier, count) pairs.
    """
    scale = euclidean_norm(judged.analytic) + euclidean_norm(judged.first.primary)
    curvatures = curvature(judged)
    reference = max(scale, curvatures.scale)
    outputs = _output_scales(judged, spec)
    ctx = _Context(
        judged, spec, probes, settings, reference, outputs, curvatures, low_precision, noisy
    )
    built = [_row(block, slot, ctx) for block in spec.blocks for slot in probes.slots]
    rows = [row for row, _, _ in built]
    rows.sort(key=lambda row: _ORDER[row.evidence])
    # ||g|| over everything is the norm of the blocks' norms
    totals = {key: euclidean_norm([n[key] for _, n, _ in built]) for key in ("a", "d", "res")}
    diff = _diff(totals)
    verdict = verdict_of(diff, settings.band_scale)
    evidence = min({row.evidence for row in rows}, key=lambda e: _ORDER[e])
    notes = (*notes, *_apart_notes(judged, spec, probes), *stationary_notes(rows, reference))
    notes = (*notes, *_small_notes([row for row, _, small in built if small]))
    return Report(
        kind=kind,
        diff=diff,
        verdict=verdict,
        evidence=evidence,
        parameters=tuple(rows),
        scheme=settings.scheme.name,
        step=settings.h.describe(),
        evaluations=dict(evaluations),
        notes=notes,
        problems=tuple(problems),
        band_scale=settings.band_scale,
        extra=dict(extra or {}),
    )


def _small_notes(rows: list[Row]) -> list[str]:
    """A note naming the blocks decided against their output's whole derivative."""
    if not rows:
        return []
    names = ", ".join(f"{row.block} (up to {row.error_bound:.0e} of itself)" for row in rows)
    return [
        f"{names}: small beside the whole derivative, so the finite difference's error is a "
        "large share of the block itself but under 1e-2 of the whole; every element agrees "
        "within it, and a factor-2 fault in the block would still show"
    ]


def _output_scales(judged: Judged, spec: OutputSpec) -> np.ndarray:
    """Per output column: ||a|| + ||d|| over its output block's every element (a scalar
    loss: the whole gradient), the size a small block's evidence is weighed against."""
    out = np.empty(judged.analytic.shape[1])
    for block in spec.blocks:
        cols = slice(block.offset, block.stop)
        a, d = judged.analytic[:, cols], judged.first.primary[:, cols]
        out[cols] = euclidean_norm(a) + euclidean_norm(d)
    return out


def _apart_notes(judged: Judged, spec: OutputSpec, probes: ParameterVector) -> list[str]:
    """A note naming the elements that agree where f(theta) stands apart from f on both
    sides (``REMOVABLE``): f is discontinuous there, but only at the point itself."""
    refined = judged.refinement
    where = np.argwhere(refined.status == REMOVABLE)
    if where.size == 0:
        return []
    names = [
        output_label(spec, probes, int(r), int(refined.doubt[k])) for k, r in where[:APART_NAMED]
    ]
    more = f" and {where.shape[0] - APART_NAMED} more" if where.shape[0] > APART_NAMED else ""
    return [
        f"{', '.join(names)}{more}: f(theta) stands apart from f on both sides (a removable "
        "discontinuity): judged by the central difference, which does not use f(theta)"
    ]
