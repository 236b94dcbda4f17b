"""Measure the finite differences: the first pass over every probe, longer steps where
rounding dominates, and differences at any given steps for the refinement.

Central differences of coordinates, the common case, are measured and judged chunk by
chunk (the raw values live only in a cache-sized buffer); any other scheme, and random
directions, take ``differences`` or ``directional`` over all probes at once.
"""

from __future__ import annotations

import numpy as np

from .evaluate import Evaluator
from .judge import GAP_NOISE, ErrorModel, FirstPass, first_pass, rounding_limited
from .plan import Plan
from .probe import Centre, refuse_nonfinite
from .refine import Measure
from .schemes import CENTRAL, Scheme, apply_scheme
from .settings import Settings
from .steps import element_scales

LARGER_STEP = 8.0  # how much longer a step is taken where rounding alone limits a row
LONGEST_RELATIVE_STEP = 0.05  # but never beyond 5 % of the element's scale (float16's would)
CHUNK_ELEMENTS = 1 << 15  # (coordinates x outputs) judged at once: small enough for cache
SIDES = np.array([-1.0, 1.0])  # the central difference's two points, in steps


def first_differences(
    evaluator: Evaluator,
    centre: Centre,
    plan: Plan,
    analytic: np.ndarray,
    errors: ErrorModel,
    settings: Settings,
) -> FirstPass:
    """Every probe's first difference, judged against the analytic rows.

    Central differences of coordinates are measured in chunks, then measured again at a
    longer step where rounding alone blurs them (never for an absolute h: the user's, as
    in the texts' figures); other plans and schemes in one batch.
    """
    if plan.matrix is None and settings.scheme == CENTRAL:
        first = central_first_pass(evaluator, centre, analytic, errors, plan.steps)
        if settings.h.kind == "absolute":
            return first
        return lengthen(evaluator, centre, analytic, errors, first)
    measure = measure_plan(evaluator, centre, settings.scheme, plan)
    probes = plan.steps.size
    derivative, values, steps = measure(np.arange(probes), plan.steps)
    gaps = None
    if settings.scheme == CENTRAL:  # h * (one-sided slopes' difference) = f+ - 2 f0 + f-
        gaps = values[:, 0] + values[:, 1]
        gaps -= 2 * centre.f0
    residual = np.abs(analytic - derivative)
    consistent = first_pass(errors, residual, derivative, steps, steps, gaps)
    made = (("differences", probes * settings.scheme.evaluations_per_element),)
    unchanged = np.zeros(probes, dtype=bool)
    return FirstPass(
        derivative, residual, steps, steps, plan.steps, unchanged, gaps, consistent, made
    )


def measure_plan(evaluator: Evaluator, centre: Centre, scheme: Scheme, plan: Plan) -> Measure:
    """``measure(rows, steps)``: the plan's probes ``rows`` differenced at ``steps``."""
    if plan.matrix is None:
        return lambda rows, steps: differences(evaluator, centre, scheme, rows, steps)
    matrix = plan.matrix
    return lambda rows, steps: directional(evaluator, centre, scheme, matrix, rows, steps)


