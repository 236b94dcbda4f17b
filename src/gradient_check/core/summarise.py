"""Turn judged elements into the report: one row per (output, parameter) block.

Only a few passes over each block's elements (its norms, its worst element); the
elements worth naming (wrong, kinks, unconfirmed) come from the refined rows alone.
"""

from __future__ import annotations

import numpy as np

from ..report import Element, Evidence, Report, Row
from . import judge
from .bands import BAND_EDGES, Verdict, verdict_of
from .flatten import ParameterVector, Slot
from .outputs import OutputSpec, output_label

MAX_LISTED = 50  # elements listed per kind and row; the counts cover all of them
DECIDABLE = BAND_EDGES[2]  # evidence that cannot rule out a 1e-2 difference cannot decide
_KINDS = {judge.WRONG: "wrong", judge.KINK: "kink", judge.NOISE: "noise"}
_ORDER = {Evidence.WRONG: 0, Evidence.CANNOT_TELL: 1, Evidence.CONSISTENT: 2}


def _elements(code: int, judged: judge.Judged, rows: slice, cols: slice, label) -> tuple:
    """The refined elements of one kind inside a block, worst first (at most MAX_LISTED)."""
    if judged.status is None:
        return (), 0
    inside = (judged.doubt >= rows.start) & (judged.doubt < rows.stop)
    status = judged.status[inside][:, cols]
    where = np.argwhere(status == code)
    if where.size == 0:
        return (), 0
    doubt = judged.doubt[inside]
    analytic = judged.analytic[doubt][:, cols]
    numeric, error = judged.numeric[inside][:, cols], judged.error[inside][:, cols]
    low, high = judged.low[inside][:, cols], judged.high[inside][:, cols]
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


def _error_parts(judged: judge.Judged, rows: slice, cols: slice) -> dict[str, float]:
    """The block's estimated error split into the function's noise, the derivative's own
    rounding, and (for refined rows) what remains: truncation."""
    noise = float(np.sum(1.0 / judged.steps[rows]) * np.sum(judged.noise[cols]))
    derivative = float(judged.analytic_rounding[cols].sum() * (rows.stop - rows.start))
    truncation = 0.0
    if judged.error is not None:
        inside = (judged.doubt >= rows.start) & (judged.doubt < rows.stop)
        first = judged.rounding(judged.doubt[inside])[:, cols]
        truncation = float(np.sum(np.maximum(judged.error[inside][:, cols] - first, 0)))
    return {"noise": noise, "derivative": derivative, "truncation": truncation}


def _block_sums(judged: judge.Judged, rows: slice, cols: slice) -> dict:
    """Squared norms of analytic, numeric and their difference over one block."""
    a, d, res = (
        judged.analytic[rows, cols],
        judged.primary[rows, cols],
        judged.residual[rows, cols],
    )
    return {"a": float(np.vdot(a, a)), "d": float(np.vdot(d, d)), "res": float(np.vdot(res, res))}


def _diff(sums: dict) -> float:
    """The texts' relative difference from squared norms, 0/0 read as 0."""
    denominator = np.sqrt(sums["a"]) + np.sqrt(sums["d"])
    return float(np.sqrt(sums["res"]) / denominator) if denominator else 0.0


def _row(block: Slot, slot: Slot, ctx: dict) -> tuple[Row, dict]:
    judged: judge.Judged = ctx["judged"]
    spec, vector, settings = ctx["spec"], ctx["vector"], ctx["settings"]
    rows, cols = slice(slot.offset, slot.stop), slice(block.offset, block.stop)
    a, d, res = judged.analytic[rows, cols], judged.primary[rows, cols], judged.residual[rows, cols]
    i, r = np.unravel_index(int(np.argmax(res)), res.shape)
    scale = np.maximum(np.abs(a), np.abs(d))
    relative = np.divide(res, scale, out=np.zeros_like(res), where=scale > 0)
    sums = _block_sums(judged, rows, cols)
    diff = _diff(sums)

    def label(coordinate: int, output: int) -> str:
        return output_label(spec, vector, output, coordinate)

    wrong, n_wrong = _elements(judge.WRONG, judged, rows, cols, label)
    kinks, n_kinks = _elements(judge.KINK, judged, rows, cols, label)
    noise, n_noise = _elements(judge.NOISE, judged, rows, cols, label)
    spread = judged.margin * np.sqrt(judge.squared_error_norm(judged, rows, cols))
    size = np.sqrt(sums["a"]) + np.sqrt(sums["d"])
    bound = 0.0 if spread == 0 else spread / (size if size > spread else ctx["scale"] or np.inf)
    advice = None
    if n_wrong:
        evidence = Evidence.WRONG
    elif bound > DECIDABLE:
        evidence = Evidence.CANNOT_TELL
        advice = _advice(_error_parts(judged, rows, cols), ctx["low_precision"], ctx["noisy"])
    else:
        evidence = Evidence.CONSISTENT
    steps = judged.steps[rows]
    row = Row(
        name=slot.name,
        output=None if spec.scalar else block.name,
        shape=slot.shape,
        diff=diff,
        verdict=verdict_of(diff, settings.band_scale),
        evidence=evidence,
        max_abs_error=float(res[i, r]),
        max_rel_error=float(relative.max()),
        worst_index=label(slot.offset + int(i), block.offset + int(r)),
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
    vector: ParameterVector,
    spec: OutputSpec,
    judged: judge.Judged,
    settings,
    counts: dict[str, int],
    notes: tuple[str, ...],
    low_precision: bool,
    noisy: bool,
    extra: dict | None = None,
    problems: tuple[str, ...] = (),
) -> Report:
    """Assemble the report: rows wrong first, the global diff and band, the evidence."""
    scale = float(np.linalg.norm(judged.analytic) + np.linalg.norm(judged.primary))
    ctx = dict(
        judged=judged,
        spec=spec,
        vector=vector,
        settings=settings,
        scale=scale,
        low_precision=low_precision,
        noisy=noisy,
    )
    built = [_row(block, slot, ctx) for block in spec.blocks for slot in vector.slots]
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
        evaluations=dict(counts),
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
