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
from ..core.evaluate import guard_parameters
from ..core.flatten import flatten, flatten_like
from ..core.outputs import OutputSpec, vector_spec
from ..report import Report
from .gradient import conjugate_imaginary
from .jacobian import DEFAULT_DIRECTIONS, mode_directions, settings_of
from .structural import nondeterminism, nonlinearity


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
    settings = settings_of(options)
    vector = flatten(params)
    k = mode_directions(mode, directions)
    rng = np.random.default_rng(settings.seed + 1)

    def row(spec: OutputSpec, cotangent: np.ndarray) -> np.ndarray:
        flat = flatten_like(vjp(params, spec.unflatten(cotangent)), vector, "vjp")
        return conjugate_imaginary(flat, vector) if convention == "jax" else flat

    with guard_parameters(params, vector, "`f`"):
        y0 = f(params)
    spec0 = vector_spec(y0, "f")
    with guard_parameters(params, vector, "`vjp`"):
        problems = nonlinearity(lambda u: row(spec0, u), spec0.size, rng, "vjp", "cotangent")
        found, spread = nondeterminism(lambda: row(spec0, np.ones(spec0.size)), nondet_tol, "vjp")
    problems += found
    if k is None:

        def analytic(spec: OutputSpec, _directions: None):
            matrix = np.array([row(spec, e) for e in np.eye(spec.size)])
            return matrix, float(np.finfo(np.float64).eps)

        return run_check(
            f,
            params,
            analytic,
            settings,
            kind="vjp",
            scalar=False,
            what="f",
            problems=tuple(problems),
            analytic_noise=spread,
        )

    cotangents = _block_cotangents(spec0, k, rng)  # (k * blocks, m)

    def projected(p: Any) -> dict[str, np.ndarray]:
        values = spec0.read(f(p))
        return {
            f"{b.name}·u": cotangents[i :: len(spec0.blocks)] @ values
            for i, b in enumerate(spec0.blocks)
        }

    def analytic_random(spec: OutputSpec, plan: np.ndarray):
        rows = np.array([row(spec0, u) for u in cotangents])
        ordered = np.concatenate([rows[i :: len(spec0.blocks)] for i in range(len(spec0.blocks))])
        return ordered @ plan.T, float(np.finfo(np.float64).eps)

    return run_check(
        projected,
        params,
        analytic_random,
        settings,
        kind="vjp",
        scalar=False,
        what="f",
        directions=k,
        problems=tuple(problems),
        analytic_noise=spread,
        extra={"cotangents": k, "seed": settings.seed},
    )


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
    settings = settings_of(options)
    vector = flatten(params)
    k = mode_directions(mode, directions)
    rng = np.random.default_rng(settings.seed + 1)
    with guard_parameters(params, vector, "`f`"):
        spec0 = vector_spec(f(params), "f")

    def column(tangent: np.ndarray) -> np.ndarray:
        return np.asarray(spec0.read(jvp(params, vector.unflatten(tangent))), dtype=np.float64)

    with guard_parameters(params, vector, "`jvp`"):
        problems = nonlinearity(column, vector.size, rng, "jvp", "tangent")
        found, spread = nondeterminism(lambda: column(np.ones(vector.size)), nondet_tol, "jvp")
    problems += found

    def analytic(_spec: OutputSpec, plan: np.ndarray | None):
        tangents = np.eye(vector.size) if plan is None else plan
        return np.array([column(v) for v in tangents]).T, float(np.finfo(np.float64).eps)

    return run_check(
        f,
        params,
        analytic,
        settings,
        kind="jvp",
        scalar=False,
        what="f",
        directions=k,
        problems=tuple(problems),
        analytic_noise=spread,
    )
