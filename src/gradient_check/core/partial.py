"""What an interrupted check had found: the report of the coordinates measured so far.

A full check's central differences are measured and judged a chunk of coordinates at a
time, in theta's order, so when Ctrl-C stops it the coordinates [0, k) have their first
difference and its verdict. ``Findings`` collects what each stage returns as the check runs
(and, from the first pass, its arrays as they fill); ``partial_report`` turns them into a
Report of those k coordinates, judged on their first differences alone: an element the
first pass could not clear was never refined, so it is wrong only where its analytic value
lies outside all its first difference allows, and "cannot tell" otherwise. A partial
report never
passes (``Report.outcome``: the coordinates not measured are unknown); it says how far the
check got in a note and in ``extra["interrupted"]``.

A directional, sampled or localising check has none (it measures directions, not
coordinates); a scheme other than central measures every coordinate at once, so it has one
only when interrupted after that, in the refinement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..report import Report
from .flags import rows_in_doubt
from .flatten import ParameterVector
from .judge import OK, UNRESOLVED, WRONG, ErrorModel, FirstPass, Judged, Refinement
from .plan import Plan
from .probe import Centre, Probes
from .steptable import StepTable


@dataclass
class Findings:
    """What the stages of one check have returned so far (filled in as it runs)."""

    centre: Centre | None = None
    probes: Probes | None = None
    plan: Plan | None = None
    rows: np.ndarray | None = None  # the analytic rows
    errors: ErrorModel | None = None
    first: FirstPass | None = None  # the first pass, once it returned
    # the first pass while it runs: its arrays (filled in place), table, and rows judged
    arrays: dict[str, Any] = field(default_factory=dict)
    judged_rows: int = 0

    def started(self, table: StepTable, **arrays: np.ndarray) -> None:
        """The central first pass has allocated ``arrays`` and measures with ``table``."""
        self.arrays = {"table": table, **arrays}

    def measured(self) -> int:
        """The coordinates whose first differences were measured and judged."""
        return self.first.primary.shape[0] if self.first is not None else self.judged_rows


def partial_report(
    findings: Findings,
    build: Callable[[ParameterVector, Judged, tuple[str, ...], dict], Report],
    interrupted: dict[str, Any],
) -> Report | None:
    """The report of the coordinates measured before the interrupt, or None (nothing
    measured, or a check without coordinate-by-coordinate first differences).

    ``build(probes, judged, notes, extra)`` builds a report as the finished check would;
    ``interrupted`` (stage, evaluations, done, expected) goes into ``extra`` and a note.
    """
    plan, measured = findings.plan, findings.measured()
    if plan is None or plan.matrix is not None or findings.errors is None or measured == 0:
        return None
    measured = _whole_elements(plan.probes, measured)
    if measured == 0:
        return None
    first = findings.first if findings.first is not None else _running_pass(findings, measured)
    vector = _cut(plan.probes, measured)
    rows = findings.rows[:measured]
    judged = Judged(rows, first, findings.errors, _unrefined(first, findings.errors, rows))
    total = plan.probes.size
    said = {**interrupted, "measured": measured, "coordinates": total}
    note = (
        f"interrupted during {interrupted['stage']} after {interrupted['done']} evaluations: "
        f"{measured} of {total} coordinates measured; this report judges those on their first "
        "differences alone (an element in doubt, not measured again, is wrong where its analytic "
        "value is outside all its first difference allows, else cannot tell)"
    )
    return build(vector, judged, (note,), {"interrupted": said})


def _running_pass(findings: Findings, measured: int) -> FirstPass:
    """The first pass's rows [0, measured), from its arrays as the interrupt left them."""
    arrays, table = findings.arrays, findings.arrays["table"]
    cut = slice(0, measured)
    return FirstPass(
        primary=arrays["primary"][cut],
        steps=table.realised[cut],
        nominal=table.nominal[cut],
        lengthened=np.zeros(measured, dtype=bool),
        gaps=arrays["gaps"][cut],
        consistent=arrays["consistent"][cut],
        evaluations=(("differences", 2 * measured),),
        scales=table.scales[cut],
        typical=table.typical_at,
    )


def _unrefined(first: FirstPass, errors: ErrorModel, analytic: np.ndarray) -> Refinement:
    """The rows the first pass left in doubt, not measured again. An element is WRONG
    where the analytic value lies outside everything its first difference allows: margin
    x (rounding + |gap| / 2h), the bound that holds wherever f' is monotone across the
    step (a kink's subgradients included); UNRESOLVED where it does not."""
    doubt = rows_in_doubt(first.consistent)
    steps = np.asarray(first.steps[doubt], dtype=np.float64)
    flagged = ~first.consistent[doubt]
    rounding = errors.rounding(steps)
    if first.gaps is None:  # no one-sided slopes (not central): no bound beyond rounding
        loose = np.full(flagged.shape, np.inf)
    else:
        loose = rounding + np.abs(first.gaps[doubt]) / (2 * steps[:, None])
    # a NaN bound (a gap that overflowed) shows nothing: cannot tell, never wrong
    outside = np.abs(analytic[doubt] - first.primary[doubt]) > errors.margin * loose
    status = np.where(flagged, np.where(outside, WRONG, UNRESOLVED), OK).astype(np.int8)
    nan = np.full(flagged.shape, np.nan)
    return Refinement(doubt, status, first.primary[doubt], rounding, nan, nan.copy(), finest=steps)


def _whole_elements(vector: ParameterVector, measured: int) -> int:
    """``measured`` coordinates, less the real part of a complex element cut in two."""
    slot = vector.slot_of(measured - 1)
    if slot.is_complex and (measured - slot.offset) % 2:
        return measured - 1
    return measured


def _cut(vector: ParameterVector, measured: int) -> ParameterVector:
    """``vector``'s first ``measured`` coordinates: whole tensors, and the first elements of
    the one cut (a flat tensor of its measured elements, under its own name)."""
    slots = []
    for slot in vector.slots:
        if slot.offset >= measured:
            break
        if slot.stop > measured:
            kept = measured - slot.offset
            elements = kept // 2 if slot.is_complex else kept
            slot = replace(slot, shape=(elements,), size=kept, named_in=slot.shape)
        slots.append(slot)
    return ParameterVector(vector.theta[:measured], tuple(slots), vector.template)
