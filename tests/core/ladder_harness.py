"""Run the judge and refine stages alone, on f of a vector with a known noise.

The probe's noise estimate is another stage's (and a kink or jump inside its table can
inflate it); these tests pin the noise to f's rounding and drive ``first_pass`` and
``refine_doubt`` exactly as the engine does, through a ``measure`` of central differences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradient_check.core.judge import OK, FirstPass, Refinement, error_model, first_pass
from gradient_check.core.refine import refine_doubt
from gradient_check.core.schemes import CENTRAL

EPS = float(np.finfo(float).eps)
AUTO = EPS ** (1 / 3)  # the automatic central step, relative to the element's scale


@dataclass(frozen=True)
class Judged:
    """The first pass and the refinement of one check, and how often f was evaluated."""

    first: FirstPass
    refinement: Refinement
    calls: int

    def status(self, i: int) -> int:
        """Element i's status: OK where the first pass cleared it, else the refined one."""
        where = np.flatnonzero(self.refinement.doubt == i)
        return OK if where.size == 0 else int(self.refinement.status[where[0], 0])

    def bracket(self, i: int) -> tuple[float, float]:
        where = np.flatnonzero(self.refinement.doubt == i)[0]
        return float(self.refinement.low[where, 0]), float(self.refinement.high[where, 0])

    @property
    def refined_evaluations(self) -> int:
        return sum(count for _, count in self.refinement.evaluations)


def judge(
    f: Callable[[np.ndarray], float],
    theta: np.ndarray | list[float],
    analytic: np.ndarray | list[float],
    h: float | None = None,
    noise: float | None = None,
) -> Judged:
    """First pass at step h (default: AUTO x max(|theta_i|, mean |theta|)) and refinement,
    with f's noise ``noise`` (default: 4 ulps of |f(theta)|)."""
    theta = np.asarray(theta, dtype=np.float64)
    analytic = np.asarray(analytic, dtype=np.float64).reshape(-1, 1)
    f0 = np.array([f(theta)])
    calls = [1]
    scale = np.maximum(np.abs(theta), np.mean(np.abs(theta)) or 1.0)
    steps = AUTO * scale if h is None else np.full(theta.size, float(h))
    sigma = np.array([4 * EPS * max(abs(f0[0]), np.finfo(float).tiny) if noise is None else noise])

    def measure(rows: np.ndarray, nominal: np.ndarray):
        realised = (theta[rows] + nominal) - theta[rows]
        values = np.empty((rows.size, 2, 1))
        for k, (i, step) in enumerate(zip(rows, realised, strict=True)):
            for side, sign in enumerate((-1.0, 1.0)):
                point = theta.copy()
                point[i] += sign * step
                values[k, side, 0] = f(point)
        calls[0] += values.size
        return (values[:, 1] - values[:, 0]) / (2 * realised[:, None]), values, realised

    rows = np.arange(theta.size)
    derivative, values, realised = measure(rows, steps)
    gaps = values[:, 0] + values[:, 1] - 2 * f0
    errors = error_model(analytic, EPS, 0.0, sigma, CENTRAL, 4.0)
    residual = np.abs(analytic - derivative)
    relative = realised / scale
    consistent = first_pass(errors, residual, derivative, realised, relative, gaps)
    lengthened = np.zeros(theta.size, dtype=bool)
    made = (("differences", 2 * theta.size),)
    first = FirstPass(derivative, realised, steps, lengthened, gaps, consistent, made, scale)
    refinement = refine_doubt(analytic, first, errors, measure, CENTRAL.order, f0)
    return Judged(first, refinement, calls[0])
