"""``check_function``: the Jacobian of a JAX function of several arguments, every element.

The arguments (each any pytree) are the parameters, named by the function's own argument
names and key paths (``x``, ``params['w']``); the outputs (an array or any pytree) by
``out`` and key path (``out[0]``, ``out['logits']``). The Jacobian checked is built by
rows from ``jax.vjp``; ``jax.jvp`` builds it again by columns, and the two are compared to
rounding, so a custom rule wrong in one mode only is caught and named either way.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ...checks.calls import add_note, require_callable
from ...checks.jacobian import jacobian_report
from ...core.rng import restores_rng
from ...errors import InvalidProblemError
from ...report import Report
from ..interrupt import interruptible
from .jacobians import NAMES, Jacobians, compare_modes, mode_choice
from .precision import x64_enabled
from .problem import prepare, validated


@restores_rng
def check_function(
    f: Callable[..., Any],
    *args: Any,
    argnums: int | Sequence[int] | None = None,
    modes: Sequence[str] = ("rev", "fwd"),
    dtype: Any = np.float64,
    batched: bool | str = "auto",
    nondet_tol: float = 0.0,
    **options: Any,
) -> Report:
    """Check the Jacobian of ``f(*args)`` with respect to its arguments, every element.

    Every perturbation of one argument element evaluates all outputs at once: 2n + 1
    evaluations of f (plus the probes) for n argument elements. The Jacobian checked comes
    from the first of ``modes`` ("rev" where given: one ``jax.vjp`` per output); each other
    mode ("fwd": one ``jax.jvp`` per coordinate; "lin": ``jax.linearize``) must agree with
    it to rounding, or the report fails with a problem naming the elements. A function
    without a forward mode (``custom_vjp``) is noted, not failed.

    Arguments:
        f: a JAX function of the arguments, returning an array or a pytree of arrays.
        args: the point: arrays or pytrees of float (or complex) leaves. Never changed.
        argnums: which arguments are differentiated (as ``jax.jacobian``'s); the others are
            held fixed. All of them by default.
        modes: "rev", "fwd", "lin", as in ``jax.test_util.check_grads``.
        dtype: as in ``gradient_check.jax.check``.
        batched: as in ``gradient_check.jax.check``.
        nondet_tol: as in ``gradient_check.jax.check``.
        **options: as in ``gradient_check.jax.check`` (h, margin, seed, ...).

    Returns:
        A ``Report`` with one row per (output, argument leaf) block: ``out / x``.
    """
    require_callable(f, f"f({', '.join(f'args[{i}]' for i in range(max(1, len(args))))})")
    precision, settings, tolerance = validated(dtype, batched, nondet_tol, options)
    modes = mode_choice(modes)
    which = _argnums(argnums, len(args))
    names = argument_names(f, len(args))
    fixed = list(args)

    def function(tree: Any) -> Any:
        full = list(fixed)
        for k, i in enumerate(which):
            full[i] = tree[k]
        return f(*full)

    roots = tuple(names[i] for i in which)
    x64_before = x64_enabled()
    with interruptible() as tally, precision.context():  # Ctrl-C: after x64 is restored
        problem = prepare(
            function,
            tuple(args[i] for i in which),
            roots,
            precision,
            batched,
            "f(*args)",
            "check_function",
            x64_before,
            tally,
        )
        theta = problem.theta().astype(problem.layout.real_dtype)
        jacobians = Jacobians(problem.g, theta, problem.outputs.size)
        derivative = _Derivative(jacobians, modes[0])
        report = jacobian_report(
            problem.f, problem.params, derivative, problem.settings(settings), tolerance
        )
        tally.report = report
        notes, problems, facts = compare_modes(
            derivative.last,
            modes,
            jacobians.of,
            problem.outputs,
            problem.layout,
            problem.eps,
            set(report.wrong),
        )
        notes = (f"the Jacobian checked is {NAMES[modes[0]]}'s, of f", *notes)
        return problem.finish(report, notes, problems, {"modes": facts})


def argument_names(f: Callable[..., Any], count: int) -> list[str]:
    """The names of f's first ``count`` positional arguments, from its signature where it
    has them (``x``, ``params``), else ``args[i]``."""
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    names = []
    for i in range(count):
        named = i < len(parameters) and parameters[i].kind in positional
        names.append(parameters[i].name if named else f"args[{i}]")
    return names


def _argnums(argnums: Any, count: int) -> tuple[int, ...]:
    """``argnums`` as a tuple of distinct argument positions (every argument for None)."""
    if count == 0:
        raise InvalidProblemError("`check_function(f, *args)` needs at least one argument.")
    if argnums is None:
        return tuple(range(count))
    listed = (argnums,) if isinstance(argnums, (int, np.integer)) else tuple(argnums)
    whole = all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in listed)
    if not listed or not whole or len(set(listed)) != len(listed):
        raise InvalidProblemError(
            f"`argnums` is {argnums!r}; give an argument's position or distinct positions."
        )
    if any(not -count <= i < count for i in listed):
        raise InvalidProblemError(
            f"`argnums` is {argnums!r}, but f gets {count} argument(s) (positions 0 to "
            f"{count - 1})."
        )
    return tuple(int(i) % count for i in listed)


class _Derivative:
    """The Jacobian checked as the core takes it: a function of the named leaves (the core
    calls it at the given point: twice to see it is repeatable, once to read it), whose
    errors say which mode raised; ``last`` is what it returned last."""

    def __init__(self, jacobians: Jacobians, mode: str) -> None:
        self.jacobians, self.mode = jacobians, mode
        self.last = np.zeros(0)

    def __call__(self, _params: Any) -> np.ndarray:
        try:
            self.last = self.jacobians.of(self.mode)
        except Exception as error:
            add_note(error, f"gradient_check.jax took f's Jacobian by {NAMES[self.mode]}")
            raise
        return self.last
