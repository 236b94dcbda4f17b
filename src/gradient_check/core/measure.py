"""Measure the finite differences: the first pass over every probe, longer steps where
rounding dominates, and differences at any given steps for the refinement.

Central differences of coordinates, the common case, are measured and judged chunk by
chunk (the raw values live only in a cache-sized buffer); any other scheme, and random
directions, take ``differences`` or ``directional`` over all probes at once. Given a
``DomainRetries``, points outside f's domain are measured again at shorter or one-sided
steps (domain.py) before the check refuses.
"""

from __future__ import annotations

import numpy as np

from .domain import DOMAIN_HALVINGS, DomainRetries, inside_domain, refuse_nonfinite_points
from .evaluate import Evaluator
from .flags import BitMatrix, RowSet
from .gapstore import Gaps
from .judge import ErrorModel, FirstPass, first_pass
from .lengthen import LARGER_STEP, Differences, lengthen
from .noise import Grain, regrained
from .partial import Findings
from .plan import Directions, Plan, as_directions
from .probe import Centre, refuse_nonfinite
from .refine import Measure
from .schemes import CENTRAL, Scheme, apply_scheme
from .settings import Settings
from .steptable import StepTable

__all__ = ["LARGER_STEP", "differences", "directional", "first_differences", "measure_plan"]

CHUNK_ELEMENTS = 1 << 15  # (coordinates x outputs) judged at once: small enough for cache
SIDES = np.array([-1.0, 1.0])  # the central difference's two points, in steps


def first_differences(
    evaluator: Evaluator,
    centre: Centre,
    plan: Plan,
    analytic: np.ndarray,
    errors: ErrorModel,
    settings: Settings,
    flat: bool = False,
    domain: DomainRetries | None = None,
    unseen: np.ndarray | None = None,
    findings: Findings | None = None,
) -> tuple[FirstPass, ErrorModel]:
    """Every probe's first difference, judged against the analytic rows, and the error
    model as the differences left it.

    Central differences of coordinates are measured in chunks, then measured again at a
    longer step where rounding alone blurs them (never for an absolute h: the user's, as
    in the texts' figures; never for a ``flat`` f, constant under every probe: nothing in
    its behaviour supports a longer step); other plans and schemes in one batch. For the
    ``unseen`` outputs (the noise table could not see their grain) the grain of all the
    differences' values is a floor on their noise (``regrained``).
    """
    if plan.matrix is None and settings.scheme == CENTRAL:
        watch = unseen if unseen is not None and unseen.any() else None
        first, grains = central_first_pass(
            evaluator, centre, analytic, errors, plan.table.copy(), domain, watch, findings
        )
        if grains is not None:
            first, errors = regrained(first, errors, analytic, grains, watch)
        if settings.h.kind == "absolute" or flat:
            return first, errors

        def central(rows: np.ndarray, steps: np.ndarray, trial: DomainRetries) -> Differences:
            return differences(evaluator, centre, CENTRAL, rows, steps, trial)

        return lengthen(central, centre, analytic, errors, first, domain), errors
    measure = measure_plan(evaluator, centre, settings.scheme, plan, domain)
    probes, planned = plan.steps.size, np.asarray(plan.steps)
    derivative, values, steps = measure(np.arange(probes), planned)
    # h * (one-sided slopes' difference) = f+ - 2 f0 + f-, for a central difference
    gaps = values[:, 0] + values[:, 1] - 2 * centre.f0 if settings.scheme == CENTRAL else None
    residual = np.abs(analytic - derivative)
    consistent = first_pass(errors, residual, derivative, steps, steps, gaps)
    made = (("differences", probes * settings.scheme.evaluations_per_element),)
    unchanged = np.zeros(probes, dtype=bool)
    first = FirstPass(derivative, steps, planned, unchanged, gaps, consistent, made)
    return first, errors


