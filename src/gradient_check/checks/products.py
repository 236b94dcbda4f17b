"""Check vector-Jacobian and Jacobian-vector products given as functions.

Full mode builds the Jacobian from one-hot cotangents (rows) or tangents (columns); random
mode compares projections along seeded random directions, the way jax's check_grads does,
and still names the (output, parameter) block. Both also test linearity in the cotangent
or tangent, which catches a backward that ignores its incoming gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.engine import restores_rng, run_check
from ..core.match import flatten_like
from ..core.outputs import OutputSpec
from ..core.settings import DEFAULT_DIRECTIONS
from ..report import Report
from .calls import UserFunction
from .derivatives import (
    Opening,
    check_convention,
    columns,
    conjugate_imaginary,
    one_hots,
    open_check,
    project,
)

VJP = "vjp(params, cotangent)"
# row(spec, cotangent): the VJP of one real cotangent, as real parameter coordinates
RowFn = Callable[[OutputSpec, np.ndarray], np.ndarray]


@restores_rng
def check_vjp(
    f: Callable[[Any], Any],
    params: Any,
    vjp: Callable[[Any, Any], Any],
    *,
    mode: str = "full",
    directions: int = DEFAULT_DIRECTIONS,
    nondet_tol: float = 0.0,
    convention: str = "pytorch",
    **options: Any,
) -> Report:
    """Check a vector-Jacobian product ``vjp(params, cotangent) -> structure like params``.

    ``mode="full"`` builds J row by row from one-hot cotangents (m VJP calls) and compares it
    with the finite-difference Jacobian. ``mode="random"`` draws ``directions`` random
    cotangents u and tangents v per tensor (seeded) and compares <vjp(u), v> with
    u . (J v) by finite differences, the way jax's check_grads does: cheap, and it still
    names the (output, parameter) block. Also tests that the VJP is linear in the cotangent.
    """
    check_convention(convention)
    user = UserFunction(vjp, VJP, "check_vjp", hint=" For a Jacobian matrix, use check_jacobian.")
    opening = open_check(f, params, options, mode, directions, nondet_tol)
    vector, spec0, precision = opening.vector, opening.spec, opening.precision

    def row(spec: OutputSpec, cotangent: np.ndarray) -> np.ndarray:
        given = precision.seen(user(params, spec.unflatten(cotangent)))
        flat = flatten_like(given, vector, VJP)
        return conjugate_imaginary(flat, vector) if convention == "jax" else flat

    problems, spread = opening.probe(lambda u: row(spec0, u), spec0.size, user, "cotangent")
    if opening.directions is not None:
        with user.during("projections on random cotangents"):
            return _random_vjp(f, opening, row, problems, spread)

    def analytic(spec: OutputSpec, _directions: None):
        with user.during("the Jacobian row by row: one-hot cotangents"):
            return rows_of(lambda e: row(spec, e), spec.size), precision.eps

    return run_check(
        f,
        params,
        analytic,
        opening.settings,
        kind="vjp",
        scalar=False,
        what="f",
        problems=problems,
        analytic_noise=spread,
    )


def _random_vjp(
    f: Callable[[Any], Any],
    opening: Opening,
    row: RowFn,
    problems: tuple[str, ...],
    spread: float,
) -> Report:
    """Random mode: the function checked is u . f(theta) for k random cotangents u per
    output block, whose gradients along the plan's directions v are <vjp(u), v>."""
    spec0, settings = opening.spec, opening.settings
    blocks = len(spec0.blocks)
    cotangents = _block_cotangents(spec0, opening.directions, opening.rng)  # (k * blocks, m)

    def projected(p: Any) -> dict[str, np.ndarray]:
        values = spec0.read(f(p))
        return {f"{b.name}·u": cotangents[i::blocks] @ values for i, b in enumerate(spec0.blocks)}

    def analytic(_spec: OutputSpec, plan: np.ndarray):
        rows = np.array([row(spec0, u) for u in cotangents])
        ordered = np.concatenate([rows[i::blocks] for i in range(blocks)])
        return project(ordered, plan), opening.precision.eps

    return run_check(
        projected,
        opening.params,
        analytic,
        settings,
        kind="vjp",
        scalar=False,
        what="f",
        directions=opening.directions,
        problems=problems,
        analytic_noise=spread,
        extra={"cotangents": opening.directions, "seed": settings.seed},
    )


def rows_of(row: Callable[[np.ndarray], np.ndarray], size: int) -> np.ndarray:
    """The Jacobian row by row from one-hot cotangents, streamed (no identity matrix)."""
    out = None
    for i, e in enumerate(one_hots(size)):
        found = row(e)
        if out is None:
            out = np.empty((size, np.asarray(found).size))
        out[i] = found
    return out


def _block_cotangents(spec: OutputSpec, k: int, rng: np.random.Generator) -> np.ndarray:
    """k random cotangents per output block, each zero outside its block, interleaved."""
    rows = []
    for _ in range(k):
        for block in spec.blocks:
            u = np.zeros(spec.size)
            u[block.offset : block.stop] = rng.standard_normal(block.size)
            rows.append(u)
    return np.array(rows)


@restores_rng
def check_jvp(
    f: Callable[[Any], Any],
    params: Any,
    jvp: Callable[[Any, Any], Any],
    *,
    mode: str = "full",
    directions: int = DEFAULT_DIRECTIONS,
    nondet_tol: float = 0.0,
    **options: Any,
) -> Report:
    """Check a Jacobian-vector product ``jvp(params, tangent) -> structure like f's output``.

    ``mode="full"`` builds J column by column from one-hot tangents (n JVP calls);
    ``mode="random"`` compares jvp(v) with finite differences along ``directions`` random
    tangents per tensor (2 evaluations each). Also tests linearity in the tangent.
    """
    user = UserFunction(jvp, "jvp(params, tangent)", "check_jvp")
    opening = open_check(f, params, options, mode, directions, nondet_tol)
    column, size = opening.tangent_map(user, "f's output"), opening.vector.size
    problems, spread = opening.probe(column, size, user, "tangent")

    def analytic(_spec: OutputSpec, plan: np.ndarray | None):
        with user.during("the Jacobian column by column" if plan is None else "random tangents"):
            return columns(column, size, plan), opening.precision.eps

    return run_check(
        f,
        params,
        analytic,
        opening.settings,
        kind="jvp",
        scalar=False,
        what="f",
        directions=opening.directions,
        problems=problems,
        analytic_noise=spread,
    )
