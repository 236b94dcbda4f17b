"""How much of theta a gradient check looks at: every coordinate, or a cheaper mode.

``mode="full"``: every coordinate, 2n + a few dozen evaluations.

``mode="directional"``: k random directions z per tensor (standard normal, unit RMS over
the tensor, zero elsewhere), two evaluations each: an outcome per tensor in 2 k T + a few
dozen evaluations for T tensors. What a passing tensor rules out: for an error vector e
over the tensor, the measured projection is e . z, which for Gaussian z is N(0, ||e||^2)
(up to z's normalisation to unit RMS, which is 1 + O(1/sqrt(size))). A direction passes
when |e . z| <= t, t = the residual plus ``margin`` times the difference's estimated error;
P(|N(0, s^2)| <= t) <= sqrt(2/pi) t / s, so k independent passes happen with probability
at most (sqrt(2/pi) t / ||e||)^k. Hence, with probability at least 1 - p,

    ||e||_2 <= X = sqrt(2/pi) t_max / p^(1/k),

and no single element is wrong by more than X either (|e_i| <= ||e||_2). With k = 3 and
p = 0.01, X is about 3.7 t_max. A full check catches an element wrong by more than
``margin`` times its own difference's error (about t for one coordinate); a directional
probe can miss, with probability above p, an error whose norm is below X: that is the
error size below which directional checking is weaker than a full check. The per-tensor
numbers are in a note and in ``report.extra["ruled_out"]``.

``mode="sample"``: k elements per tensor, one drawn from each of k equal strata of the
tensor (row-major), each a coordinate difference at its own step. If a fraction q of the
tensor's elements were wrong, all k would miss them with probability (1 - q)^k; so a pass
rules out, with probability at least 1 - p, that more than 1 - p^(1/k) of it is wrong.

``mode="locate"``: directional screening (2 directions per tensor unless ``directions``
says otherwise), then group testing (core/locate.py) in every failing tensor: the wrong
elements named with both values, or the error called spread over the tensor.

``budget``: evaluations (an int) or seconds ("30s"); one timed evaluation of the loss
converts seconds to evaluations. The check runs full if 2n + PROBE_EVALUATIONS fits, else
locate if its screening and one localisation fit, else directional with as many
directions per tensor as fit (at least one). Sample is never chosen: for the same cost,
locate sees every element, sample only k per tensor. The report's first note says what was
chosen and why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from ..core.flatten import ParameterVector, Slot
from ..core.judge import WRONG
from ..core.locate import Search, failing_tensors, locate
from ..core.plan import Block, DirectionPlan, Directions, random_directions
from ..core.settings import Settings
from ..core.steps import step_sizes
from ..report import Report, Row

RULED_OUT_P = 0.01  # the probabilities stated are at least 1 - this
LOCATE_DIRECTIONS = 2  # screening directions per tensor in locate mode: 4 evaluations each
PROBE_EVALUATIONS = 30  # the centre, repeats, precision and noise probes, and refinement
SQRT_2_OVER_PI = float(np.sqrt(2 / np.pi))
# run(directions, inspect, extra) -> Report: run_check of the loss, its gradient and settings
Run = Callable[..., Report]


def chosen_mode(
    settings: Settings, vector: ParameterVector, timed: Callable[[], float]
) -> tuple[Settings, str | None]:
    """The Settings with the mode a budget allows, and the note saying why (None without
    a budget). ``timed()`` evaluates the loss once and returns the seconds it took."""
    budget = settings.budget
    if budget is None:
        return settings, None
    n, tensors = vector.size, len(vector.slots)
    allowed, cost = budget.evaluations, ""
    if allowed is None:
        seconds = max(timed(), 1e-9)
        allowed = int(budget.seconds / seconds)
        cost = f" (one evaluation took {seconds:.2g} s: {allowed} fit in {budget})"
    full = 2 * n + PROBE_EVALUATIONS
    biggest = max(slot.size for slot in vector.slots)
    locate_cost = 4 * tensors + PROBE_EVALUATIONS + 3 * int(np.ceil(np.log2(biggest + 1))) + 4
    if allowed >= full:
        mode, k, why = "full", settings.directions, f"a full check needs {full}"
    elif allowed >= locate_cost:
        mode, k = "locate", LOCATE_DIRECTIONS
        why = f"a full check needs {full}; screening and one localisation about {locate_cost}"
    else:
        k = max(1, (allowed - PROBE_EVALUATIONS) // (2 * tensors))
        mode = "directional"
        why = f"a full check needs {full}, localisation about {locate_cost}"
    note = f"budget {budget}{cost}: chose mode {mode!r}" + (
        f" with {k} direction(s) per tensor" if mode != "full" else ""
    )
    return replace(settings, mode=mode, directions=k), f"{note}; {why} evaluations"


def time_one(loss: Callable[[Any], Any], params: Any) -> Callable[[], float]:
    """A timer of one evaluation of ``loss`` at ``params`` (for a budget in seconds)."""

    def timed() -> float:
        start = time.perf_counter()
        loss(params)
        return time.perf_counter() - start

    return timed


def screening(settings: Settings, k: int) -> Callable[..., DirectionPlan]:
    """The plan builder of directional and locate modes: k unscaled directions per tensor
    (so the measured residual is the error's own projection e . z) from the check's seed."""

    def build(vector: ParameterVector, eps: float, rng: np.random.Generator) -> DirectionPlan:
        order = settings.scheme.order
        return random_directions(vector, k, settings.h, rng, order, eps, scaled=False)

    return build


def sampling(settings: Settings, picks: dict[str, list[int]]) -> Callable[..., DirectionPlan]:
    """The plan builder of sample mode: one coordinate from each of k equal strata of each
    tensor, differenced at its own step (one-hot directions); each tensor's coordinates go
    into ``picks``, to name the elements in the report."""

    def build(vector: ParameterVector, eps: float, rng: np.random.Generator) -> DirectionPlan:
        steps = step_sizes(settings.h, vector, settings.scheme, eps)
        blocks, slots, chosen = [], [], []
        for slot in vector.slots:
            k = min(settings.samples, slot.size)
            edges = np.linspace(0, slot.size, k + 1).astype(int)
            drawn = slot.offset + rng.integers(edges[:-1], edges[1:])
            blocks.append(Block(drawn, np.eye(k)))
            name = f"{slot.name}·s"
            slots.append(Slot(name, slot.path, (k,), np.dtype(np.float64), len(chosen), k))
            chosen.extend(drawn)
            picks[slot.name] = [int(i) for i in drawn]
        probes = ParameterVector(np.zeros(len(chosen)), tuple(slots), None)
        plan = DirectionPlan(Directions(vector.size, blocks), steps[np.array(chosen)], probes)
        return plan

    return build


def ruled_out(judged: Any, plan: Any, margin: float, gradient: np.ndarray) -> dict[str, dict]:
    """Per tensor of a directional plan: the norm X of an error ruled out with probability
    at least 1 - RULED_OUT_P (see the module docstring), and X relative to the gradient."""
    first, refinement = judged.first, judged.refinement
    estimated = judged.errors.rounding(first.steps)[:, 0]
    bound = judged.residual(slice(None), slice(0, 1))[:, 0] + margin * estimated
    failed = refinement.doubt[np.any(refinement.status == WRONG, axis=1)]
    out = {}
    for b, slot in enumerate(plan.probes.slots):
        rows = np.flatnonzero(plan.matrix.owner == b)
        if np.isin(rows, failed).any():
            continue  # a failing tensor rules nothing out
        k = rows.size
        x = SQRT_2_OVER_PI * float(np.max(bound[rows])) / RULED_OUT_P ** (1 / k)
        block = plan.matrix.blocks[b].coordinates
        norm = float(np.linalg.norm(gradient[block]))
        out[slot.name.removesuffix("·v")] = {
            "norm_above": x,
            "relative_above": x / norm if norm else float("inf"),
            "probability": 1 - RULED_OUT_P,
            "directions": k,
        }
    return out


def ruled_out_note(found: dict[str, dict], seed: int) -> str:
    """The report's note on what the directions rule out, tensor by tensor (the passing
    ones)."""
    if not found:
        return f"directional check (seed {seed}): every tensor failed; nothing is ruled out"
    parts = [
        f"{name}: no error of norm above {v['norm_above']:.2g} "
        f"({v['relative_above']:.1e} of its gradient)"
        for name, v in found.items()
    ]
    return (
        f"directional check (seed {seed}), with probability at least {1 - RULED_OUT_P:g} per "
        f"passing tensor: {'; '.join(parts)}"
    )


def sampled_note(vector: ParameterVector, samples: int) -> str:
    """What a passing sampled tensor rules out."""
    parts = []
    for slot in vector.slots:
        k = min(samples, slot.size)
        share = 1 - RULED_OUT_P ** (1 / k) if k < slot.size else 0.0
        parts.append(f"{slot.name}: {k} of {slot.size} (not more than {share:.0%} wrong)")
    return (
        f"sampled check, one element per stratum, with probability at least "
        f"{1 - RULED_OUT_P:g} per passing tensor: {'; '.join(parts)}"
    )


def located_rows(report: Report, found: list[Any], vector: ParameterVector) -> Report:
    """The report with each localised tensor's row naming its wrong elements (labelled as
    theta's coordinates) or saying its error is spread."""
    by_name = {f.name: f for f in found}
    rows: list[Row] = []
    notes = list(report.notes)
    for row in report.parameters:
        name = row.name.removesuffix("·v")
        hit = by_name.get(name)
        if hit is None:
            rows.append(row)
            continue
        shape = next(s.shape for s in vector.slots if s.name == name)
        if hit.elements:
            worst = max(hit.elements, key=lambda e: abs(e.analytic - e.numeric))
            row = replace(
                row,
                name=name,
                shape=shape,
                wrong=tuple(hit.elements),
                wrong_count=len(hit.elements),
                worst_index=worst.label,
                worst_analytic=worst.analytic,
                worst_numeric=worst.numeric,
            )
        elif hit.spread:
            notes.append(f"{name}: the error is spread over the tensor (most of its parts fail)")
        else:
            notes.append(f"{name}: its directions failed but no single element was found wrong")
        rows.append(row)
    return replace(report, parameters=tuple(rows), notes=tuple(notes))


