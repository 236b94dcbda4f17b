"""Longer steps where rounding alone limits a row, as far as f's own behaviour supports.

A row whose central difference cannot resolve a 0.1 % error for rounding, while its
one-sided slopes show no curvature, is measured again at 8h, then 64h, then 512h (each
only while rounding still limits it, never beyond 5 % of its tensor's typical magnitude).
A longer step is kept only where its slope gap grew no more than a smooth function's and
its difference agrees with the shorter one within their rounding: no kink, no truncation
shows. Rounding then falls with the step, and f itself has shown that truncation does not
rise to meet it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from .domain import DomainRetries
from .judge import GAP_NOISE, ErrorModel, FirstPass, first_pass, rounding_limited
from .probe import Centre
from .steps import tensor_scales

LARGER_STEP = 8.0  # how much longer a step is taken where rounding alone limits a row
LONGEST_RELATIVE_STEP = 0.05  # but never beyond 5 % of its tensor's typical magnitude
LENGTHEN_STAGES = 3  # 8h, 64h, 512h at most, each while rounding still limits the row
LEAST_GAIN = 2.0  # a longer step short of this (against the reach) is not worth 2 evaluations

# (differences (rows, outputs), f's values (rows, offsets, outputs), realised steps (rows,))
Differences = tuple[np.ndarray, np.ndarray, np.ndarray]


def lengthen(
    differences: Callable[[np.ndarray, np.ndarray, DomainRetries], Differences],
    centre: Centre,
    analytic: np.ndarray,
    errors: ErrorModel,
    first: FirstPass,
    domain: DomainRetries | None = None,
) -> FirstPass:
    """Measure again, at steps LARGER_STEP, LARGER_STEP^2, ... times longer (LENGTHEN_STAGES
    at most, never beyond LONGEST_RELATIVE_STEP of the tensor's typical magnitude), the rows
    whose difference cannot resolve a 0.1 % error for rounding while showing no curvature.

    Each longer step is kept only where f's own behaviour supports it: its slope gap grew
    no more than curvature allows (the steps' ratio squared: a kink within the longer step
    would grow it more), and its difference agrees with the shorter one within their rounding (no
    truncation shows: log at 0.01 stops before its step nears 0.01). Never lengthened: a
    row where f did not change at all and the analytic value is 0 too (nothing to
    resolve), a row outside f's domain at h, and a row whose longer step leaves it."""
    rows = rounding_limited(errors, first, analytic)
    if domain is not None:
        rows = rows[~np.isin(rows, [*domain.shortened, *domain.one_sided])]
    count = 0
    for _ in range(LENGTHEN_STAGES):
        if rows.size == 0:
            break
        if first.typical is None:
            typical = tensor_scales(centre.workspace.vector, rows)
        else:  # the step table's: theta's typical magnitudes are not taken again
            typical = first.typical(rows)
        reach = LONGEST_RELATIVE_STEP * typical
        longer = np.minimum(first.nominal[rows] * LARGER_STEP, reach)
        worth = longer >= LEAST_GAIN * first.nominal[rows]
        rows, longer = rows[worth], longer[worth]
        if rows.size == 0:
            break
        rows, made = _lengthen_once(differences, centre, analytic, errors, first, rows, longer)
        count += made
        rows = np.intersect1d(rows, rounding_limited(errors, first, analytic))
    if count:
        first = replace(first, evaluations=(*first.evaluations, ("lengthened", count)))
    return first


def _lengthen_once(
    differences: Callable[[np.ndarray, np.ndarray, DomainRetries], Differences],
    centre: Centre,
    analytic: np.ndarray,
    errors: ErrorModel,
    first: FirstPass,
    rows: np.ndarray,
    longer: np.ndarray,
) -> tuple[np.ndarray, int]:
    """One stage of ``lengthen``: ``rows`` at their ``longer`` steps, the kept rows replaced
    in ``first``'s arrays; returns the kept rows and the evaluations made."""
    growth = (longer / first.nominal[rows])[:, None] ** 2  # a smooth f's gap grows like h^2
    trial = DomainRetries()
    derivative, values, realised = differences(rows, longer, trial)
    made = values.shape[0] * values.shape[1] + trial.evaluations
    gap = values[:, 0] + values[:, 1] - 2 * centre.f0
    allowed = growth * np.abs(first.gaps[rows]) + errors.margin * GAP_NOISE * errors.sigma
    keep = np.all(np.abs(gap) <= allowed, axis=1)
    rounding = errors.margin * (errors.rounding(first.steps[rows]) + errors.rounding(realised))
    keep &= np.all(np.abs(derivative - first.primary[rows]) <= rounding, axis=1)
    keep &= ~np.isin(rows, [*trial.shortened, *trial.one_sided])
    rows, derivative, realised, gap = rows[keep], derivative[keep], realised[keep], gap[keep]
    longer = longer[keep]
    residual = np.abs(analytic[rows] - derivative)
    relative = realised / first.scales[rows]
    consistent = first_pass(errors, residual, derivative, realised, relative, gap)
    # the first pass's arrays and step table are this measurement's own (made by
    # measure.central_first_pass): replaced in place, no second copy held; the steps of the
    # rows kept are set in the table (a sparse override of the steps it computes)
    for array, value in (
        (first.primary, derivative),
        (first.steps, realised),
        (first.nominal, longer),
        (first.lengthened, True),
        (first.gaps, gap),
        (first.consistent, consistent),
    ):
        array[rows] = value
    return rows, made
