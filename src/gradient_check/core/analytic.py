"""The analytic side of a check: the derivative the user's code claims, as rows.

Every check hands the engine one callback,

    analytic(spec, directions) -> (matrix, eps)

where ``spec`` names f's m real outputs and ``directions`` is None (check every
coordinate: ``matrix`` is dF/dtheta, shape (m, n)) or a (k, n) matrix of random tangents
(``matrix`` is dF/dtheta projected on them, shape (m, k)); ``eps`` is the machine epsilon of
the derivative's dtype, which sets its own rounding. A gradient is one row, a VJP builds
rows, a JVP columns, a Hessian is the Jacobian of a gradient: so a framework adapter only
has to supply this callback (and, for the other side, an ``Evaluator``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .evaluate import check_unchanged, guard_parameters
from .flatten import ParameterVector
from .outputs import OutputSpec
from .workspace import Workspace

# analytic(spec, directions) -> (dF/dtheta as (outputs, coordinates), or projected on the
# directions as (outputs, directions); the machine epsilon of the derivative's dtype)
AnalyticFn = Callable[[OutputSpec, np.ndarray | None], tuple[np.ndarray, float]]


def analytic_rows(
    analytic: AnalyticFn,
    params: Any,
    vector: ParameterVector,
    workspace: Workspace,
    spec: OutputSpec,
    directions: np.ndarray | None,
) -> tuple[np.ndarray, float]:
    """The derivative as rows (probes, outputs) of float64, and its dtype's eps.

    The callback runs on the user's own parameters, which it must not write (a write is
    undone and refused), nor touch the workspace's.
    """
    with guard_parameters(params, vector, "the derivative"):
        matrix, eps = analytic(spec, directions)
    rows = np.ascontiguousarray(np.asarray(matrix, dtype=np.float64).T)  # (probes, outputs)
    check_unchanged(workspace, "the derivative")
    return rows, eps
