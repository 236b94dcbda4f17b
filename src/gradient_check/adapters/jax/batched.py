"""Perturbed points evaluated with ``jax.jit(jax.vmap(...))``, in chunks bounded by memory.

The function is seen as g: theta -> outputs, both real vectors (pytree.py). One compiled
executable evaluates a chunk of ``points`` points that each set one coordinate of a shared
theta, ``theta.at[i].set(v)`` for a batch of (i, v): every request is padded to that
chunk (with the centre), so every value of the check, the centre and its repeats
included, comes from the same executable and rounds the same way. (A batch of another
size may round a value differently in its last bit: the centre, the differences and the
gaps f+ - 2 f0 + f- must agree bit for bit where the core compares them.) A whole new
theta is the shared theta of its own call.

The chunk: at most MAX_POINTS points, fewer when XLA's temporaries for a chunk (read from
the compiled executable) would exceed TEMP_BYTES.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from ...core.outputs import OutputSpec
from ...core.workspace import Workspace
from ...errors import LossError

# Points per call: enough to amortise a call's dispatch (some tens of microseconds), few
# enough that a padded call (the centre, a probe) costs little more than one evaluation.
MAX_POINTS = 64
TEMP_BYTES = 64 << 20  # XLA's temporaries for one chunk, at most (64 MiB)


class Batched:
    """g compiled as jit(vmap) over chunks of (coordinate, value) pairs on a shared theta.

    ``calls`` and ``points`` count what ran: compiled calls, and the points asked for (the
    padding is ``calls * chunk - points``)."""

    def __init__(self, g: Callable[[Any], Any], theta: np.ndarray, outputs: int) -> None:
        self.dtype = theta.dtype
        self.outputs = outputs

        def point(base: Any, index: Any, value: Any) -> Any:
            return g(base.at[index].set(value))

        self.run, self.chunk = _compiled(jax.vmap(point, in_axes=(None, 0, 0)), theta)
        self.calls = self.points = 0

    def coordinates(self, base: np.ndarray, index: np.ndarray, values: np.ndarray) -> np.ndarray:
        """g at ``base`` with coordinate index[k] set to values[k], as float64 (k, outputs)."""
        out = np.empty((index.size, self.outputs))
        base = np.asarray(base, dtype=self.dtype)
        for start in range(0, index.size, self.chunk):
            stop = min(index.size, start + self.chunk)
            chunk_index = np.zeros(self.chunk, dtype=np.int32)
            chunk_values = np.full(self.chunk, base[0], dtype=self.dtype)
            chunk_index[: stop - start] = index[start:stop]
            chunk_values[: stop - start] = values[start:stop]
            result = np.asarray(self.run(base, chunk_index, chunk_values), dtype=np.float64)
            out[start:stop] = result[: stop - start].reshape(stop - start, self.outputs)
            self.calls += 1
        self.points += index.size
        return out

    def theta(self, theta: np.ndarray) -> np.ndarray:
        """g at one whole theta, as float64 (outputs,)."""
        theta = np.asarray(theta, dtype=self.dtype)
        return self.coordinates(theta, np.zeros(1, dtype=np.int32), theta[:1])[0]


def _compiled(batched: Callable[..., Any], theta: np.ndarray) -> tuple[Callable[..., Any], int]:
    """The executable for the largest chunk (a power of two up to MAX_POINTS) whose
    temporaries fit TEMP_BYTES, and that chunk."""
    points = MAX_POINTS
    while True:
        index = np.zeros(points, dtype=np.int32)
        values = np.zeros(points, dtype=theta.dtype)
        compiled = jax.jit(batched).lower(theta, index, values).compile()
        temp = _temporaries(compiled)
        if temp <= TEMP_BYTES or points == 1:
            return compiled, points
        fits = 1 << int(np.floor(np.log2(max(1.0, points * TEMP_BYTES / temp))))
        points = max(1, min(points // 2, fits))


def _temporaries(compiled: Any) -> int:
    """XLA's temporary bytes for one call of ``compiled`` (0 where it does not say)."""
    try:
        stats = compiled.memory_analysis()
        return int(getattr(stats, "temp_size_in_bytes", 0) or 0)
    except Exception:  # a backend without memory analysis: the chunk stays as it is
        return 0


class JaxEvaluator:
    """The core's Evaluator (core/evaluate.py) on a Batched g: the values it is given are
    already rounded to each coordinate's dtype, and exact in theta's (the widest of
    them); the parameters are never written, only read once for theta."""

    def __init__(self, batched: Batched, workspace: Workspace, spec: OutputSpec) -> None:
        if spec.size != batched.outputs:
            raise LossError(
                f"the function returned {spec.size} real outputs to the check but "
                f"{batched.outputs} under jax.jit(jax.vmap(...)); pass batched=False."
            )
        self.batched = batched
        self.base = np.asarray(workspace.values(), dtype=batched.dtype)

    def at_coordinates(
        self, coordinates: np.ndarray, values: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        k, q = values.shape
        index = np.repeat(np.asarray(coordinates, dtype=np.int32), q)
        found = self.batched.coordinates(self.base, index, values.reshape(-1))
        found = found.reshape(k, q, self.batched.outputs)
        if out is None:
            return found
        out[...] = found
        return out

    def at_thetas(self, thetas: np.ndarray, where: Callable[[int], str]) -> np.ndarray:
        return np.array([self.batched.theta(theta) for theta in thetas]).reshape(
            len(thetas), self.batched.outputs
        )


def evaluator_factory(batched: Batched) -> Callable[[Any, Workspace, OutputSpec], JaxEvaluator]:
    """Settings.evaluator for a Batched g: ``(f, workspace, spec) -> JaxEvaluator``."""
    return lambda _f, workspace, spec: JaxEvaluator(batched, workspace, spec)
