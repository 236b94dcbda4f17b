"""The structural checks torch.autograd.gradcheck makes, beyond comparing numbers.

A derivative called twice at the same point must agree (within ``nondet_tol``), and a VJP
or JVP is a linear map of its cotangent or tangent: zero in, zero out; scaling and adding
commute. A backward that ignores its incoming gradient fails the scaling test even where
its values happen to match at one cotangent.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

LINEARITY_ULPS = 1e4  # rounding allowed in a linearity identity, in ulps of the norms
SCALE = 2.5  # the factor of the scaling test (any value other than 0 and 1)
# map(u + w) - map(u) - map(w) rounds three results, whose norms add up to at most twice
# the |map(u)| + |map(w)| the tolerance is scaled by
SUM_TERMS = 2


def nondeterminism(
    call: Callable[[], np.ndarray], nondet_tol: float, what: str
) -> tuple[list[str], float]:
    """Call the derivative twice: a problem line if the calls differ by more than
    ``nondet_tol``, and the spread, which joins the derivative's own error estimate."""
    first, second = call(), call()
    if np.shape(first) != np.shape(second):
        return [
            f"`{what}` is nondeterministic: two calls at the same point returned different "
            f"shapes ({np.size(first)} and {np.size(second)} values); make it deterministic"
        ], 0.0
    spread = float(np.max(np.abs(first - second), initial=0.0))
    if spread > nondet_tol:
        return [
            f"`{what}` is nondeterministic: two calls at the same point differ by "
            f"{spread:.2e} (nondet_tol={nondet_tol:g}); make it deterministic or raise "
            "`nondet_tol`"
        ], spread
    return [], spread


def nonlinearity(
    apply: Callable[[np.ndarray], np.ndarray],
    size: int,
    rng: np.random.Generator,
    what: str,
    argument: str,
    eps: Callable[[], float],
) -> list[str]:
    """Problem lines where ``apply`` (a VJP or JVP as a real map) is not linear.

    ``eps()``, asked after the calls, is the machine epsilon of what the user's map
    returned: a float32 VJP's identities hold only to float32's rounding.
    """
    u1, u2 = rng.standard_normal(size), rng.standard_normal(size)
    at_zero, at_u1, at_u2 = apply(np.zeros(size)), apply(u1), apply(u2)
    scaled, summed = apply(SCALE * u1), apply(u1 + u2)
    norm = float(np.linalg.norm(at_u1) + np.linalg.norm(at_u2)) or 1.0
    tolerance = LINEARITY_ULPS * eps() * norm
    problems = []
    if np.linalg.norm(at_zero) > tolerance:
        problems.append(
            f"`{what}` of a zero {argument} is not zero (norm "
            f"{np.linalg.norm(at_zero):.2e}): it adds a term that does not depend "
            f"on the {argument}"
        )
    if np.linalg.norm(scaled - SCALE * at_u1) > SCALE * tolerance:
        problems.append(
            f"`{what}` is not linear in its {argument}: {what}({SCALE}·u) differs "
            f"from {SCALE}·{what}(u) by {np.linalg.norm(scaled - SCALE * at_u1):.2e};"
            f" does it ignore or square its incoming {argument}?"
        )
    if np.linalg.norm(summed - at_u1 - at_u2) > SUM_TERMS * tolerance:
        problems.append(
            f"`{what}` is not additive in its {argument}: {what}(u + w) differs "
            f"from {what}(u) + {what}(w) by "
            f"{np.linalg.norm(summed - at_u1 - at_u2):.2e}"
        )
    return problems
