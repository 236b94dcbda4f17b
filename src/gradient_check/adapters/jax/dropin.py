"""``check_grads``: a drop-in for ``jax.test_util.check_grads`` that checks every element.

Same signature, same failure (an AssertionError), different check. JAX's compares each
mode along ONE random direction: a JVP against a numerical JVP, and a VJP's projection
against it, within atol/rtol tolerances, at a step eps = 1e-4. Ours checks every element
of the Jacobian of f (``check_function``: the VJP rows against central differences, each
element against its own estimated error, and the JVP columns against those to rounding),
and at order 2 and above the Jacobians of the functions JAX differentiates there: the JVP
map (primals, tangents) -> jvp(f, primals, tangents), and the VJP map
args -> vjp(f, *args)(f(*args)). The message is the failing check's report.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import jax
import numpy as np

from ...errors import GradientCheckError, InvalidProblemError
from ...report import Outcome, Report
from .function import check_function
from .jacobians import mode_choice


class CheckGradsError(GradientCheckError, AssertionError):
    """``check_grads`` failed: the message is the failing check's headline and table;
    ``report`` is that check's Report, ``reports`` every one made up to it."""

    def __init__(self, message: str, report: Report, reports: tuple[Report, ...]) -> None:
        super().__init__(message)
        self.report, self.reports = report, reports


def check_grads(
    f: Callable[..., Any],
    args: Sequence[Any],
    order: int,
    modes: Sequence[str] = ("fwd", "rev"),
    atol: Any = None,
    rtol: Any = None,
    eps: float | None = None,
    *,
    dtype: Any = np.float64,
    **options: Any,
) -> tuple[Report, ...]:
    """Check the derivatives of ``f(*args)`` up to ``order``; raise CheckGradsError (an
    AssertionError) with the report of the first that fails.

    What it checks, beside ``jax.test_util.check_grads``: JAX's takes one random tangent
    and cotangent per mode and compares projections within a tolerance; this checks every
    element of every Jacobian, each against the finite difference's own error estimate,
    in float64 by default (``dtype=None`` keeps the arguments' precision). Order k checks
    f, then (for "fwd" and "lin") the JVP map of f and (for "rev") its VJP map at order
    k - 1, as JAX does.

    Arguments:
        f: the function, as JAX's.
        args: its arguments, as JAX's.
        order: how many times to differentiate, as JAX's.
        modes: among "fwd", "rev", "lin", as JAX's.
        atol: honoured as a second reading only: where the caller's tolerance (per
            element, on each block's largest difference) and the evidence disagree, the
            report's notes say so; the outcome is the evidence's.
        rtol: as ``atol``.
        eps: the finite-difference step, absolute, as JAX's; None chooses it per element.
        dtype: as ``gradient_check.jax.check_function``'s.
        **options: as ``gradient_check.jax.check_function``'s (h, margin, seed, ...).

    Returns:
        The reports, one per function checked (f first), when every one passes.
    """
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise InvalidProblemError(f"`order` is {order!r}; give a whole number >= 1.")
    modes = mode_choice(modes)
    for value, name in ((atol, "atol"), (rtol, "rtol")):
        _tolerance(value, name)  # a bad one is refused before anything runs
    if eps is not None:
        if "h" in options:
            raise InvalidProblemError("give the step as `eps` or as `h`, not both.")
        options["h"] = eps
    reports: list[Report] = []
    for label, function, point in _levels(f, tuple(args), int(order), modes, "f", 1):
        report = check_function(function, *point, modes=modes, dtype=dtype, **options)
        report = _with_tolerance(report, atol, rtol)
        reports.append(report)
        if not report.ok:
            raise CheckGradsError(
                f"check_grads failed at {label}: {report.headline}\n\n{report}",
                report,
                tuple(reports),
            )
    return tuple(reports)


def _levels(
    f: Callable[..., Any], args: tuple, order: int, modes: tuple[str, ...], name: str, level: int
) -> list[tuple[str, Callable[..., Any], tuple]]:
    """(label, function, arguments) for every function whose Jacobian is checked, as JAX's
    recursion visits them; the label says which derivative of f it is ("order 2: the
    Jacobian of the JVP of f")."""
    found = [(f"order {level}: the Jacobian of {name}", f, args)]
    if order == 1:
        return found
    if "fwd" in modes:
        found += _levels(
            functools.partial(jax.jvp, f),
            (args, args),
            order - 1,
            modes,
            f"JVP of {name}",
            level + 1,
        )
    if "lin" in modes:
        found += _levels(
            functools.partial(_jvp_by_linearize, f),
            (args, args),
            order - 1,
            modes,
            f"linearized JVP of {name}",
            level + 1,
        )
    if "rev" in modes:

        @functools.wraps(f)  # its arguments keep f's names
        def vjp_of(*point: Any) -> Any:
            out, pullback = jax.vjp(f, *point)
            return pullback(out)

        found += _levels(vjp_of, args, order - 1, modes, f"VJP of {name}", level + 1)
    return found


def _jvp_by_linearize(f: Callable[..., Any], primals: tuple, tangents: tuple) -> Any:
    out, linear = jax.linearize(f, *primals)
    return out, linear(*tangents)


def _with_tolerance(report: Report, atol: Any, rtol: Any) -> Report:
    """The report with a note wherever the caller's atol/rtol, read per element on each
    block's largest difference, disagree with the evidence."""
    if atol is None and rtol is None:
        return report
    a, r = _tolerance(atol, "atol"), _tolerance(rtol, "rtol")
    notes = []
    for row in report.parameters:
        allowed = a + r * abs(row.worst_numeric)
        passes_tolerance = row.max_abs_error <= allowed
        if passes_tolerance != (row.outcome is Outcome.PASS):
            verb = "pass" if passes_tolerance else "fail"
            notes.append(
                f"the caller's tolerance (atol={a:g}, rtol={r:g}, per element) would {verb} "
                f"`{row.block}` (largest difference {row.max_abs_error:.2e}, allowed "
                f"{allowed:.2e}), where the evidence says {row.outcome.value}"
            )
    return replace(report, notes=(*report.notes, *notes)) if notes else report


def _tolerance(value: Any, name: str) -> float:
    """A tolerance as JAX takes it (a number, or a dict by dtype: its largest) as a float."""
    if value is None:
        return 0.0
    if isinstance(value, dict):
        value = max(value.values(), default=0.0)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or value < 0:
        raise InvalidProblemError(f"`{name}` is {value!r}; give a number >= 0 (or None).")
    return float(value)
