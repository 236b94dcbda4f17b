"""gradient_check: is your gradient code right, and if not, exactly where is it wrong?

Compares analytic derivatives with finite differences, the way the gradient-checking texts
teach it (the relative difference and its four bands), and backs every verdict with an
estimate of the finite difference's own error. Only numpy is needed here; the command
line, plots and framework adapters import their libraries lazily.
"""

from __future__ import annotations

from . import render  # noqa: F401  (registers the table that print(report) shows)
from .adapters import executors  # noqa: F401  (registers the evaluator of check(executor=...))
from .checks.gradient import assert_gradients_close, check
from .checks.hessian import check_hessian
from .checks.jacobian import check_jacobian
from .checks.numeric import Derivative, derivative, numerical_gradient, richardson_derivative
from .checks.products import check_jvp, check_vjp
from .checks.sweep import Sweep, SweepPoint, sweep
from .core.bands import Verdict, depth_allowance, relative_difference, verdict_of
from .core.flatten import ParameterVector, Slot, flatten
from .core.match import flatten_like
from .core.schemes import BACKWARD, CENTRAL, FIVE_POINT, FORWARD, Scheme
from .core.steps import AUTO, Step, absolute, relative
from .errors import (
    CheckInterrupted,
    GradientCheckError,
    InvalidProblemError,
    LossError,
    MissingDependencyError,
    StepError,
    StochasticLossError,
)
from .report import Element, Evidence, Outcome, Report, Row

__all__ = [
    "AUTO",
    "BACKWARD",
    "CENTRAL",
    "FIVE_POINT",
    "FORWARD",
    "CheckInterrupted",
    "Derivative",
    "Element",
    "Evidence",
    "GradientCheckError",
    "InvalidProblemError",
    "LossError",
    "MissingDependencyError",
    "MutantOutcome",
    "MutationError",
    "MutationReport",
    "Outcome",
    "ParameterVector",
    "Report",
    "Row",
    "Scheme",
    "Slot",
    "Step",
    "StepError",
    "StochasticLossError",
    "Sweep",
    "SweepPoint",
    "Verdict",
    "absolute",
    "assert_gradients_close",
    "check",
    "check_hessian",
    "check_jacobian",
    "check_jvp",
    "check_vjp",
    "depth_allowance",
    "derivative",
    "flatten",
    "flatten_like",
    "generate_mutants",
    "mutation_test",
    "mutation_test_network",
    "numerical_gradient",
    "relative",
    "relative_difference",
    "richardson_derivative",
    "run_mutation_test",
    "sweep",
    "verdict_of",
]
__version__ = "0.1.0"

# Mutation testing needs ast and inspect, which a gradient check never uses: its names
# load on first use.
_LAZY = {
    "MutationError": "mutation.errors",
    "MutationReport": "mutation.report",
    "MutantOutcome": "mutation.report",
    "generate_mutants": "mutation.mutants",
    "run_mutation_test": "mutation.run",
    "mutation_test": "mutation.judge",
    "mutation_test_network": "mutation.judge",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
