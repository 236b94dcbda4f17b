"""Turn judged elements into the report: one row per (output, parameter) block."""

from __future__ import annotations

import numpy as np

from . import judge
from .bands import BAND_EDGES, Verdict, relative_difference, verdict_of
from .flatten import ParameterVector, Slot
from .outputs import OutputSpec, output_label
from .report import Element, Evidence, Report, Row

MAX_LISTED = 50  # elements listed per kind and row; the counts cover all of them
DECIDABLE = BAND_EDGES[2]  # evidence that cannot rule out a 1e-2 difference cannot decide
_KINDS = {judge.WRONG: "wrong", judge.KINK: "kink", judge.NOISE: "noise"}
_ORDER = {Evidence.WRONG: 0, Evidence.CANNOT_TELL: 1, Evidence.CONSISTENT: 2}


def _elements(kind, mask, out, slot, block, vector, spec, analytic, numeric, error, low, high):
    where = np.argwhere(mask)
    if where.size == 0:
        return (), 0
    residual = np.abs(analytic - numeric)[mask]
    listed = where[np.argsort(-residual, kind="stable")[:MAX_LISTED]]
    elements = []
    for i, r in listed:
        coordinate, output = slot.offset + int(i), block.offset + int(r)
        elements.append(
            Element(
                label=output_label(spec, vector, output, coordinate),
                analytic=float(analytic[i, r]),
                numeric=float(numeric[i, r]),
                error_estimate=float(error[i, r]),
                kind=_KINDS[kind],
                low=None if np.isnan(low[i, r]) else float(low[i, r]),
                high=None if np.isnan(high[i, r]) else float(high[i, r]),
            )
        )
    return tuple(elements), int(where.shape[0])


def _advice(rounding_share: float, low_precision: bool, noisy: bool) -> str:
    if rounding_share < 0.5:
        return "truncation error dominates: use a smaller step h"
    if low_precision:
        return "rounding in low precision dominates: evaluate the function in float64"
    if noisy:
        return "the function is noisy: make it deterministic, or use a larger step h"
    return "rounding error dominates: use a larger step h"


def _row(block: Slot, slot: Slot, ctx: dict) -> Row:
    cols, rows_ = slice(block.offset, block.stop), slice(slot.offset, slot.stop)
    a, d1 = ctx["analytic"][rows_, cols], ctx["primary"][rows_, cols]
    numeric, error, status = (
        ctx["numeric"][rows_, cols],
        ctx["error"][rows_, cols],
        ctx["status"][rows_, cols],
    )
    low, high = ctx["low"][rows_, cols], ctx["high"][rows_, cols]
    spec, vector, settings = ctx["spec"], ctx["vector"], ctx["settings"]
    residual = np.abs(a - d1)
    i, r = np.unravel_index(int(np.argmax(residual)), residual.shape)
    scale = np.maximum(np.abs(a), np.abs(d1))
    relative = np.divide(residual, scale, out=np.zeros_like(residual), where=scale > 0)
    diff = relative_difference(a, d1)
    common = (vector, spec, a, numeric, error, low, high)
    wrong, n_wrong = _elements(judge.WRONG, status == judge.WRONG, r, slot, block, *common)
    kinks, n_kinks = _elements(judge.KINK, status == judge.KINK, r, slot, block, *common)
    noise, n_noise = _elements(judge.NOISE, status == judge.NOISE, r, slot, block, *common)
    bound = judge.relative_bound(error, a, d1, settings.margin, ctx["scale"])
    advice = None
    if n_wrong:
        evidence = Evidence.WRONG
    elif bound > DECIDABLE:
        evidence = Evidence.CANNOT_TELL
        rounding = ctx["rounding"][rows_, cols]
        share = float(np.sum(rounding) / max(np.sum(error), np.finfo(float).tiny))
        advice = _advice(share, ctx["low_precision"], ctx["noisy"])
    else:
        evidence = Evidence.CONSISTENT
    steps = ctx["steps"][rows_]
    return Row(
        name=slot.name,
        output=None if spec.scalar else block.name,
        shape=slot.shape,
        diff=diff,
        verdict=verdict_of(diff, settings.band_scale),
        evidence=evidence,
        max_abs_error=float(residual.max()),
        max_rel_error=float(relative.max()),
        worst_index=output_label(spec, vector, block.offset + int(r), slot.offset + int(i)),
        worst_analytic=float(a[i, r]),
        worst_numeric=float(d1[i, r]),
        error_bound=bound,
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


def build_report(
    *,
    kind: str,
    vector: ParameterVector,
    spec: OutputSpec,
    analytic: np.ndarray,
    primary: np.ndarray,
    numeric: np.ndarray,
    error: np.ndarray,
    rounding: np.ndarray,
    status: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    steps: np.ndarray,
    settings,
    counts: dict[str, int],
    notes: tuple[str, ...],
    low_precision: bool,
    noisy: bool,
    extra: dict | None = None,
    problems: tuple[str, ...] = (),
) -> Report:
    """Assemble the report: rows wrong first, the global diff and band, the evidence."""
    scale = float(np.linalg.norm(analytic) + np.linalg.norm(primary))
    ctx = dict(
        analytic=analytic,
        primary=primary,
        numeric=numeric,
        error=error,
        rounding=rounding,
        status=status,
        low=low,
        high=high,
        steps=steps,
        spec=spec,
        vector=vector,
        settings=settings,
        scale=scale,
        low_precision=low_precision,
        noisy=noisy,
    )
    rows = [_row(block, slot, ctx) for block in spec.blocks for slot in vector.slots]
    rows.sort(key=lambda row: _ORDER[row.evidence])
    diff = relative_difference(analytic, primary)
    verdict = verdict_of(diff, settings.band_scale)
    evidences = {row.evidence for row in rows}
    evidence = min(evidences, key=lambda e: _ORDER[e])
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
