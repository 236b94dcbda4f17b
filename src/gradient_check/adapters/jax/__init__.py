"""JAX plugged into the engine: pytrees by key path, functions by argument, and a drop-in
for ``jax.test_util.check_grads``.

The adapter only supplies evaluations (the function at numpy copies of the leaves,
batched with ``jax.jit(jax.vmap(...))`` where it can be) and analytic derivatives (from
``jax.grad``, ``jax.vjp`` and ``jax.jvp``, so ``custom_vjp`` and ``custom_jvp`` rules are
what gets checked); flattening, estimating, judging and reporting are the core's. One job
per module:

    pytree     leaves named by key path, numpy copies, rebuilt for the function; theta
               (real coordinates) <-> pytrees inside traced code
    precision  the dtype a check evaluates in: float64 under jax's x64 mode, or the user's
    problem    a function under check as the core sees it: its numpy form, the batched
               evaluator or the loop, and the notes on both
    batched    the jit(vmap) Evaluator, in chunks bounded by memory
    jacobians  Jacobians by VJP rows, JVP or linearize columns; two modes compared
    forward    the forward-mode cross-check of a gradient
    check      check: a loss of a pytree
    function   check_function: the Jacobian of a function of arguments
    dropin     check_grads, jax.test_util's signature, our evidence

Importing any of them without JAX installed raises MissingDependencyError naming the extra.
"""

from __future__ import annotations

from ...errors import MissingDependencyError

INSTALL = 'pip install "gradient-check[jax]"'

try:
    import jax  # noqa: F401  (the one place that says what is missing)
except ImportError as error:
    raise MissingDependencyError(
        f"gradient_check.jax needs JAX, which is not installed ({error}). Install it with: "
        f"{INSTALL}"
    ) from error
