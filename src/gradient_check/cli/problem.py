"""What a user's FUNC returns, read as a problem and checked: ``gradient-check check``.

FUNC returns ``(loss, params, grads)`` for a gradient, or a mapping that names its kind and
gives its pieces by the argument names of the check it goes to::

    {"kind": "gradient", "loss": ..., "params": ..., "grads": ...}        check
    {"kind": "jacobian", "f": ..., "params": ..., "jacobian": ...}        check_jacobian
    {"kind": "vjp", "f": ..., "params": ..., "vjp": ...}                  check_vjp
    {"kind": "jvp", "f": ..., "params": ..., "jvp": ...}                  check_jvp
    {"kind": "hessian", "loss": ..., "params": ..., "grad": ..., "hessian" or "hvp": ...}
    {"kind": "torch", "model": ..., "loss": ...}        gradient_check.torch.check_module
    {"kind": "jax", "loss": ..., "params": ..., "grads": ... (optional)}  gradient_check.jax.check

Any other key must be one of that check's keyword options (``mode``, ``nondet_tol``, ``h``
...); the command line's own options (``--h``, ``--scheme``, ``--seed``, ``--margin``) win
over the mapping's.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..checks.derivatives import OPTION_DEFAULTS
from ..checks.gradient import check
from ..checks.hessian import check_hessian
from ..checks.jacobian import check_jacobian
from ..checks.products import check_jvp, check_vjp
from ..checks.sweep import Sweep, sweep
from ..errors import MissingDependencyError
from ..report import Report
from .failures import NotChecked
from .target import load_problem

SHAPE_HINT = (
    "return (loss, params, grads), or a mapping with 'kind' (gradient, jacobian, vjp, jvp, "
    "hessian, torch or jax) and the check's arguments by name"
)


@dataclass(frozen=True)
class Kind:
    """A kind of problem: the pieces it needs (in the order its check takes them), the
    ones it may have, and the check (or the adapter's module and function, loaded late)."""

    needs: tuple[str, ...]
    check: Callable[..., Report] | None = None
    adapter: tuple[str, str] | None = None  # (module of gradient_check, function)
    extra: str = ""  # what to install for it, named in the error when it is missing

    def function(self) -> Callable[..., Report]:
        """The check this kind goes to; an adapter is imported now, not before."""
        if self.check is not None:
            return self.check
        module, name = self.adapter
        try:
            loaded = importlib.import_module(f"gradient_check.{module}")
        except MissingDependencyError as error:  # its message names the extra
            raise NotChecked(str(error)) from error
        except ModuleNotFoundError as error:
            if error.name and error.name.startswith("gradient_check"):
                raise NotChecked(
                    f"this version of gradient_check has no {module} adapter "
                    f"(gradient_check.{module}); upgrade gradient-check, or return the "
                    "problem as numpy functions and arrays"
                ) from error
            raise NotChecked(
                f"the {module} adapter needs {error.name}, which is not installed; install "
                f"it with: pip install 'gradient-check[{self.extra}]'"
            ) from error
        function = getattr(loaded, name, None)
        if function is None:
            raise NotChecked(
                f"gradient_check.{module} has no {name}(); upgrade gradient-check, or return "
                "the problem as numpy functions and arrays"
            )
        return function


KINDS = {
    "gradient": Kind(("loss", "params", "grads"), check),
    "jacobian": Kind(("f", "params", "jacobian"), check_jacobian),
    "vjp": Kind(("f", "params", "vjp"), check_vjp),
    "jvp": Kind(("f", "params", "jvp"), check_jvp),
    "hessian": Kind(("loss", "params", "grad"), check_hessian),
    "torch": Kind(("model", "loss"), adapter=("torch", "check_module"), extra="torch"),
    "jax": Kind(("loss", "params"), adapter=("jax", "check"), extra="jax"),
}


@dataclass(frozen=True)
class Problem:
    """A problem read from FUNC: its kind, its pieces in order, its options by name."""

    kind: str
    pieces: tuple[Any, ...]
    options: dict[str, Any]


def read_problem(value: Any, source: str) -> Problem:
    """The problem FUNC (named ``source``) returned, or a one-line error saying what to
    return instead."""
    if isinstance(value, tuple) and len(value) == 3:
        return Problem("gradient", value, {})
    if not isinstance(value, Mapping):
        got = f"a tuple of {len(value)}" if isinstance(value, tuple) else type(value).__name__
        raise NotChecked(f"{source} returned {got}; {SHAPE_HINT}")
    kind = value.get("kind", "gradient")
    if kind not in KINDS:
        raise NotChecked(
            f"{source} returned kind {kind!r}; choose one of {', '.join(KINDS)} (or leave "
            "'kind' out for a gradient)"
        )
    needs = KINDS[kind].needs
    missing = [name for name in needs if name not in value]
    if missing:
        raise NotChecked(
            f"{source} returned a {kind} problem without {', '.join(map(repr, missing))}; a "
            f"{kind} problem needs {', '.join(map(repr, needs))}"
        )
    options = {k: v for k, v in value.items() if k != "kind" and k not in needs}
    return Problem(kind, tuple(value[name] for name in needs), options)


def keyword_options(function: Callable[..., Any], pieces: int) -> set[str] | None:
    """The keyword options ``function`` takes after its first ``pieces`` arguments; None
    when it takes any (an adapter with ``**options`` passes them on)."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return None
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    names = {p.name for p in parameters[pieces:] if p.kind in named}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        # the checks' own **options are check's (h, scheme, ...); an adapter's pass on
        ours = function.__module__.startswith("gradient_check.checks")
        return names | set(OPTION_DEFAULTS) if ours else None
    return names


def merged_options(
    function: Callable[..., Any], problem: Problem, options: dict[str, Any], source: str
) -> dict[str, Any]:
    """The problem's own options and the command line's ``options`` (these win), refusing
    one that ``function`` does not take."""
    known = keyword_options(function, len(problem.pieces))
    unknown = sorted(set(problem.options) - known) if known is not None else []
    if unknown:
        raise NotChecked(
            f"{source} returned {', '.join(map(repr, unknown))}, which {function.__name__} "
            f"does not take; its options are {', '.join(sorted(known))}"
        )
    return {**problem.options, **options}


def run_problem(problem: Problem, options: dict[str, Any], source: str) -> Report:
    """Check ``problem`` by the check of its kind, with its options and ``options``."""
    function = KINDS[problem.kind].function()
    return function(*problem.pieces, **merged_options(function, problem, options, source))


def sweep_target(target: str, options: dict[str, Any]) -> Sweep:
    """Sweep the step for the gradient problem that ``target``'s FUNC returns (its grads
    may be None: the sweep then measures against Richardson's extrapolation)."""
    source = f"{target}()"
    problem = read_problem(load_problem(target), source)
    if problem.kind != "gradient":
        raise NotChecked(
            f"{source} returned a {problem.kind} problem; sweep --target sweeps a gradient: "
            "return (loss, params, grads), grads None for Richardson's reference"
        )
    return sweep(*problem.pieces, **merged_options(sweep, problem, options, source))