def measure_plan(
    evaluator: Evaluator,
    centre: Centre,
    scheme: Scheme,
    plan: Plan,
    domain: DomainRetries | None = None,
) -> Measure:
    """``measure(rows, steps)``: the plan's probes ``rows`` differenced at ``steps``."""
    if plan.matrix is None:
        return lambda rows, steps: differences(evaluator, centre, scheme, rows, steps, domain)
    matrix = plan.matrix
    return lambda rows, steps: directional(evaluator, centre, scheme, matrix, rows, steps, domain)


def central_first_pass(
    evaluator: Evaluator,
    centre: Centre,
    analytic: np.ndarray,
    errors: ErrorModel,
    table: StepTable,
    domain: DomainRetries | None = None,
    watch: np.ndarray | None = None,
    findings: Findings | None = None,
) -> tuple[FirstPass, Grain | None]:
    """Every coordinate's central difference (f(theta + h e_i) - f(theta - h e_i)) / 2h,
    judged chunk by chunk as it is measured, with the gaps f+ - 2 f0 + f-; and the grain
    of the ``watch`` outputs' values (None if none is watched). The steps are ``table``'s,
    which this pass owns: a domain retry's shorter steps are set in it."""
    workspace, f0 = centre.workspace, centre.f0
    n, m = table.size, centre.spec.size
    grains = None if watch is None else Grain(int(watch.sum()))
    primary = np.empty((n, m))
    consistent = BitMatrix(n, m)  # packed: n x m bits, not bytes
    rows = max(1, CHUNK_ELEMENTS // m)
    gaps = Gaps(n, m, rows)  # float32 x a power of two: an error estimate's precision
    buffer = np.empty((rows, SIDES.size, m))
    findings = Findings() if findings is None else findings
    findings.started(table, primary=primary, gaps=gaps, consistent=consistent)

    def judge(block: slice, values: np.ndarray, realised: np.ndarray) -> None:
        derivative = primary[block]
        np.subtract(values[:, 1], values[:, 0], out=derivative)
        derivative *= (0.5 / realised)[:, None]
        residual = np.subtract(analytic[block], derivative)
        np.abs(residual, out=residual)
        with np.errstate(over="ignore", invalid="ignore"):  # f near float64's top: inf, NaN
            gap = np.add(values[:, 0], values[:, 1])
            gap -= 2 * f0
        relative = realised / table.scales[block]
        consistent[block] = first_pass(errors, residual, derivative, realised, relative, gap)
        gaps.store(block, gap)  # judged above in float64
        findings.judged_rows = block.stop  # a Ctrl-C's partial report has these rows

    for start in range(0, n, rows):
        block = slice(start, min(n, start + rows))
        coordinates = np.arange(block.start, block.stop)
        # the perturbed points, built a chunk at a time
        theta, realised = workspace.realised_steps(coordinates, table.nominal[block])
        points = workspace.stored(coordinates, theta[:, None] + SIDES * realised[:, None])
        values = buffer[: block.stop - start]
        try:
            evaluator.at_coordinates(coordinates, points, out=values)
        except KeyboardInterrupt:  # judge the rows whose points had all returned, then stop
            done = _returned(evaluator, block, values) - start
            judge(slice(start, start + done), values[:done], realised[:done])
            raise
        if not np.all(np.isfinite(values)):  # outside f's domain: retried at shorter steps
            inside_domain(
                evaluator, centre, CENTRAL, block, values, table.realised, table.nominal, domain
            )
            realised = table.realised[block]
        if grains is not None:
            grains.add((values[:, :, watch] - f0[watch]).reshape(-1, grains.span.size))
        judge(block, values, realised)
    lengthened = RowSet(n)  # the few rows a longer step measures again
    made = (("differences", SIDES.size * n),)
    steps, nominal, scales = table.realised, table.nominal, table.scales
    first = FirstPass(
        primary, steps, nominal, lengthened, gaps, consistent, made, scales, table.typical_at
    )
    return first, grains


def _returned(evaluator: Evaluator, block: slice, values: np.ndarray) -> int:
    """The end of the rows of ``block`` from its start whose values had all returned
    finite when an interrupt stopped the evaluator (which says what it ``covered``)."""
    covered = getattr(evaluator, "covered", lambda: ())()
    stop = next((min(high, block.stop) for low, high in covered if low <= block.start < high), 0)
    count = max(0, stop - block.start)
    finite = np.all(np.isfinite(values[:count]), axis=(1, 2))
    return block.start + (count if finite.all() else int(np.argmin(finite)))


def differences(
    evaluator: Evaluator,
    centre: Centre,
    scheme: Scheme,
    coordinates: np.ndarray,
    steps: np.ndarray,
    domain: DomainRetries | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """D_i = sum_k w_k f(theta + o_k h_i e_i) / h_i for the given coordinates: the
    differences, f's values (coordinates, offsets, outputs) and the realised steps (shorter
    where a point fell outside f's domain and ``domain`` retries it)."""
    offsets = np.asarray(scheme.nonzero_offsets)
    workspace = centre.workspace
    theta, realised = workspace.realised_steps(coordinates, steps)
    # theta_i + o_k h_i, each rounded to the dtype the function sees
    points = workspace.stored(coordinates, theta[:, None] + offsets * realised[:, None])
    values = evaluator.at_coordinates(coordinates, points)
    bad = np.flatnonzero(~np.all(np.isfinite(values), axis=(1, 2)))
    if bad.size and domain is not None:
        again, taken, _, left = domain.retry(
            evaluator, centre, scheme, coordinates[bad], np.asarray(steps, float)[bad], values[bad]
        )
        values[bad], realised = again, realised.copy()
        realised[bad[~left]] = taken[~left]
    refuse_nonfinite_points(values, coordinates, offsets, centre)
    return apply_scheme(scheme, values, centre.f0, realised), values, realised


def directional(
    evaluator: Evaluator,
    centre: Centre,
    scheme: Scheme,
    matrix: Directions | np.ndarray,
    rows: np.ndarray,
    steps: np.ndarray,
    domain: DomainRetries | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """D_v = sum_k w_k f(theta + o_k h v) / h for the directions v = matrix[rows]: the
    differences, f's values (directions, offsets, outputs) and the steps (halved, up to
    DOMAIN_HALVINGS times, where a point fell outside f's domain and ``domain`` is given)."""
    n = centre.workspace.vector.size
    offsets = np.asarray(scheme.nonzero_offsets)
    matrix = as_directions(matrix)
    # points per batch: whole parameter vectors, so one at a time when n is large
    batch = max(1, CHUNK_ELEMENTS // max(1, n))
    width = offsets.size

    def where(point: int) -> str:
        return f"along random direction {int(rows[point // width])}"

    def at(which: np.ndarray, h: np.ndarray) -> np.ndarray:
        out = np.empty((which.size * width, centre.spec.size))
        for start in range(0, out.shape[0], batch):
            made = np.arange(start, min(out.shape[0], start + batch))
            points = np.empty((made.size, n))
            for point, p in zip(points, made, strict=True):  # theta + o_q h_j v_j
                k, q = divmod(int(p), width)
                centre.workspace.values(out=point)
                matrix.move(int(rows[which[k]]), offsets[q] * h[k], point)
            out[made] = evaluator.at_thetas(
                points, lambda p, made=made: where(int(which[made[p] // width]) * width)
            )
            del points, point  # ``point`` is a view: it would keep the batch alive
        return out.reshape(which.size, width, centre.spec.size)

    steps = np.array(steps, dtype=np.float64)
    values = at(np.arange(rows.size), steps)
    for halving in range(1, DOMAIN_HALVINGS + 1 if domain is not None else 1):
        bad = np.flatnonzero(~np.all(np.isfinite(values), axis=(1, 2)))
        if bad.size == 0:
            break
        steps[bad] /= 2
        values[bad] = at(bad, steps[bad])
        domain.evaluations += bad.size * offsets.size
        domain.shortened.update({int(rows[j]): 2**halving for j in bad})
    bad = np.argwhere(~np.isfinite(values))
    if bad.size:
        j, q, _ = bad[0]
        refuse_nonfinite(values[j, q], centre.spec, centre.what, where(j * offsets.size))
    return apply_scheme(scheme, values, centre.f0, steps), values, steps
