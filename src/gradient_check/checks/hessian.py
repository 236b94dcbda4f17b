"""Check a Hessian, or a Hessian-vector product, against differences of the gradient."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from ..core.engine import restores_rng, run_check
from ..core.evaluate import guard_parameters
from ..core.flatten import flatten
from ..core.outputs import OutputSpec, vector_spec
from ..errors import InvalidProblemError
from ..report import Report
from .jacobian import DEFAULT_DIRECTIONS, jacobian_matrix, mode_directions, project, settings_of
from .structural import nondeterminism, nonlinearity

SYMMETRY_ULPS = 64  # a Hessian asymmetric by less than this, relatively, is symmetric


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
    sampled block V H V^T in random mode). ``loss`` is accepted for symmetry with ``check``
    and may be None; check ``grad`` against it with ``check`` first.
    """
    if (hessian is None) == (hvp is None):
        raise InvalidProblemError("Give exactly one of `hessian` and `hvp`.")
    settings = settings_of(options)
    vector = flatten(params)
    k = mode_directions(mode, directions)
    problems: list[str] = []
    spread = 0.0
    with guard_parameters(params, vector, "`grad`"):
        spec0 = vector_spec(grad(params), "grad", root="grad")

    if hessian is not None:

        def matrix() -> np.ndarray:
            given = hessian(params) if callable(hessian) else hessian
            return jacobian_matrix(given, spec0, vector)

        if callable(hessian):
            with guard_parameters(params, vector, "`hessian`"):
                found, spread = nondeterminism(matrix, nondet_tol, "hessian")
            problems += found
        full = matrix()
        extra = {"asymmetry": _asymmetry(full)}

        def analytic(_spec: OutputSpec, plan: np.ndarray | None):
            return project(full, plan), float(np.finfo(np.float64).eps)
    else:

        def column(v: np.ndarray) -> np.ndarray:
            return np.asarray(spec0.read(hvp(params, vector.unflatten(v))), dtype=np.float64)

        rng = np.random.default_rng(settings.seed + 1)
        with guard_parameters(params, vector, "`hvp`"):
            problems += nonlinearity(column, vector.size, rng, "hvp", "vector")
            found, spread = nondeterminism(lambda: column(np.ones(vector.size)), nondet_tol, "hvp")
        problems += found
        extra = {}

        def analytic(_spec: OutputSpec, plan: np.ndarray | None):
            tangents = np.eye(vector.size) if plan is None else plan
            columns = np.array([column(v) for v in tangents]).T
            extra["asymmetry"] = _asymmetry(columns if plan is None else plan @ columns)
            return columns, float(np.finfo(np.float64).eps)

    report = run_check(
        grad,
        params,
        analytic,
        settings,
        kind="hessian",
        scalar=False,
        what="grad",
        directions=k,
        problems=tuple(problems),
        extra=extra,
        analytic_noise=spread,
    )
    asymmetry = report.extra["asymmetry"]
    symmetric = asymmetry <= SYMMETRY_ULPS * np.finfo(np.float64).eps
    note = (
        f"the given Hessian is {'symmetric' if symmetric else 'NOT symmetric'}: "
        f"||H - H^T|| / ||H|| = {asymmetry:.2e}"
    )
    return replace(report, notes=(*report.notes, note))


def _asymmetry(matrix: np.ndarray) -> float:
    norm = float(np.linalg.norm(matrix))
    return float(np.linalg.norm(matrix - matrix.T)) / norm if norm else 0.0
