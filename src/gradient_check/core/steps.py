"""Step sizes: absolute (the texts' theta_i +/- h), relative, or chosen automatically.

A number is the absolute step h, exactly as in the texts, so their figures reproduce.
``relative(r)`` takes h_i = r * scale_i, and the default ``"auto"`` takes
h_i = eps ** (1 / (order + 1)) * scale_i, which balances the scheme's truncation error
(~ h**order) against rounding error (~ eps / h) for the dtype the function computes in.

scale_i follows each element: |theta_i| itself (log over an array holding 0.01 and 100 is
stepped at 0.01's scale at 0.01, never out of its domain), but never below sqrt(eps) times
its tensor's typical magnitude, where a step of the element's own scale would drown in the
rounding of f. An exact zero has no scale of its own: it takes its tensor's typical
magnitude (a bias initialised to zero sits among biases of that size), or theta's, or 1
when the whole problem is zero. "Typical" is the median of the nonzero magnitudes, which a
few large elements do not drag up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import StepError
from .flatten import ParameterVector
from .schemes import Scheme


@dataclass(frozen=True)
class Step:
    """How the step h is chosen: ``kind`` is "absolute", "relative" or "auto"."""

    kind: str
    value: float | None = None

    def describe(self) -> str:
        if self.kind == "absolute":
            return f"h = {self.value:g}"
        if self.kind == "relative":
            return f"h = {self.value:g} x |theta_i|"
        return "automatic step (eps^(1/(order+1)) x |theta_i|)"


FLOAT64_EPS = float(np.finfo(np.float64).eps)


AUTO = Step("auto")


def absolute(h: float) -> Step:
    """The step theta_i +/- h for every element, as in the texts."""
    return _checked(Step("absolute", float(h)))


def relative(r: float) -> Step:
    """The step h_i = r * scale_i: |theta_i|, or its tensor's typical magnitude where theta_i
    is zero (``element_scales``)."""
    return _checked(Step("relative", float(r)))


def _checked(step: Step) -> Step:
    if not (np.isfinite(step.value) and step.value > 0):
        raise StepError(f"`h` must be a positive finite number; got {step.value!r}.")
    return step


def as_step(h: float | str | Step | None) -> Step:
    """Interpret the ``h`` argument of a check."""
    if h is None or (isinstance(h, str) and h == "auto"):
        return AUTO
    if isinstance(h, Step):
        return h
    if isinstance(h, (str, bool)) or not isinstance(h, (int, float, np.number)):
        raise StepError(f"`h` is {h!r}; give a number, 'auto', or gradient_check.relative(r).")
    return absolute(h)


def typical_magnitude(values: np.ndarray) -> float:
    """The median of the nonzero magnitudes among ``values`` (0.0 if there are none)."""
    nonzero = values[values != 0]  # a copy, so taken absolute and partitioned in place
    np.abs(nonzero, out=nonzero)
    return float(np.median(nonzero, overwrite_input=True)) if nonzero.size else 0.0


def element_scales(vector: ParameterVector, eps: float | np.ndarray = FLOAT64_EPS) -> np.ndarray:
    """scale_i: |theta_i|, floored at sqrt(eps) x its tensor's typical magnitude; an exact
    zero takes that typical magnitude (``eps``: the precision, a number or one per tensor).

    The floor: with f varying on its tensor's scale T, a step c |theta_i| (c = eps^(1/3))
    has rounding error eps |f| / (c |theta_i|); at |theta_i| = sqrt(eps) T that is
    eps^(1/6) |f| / T, which the longer step where rounding dominates still resolves.
    """
    scales = np.abs(vector.theta)  # filled in place, tensor by tensor: no full temporaries
    overall = typical_magnitude(scales) or 1.0
    roots = np.sqrt(per_tensor(vector, eps))
    for slot, root in zip(vector.slots, roots, strict=True):
        part = scales[slot.offset : slot.stop]
        typical = typical_magnitude(part) or overall
        zero = part == 0
        np.maximum(part, root * typical, out=part)
        part[zero] = typical
    return scales


def per_tensor(vector: ParameterVector, eps: float | np.ndarray) -> np.ndarray:
    """``eps`` (a number, or one per tensor) as an array with one entry per tensor."""
    eps = np.asarray(eps, dtype=np.float64)
    return np.full(len(vector.slots), eps) if eps.ndim == 0 else eps


def tensor_scales(vector: ParameterVector, coordinates: np.ndarray | None = None) -> np.ndarray:
    """Per coordinate (of theta, or of ``coordinates``): its tensor's typical magnitude
    (theta's, or 1, for an all-zero one), the scale an exact zero is stepped at and the
    reach of a longer step."""
    theta = vector.theta
    overall = typical_magnitude(theta) or 1.0
    typical = np.array(
        [typical_magnitude(theta[s.offset : s.stop]) or overall for s in vector.slots]
    )
    offsets = np.fromiter((s.offset for s in vector.slots), dtype=np.int64)
    if coordinates is None:
        return np.repeat(typical, [s.size for s in vector.slots])
    return typical[np.searchsorted(offsets, coordinates, side="right") - 1]


def step_sizes(
    step: Step,
    vector: ParameterVector,
    scheme: Scheme,
    eps: float | np.ndarray,
    scales: np.ndarray | None = None,
) -> np.ndarray:
    """The nominal step h_i for every coordinate of theta (``eps``: the precision f computes
    in, a number or one per tensor; ``scales``: its ``element_scales``, if known)."""
    if step.kind == "absolute":
        return np.full(vector.size, step.value)
    steps = element_scales(vector, eps) if scales is None else scales.copy()
    if step.kind == "relative":
        steps *= step.value
        return steps
    factors = per_tensor(vector, eps) ** (1.0 / (scheme.order + 1))
    for slot, factor in zip(vector.slots, factors, strict=True):
        steps[slot.offset : slot.stop] *= factor
    return steps
