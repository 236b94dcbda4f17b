"""Turn judged elements into the report: one row per (output, parameter) block.

Only a few passes over each block's elements (its norms, its worst element); the
elements worth naming (wrong, kinks, unconfirmed) come from the refined rows alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..report import Element, Evidence, Report, Row
from .bands import BAND_EDGES, Verdict, relative_difference_from_norms, verdict_of
from .flatten import ParameterVector, Slot
from .judge import KINK, NOISE, WRONG, Judged, squared_error_norm
from .measure import LARGER_STEP
from .outputs import OutputSpec, output_label
from .settings import Settings

MAX_LISTED = 50  # elements listed per kind and row; the counts cover all of them
DECIDABLE = BAND_EDGES[2]  # evidence that cannot rule out a 1e-2 difference cannot decide
_KINDS = {WRONG: "wrong", KINK: "kink", NOISE: "noise"}
_ORDER = {Evidence.WRONG: 0, Evidence.CANNOT_TELL: 1, Evidence.CONSISTENT: 2}
# Why f was evaluated: the stages' identifiers, in the report's words ({scheme}: its name).
EVALUATIONS = {
    "centre": "centre",
    "repeats": "repeats (stochasticity)",
    "precision_probe": "precision probe",
    "noise_table": "noise table",
    "differences": "{scheme} differences",
    "lengthened": f"{LARGER_STEP:g}h where rounding dominates",
    "refinement": "refinement at 2h or h/2",
}


def described(evaluations: tuple[tuple[str, int], ...], scheme: str) -> dict[str, int]:
    """The evaluation counts keyed by the report's words, in the order they were made."""
    return {EVALUATIONS[reason].format(scheme=scheme): count for reason, count in evaluations}


@dataclass(frozen=True)
class _Context:
    """What every row of one report is built from."""

    judged: Judged
    spec: OutputSpec
    probes: ParameterVector
    settings: Settings
    scale: float  # ||analytic|| + ||numeric|| over everything
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


def _advice(parts: dict[str, float], low_precision: bool, noisy: bool) -> str:
    """What would make a block decidable, from the largest part of its estimated error."""
    largest = max(parts, key=parts.get)
    if largest == "derivative":
        return "the derivative's own precision dominates: compute it in float64"
    if largest == "truncation":
        return "truncation error dominates: use a smaller step h"
    if low_precision:
        return "rounding in low precision dominates: evaluate the function in float64"
    if noisy:
        return "the function is noisy: make it deterministic, or use a larger step h"
    return "rounding error dominates: use a larger step h"


def _error_parts(judged: Judged, rows: slice, cols: slice) -> dict[str, float]:
    """The block's estimated error split into the function's noise, the derivative's own
    rounding, and (for refined rows) what remains: truncation."""
    errors, refined = judged.errors, judged.refinement
    noise = float(np.sum(1.0 / judged.first.steps[rows]) * np.sum(errors.noise[cols]))
    derivative = float(errors.analytic_rounding[cols].sum() * (rows.stop - rows.start))
    inside = (refined.doubt >= rows.start) & (refined.doubt < rows.stop)
    first = errors.rounding(judged.first.steps[refined.doubt[inside]])[:, cols]
    truncation = float(np.sum(np.maximum(refined.error[inside][:, cols] - first, 0)))
    return {"noise": noise, "derivative": derivative, "truncation": truncation}


def _block_sums(judged: Judged, rows: slice, cols: slice) -> dict[str, float]:
    """Squared norms of analytic, numeric and their difference over one block."""
    a, d = judged.analytic[rows, cols], judged.first.primary[rows, cols]
    res = judged.first.residual[rows, cols]
    return {"a": float(np.vdot(a, a)), "d": float(np.vdot(d, d)), "res": float(np.vdot(res, res))}


def _diff(sums: dict[str, float]) -> float:
    """The texts' relative difference from squared norms."""
    return relative_difference_from_norms(
        np.sqrt(sums["res"]), np.sqrt(sums["a"]), np.sqrt(sums["d"])
    )


def worst_element(residual: np.ndarray) -> tuple[int, int]:
    """The (row, column) of a block's largest |analytic - numeric| (the first, if tied)."""
    i, r = np.unravel_index(int(np.argmax(residual)), residual.shape)
    return int(i), int(r)


def _evidence(
    judged: Judged, rows: slice, cols: slice, sums: dict[str, float], wrong: bool, ctx: _Context
) -> tuple[float, Evidence, str | None]:
    """The block's error bound (the relative difference its estimated errors alone could
    explain), its evidence and advice: wrong if any element is confirmed wrong, "cannot
    tell" (with what would decide) if the bound could hide a DECIDABLE difference."""
    spread = judged.errors.margin * np.sqrt(squared_error_norm(judged, rows, cols))
    size = np.sqrt(sums["a"]) + np.sqrt(sums["d"])
    bound = 0.0 if spread == 0 else spread / (size if size > spread else ctx.scale or np.inf)
    if wrong:
        return bound, Evidence.WRONG, None
    if bound > DECIDABLE:
        parts = _error_parts(judged, rows, cols)
        return bound, Evidence.CANNOT_TELL, _advice(parts, ctx.low_precision, ctx.noisy)
    return bound, Evidence.CONSISTENT, None


