"""``check``: the gradient of a JAX loss of any pytree, checked element by element.

The loss is evaluated at numpy copies of the leaves (float64 under jax's x64 mode by
default), perturbed by the core one element at a time (batched with jit and vmap where
the loss allows); the gradient is ``jax.grad(loss)`` at the same leaves, unless given, so
the ``custom_vjp`` and ``custom_jvp`` rules inside the loss are what gets checked. Rows
are named by key path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from ...checks.calls import require_callable
from ...checks.gradient import gradient_report
from ...core.rng import restores_rng
from ...errors import LossError
from ...report import Report
from ..interrupt import interruptible
from .forward import forward_check, forward_choice
from .precision import x64_enabled
from .problem import Problem, prepare, validated
from .pytree import Layout, assemble, flat_leaves, real_numpy, rebuild


@restores_rng
def check(
    loss: Callable[[Any], Any],
    params: Any,
    grads: Any = None,
    *,
    dtype: Any = np.float64,
    forward: bool | int = False,
    batched: bool | str = "auto",
    nondet_tol: float = 0.0,
    **options: Any,
) -> Report:
    """Check the gradient of ``loss`` at the pytree ``params``, every element of it.

    Each element's central difference (L(theta + h e_i) - L(theta - h e_i)) / 2h is
    compared with the gradient against its own estimated error (the core's check, with
    its outcome and table); rows are the leaves, named by key path
    (``params['dense']['kernel']``, ``params.w``, ``params[0]``).

    Arguments:
        loss: ``loss(params) -> scalar``, a JAX function; deterministic.
        params: any pytree of float (or complex) arrays and scalars: nested dicts, lists,
            tuples, NamedTuples, registered dataclasses and nodes. Never changed.
        grads: None (the default) for ``jax.grad(loss)(params)``, so that the custom
            rules inside the loss are checked; or the gradient to check, a pytree like
            ``params`` (JAX's convention for complex leaves: the conjugate), or a function
            ``params -> grads``.
        dtype: ``jnp.float64`` (the default) evaluates float64 copies of the leaves with
            jax's x64 mode on for the check (and restored after); ``None`` keeps the
            precision JAX computes the leaves in (float32 without x64 mode), for a loss
            that exists only there; ``jnp.float32`` casts to float32. The report's notes
            say which.
        forward: True adds a forward-mode cross-check: ``jax.jvp`` along every coordinate
            against the gradient; a number k, along k random directions. A disagreement
            fails the check as a problem, named.
        batched: evaluate the perturbed points with ``jax.jit(jax.vmap(loss))`` (True),
            by calling the loss point by point (False), or "auto": batched from 100
            coordinates on. A loss that cannot be traced falls back to point by point,
            with a note.
        nondet_tol: how far two calls of the gradient may differ.
        options: the core's ``h``, ``scheme``, ``margin``, ``band_scale``, ``seed``.

    Returns:
        A ``Report``: ``report.ok`` is the verdict, ``print(report)`` the table.

    Example:
        >>> import jax.numpy as jnp
        >>> from gradient_check.jax import check
        >>> report = check(lambda p: jnp.sum(jnp.tanh(p["w"]) ** 2), {"w": jnp.array([0.5, -1.0])})
        >>> report.ok, [row.name for row in report.parameters]
        (True, ["params['w']"])
    """
    precision, settings, tolerance = validated(dtype, batched, nondet_tol, options)
    directions = forward_choice(forward)
    require_callable(loss, "loss(params)")
    if grads is not None and callable(grads):
        require_callable(grads, "grads(params)")
    x64_before = x64_enabled()
    with interruptible() as tally, precision.context():  # Ctrl-C: after x64 is restored
        problem = prepare(
            loss, params, "params", precision, batched, "loss(params)", "check", x64_before, tally
        )
        _require_scalar(problem)
        analytic, source = _gradient(loss, grads, problem.layout, problem.batched is not None)
        report = gradient_report(
            problem.f,
            problem.params,
            analytic,
            problem.settings(settings),
            tolerance=tolerance,
            convention="jax",
        )
        tally.report = report
        notes, problems, facts = (source,), (), {}
        if directions is not False:
            given = analytic(problem.params) if callable(analytic) else analytic
            found = forward_check(
                problem.g,
                _theta(problem),
                _real_gradient(given, problem.layout),
                problem.layout,
                directions,
                settings.seed,
                problem.eps,
                set(report.wrong),
            )
            notes, problems, facts = (*notes, *found[0]), found[1], found[2]
        return problem.finish(report, notes, problems, facts)


def _require_scalar(problem: Problem) -> None:
    """A loss returns one real number: say so before differentiating it."""
    leaves = problem.outputs.leaves
    if len(leaves) != 1 or leaves[0].size != 1 or leaves[0].dtype.kind != "f":
        shape = ", ".join(f"{o.name} {o.shape} {o.dtype}" for o in leaves[:3]) or "nothing"
        raise LossError(
            f"`loss` must return a real scalar; got {shape}. Reduce it with .sum() or .mean(), "
            "or check a vector-valued function with gradient_check.jax.check_function."
        )


def _gradient(
    loss: Callable[[Any], Any], grads: Any, layout: Layout, compiled: bool
) -> tuple[Any, str]:
    """The gradient as the core takes it (a function of the named numpy leaves, or those
    leaves), and the note saying where it came from. ``jax.grad(loss)`` is compiled with
    jit where the loss is evaluated compiled, and called as it is otherwise (or where jit
    fails)."""

    def named(values: list[Any]) -> dict[str, np.ndarray]:
        return {name: np.asarray(v) for name, v in zip(layout.names, values, strict=True)}

    def tree(params: dict[str, np.ndarray]) -> Any:
        return rebuild(layout, [params[name] for name in layout.names])

    if grads is None:
        # with respect to the floating leaves, the others held fixed (equinox.filter_grad)
        scalar = jax.grad(lambda floats: jax.numpy.reshape(loss(assemble(layout, floats)), ()))
        fast = [jax.jit(scalar)] if compiled else []

        def gradient(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            floats = [jax.numpy.array(params[name]) for name in layout.names]
            if fast:
                try:
                    return named(fast[0](floats))
                except Exception:  # not traceable: as called, from now on
                    fast.clear()
            return named(scalar(floats))

        note = "the gradient checked is jax.grad(loss): the custom_vjp and custom_jvp rules "
        note += "inside the loss are what is checked"
        return gradient, note
    if callable(grads):
        return (lambda params: named(flat_leaves(layout, grads(tree(params)), "grads(params)"))), (
            "the gradient checked is grads(params), as given"
        )
    return named(flat_leaves(layout, grads, "grads")), "the gradient checked is grads, as given"


def _real_gradient(given: dict[str, np.ndarray], layout: Layout) -> np.ndarray:
    """The gradient in real coordinates: JAX's conjugate for complex leaves undone, so that
    it is d/dRe, d/dIm, what a JVP along a real coordinate measures."""
    arrays = []
    for leaf in layout.leaves:
        value = np.asarray(given[leaf.name])
        arrays.append(np.conj(value) if leaf.is_complex else value)
    return real_numpy(arrays)


def _theta(problem: Problem) -> np.ndarray:
    """theta in the dtype the traced function takes it."""
    return problem.theta().astype(problem.layout.real_dtype)
