"""A JAX function under check as the core sees it: numpy leaves in, numpy outputs out.

``prepare`` reads the pytree (pytree.py) in the check's precision, calls the function once
at the given leaves (its outputs name the report's output blocks), and decides how the
core evaluates it: through one ``jax.jit(jax.vmap(...))`` executable (batched.py) or by
calling the function directly, one point after another (the core's in-place loop on our
numpy copies). ``batched="auto"`` compiles from AUTO_COORDINATES coordinates on, where
2n calls cost more than compiling (a few tenths of a second). A function that cannot be
traced (Python control flow on values, numpy calls on traced arrays), that gives other
values under jit than called directly, or that draws from a global random generator is
evaluated directly, with a note; the core then judges it as it would any function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import jax
import numpy as np

from ...checks.calls import add_note
from ...checks.derivatives import check_tolerance, settings_of
from ...core.rng import RngGuard
from ...core.settings import Settings
from ...errors import InvalidProblemError
from ...report import Report
from ..interrupt import Tally
from .batched import Batched, evaluator_factory
from .precision import Precision, precision_of
from .pytree import (
    Layout,
    from_real,
    key_names,
    layout_of,
    numpy_array,
    output_layout,
    real_numpy,
    real_vector,
    rebuild,
    said,
    tree_of,
)

AUTO_COORDINATES = 100  # batched="auto" compiles from this many coordinates of theta on
SETUP = "adapter_setup"  # the identifier of the adapter's own evaluations before the core's
BATCHED_CHOICES = (True, False, "auto")


@dataclass
class Problem:
    """The leaves (named numpy copies: what the core perturbs), the function as the core
    calls it, its traced form g: theta -> real outputs, and how it is evaluated."""

    layout: Layout
    params: dict[str, np.ndarray]
    outputs: Layout  # the function's outputs at the given leaves
    f: Callable[[Any], Any]
    g: Callable[[Any], Any]
    batched: Batched | None
    notes: list[str]
    setup: int  # evaluations made here, before the core's

    @property
    def eps(self) -> float:
        """The coarsest machine epsilon among the leaves and the float outputs: the
        rounding two modes of differentiation may differ by."""
        dtypes = [leaf.dtype for leaf in (*self.layout.leaves, *_inexact(self.outputs))]
        return float(max(np.finfo(d).eps for d in dtypes))

    def theta(self) -> np.ndarray:
        """The given leaves as theta, float64 real coordinates."""
        return real_numpy([self.params[name] for name in self.layout.names])

    def settings(self, settings: Settings) -> Settings:
        """The core's settings for this problem: the leaves are already in the check's
        dtype (no promotion), and the batched evaluator where there is one."""
        factory = evaluator_factory(self.batched) if self.batched is not None else None
        return replace(settings, promote=False, evaluator=factory)

    def finish(
        self,
        report: Report,
        notes: tuple[str, ...] = (),
        problems: tuple[str, ...] = (),
        extra: dict | None = None,
    ) -> Report:
        """The core's report with this adapter's notes, problems, evaluations and facts."""
        evaluations = {**report.evaluations, SETUP: self.setup}
        facts = {"batched": self.batched is not None, **(extra or {})}
        if self.batched is not None:
            facts |= {"chunk": self.batched.chunk, "calls": self.batched.calls}
        return replace(
            report,
            notes=(*report.notes, *self.notes, *notes),
            problems=(*report.problems, *problems),
            evaluations=evaluations,
            extra={**report.extra, "jax": facts},
        )


def batched_choice(batched: Any) -> Any:
    """Refuse a ``batched`` option other than True, False and "auto"."""
    if not any(batched is c or (isinstance(c, str) and batched == c) for c in BATCHED_CHOICES):
        raise InvalidProblemError(
            f"`batched` is {batched!r}; choose True (jax.jit(jax.vmap(...))), False (call the "
            "function point by point) or 'auto' (batched from "
            f"{AUTO_COORDINATES} coordinates on)."
        )
    return batched


def validated(
    dtype: Any, batched: Any, nondet_tol: float, options: dict[str, Any]
) -> tuple[Precision, Settings, float]:
    """The options every JAX check shares, validated: the precision ``dtype`` asks for,
    the core's Settings from ``options`` (``promote`` refused: ``dtype`` is it here), and
    the tolerance between two calls of the derivative."""
    precision = precision_of(dtype)
    batched_choice(batched)
    refuse_promote(options)
    return precision, settings_of(options), check_tolerance(nondet_tol)


def refuse_promote(options: dict[str, Any]) -> None:
    """The numpy check's ``promote`` is this adapter's ``dtype``: say so."""
    if "promote" in options:
        raise InvalidProblemError(
            "`promote` is the numpy check's option; here `dtype` chooses the precision "
            "(jnp.float64, the default, jnp.float32, or None for the leaves' own)."
        )


def numpy_output(y: Any) -> Any:
    """A function's output as the core reads it: a bare array, or a dict of arrays named
    by key path (``out[0]``, ``out['logits']``)."""
    named, treedef = key_names(y, "out")
    if jax.tree_util.treedef_is_leaf(treedef):
        return numpy_array(named[0][1])
    return {name: numpy_array(value) for name, value in named}


def prepare(
    function: Callable[[Any], Any],
    tree: Any,
    root: str | tuple[str, ...],
    precision: Precision,
    batched: Any,
    call: str,
    check: str,
    x64_before: bool,
    tally: Tally | None = None,
) -> Problem:
    """The Problem of ``function`` (of a pytree) at ``tree``; run inside precision.context().

    ``root`` names the leaves, ``call`` the function in messages ("loss(params)"), ``check``
    the public check ("check"); ``x64_before`` says whether x64 mode was on before it;
    ``tally`` counts the evaluations made here as they return (for a Ctrl-C)."""
    tally = Tally() if tally is None else tally
    before = tally.made
    layout, params = layout_of(tree, root, precision.dtype_of, "parameter")
    names = layout.names

    def direct(live: Any) -> Any:
        return numpy_output(function(rebuild(layout, [live[name] for name in names])))

    try:
        y0 = function(rebuild(layout, [params[name] for name in names]))
    except Exception as error:
        add_note(error, f"gradient_check.jax.{check} called `{call}` at the given parameters")
        raise
    tally.made += 1
    outputs = output_layout(y0, "out")
    out_dtype = np.result_type(np.float32, *(np.finfo(o.dtype).dtype for o in _inexact(outputs)))

    def g(theta: Any) -> Any:
        return real_vector(jax.tree_util.tree_leaves(function(tree_of(layout, theta))), out_dtype)

    dtypes = {str(leaf.dtype) for leaf in layout.leaves}
    notes = [precision.note(dtypes, x64_before)]
    if layout.fixed:
        more = f" and {len(layout.fixed) - 4} more" if len(layout.fixed) > 4 else ""
        listed = ", ".join(f"`{name}`" for name in layout.fixed[:4]) + more
        notes.append(f"held fixed, not being floating-point: {listed}")
    wanted = batched is True or (batched == "auto" and layout.size >= AUTO_COORDINATES)
    fast = None
    if wanted:
        fast, note = _batch(function, layout, params, y0, g, outputs, call, tally)
        notes.append(note)
    setup = tally.made - before
    if fast is None:
        return Problem(layout, params, outputs, direct, g, None, notes, setup)

    def through_batched(live: Any) -> Any:
        values = fast.theta(real_numpy([live[name] for name in names]))
        arrays = from_real(outputs, values)
        if jax.tree_util.treedef_is_leaf(outputs.treedef):
            return arrays[0]
        return {leaf.name: a for leaf, a in zip(outputs.leaves, arrays, strict=True)}

    return Problem(layout, params, outputs, through_batched, g, fast, notes, setup)


def _inexact(outputs: Layout) -> list[Any]:
    return [o for o in outputs.leaves if o.dtype.kind in "fc"]


def _batch(
    function: Callable[[Any], Any],
    layout: Layout,
    params: dict[str, np.ndarray],
    y0: Any,
    g: Callable[[Any], Any],
    outputs: Layout,
    call: str,
    tally: Tally,
) -> tuple[Batched | None, str]:
    """The Batched g, or None, and the note saying which and why; ``tally`` counts the
    evaluations made."""
    name = call.split("(")[0]
    if len(_inexact(outputs)) != len(outputs.leaves):
        return None, f"`{name}` returns non-float outputs: evaluated point by point"
    first = real_numpy([numpy_array(v) for v in jax.tree_util.tree_leaves(y0)])
    with RngGuard() as guard:  # the user's generator states come back as they were
        again = function(rebuild(layout, [params[n] for n in layout.names]))
        tally.made += 1
        drew = guard.changed()
    again = real_numpy([numpy_array(v) for v in jax.tree_util.tree_leaves(again)])
    if drew or not np.array_equal(first, again, equal_nan=True):
        why = "draws from a global random generator" if drew else "gave two different values"
        return None, f"`{name}` {why}: evaluated point by point, as called"
    theta = real_numpy([params[n] for n in layout.names]).astype(layout.real_dtype)
    try:
        fast = Batched(g, theta, outputs.size)
        seen = fast.theta(theta)
    except Exception as error:  # whatever tracing raises; KeyboardInterrupt propagates
        failed = f"jax.jit(jax.vmap({name})) failed ({said(error)})"
        return None, f"{failed}: evaluated point by point"
    tally.made += 1
    eps = max(float(np.finfo(o.dtype).eps) for o in outputs.leaves)
    scale = max(float(np.max(np.abs(first))), np.finfo(float).tiny)
    # jit may reorder sums, changing values by some roundings; more than sqrt(eps) of f is
    # a function that computes something else when traced
    if not np.all(np.abs(seen - first) <= np.sqrt(eps) * scale):
        worst = float(np.max(np.abs(seen - first)))
        return (
            None,
            f"jax.jit(jax.vmap({name})) differs from calling it by {worst:.2e} (Python code "
            "that depends on values or state): evaluated point by point, as called",
        )
    return fast, f"evaluated with jax.jit(jax.vmap({name})), {fast.chunk} points a call"
