"""How far a finite difference can be from the true derivative: rounding, noise, truncation.

The error of a difference quotient has two parts. Rounding: the function's values carry
noise sigma (rounding in its dtype, or worse where it cancels), which the scheme amplifies
to sigma * sum|w_k| / h. Truncation: the Taylor remainder, O(h**order), estimated from
the same element at two steps. Sigma itself is measured, not assumed: ``noise_level``
reads it from a table of f along a line, the way Moré and Wild's ECnoise does.
"""

from __future__ import annotations

from math import factorial

import numpy as np

NOISE_POINTS = 7  # f at theta + k * delta * v, k = 0..6: one centre value and six more
NOISE_ORDERS = (3, 4, 5)  # differences high enough that a smooth f has vanished from them


def noise_level(table: np.ndarray) -> np.ndarray:
    """Estimate the noise sigma of f from values at equally spaced points along a line.

    The k-th differences of a smooth function at a tiny spacing vanish, leaving the noise;
    for independent noise of deviation sigma, E[(Delta^k f)^2] = sigma^2 (2k)! / (k!)^2.
    Takes the largest estimate over ``NOISE_ORDERS`` (the cautious choice).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> f = 1.0 + 1e-3 * np.arange(7.0) + 1e-9 * rng.standard_normal(7)
    >>> bool(1e-10 < noise_level(f[:, None])[0] < 1e-8)
    True
    """
    table = np.asarray(table, dtype=np.float64)
    diffs, sigmas = table, []
    for order in range(1, table.shape[0]):
        diffs = np.diff(diffs, axis=0)
        if order in NOISE_ORDERS:
            gamma = factorial(order) ** 2 / factorial(2 * order)
            sigmas.append(np.sqrt(gamma * np.mean(diffs**2, axis=0)))
    return np.max(sigmas, axis=0)


def one_sided_slopes(
    f_minus: np.ndarray, f_center: np.ndarray, f_plus: np.ndarray, step: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The slopes either side of theta_i: (f0 - f(-h)) / h and (f(+h) - f0) / h."""
    h = step[:, None]
    return (f_center - f_minus) / h, (f_plus - f_center) / h


def richardson(coarse: np.ndarray, fine: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Richardson extrapolation of D(2s) and D(s) for a scheme of error O(h**order).

    D(s) + (D(s) - D(2s)) / (2**order - 1) cancels the leading error term; the size of
    that correction, |D(s) - D(2s)| / (2**order - 1), estimates the error of D(s) and
    bounds the error of the extrapolated value.
    """
    correction = (fine - coarse) / (2**order - 1)
    return fine + correction, np.abs(correction)


def coarse_truncation(coarse: np.ndarray, fine: np.ndarray, order: int) -> float:
    """Richardson's estimate of the truncation error of D(2s) itself, as a norm.

    D(2s) - f' ~ c (2s)**order and D(s) - f' ~ c s**order, so the coarse error is
    ||D(2s) - D(s)|| * 2**order / (2**order - 1).
    """
    return float(np.linalg.norm(coarse - fine)) * 2**order / (2**order - 1)
