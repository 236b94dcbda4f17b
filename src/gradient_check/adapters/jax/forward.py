"""The forward-mode cross-check of a gradient: ``jax.jvp`` against the gradient checked.

A JVP along v is dL . v computed forwards; the gradient (from ``jax.grad``, or the one the
user gave) projected on v is the same number computed backwards. Along every coordinate
(``forward=True``) or k random directions (``forward=k``) the two must agree to rounding
(MODE_ROUNDINGS roundings of |gradient| |v|): where they do not, a rule (a ``custom_jvp``
whose tangent is not linear, a ``custom_vjp`` beside a hand-written forward rule) or the
given gradient is wrong in one mode, and the report says so as a problem. A function with
no forward mode (``custom_vjp``) gets a note instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...errors import InvalidProblemError
from .jacobians import Jacobians, agreement, coordinate_label, disagreement
from .pytree import Layout, said

LISTED = 3  # disagreeing directions named in the problem


def forward_choice(forward: Any) -> int | bool | None:
    """``forward`` as False (no cross-check), None (every coordinate) or k directions."""
    if forward is False or forward is None:
        return False
    if forward is True:
        return None
    if isinstance(forward, (int, np.integer)) and not isinstance(forward, bool) and forward > 0:
        return int(forward)
    raise InvalidProblemError(
        f"`forward` is {forward!r}; choose False, True (a JVP along every coordinate) or a "
        "number k of random directions."
    )


def forward_check(
    g: Callable[[Any], Any],
    theta: np.ndarray,
    gradient: np.ndarray,
    layout: Layout,
    directions: int | None,
    seed: int,
    eps: float,
    faulted: set[str],
) -> tuple[tuple[str, ...], tuple[str, ...], dict]:
    """JVPs of g (a loss of theta) along the coordinates (``directions`` None) or that many
    seeded random directions, against ``gradient`` (real coordinates) projected on them:
    (notes, problems, facts for the report's extra). Disagreements only inside the
    parameters the finite differences already found wrong (``faulted``) are a note, not a problem:
    the headline names those parameters."""
    if directions is None:
        basis, along = None, f"each of the {theta.size:,} coordinates"
    else:
        basis = np.random.default_rng(seed).standard_normal((directions, theta.size))
        along = f"{directions} random direction{'s' * (directions > 1)}"
    try:
        forward = Jacobians(g, theta, 1).of("fwd", basis)[0]
    except Exception as error:  # a custom_vjp function has no forward mode
        note = f"forward-mode cross-check not made: jax.jvp raised {said(error)}"
        return (note,), (), {"forward": None}
    reverse = gradient if basis is None else basis @ gradient
    norms = np.ones(theta.size) if basis is None else np.linalg.norm(basis, axis=1)
    scale = np.array([max(float(np.linalg.norm(gradient)), float(np.max(np.abs(forward))))])
    wrong, worst = disagreement(reverse[None], forward[None], scale, norms, eps)
    bad = np.flatnonzero(wrong[0])
    facts = {"forward": {"directions": len(forward), "disagree": int(bad.size), "roundings": worst}}
    if bad.size == 0:
        note = (
            f"forward-mode cross-check: jax.jvp along {along} agrees with the gradient "
            f"{agreement(worst)}"
        )
        return (note,), (), facts
    named = [
        (coordinate_label(layout, int(j)) if basis is None else f"random direction {int(j)}")
        + f" (jvp {forward[j]:.6g}, gradient {reverse[j]:.6g})"
        for j in bad[:LISTED]
    ]
    more = f" and {bad.size - LISTED} more" if bad.size > LISTED else ""
    problem = (
        f"forward mode (jax.jvp) and reverse mode (the gradient checked) disagree along "
        f"{bad.size} of {len(forward)} directions: {'; '.join(named)}{more}. A rule "
        "(custom_jvp, custom_vjp) or the given gradient is wrong in one mode"
    )
    if basis is None and {layout.owner(int(j)).name for j in bad} <= faulted:
        return (problem,), (), facts
    return (), (problem,), facts
