"""Localise a wrong gradient by group testing: split a failing tensor, probe each half.

A random direction z supported on a group G of one tensor's elements measures the
projection of the gradient's error e on z: the central difference D_z against the
analytic g . z leaves r = |e . z| plus the difference's own error. Where the directional
screening (the engine's random-direction pass) found a tensor wrong, its elements are
split in two and each half probed with a fresh direction; a half whose residual clearly
exceeds the screening's estimated error (``margin`` times it) holds an error and is split
again, down to single elements, which are measured as a full check measures them: a
central difference at that coordinate and its own step, checked again at half the step.

The directions of the search are random signs times magnitudes uniform in [1, 2], scaled to
unit RMS: a single wrong element e_i is never hidden (|e . z| >= 0.6 |e_i|), and several
cancel only by a coincidence of measure zero. A group's threshold is ``margin`` times the
largest estimated error of the tensor's screening directions, refined ones included (their
truncation error along a whole tensor bounds a part's, typically). The second half is
probed only if the first failed (several errors); if the first passes, the error is in the
other, so a single wrong element among n costs about 1.5 probes (3 evaluations) per
halving: 3 log2(n), about 60 for a million parameters (the floor, one probe per halving,
is 40).
An error spread over a tensor (a factor on a whole layer's gradient) is reported as such
once most parts of it fail, after at most two halvings (12 evaluations), not chased
element by element.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..report import Element
from .evaluate import Evaluator
from .judge import WRONG, Judged
from .plan import Plan
from .probe import Centre

MAX_FAILING_GROUPS = 4  # failing groups at one halving beyond which an error is "spread"
SPREAD_SHARE = 0.75  # ... or this share of the probed groups failing (from 4 groups on)
MAX_LOCATED = 50  # elements named per tensor, as a report lists at most 50


@dataclass
class Located:
    """What the search found in one tensor: wrong elements, or that the error is spread."""

    name: str
    elements: list[Element] = field(default_factory=list)
    spread: bool = False
    evaluations: int = 0
    cleared: list[tuple[int, int]] = field(default_factory=list)  # groups probed, passing


@dataclass(frozen=True)
class Search:
    """What localising needs from inside the engine's run (its evaluator, centre, plan)."""

    evaluator: Evaluator
    centre: Centre
    plan: Plan
    judged: Judged
    coordinate_steps: np.ndarray  # (n,) the full check's step of each coordinate
    margin: float
    rng: np.random.Generator
    label: Callable[[int], str]  # the name of theta's coordinate i ("W[3, 4]")


def failing_tensors(search: Search) -> list[int]:
    """The tensors (slot indices of theta) whose screening directions were judged wrong."""
    refinement = search.judged.refinement
    wrong_rows = refinement.doubt[np.any(refinement.status == WRONG, axis=1)]
    blocks = search.plan.matrix.owner
    return sorted({int(blocks[row]) for row in wrong_rows})


def locate(search: Search, tensor: int, name: str, gradient: np.ndarray) -> Located:
    """Split the ``tensor``-th block of the plan's directions down to its wrong elements.

    ``gradient`` is the analytic gradient (n,); the threshold of a group is ``margin``
    times the largest estimated error among the tensor's screening directions.
    """
    directions, first = search.plan.matrix, search.judged.first
    block = directions.blocks[tensor]
    start, stop = block.coordinates.start, block.coordinates.stop
    rows = np.flatnonzero(directions.owner == tensor)
    step = float(search.plan.steps[rows[0]])
    estimated = search.judged.errors.rounding(first.steps[rows])[:, 0]
    refinement = search.judged.refinement
    refined = refinement.error[np.isin(refinement.doubt, rows), 0]  # truncation seen too
    threshold = search.margin * float(np.max([*estimated, *refined[np.isfinite(refined)]]))
    found = Located(name)
    groups, level = [(start, stop)], 0
    while groups and not found.spread:
        level += 1
        failing, probed = [], 0
        for low, high in groups:
            if high - low == 1:
                found.evaluations += _measure_element(search, low, gradient, found)
                continue
            middle = (low + high) // 2
            left = _group_fails(search, low, middle, step, gradient, threshold, found)
            probed += 1
            if left:
                failing.append((low, middle))
                probed += 1
                if _group_fails(search, middle, high, step, gradient, threshold, found):
                    failing.append((middle, high))
            else:
                failing.append((middle, high))  # the parent failed: the error is here
        many = len(failing) > MAX_FAILING_GROUPS
        found.spread = many or (probed >= 4 and len(failing) >= SPREAD_SHARE * probed)
        groups = failing[: max(0, MAX_LOCATED - len(found.elements))]
    return found


def _group_fails(
    search: Search,
    low: int,
    high: int,
    step: float,
    gradient: np.ndarray,
    threshold: float,
    found: Located,
) -> bool:
    """Probe coordinates [low, high) along a fresh direction: is the residual clearly
    above the threshold?"""
    z = search.rng.choice([-1.0, 1.0], high - low) * search.rng.uniform(1.0, 2.0, high - low)
    z /= np.sqrt(np.mean(z**2))  # unit RMS, as the screening directions: |z_i| >= 0.6
    moved, values = step * z, []
    point = np.empty(search.centre.workspace.vector.size)
    for sign in (-1, 1):  # theta -/+ step z, one point at a time
        search.centre.workspace.values(out=point)
        if sign < 0:
            point[low:high] -= moved
        else:
            point[low:high] += moved
        where = f"along a group of {high - low}"
        values.append(search.evaluator.at_thetas(point[None, :], lambda j, w=where: w)[0])
    del point
    found.evaluations += 2
    numeric = (values[1][0] - values[0][0]) / (2 * step)
    fails = abs(float(gradient[low:high] @ z) - numeric) > threshold
    if not fails:
        found.cleared.append((low, high))
    return fails


def _measure_element(search: Search, i: int, gradient: np.ndarray, found: Located) -> int:
    """Coordinate i as a full check measures it, at its step h and at h/2: wrong where
    both differences clearly disagree with the analytic value. Returns evaluations made."""
    workspace = search.centre.workspace
    coordinate = np.array([i])
    numeric, error = [], []
    for fraction in (1.0, 0.5):
        theta, realised = workspace.realised_steps(
            coordinate, search.coordinate_steps[[i]] * fraction
        )
        points = workspace.stored(
            coordinate, theta[:, None] + np.array([-1.0, 1.0]) * realised[:, None]
        )
        values = search.evaluator.at_coordinates(coordinate, points)
        numeric.append(float((values[0, 1, 0] - values[0, 0, 0]) / (2 * realised[0])))
        error.append(float(search.judged.errors.rounding(realised)[0, 0]))
    # the two steps' disagreement bounds the truncation error (Richardson: (D(h) - D(h/2)) 4/3)
    estimate = max(error[1], abs(numeric[0] - numeric[1]) * 4 / 3)
    if abs(float(gradient[i]) - numeric[1]) > search.margin * estimate:
        found.elements.append(
            Element(search.label(i), float(gradient[i]), numeric[1], estimate, "wrong")
        )
    return 4
