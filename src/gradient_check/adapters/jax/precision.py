"""The precision a JAX check evaluates in: float64 by default, under jax's x64 mode.

JAX computes in float32 unless its x64 mode is on, and a float32 loss leaves a finite
difference about 1e-3 of relative accuracy (eps^(2/3)). So by default every floating
leaf is evaluated as a float64 copy (complex as complex128) with x64 mode enabled for the
duration of the check (``jax.enable_x64(True)``, thread-local, restored on leaving by any
exception) and the gradient is taken there too. ``dtype=None`` keeps the precision JAX
would compute the user's leaves in (float32 without x64 mode, whatever numpy dtype they
came in), for a function that exists only in low precision; the core then judges the
float32 evaluations with their own evidence. ``dtype=jnp.float32`` casts to float32.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from ...errors import InvalidProblemError

FLOAT64 = np.dtype(np.float64)
FLOAT32 = np.dtype(np.float32)
COMPLEX_OF = {FLOAT64: np.dtype(np.complex128), FLOAT32: np.dtype(np.complex64)}
NUMPY_FLOATS = (np.dtype(np.float16), FLOAT32, FLOAT64)


def x64_enabled() -> bool:
    """Whether jax's x64 mode is on in this thread now."""
    return bool(jax.config.jax_enable_x64)


def x64_mode() -> AbstractContextManager[Any]:
    """jax's x64 mode, on for the ``with`` block and restored after it."""
    state = getattr(jax, "enable_x64", None)
    if state is not None:
        return state(True)
    from jax.experimental import enable_x64  # jax before 0.5 named it here

    return enable_x64(True)


@dataclass(frozen=True)
class Precision:
    """The dtype a check evaluates the leaves in: ``dtype`` (float64 or float32), or
    ``None`` for the leaves' own precision as JAX computes it."""

    dtype: np.dtype | None

    def context(self) -> AbstractContextManager[Any]:
        """Where the check runs: x64 mode for float64, the user's setting otherwise."""
        return x64_mode() if self.float64 else nullcontext()

    @property
    def float64(self) -> bool:
        # not ``dtype == FLOAT64``: numpy reads None as float64 in a comparison
        return self.dtype is not None and self.dtype == FLOAT64

    def dtype_of(self, own: np.dtype, name: str) -> np.dtype:
        """The dtype leaf ``name`` (of dtype ``own``) is evaluated in."""
        if self.dtype is not None:
            return COMPLEX_OF[self.dtype] if own.kind == "c" else self.dtype
        jax_dtype = np.dtype(jax.dtypes.canonicalize_dtype(own))
        if jax_dtype.kind != "c" and jax_dtype not in NUMPY_FLOATS:  # bfloat16, float8
            raise InvalidProblemError(
                f"leaf `{name}` is {jax_dtype}, which numpy cannot hold, and dtype=None keeps "
                "the leaves' own precision. Pass dtype=jnp.float32 (every bfloat16 value is "
                "exact in float32) or leave the default, float64."
            )
        return jax_dtype

    def note(self, dtypes: set[str], x64_before: bool) -> str:
        """The report's note on the precision the leaves were evaluated in."""
        listed = ", ".join(sorted(dtypes))
        if self.float64:
            mode = (
                "x64 mode was already on"
                if x64_before
                else "jax's x64 mode was enabled for the check and restored after it"
            )
            return (
                f"JAX evaluated {listed} copies of the leaves: {mode} (dtype=None keeps the "
                "leaves' own precision)"
            )
        if self.dtype is None:
            return f"JAX evaluated the leaves in their own precision (dtype=None): {listed}"
        return f"JAX evaluated {listed} copies of the leaves (dtype={self.dtype})"


def precision_of(dtype: Any) -> Precision:
    """The ``dtype`` option as a Precision: None, or float64 / float32 in any spelling
    (``jnp.float64``, ``np.float32``, ``"float64"``)."""
    if dtype is None:
        return Precision(None)
    try:
        chosen = np.dtype(dtype)
    except TypeError:
        chosen = None
    if chosen is None or chosen not in (FLOAT64, FLOAT32):
        raise InvalidProblemError(
            f"`dtype` is {dtype!r}; choose jnp.float64 (the default: float64 copies under "
            "jax's x64 mode), jnp.float32, or None (the leaves' own precision)."
        )
    return Precision(chosen)