def locating(
    settings: Settings, vector: ParameterVector, gradient: Callable[[], np.ndarray], found: list
) -> Callable[..., tuple[tuple[str, ...], tuple[tuple[str, int], ...]]]:
    """The engine's ``inspect`` hook of locate mode: group testing in each failing tensor,
    appending what it found to ``found``."""

    def inspect(evaluator, centre, plan, judged, steps):
        rng = np.random.default_rng([settings.seed, 1])
        search = Search(evaluator, centre, plan, judged, steps, settings.margin, rng, vector.label)
        made = 0
        flat = gradient()
        for b in failing_tensors(search):
            hit = locate(search, b, vector.slots[b].name, flat)
            found.append(hit)
            made += hit.evaluations
        return (), (("localisation", made),) if made else ()

    return inspect


def tensor_rows(
    report: Report, vector: ParameterVector, picks: dict[str, list[int]] | None = None
) -> Report:
    """The report with each probe row named after its tensor (``W`` for ``W·v`` or
    ``W·s``) and shaped like it, so ``report.wrong`` names parameters as a full check does;
    a sampled element's label is its real index in the tensor (``W[3, 4]``, from
    ``picks``, each tensor's sampled coordinates in order). A direction keeps its label
    (``W·v[1]``: the tensor's second random direction), which the mode's note explains."""
    shapes = {slot.name: slot.shape for slot in vector.slots}

    def label(text: str) -> str:
        name, sampled, index = text.partition("·s[")
        if picks is None or not sampled or name not in picks:
            return text
        return vector.label(int(picks[name][int(index.rstrip("]"))]))

    rows = []
    for row in report.parameters:
        base = row.name.removesuffix("·v").removesuffix("·s")
        if base == row.name or base not in shapes:
            rows.append(row)
            continue
        rows.append(
            replace(
                row,
                name=base,
                shape=shapes[base],
                worst_index=label(row.worst_index),
                wrong=tuple(replace(e, label=label(e.label)) for e in row.wrong),
                kinks=tuple(replace(e, label=label(e.label)) for e in row.kinks),
                noise=tuple(replace(e, label=label(e.label)) for e in row.noise),
                undecided=tuple(replace(e, label=label(e.label)) for e in row.undecided),
            )
        )
    return replace(report, parameters=tuple(rows))
