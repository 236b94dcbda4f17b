"""gradient_check for JAX: pytrees by key path, custom_vjp and custom_jvp rules checked
element by element, and a drop-in for ``jax.test_util.check_grads``.

    from gradient_check.jax import check, check_function, check_grads

    report = check(loss, params)              # the gradient jax.grad(loss) gives, checked
    report = check_function(f, x, y)          # the Jacobian of f by VJPs, JVPs beside it
    check_grads(f, (x,), order=2)             # raises AssertionError with our report

Float64 by default (jax's x64 mode on for the check, then restored); ``dtype=None`` keeps
the leaves' own precision. Importing this module without JAX raises
MissingDependencyError naming ``pip install "gradient-check[jax]"``.
"""

from __future__ import annotations

from .adapters.jax.check import check
from .adapters.jax.dropin import CheckGradsError, check_grads
from .adapters.jax.function import check_function

__all__ = ["CheckGradsError", "check", "check_function", "check_grads"]
