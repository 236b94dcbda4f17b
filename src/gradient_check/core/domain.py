"""Differences whose points fall outside f's domain: shorter steps, then one side only.

log over an array holding 1e-7 at h = 1e-6, sqrt at the edge of its domain: f is NaN or
inf at theta_i - h while finite at theta_i. Before a check refuses, such an element is
measured again at h/2, h/4, ... (DOMAIN_HALVINGS times), and, for a central difference,
finally on its finite side alone with the second-order one-sided formula at the points
theta_i + s h and theta_i + 2 s h. That one-sided measurement is handed on as the central
difference would be: values (f-, f+) whose difference quotient is the one-sided derivative
and whose gap f+ - 2 f0 + f- is the one-sided second difference (the curvature over the
step), so kinks and truncation are judged as for any other element. Every element that
needed it is named in the report's notes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import StepError
from .evaluate import Evaluator
from .probe import Centre, refuse_nonfinite
from .schemes import CENTRAL, Scheme

DOMAIN_HALVINGS = 4  # an element outside the domain is tried at h/2 .. h/16 before one side
MAX_NAMED = 8  # elements named in the note; the count covers them all


class DomainRetries:
    """The elements measured at shorter or one-sided steps, for the report's notes."""

    def __init__(self) -> None:
        self.shortened: dict[int, int] = {}  # coordinate -> the step's divisor
        self.one_sided: dict[int, float] = {}  # coordinate -> side (+1 or -1)
        self.evaluations = 0

    def retry(
        self,
        evaluator: Evaluator,
        centre: Centre,
        scheme: Scheme,
        coordinates: np.ndarray,
        steps: np.ndarray,
        values: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Measure again the rows of ``coordinates`` (nominal ``steps``, f's ``values`` at
        them, some not finite): returns their values, realised steps, the nominal steps
        now used, and which rows are still not finite (to be refused)."""
        workspace = centre.workspace
        offsets = np.asarray(scheme.nonzero_offsets, dtype=np.float64)
        values, nominal = values.copy(), steps.copy()
        realised = np.full(steps.size, np.nan)
        known = np.isin(coordinates, list(self.one_sided)) & (scheme == CENTRAL)
        remaining = np.flatnonzero(~known)  # one-sided before: straight to one side again
        for halving in range(1, DOMAIN_HALVINGS + 1 if remaining.size else 1):
            rows = remaining
            try:
                theta, taken = workspace.realised_steps(coordinates[rows], steps[rows] / 2**halving)
            except StepError:  # the step vanishes in its dtype: shorter steps cannot help
                break
            points = workspace.stored(coordinates[rows], theta[:, None] + offsets * taken[:, None])
            again = evaluator.at_coordinates(coordinates[rows], points)
            self.evaluations += again.shape[0] * again.shape[1]
            finite = np.all(np.isfinite(again), axis=(1, 2))
            done = rows[finite]
            values[done], realised[done] = again[finite], taken[finite]
            nominal[done] = steps[done] / 2**halving
            self.shortened.update({int(coordinates[i]): 2**halving for i in done})
            remaining = rows[~finite]
            if remaining.size == 0:
                break
        remaining = np.union1d(remaining, np.flatnonzero(known))
        if remaining.size and scheme == CENTRAL:
            remaining = self._one_sided(evaluator, centre, coordinates, steps, values, remaining)
            done = np.setdiff1d(np.arange(steps.size), remaining)
            realised[done] = np.where(np.isnan(realised[done]), steps[done], realised[done])
        bad = np.zeros(steps.size, dtype=bool)
        bad[remaining] = True
        return values, realised, nominal, bad

    def _one_sided(
        self,
        evaluator: Evaluator,
        centre: Centre,
        coordinates: np.ndarray,
        steps: np.ndarray,
        values: np.ndarray,
        rows: np.ndarray,
    ) -> np.ndarray:
        """Central rows still outside the domain, measured on their finite side at s h and
        2 s h; fills ``values`` with the equivalent (f-, f+) and returns the rows left."""
        workspace, f0 = centre.workspace, centre.f0
        left = []
        for row in rows:
            i = np.array([coordinates[row]])
            finite = np.all(np.isfinite(values[row]), axis=-1)  # (f-, f+) at the first step
            if not finite.any():
                left.append(row)
                continue
            side = 1.0 if finite[1] else -1.0
            theta = workspace.values_at(i)
            points = workspace.stored(i, theta[:, None] + side * np.array([1.0, 2.0]) * steps[row])
            near_far = evaluator.at_coordinates(i, points)[0]
            self.evaluations += 2
            if not np.all(np.isfinite(near_far)):
                left.append(row)
                continue
            a, b = points[0] - theta[0]
            values[row] = one_sided_as_central(f0, near_far[0], near_far[1], a, b, steps[row])
            self.one_sided[int(i[0])] = side
            self.shortened.pop(int(i[0]), None)
        return np.array(left, dtype=np.int64)

    def notes(self, label: Callable[[int], str]) -> tuple[str, ...]:
        """One note naming the elements measured at shorter or one-sided steps."""
        if not (self.shortened or self.one_sided):
            return ()
        named = [f"{label(i)} (h/{k})" for i, k in sorted(self.shortened.items())]
        named += [
            f"{label(i)} (one-sided, {'+' if s > 0 else '-'} side)"
            for i, s in sorted(self.one_sided.items())
        ]
        more = f" and {len(named) - MAX_NAMED} more" if len(named) > MAX_NAMED else ""
        return (
            "outside the function's domain (not finite) at theta +/- h, measured at a shorter "
            f"or one-sided step: {', '.join(named[:MAX_NAMED])}{more} "
            f"({self.evaluations} more evaluations)",
        )


def one_sided_as_central(
    f0: np.ndarray, near: np.ndarray, far: np.ndarray, a: float, b: float, h: float
) -> np.ndarray:
    """(f-, f+) at step h whose central quotient (f+ - f-) / 2h is the second-order
    one-sided derivative from f at 0, a, b (b ~ 2a, same side) and whose gap
    f+ - 2 f0 + f- is the curvature over h, h^2 f''."""
    derivative = (-(a + b) / (a * b)) * f0 + (b / (a * (b - a))) * near - (a / (b * (b - a))) * far
    curvature = 2 * (f0 / (a * b) + near / (a * (a - b)) + far / (b * (b - a)))
    gap = curvature * h * h
    return np.stack([f0 - h * derivative + gap / 2, f0 + h * derivative + gap / 2])


def inside_domain(
    evaluator: Evaluator,
    centre: Centre,
    scheme: Scheme,
    rows: slice | np.ndarray,
    values: np.ndarray,
    realised: np.ndarray,
    nominal: np.ndarray,
    domain: DomainRetries | None,
) -> None:
    """Where f's ``values`` at coordinates ``rows`` are not finite, measure those rows again
    at shorter or one-sided steps (``domain``), updating ``values``, ``realised`` and
    ``nominal`` in place; refuse (LossError) what stays outside f's domain."""
    coordinates = (
        np.arange(*rows.indices(realised.size)) if isinstance(rows, slice) else np.asarray(rows)
    )
    bad = np.flatnonzero(~np.all(np.isfinite(values), axis=(1, 2)))
    if bad.size and domain is not None:
        local = nominal[coordinates[bad]]
        again, taken, used, left = domain.retry(
            evaluator, centre, scheme, coordinates[bad], local, values[bad]
        )
        values[bad] = again
        realised[coordinates[bad][~left]] = taken[~left]
        nominal[coordinates[bad][~left]] = used[~left]
    tried = "" if domain is None else f" (and at h/2 .. h/{2**DOMAIN_HALVINGS})"
    tried = tried[:-1] + ", and on one side)" if tried and scheme == CENTRAL else tried
    offsets = np.asarray(scheme.nonzero_offsets)
    refuse_nonfinite_points(values, coordinates, offsets, centre, tried)


def refuse_nonfinite_points(
    values: np.ndarray,
    coordinates: np.ndarray,
    offsets: np.ndarray,
    centre: Centre,
    tried: str = "",
) -> None:
    """LossError naming the first non-finite value among f's values (coordinates, offsets,
    outputs) at theta_i + o_k h_i, i = coordinates[k]: "W1[0, 1] +1h"."""
    if np.all(np.isfinite(values)):
        return
    k, q, _ = (int(i[0]) for i in np.nonzero(~np.isfinite(values)))
    where = f"{centre.workspace.vector.label(int(coordinates[k]))} {offsets[q]:+g}h"
    refuse_nonfinite(values[k, q], centre.spec, centre.what, f"with {where}{tried}")
