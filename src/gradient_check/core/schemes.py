"""Finite-difference schemes as data: grid offsets, weights and the order of the error.

A scheme approximates f'(x) by sum_k weights[k] * f(x + offsets[k] * h) / h, with a
truncation error O(h**order) (Taylor expansion). Offset 0 reuses f(x), which every check
evaluates anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidProblemError


@dataclass(frozen=True)
class Scheme:
    """A finite-difference formula for the first derivative."""

    name: str
    offsets: tuple[float, ...]
    weights: tuple[float, ...]
    order: int

    @property
    def nonzero_offsets(self) -> tuple[float, ...]:
        """The grid points that cost an evaluation (offset 0 is f(x), already known)."""
        return tuple(o for o in self.offsets if o != 0)

    @property
    def evaluations_per_element(self) -> int:
        return len(self.nonzero_offsets)


# (f(x + h) - f(x)) / h, error O(h)
FORWARD = Scheme("forward", (0.0, 1.0), (-1.0, 1.0), 1)
# (f(x) - f(x - h)) / h, error O(h)
BACKWARD = Scheme("backward", (-1.0, 0.0), (-1.0, 1.0), 1)
# (f(x + h) - f(x - h)) / 2h, error O(h^2)
CENTRAL = Scheme("central", (-1.0, 1.0), (-0.5, 0.5), 2)
# (f(x - 2h) - 8 f(x - h) + 8 f(x + h) - f(x + 2h)) / 12h, error O(h^4)
FIVE_POINT = Scheme("five-point", (-2.0, -1.0, 1.0, 2.0), (1 / 12, -8 / 12, 8 / 12, -1 / 12), 4)

SCHEMES = {s.name: s for s in (FORWARD, BACKWARD, CENTRAL, FIVE_POINT)}
COMPLEX_STEP = "complex-step"  # Im f(x + ih) / h: no subtraction, so no cancellation


def get_scheme(scheme: str | Scheme) -> Scheme:
    """Look a scheme up by name ("forward", "backward", "central", "five-point")."""
    if isinstance(scheme, Scheme):
        return scheme
    try:
        return SCHEMES[scheme]
    except (KeyError, TypeError):
        names = ", ".join(repr(n) for n in SCHEMES)
        if scheme == COMPLEX_STEP:
            raise InvalidProblemError(
                f"`scheme` is {scheme!r}, which a check cannot use (it needs f to accept "
                "complex theta); choose one of "
                f"{names}, or differentiate a scalar f with derivative(f, x, h, "
                "scheme='complex-step')."
            ) from None
        raise InvalidProblemError(f"`scheme` is {scheme!r}; choose one of {names}.") from None


def apply_scheme(
    scheme: Scheme, f_at: np.ndarray, f_center: np.ndarray, step: np.ndarray
) -> np.ndarray:
    """Combine function values into derivatives: sum_k w_k f(x + o_k h) / h.

    ``f_at`` holds f at the nonzero offsets, shape (elements, len(nonzero_offsets), outputs);
    ``f_center`` is f(x), shape (outputs,); ``step`` is h per element.
    """
    if scheme.offsets == (-1.0, 1.0):  # central, the hot case: two passes over the values
        total = np.subtract(f_at[:, 1, :], f_at[:, 0, :])
        total *= (scheme.weights[1] / step)[:, None]
        return total
    total = np.zeros((f_at.shape[0], f_at.shape[2]))
    k = 0
    for offset, weight in zip(scheme.offsets, scheme.weights, strict=True):
        if offset == 0:
            total += weight * f_center
        else:
            total += weight * f_at[:, k, :]
            k += 1
    return total / step[:, None]


def rounding_weight(scheme: Scheme) -> float:
    """sum_k |w_k|: how much the scheme amplifies noise in f, before dividing by h."""
    return float(np.sum(np.abs(scheme.weights)))
