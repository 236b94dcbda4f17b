"""Numerical derivatives for direct use: of f: R -> R at a point, and of f: R^n -> R.

These are the texts' formulas as functions, for worked examples and quick looks; the
check itself goes through the engine, which also estimates each difference's error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..core.estimate import richardson
from ..core.schemes import CENTRAL, COMPLEX_STEP, Scheme, get_scheme
from ..errors import InvalidProblemError, StepError

# The texts' absolute step: near the central difference's best, eps^(1/3) ~ 6e-6, for
# values and derivatives of order one.
TEXTS_STEP = 1e-5
# Richardson's first step can be long: extrapolation cancels the truncation error that
# would otherwise forbid it, and rounding (sigma / h) grows as the steps halve.
RICHARDSON_STEP = 0.1
RICHARDSON_LEVELS = 4  # steps h, h/2, h/4, h/8: three rounds of extrapolation
MIN_LEVELS = 2  # extrapolation compares two steps
# Each step is half the last: the ratio core.estimate.richardson's correction assumes.
STEP_RATIO = 2


@dataclass(frozen=True)
class Derivative:
    """A numerical derivative with the points and values it came from."""

    value: float
    h: float
    scheme: str
    points: tuple[float, ...]  # x + o_k h
    values: tuple[float, ...]  # f(x + o_k h)
    error_estimate: float | None = None


def derivative(
    f: Callable[[float], float],
    x: float,
    h: float = TEXTS_STEP,
    scheme: str | Scheme = "central",
) -> Derivative:
    """f'(x) by one finite-difference scheme, with the absolute step ``h``.

    >>> d = derivative(lambda x: x**2 + 3 * x, 2.0, h=0.001)
    >>> [round(v, 9) for v in d.values], round(d.value, 9)
    ([9.993001, 10.007001], 7.0)
    """
    if not (np.isfinite(h) and h > 0):
        raise StepError(f"`h` must be a positive finite number; got {h!r}.")
    if scheme == COMPLEX_STEP:
        # f'(x) ~ Im f(x + ih) / h: no subtraction, so h can be tiny (1e-20)
        value = complex(f(complex(x, h)))
        return Derivative(value.imag / h, h, COMPLEX_STEP, (x,), (value.real,))
    method = get_scheme(scheme)
    points = tuple(x + o * h for o in method.offsets)
    values = tuple(float(f(p)) for p in points)
    # sum_k w_k f(x + o_k h) / h
    value = sum(w * v for w, v in zip(method.weights, values, strict=True)) / h
    return Derivative(value, h, method.name, points, values)


def richardson_derivative(
    f: Callable[[float], float],
    x: float,
    h: float = RICHARDSON_STEP,
    scheme: str | Scheme = CENTRAL,
    levels: int = RICHARDSON_LEVELS,
) -> Derivative:
    """f'(x) by Richardson extrapolation over steps h, h/2, h/4, ..., with an error estimate.

    Each level cancels the next term of the Taylor error; the last correction's size is the
    estimate (it bounds the error when the table converges).

    >>> d = richardson_derivative(np.sin, 1.0)
    >>> bool(abs(d.value - np.cos(1.0)) < 1e-12), d.error_estimate < 1e-9
    (True, True)
    """
    method = get_scheme(scheme)
    if levels < MIN_LEVELS:
        raise InvalidProblemError(f"`levels` must be at least {MIN_LEVELS}; got {levels}.")
    steps = [h / STEP_RATIO**k for k in range(levels)]
    column = [derivative(f, x, s, method).value for s in steps]
    # a scheme symmetric about x has only even powers of h in its error: each round of
    # extrapolation removes two orders, not one
    symmetric = method.offsets == tuple(-o for o in reversed(method.offsets))
    order, error = method.order, float("inf")
    while len(column) > 1:
        extrapolated = [richardson(c, fn, order) for c, fn in zip(column, column[1:], strict=False)]
        column = [value for value, _ in extrapolated]
        error = float(extrapolated[-1][1])
        order += 2 if symmetric else 1
    return Derivative(
        float(column[0]), h, f"richardson({method.name})", (x,), (float(f(x)),), error
    )


def numerical_gradient(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    h: float = TEXTS_STEP,
    scheme: str | Scheme = "central",
) -> np.ndarray:
    """The gradient of f: R^n -> R at x, one coordinate at a time (x is not modified).

    >>> g = numerical_gradient(lambda v: float(v @ v), np.array([1.0, -2.0]))
    >>> bool(np.allclose(g, [2.0, -4.0]))
    True
    """
    x = np.array(x, dtype=np.float64)
    flat = x.reshape(-1)
    method = get_scheme(scheme)
    grad = np.empty_like(flat)
    for i in range(flat.size):
        saved = flat[i]
        total = 0.0
        try:
            for offset, weight in zip(method.offsets, method.weights, strict=True):
                flat[i] = saved + offset * h
                total += weight * float(f(x))
        finally:
            flat[i] = saved
        grad[i] = total / h
    return grad.reshape(x.shape)