def central_first_pass(
    evaluator: Evaluator,
    centre: Centre,
    analytic: np.ndarray,
    errors: ErrorModel,
    steps: np.ndarray,
) -> FirstPass:
    """Every coordinate's central difference (f(theta + h e_i) - f(theta - h e_i)) / 2h,
    judged chunk by chunk as it is measured, with the gaps f+ - 2 f0 + f-."""
    workspace, f0 = centre.workspace, centre.f0
    n, m = steps.size, centre.spec.size
    coordinates = np.arange(n)
    theta, realised = workspace.realised_steps(coordinates, steps)
    points = workspace.stored(coordinates, theta[:, None] + SIDES * realised[:, None])
    relative = realised / element_scales(workspace.vector)
    primary, residual = np.empty((n, m)), np.empty((n, m))
    gaps, consistent = np.empty((n, m)), np.empty((n, m), dtype=bool)
    rows = max(1, CHUNK_ELEMENTS // m)
    buffer = np.empty((rows, SIDES.size, m))
    for start in range(0, n, rows):
        block = slice(start, min(n, start + rows))
        values = buffer[: block.stop - start]
        evaluator.at_coordinates(coordinates[block], points[block], out=values)
        refuse_nonfinite_points(values, coordinates[block], SIDES, centre)
        derivative = primary[block]
        np.subtract(values[:, 1], values[:, 0], out=derivative)
        derivative *= (0.5 / realised[block])[:, None]
        difference = residual[block]
        np.subtract(analytic[block], derivative, out=difference)
        np.abs(difference, out=difference)
        gap = gaps[block]
        np.add(values[:, 0], values[:, 1], out=gap)
        gap -= 2 * f0
        consistent[block] = first_pass(
            errors, difference, derivative, realised[block], relative[block], gap
        )
    lengthened = np.zeros(n, dtype=bool)
    made = (("differences", SIDES.size * n),)
    return FirstPass(
        primary, residual, realised, relative, steps, lengthened, gaps, consistent, made
    )


def lengthen(
    evaluator: Evaluator,
    centre: Centre,
    analytic: np.ndarray,
    errors: ErrorModel,
    first: FirstPass,
) -> FirstPass:
    """Measure again, at a step LARGER_STEP times longer, the rows whose first difference
    cannot resolve a 0.1 % error for rounding while showing no curvature; keep the longer
    step only where its slope gap grew no more than curvature allows (LARGER_STEP^2: a
    kink within the longer step would grow it more), since rounding then falls by
    LARGER_STEP and truncation stays negligible."""
    rows = rounding_limited(errors, first)
    rows = rows[first.relative_steps[rows] * LARGER_STEP <= LONGEST_RELATIVE_STEP]
    if rows.size == 0:
        return first
    longer = first.nominal[rows] * LARGER_STEP
    derivative, values, realised = differences(evaluator, centre, CENTRAL, rows, longer)
    made = (*first.evaluations, ("lengthened", values.shape[0] * values.shape[1]))
    gap = values[:, 0] + values[:, 1] - 2 * centre.f0
    allowed = LARGER_STEP**2 * np.abs(first.gaps[rows]) + errors.margin * GAP_NOISE * errors.sigma
    keep = np.all(np.abs(gap) <= allowed, axis=1)
    rows, derivative, realised, gap = rows[keep], derivative[keep], realised[keep], gap[keep]
    residual = np.abs(analytic[rows] - derivative)
    relative = realised / element_scales(centre.workspace.vector)[rows]
    consistent = first_pass(errors, residual, derivative, realised, relative, gap)
    return FirstPass(
        primary=_replaced(first.primary, rows, derivative),
        residual=_replaced(first.residual, rows, residual),
        steps=_replaced(first.steps, rows, realised),
        relative_steps=_replaced(first.relative_steps, rows, relative),
        nominal=_replaced(first.nominal, rows, first.nominal[rows] * LARGER_STEP),
        lengthened=_replaced(first.lengthened, rows, True),
        gaps=_replaced(first.gaps, rows, gap),
        consistent=_replaced(first.consistent, rows, consistent),
        evaluations=made,
    )


def _replaced(array: np.ndarray, rows: np.ndarray, values: np.ndarray | bool) -> np.ndarray:
    """A copy of ``array`` with ``rows`` set to ``values``."""
    out = array.copy()
    out[rows] = values
    return out


def differences(
    evaluator: Evaluator,
    centre: Centre,
    scheme: Scheme,
    coordinates: np.ndarray,
    steps: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """D_i = sum_k w_k f(theta + o_k h_i e_i) / h_i for the given coordinates: the
    differences, f's values (coordinates, offsets, outputs) and the realised steps."""
    offsets = np.asarray(scheme.nonzero_offsets)
    workspace = centre.workspace
    theta, realised = workspace.realised_steps(coordinates, steps)
    # theta_i + o_k h_i, each rounded to the dtype the function sees
    points = workspace.stored(coordinates, theta[:, None] + offsets * realised[:, None])
    values = evaluator.at_coordinates(coordinates, points)
    refuse_nonfinite_points(values, coordinates, offsets, centre)
    return apply_scheme(scheme, values, centre.f0, realised), values, realised


def directional(
    evaluator: Evaluator,
    centre: Centre,
    scheme: Scheme,
    matrix: np.ndarray,
    rows: np.ndarray,
    steps: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """D_v = sum_k w_k f(theta + o_k h v) / h for the directions v = matrix[rows]: the
    differences, f's values (directions, offsets, outputs) and the steps."""
    theta = centre.workspace.values()
    offsets = np.asarray(scheme.nonzero_offsets)
    moves = offsets[None, :, None] * steps[:, None, None] * matrix[rows][:, None, :]
    points = (theta + moves).reshape(-1, theta.size)

    def where(point: int) -> str:
        return f"along random direction {int(rows[point // offsets.size])}"

    values = evaluator.at_thetas(points, where).reshape(rows.size, offsets.size, -1)
    bad = np.argwhere(~np.isfinite(values))
    if bad.size:
        j, q, _ = bad[0]
        refuse_nonfinite(values[j, q], centre.spec, centre.what, where(j * offsets.size))
    return apply_scheme(scheme, values, centre.f0, steps), values, steps


def refuse_nonfinite_points(
    values: np.ndarray, coordinates: np.ndarray, offsets: np.ndarray, centre: Centre
) -> None:
    """LossError naming the first non-finite value among f's values (coordinates, offsets,
    outputs) at theta_i + o_k h_i, i = coordinates[k]: "W1[0, 1] +1h"."""
    if np.all(np.isfinite(values)):
        return
    k, q, _ = (int(i[0]) for i in np.nonzero(~np.isfinite(values)))
    where = f"{centre.workspace.vector.label(int(coordinates[k]))} {offsets[q]:+g}h"
    refuse_nonfinite(values[k, q], centre.spec, centre.what, f"with {where}")
