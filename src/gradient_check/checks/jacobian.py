"""Check the Jacobian of an array- or structure-valued function.

The report has one row per (output, parameter) block; the scalar loss of ``check`` is the
case of one output. ``options`` are those of ``check``: h, scheme, margin, band_scale,
promote, seed. How blocks are laid out: ``blocks``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.engine import Settings, restores_rng, run_check
from ..core.flatten import flatten, leaves
from ..core.outputs import OutputSpec
from ..core.settings import DEFAULT_DIRECTIONS
from ..errors import InvalidProblemError
from ..report import Report
from .blocks import jacobian_matrix
from .calls import UserFunction, require_callable
from .derivatives import check_tolerance, derivative_eps, project, repeatability, settings_of


@restores_rng
def check_jacobian(
    f: Callable[[Any], Any], params: Any, jacobian: Any, *, nondet_tol: float = 0.0, **options: Any
) -> Report:
    """Check the Jacobian of an array- or structure-valued ``f`` at ``params``.

    Every perturbation evaluates all outputs at once: 2n + 1 evaluations of f (plus the
    probes) for n parameter elements, whatever the number of outputs.

    Example:
        >>> import numpy as np
        >>> A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        >>> report = check_jacobian(lambda x: np.tanh(A @ x), np.array([0.1, -0.2]),
        ...                         lambda x: (1 - np.tanh(A @ x) ** 2)[:, None] * A)
        >>> report.ok, [row.block for row in report.parameters]
        (True, ['out / params'])
    """
    return jacobian_report(f, params, jacobian, settings_of(options), check_tolerance(nondet_tol))


def jacobian_report(
    f: Callable[[Any], Any], params: Any, jacobian: Any, settings: Settings, tolerance: float = 0.0
) -> Report:
    """``check_jacobian`` from validated Settings: the path a framework adapter shares,
    supplying its own evaluator in ``settings.evaluator``."""
    require_callable(f, "f(params)")
    if settings.mode not in ("full", "directional"):
        raise InvalidProblemError(
            f"`mode` {settings.mode!r} is a gradient check's; check_jacobian takes 'full' or "
            "'directional' (random directions per tensor, each a column J v to compare)."
        )
    directions = None if settings.mode == "full" else settings.directions or DEFAULT_DIRECTIONS
    vector = flatten(params)
    problems, spread = [], 0.0
    user = (
        UserFunction(jacobian, "jacobian(params)", "check_jacobian") if callable(jacobian) else None
    )
    if user is not None:
        problems, spread = repeatability(
            params, vector, lambda: _dense(user(params)), tolerance, user
        )

    def analytic(spec: OutputSpec, directions: np.ndarray | None):
        given = jacobian if user is None else user(params)
        matrix = jacobian_matrix(given, spec, vector)
        return project(matrix, directions), derivative_eps(given)

    return run_check(
        f,
        params,
        analytic,
        settings,
        kind="jacobian",
        scalar=False,
        what="f",
        directions=directions,
        problems=tuple(problems),
        analytic_noise=spread,
    )


def _dense(structure: Any) -> np.ndarray:
    """Every number of a structure of arrays as one real vector (complex as re, im pairs),
    to compare two calls of a Jacobian function."""
    try:
        values = [np.ravel(np.asarray(v, dtype=complex)) for _, _, v in leaves(structure)]
    except (TypeError, ValueError):  # not numbers: reading the blocks names what it is
        return np.full(1, np.nan)
    return np.concatenate([v.view(float) for v in values]) if values else np.zeros(0)
