"""Step sizes: absolute (the texts' theta_i +/- h), relative, or chosen automatically.

A number is the absolute step h, exactly as in the texts, so their figures reproduce.
``relative(r)`` takes h_i = r * scale_i, and the default ``"auto"`` takes
h_i = eps ** (1 / (order + 1)) * scale_i, which balances the scheme's truncation error
(~ h**order) against rounding error (~ eps / h) for the dtype the function computes in.
scale_i is |theta_i|, or the mean magnitude of its tensor where theta_i is zero or
smaller than that mean (a bias initialised to zero is stepped at its tensor's scale,
or at 1 when the whole problem is zero).
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


AUTO = Step("auto")


def absolute(h: float) -> Step:
    """The step theta_i +/- h for every element, as in the texts."""
    return _checked(Step("absolute", float(h)))


def relative(r: float) -> Step:
    """The step h_i = r * |theta_i| (the tensor's scale where theta_i is zero)."""
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


def element_scales(vector: ParameterVector) -> np.ndarray:
    """scale_i: |theta_i|, raised to its tensor's mean magnitude where it is smaller."""
    theta = np.abs(vector.theta)
    overall = float(theta.mean()) or 1.0
    scales = np.empty_like(theta)
    for slot in vector.slots:
        block = theta[slot.offset : slot.stop]
        typical = float(block.mean()) or overall
        scales[slot.offset : slot.stop] = np.maximum(block, typical)
    return scales


def step_sizes(step: Step, vector: ParameterVector, scheme: Scheme, eps: float) -> np.ndarray:
    """The nominal step h_i for every coordinate of theta."""
    if step.kind == "absolute":
        return np.full(vector.size, step.value)
    factor = step.value if step.kind == "relative" else eps ** (1.0 / (scheme.order + 1))
    return factor * element_scales(vector)
