"""Check a Hessian, or a Hessian-vector product, against differences of the gradient."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from ..core.describe import count
from ..core.engine import AnalyticFn, restores_rng, run_check
from ..core.outputs import OutputSpec
from ..core.settings import DEFAULT_DIRECTIONS
from ..errors import InvalidProblemError
from ..report import Report
from .blocks import jacobian_matrix
from .calls import UserFunction, require_callable
from .derivatives import Opening, columns, open_check, project, repeatability

CHECK = "check_hessian"
# A Hessian asymmetric by less than this many ulps of its own precision, relatively
# (||H - H^T|| / ||H||), is symmetric: it differs from H^T by rounding alone.
SYMMETRY_ULPS = 64

# What each way of giving the Hessian hands to the engine: the analytic side, the
# structural problems, the derivative's nondeterminism and the report's extra findings.
Analytic = tuple[AnalyticFn, tuple[str, ...], float, dict]


@restores_rng
def check_hessian(
    loss: Callable[[Any], Any] | None,
    params: Any,
    grad: Callable[[Any], Any],
    *,
    hessian: Any = None,
    hvp: Callable[[Any, Any], Any] | None = None,
    mode: str = "full",
    directions: int = DEFAULT_DIRECTIONS,
    nondet_tol: float = 0.0,
    **options: Any,
) -> Report:
    """Check a Hessian (blocks) or a Hessian-vector product against differences of ``grad``.

    The Hessian is the Jacobian of the gradient, so this is ``check_jacobian(grad, ...)``;
    its blocks follow jax.hessian's layout (per parameter, a structure like ``params`` of
    shape p_out.shape + p_in.shape). ``hvp(params, v)`` returns a structure like params.
    The report's ``extra["asymmetry"]`` is ||H - H^T|| / ||H|| of the given Hessian (of the
    sampled block V H V^T in random mode); the last note calls it symmetric below
    SYMMETRY_ULPS ulps of the precision the Hessian was returned in. ``loss`` is accepted
    for symmetry with ``check`` and may be None; check ``grad`` against it with ``check``.
    """
    if (hessian is None) == (hvp is None):
        raise InvalidProblemError("Give exactly one of `hessian` and `hvp`.")
    hint = " check_hessian differentiates the gradient function `grad`."
    require_callable(grad, "grad(params)", hint)
    products = None if hvp is None else UserFunction(hvp, "hvp(params, vector)", CHECK)
    opening = open_check(
        grad, params, options, mode, directions, nondet_tol, what="grad", root="grad"
    )
    if opening.spec.size != opening.vector.size:
        raise InvalidProblemError(
            f"`grad` returned {count(opening.spec.size, 'real value')} but `params` holds "
            f"{opening.vector.size}: grad(params) returns the gradient, shaped like params."
        )
    if products is None:
        analytic, problems, spread, extra = _given_hessian(opening, hessian)
    else:
        analytic, problems, spread, extra = _given_hvp(opening, products)
    report = run_check(
        grad,
        params,
        analytic,
        opening.settings,
        kind="hessian",
        scalar=False,
        what="grad",
        directions=opening.directions,
        problems=problems,
        extra=extra,
        analytic_noise=spread,
    )
    note = _symmetry_note(report.extra["asymmetry"], opening.precision.eps)
    return replace(report, notes=(*report.notes, note))


def _given_hessian(opening: Opening, hessian: Any) -> Analytic:
    """The Hessian given as blocks (or a function returning them): read once, projected."""
    user = UserFunction(hessian, "hessian(params)", CHECK) if callable(hessian) else None

    def matrix() -> np.ndarray:
        given = opening.precision.seen(hessian if user is None else user(opening.params))
        return jacobian_matrix(given, opening.spec, opening.vector, "hessian", of="grad")

    problems, spread = [], 0.0
    if user is not None:
        problems, spread = repeatability(
            opening.params, opening.vector, matrix, opening.nondet_tol, user
        )
    full = matrix()

    def analytic(_spec: OutputSpec, plan: np.ndarray | None):
        return project(full, plan), opening.precision.eps

    return analytic, tuple(problems), spread, {"asymmetry": _asymmetry(full)}


def _given_hvp(opening: Opening, hvp: UserFunction) -> Analytic:
    """The Hessian given as a product hvp(params, v): its columns H e_i, or H v^T."""
    column, size = opening.tangent_map(hvp, "grad's output"), opening.vector.size
    problems, spread = opening.probe(column, size, hvp, "vector")
    extra: dict[str, float] = {}

    def analytic(_spec: OutputSpec, plan: np.ndarray | None):
        with hvp.during("the Hessian column by column" if plan is None else "random vectors"):
            found = columns(column, size, plan)
        extra["asymmetry"] = _asymmetry(found if plan is None else plan @ found)
        return found, opening.precision.eps

    return analytic, problems, spread, extra


def _symmetry_note(asymmetry: float, eps: float) -> str:
    """Whether the Hessian is symmetric to within its own precision's rounding."""
    symmetric = asymmetry <= SYMMETRY_ULPS * eps
    return (
        f"the given Hessian is {'symmetric' if symmetric else 'NOT symmetric'}: "
        f"||H - H^T|| / ||H|| = {asymmetry:.2e}"
    )


def _asymmetry(matrix: np.ndarray) -> float:
    """||H - H^T|| / ||H|| (Frobenius norms); 0 for a zero matrix."""
    norm = float(np.linalg.norm(matrix))
    return float(np.linalg.norm(matrix - matrix.T)) / norm if norm else 0.0
