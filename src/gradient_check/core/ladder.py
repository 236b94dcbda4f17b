"""The rows in doubt measured at a ladder of steps: their last three, longest first.

Refinement measures each row in doubt at shorter and shorter steps; what a pair of steps
says (``patterns``) needs the two shortest, and the trend of the truncation the one before
them. A ``Ladder`` keeps those three per row, as the rows move down at their own pace,
with the magnitude of f where each was measured: f's rounding is relative to its values,
and f(theta +/- h) can be far larger than f(theta) (at a minimum where f = 0, or with a
long absolute step), so the rounding of a difference is that of the values it takes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .estimate import one_sided_slopes
from .judge import ErrorModel, FirstPass, slopes_from

EPS = float(np.finfo(np.float64).eps)  # f's values reach the checker as float64


@dataclass(frozen=True)
class Ladder:
    """steps (rows, 3), NaN where a row has only two; derivative, the one-sided slopes
    minus and plus (None for schemes without a centre point) and the largest |f| among
    the points of each difference, magnitude: (3, rows, outputs)."""

    steps: np.ndarray
    nominal: np.ndarray  # (rows,) the shortest step asked for; the next one divides it
    derivative: np.ndarray
    minus: np.ndarray | None
    plus: np.ndarray | None
    magnitude: np.ndarray

    @staticmethod
    def start(
        first: FirstPass,
        doubt: np.ndarray,
        second: np.ndarray,
        values: np.ndarray,
        steps: np.ndarray,
        up: np.ndarray,
        f0: np.ndarray,
    ) -> Ladder:
        """The first two steps: the first pass's and the second (2h where ``up``, else h/2).

        The first pass keeps no values: their magnitude is |f0| + h |slope| at most
        (2 h |D| for a scheme without slopes, whose points reach 2h)."""
        h = first.steps[doubt][:, None]
        primary = first.primary[doubt]
        column = up[:, None]

        def ordered(at_first: np.ndarray, at_second: np.ndarray) -> np.ndarray:
            longer = np.where(column, at_second, at_first)
            shorter = np.where(column, at_first, at_second)
            return np.stack([np.full_like(longer, np.nan), longer, shorter])

        ladder_steps = ordered(first.steps[doubt][:, None], steps[:, None])[:, :, 0].T
        nominal = np.where(up, first.nominal[doubt], first.nominal[doubt] * 0.5)
        largest = np.max(np.abs(values), axis=1)
        minus = plus = None
        if first.gaps is None:
            reach = np.abs(f0) + 2 * h * np.abs(primary)
        else:
            minus1, plus1 = slopes_from(primary, first.gaps[doubt], first.steps[doubt])
            minus2, plus2 = one_sided_slopes(values[:, 0], f0, values[:, 1], steps)
            minus, plus = ordered(minus1, minus2), ordered(plus1, plus2)
            reach = np.abs(f0) + h * np.maximum(np.abs(minus1), np.abs(plus1))
        derivative = ordered(primary, second)
        return Ladder(ladder_steps, nominal, derivative, minus, plus, ordered(reach, largest))

    def rows(self, rows: np.ndarray) -> Ladder:
        """The ladder of some rows."""
        minus = None if self.minus is None else self.minus[:, rows]
        plus = None if self.plus is None else self.plus[:, rows]
        derivative, magnitude = self.derivative[:, rows], self.magnitude[:, rows]
        return Ladder(self.steps[rows], self.nominal[rows], derivative, minus, plus, magnitude)

    def extended(
        self,
        rows: np.ndarray,
        derivative: np.ndarray,
        values: np.ndarray,
        steps: np.ndarray,
        nominal: np.ndarray,
        f0: np.ndarray,
    ) -> Ladder:
        """The ladder with ``rows`` measured at a shorter step: their oldest step dropped."""

        def shifted(array: np.ndarray, new: np.ndarray) -> np.ndarray:
            out = array.copy()
            out[:2, rows] = array[1:, rows]
            out[2, rows] = new
            return out

        ladder_steps = shifted(self.steps.T, steps).T
        shortest = self.nominal.copy()
        shortest[rows] = nominal
        magnitude = shifted(self.magnitude, np.max(np.abs(values), axis=1))
        minus = plus = None
        if self.minus is not None and self.plus is not None:
            new_minus, new_plus = one_sided_slopes(values[:, 0], f0, values[:, 1], steps)
            minus, plus = shifted(self.minus, new_minus), shifted(self.plus, new_plus)
        derivative = shifted(self.derivative, derivative)
        return Ladder(ladder_steps, shortest, derivative, minus, plus, magnitude)

    def rounding(self, errors: ErrorModel, f0: np.ndarray) -> np.ndarray:
        """(3, rows, outputs): each difference's rounding, noise_r / h times how much larger
        |f| was where it was measured than where its noise was: max(1, |f| / M_r), M_r =
        max(|f0_r|, sigma_r / eps) (the magnitude f's noise sigma_r is the rounding of)."""
        measured = np.maximum(np.abs(f0), errors.sigma / EPS)
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = np.where(measured > 0, self.magnitude / measured, 1.0)
        growth = np.where(np.isnan(growth), 1.0, np.maximum(growth, 1.0))
        return errors.noise * growth / self.steps.T[:, :, None]