def _row(block: Slot, slot: Slot, ctx: _Context) -> tuple[Row, dict[str, float]]:
    """One (output, parameter) block's row, and its squared norms for the global diff."""
    judged, spec, probes = ctx.judged, ctx.spec, ctx.probes
    rows, cols = slice(slot.offset, slot.stop), slice(block.offset, block.stop)
    a, d = judged.analytic[rows, cols], judged.first.primary[rows, cols]
    res = judged.first.residual[rows, cols]
    i, r = worst_element(res)
    scale = np.maximum(np.abs(a), np.abs(d))
    relative = np.divide(res, scale, out=np.zeros_like(res), where=scale > 0)
    sums = _block_sums(judged, rows, cols)

    def label(coordinate: int, output: int) -> str:
        return output_label(spec, probes, output, coordinate)

    wrong, n_wrong = _elements(WRONG, judged, rows, cols, label)
    kinks, n_kinks = _elements(KINK, judged, rows, cols, label)
    noise, n_noise = _elements(NOISE, judged, rows, cols, label)
    bound, evidence, advice = _evidence(judged, rows, cols, sums, n_wrong > 0, ctx)
    diff = _diff(sums)
    steps = judged.first.steps[rows]
    row = Row(
        name=slot.name,
        output=None if spec.scalar else block.name,
        shape=slot.shape,
        diff=diff,
        verdict=verdict_of(diff, ctx.settings.band_scale),
        evidence=evidence,
        max_abs_error=float(res[i, r]),
        max_rel_error=float(relative.max()),
        worst_index=label(slot.offset + i, block.offset + r),
        worst_analytic=float(a[i, r]),
        worst_numeric=float(d[i, r]),
        error_bound=float(bound),
        step_min=float(steps.min()),
        step_max=float(steps.max()),
        wrong=wrong,
        kinks=kinks,
        noise=noise,
        wrong_count=n_wrong,
        kink_count=n_kinks,
        noise_count=n_noise,
        advice=advice,
    )
    return row, sums


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
    scale = float(np.linalg.norm(judged.analytic) + np.linalg.norm(judged.first.primary))
    ctx = _Context(judged, spec, probes, settings, scale, low_precision, noisy)
    built = [_row(block, slot, ctx) for block in spec.blocks for slot in probes.slots]
    rows = [row for row, _ in built]
    rows.sort(key=lambda row: _ORDER[row.evidence])
    totals = {key: sum(sums[key] for _, sums in built) for key in ("a", "d", "res")}
    diff = _diff(totals)
    verdict = verdict_of(diff, settings.band_scale)
    evidence = min({row.evidence for row in rows}, key=lambda e: _ORDER[e])
    notes = (*notes, *_disagreement(diff, verdict, evidence, rows))
    return Report(
        kind=kind,
        diff=diff,
        verdict=verdict,
        evidence=evidence,
        parameters=tuple(rows),
        scheme=settings.scheme.name,
        step=settings.h.describe(),
        evaluations=described(evaluations, settings.scheme.name),
        notes=notes,
        problems=tuple(problems),
        band_scale=settings.band_scale,
        extra=dict(extra or {}),
    )


def _disagreement(diff: float, verdict: Verdict, evidence: Evidence, rows: list[Row]) -> list[str]:
    """One line where the texts' band and the evidence disagree, saying why."""
    n_kinks = sum(r.kink_count for r in rows)
    n_wrong = sum(r.wrong_count for r in rows)
    if evidence is Evidence.CONSISTENT and verdict is not Verdict.CORRECT:
        if n_kinks:
            return [
                f"the diff {diff:.1e} comes from {n_kinks} element(s) at kinks, where the "
                "analytic value is a valid subgradient; every other element agrees"
            ]
        bound = max(r.error_bound for r in rows)
        return [
            f"the diff {diff:.1e} is within the finite difference's own estimated error "
            f"(up to {bound:.1e}): no element is wrong beyond it"
        ]
    if evidence is Evidence.WRONG and verdict in (Verdict.CORRECT, Verdict.NON_SMOOTH_ONLY):
        return [
            f"the global diff {diff:.1e} looks fine, but {n_wrong} element(s) are wrong "
            "beyond their estimated error: a small part of a large vector"
        ]
    if evidence is Evidence.CANNOT_TELL:
        return [
            f"the diff {diff:.1e} cannot be trusted: the finite difference's own error is "
            "as large as the differences it would have to reveal"
        ]
    return []
