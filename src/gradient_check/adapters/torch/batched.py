"""The vmap Evaluator: perturbed points evaluated in batches through ``torch.func.vmap``.

The in-place loop calls f once per point (thousands of small calls, each paying torch's
per-op overhead); here a chunk of points becomes one call of the vmapped function, with
only the parameter that the points move batched (every point of ``at_coordinates`` moves
one coordinate) and the others shared. Chunks are bounded by memory (BATCH_BYTES of batched
parameter copies, MAX_CHUNK points), and halved when torch runs out of memory.

A function that vmap cannot batch (in-place ops on its inputs, data-dependent control flow,
``.item()``, random ops), or whose batched value at theta differs from its value called
alone, is evaluated by the in-place loop instead, and a note says so. The contract is the
engine's (core/evaluate.py): values are evaluated exactly as given (already rounded to each
coordinate's evaluation dtype), results are float64, the parameters are only read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from ...core.evaluate import InPlaceEvaluator, read_output
from ...core.flatten import Slot, leaf_at, real_view
from ...core.outputs import OutputSpec
from ...core.settings import Settings
from ...core.workspace import Workspace

BATCH_BYTES = 32 << 20  # batched parameter copies per vmap call
MAX_CHUNK = 256  # points per vmap call: larger chunks gain nothing and leave the cache
# The batched value at theta may differ from the value called alone by reordered sums (a
# batched matmul is another kernel), never by more than this many ulps of the outputs'
# largest magnitude; beyond it the batched function is not the same function.
AGREE_ULPS = 256
OUT_OF_MEMORY = ("out of memory", "can't allocate memory")

# one point's real outputs (m,) from its parameters by name
FlatCall = Callable[[dict[str, torch.Tensor]], torch.Tensor]


class VmapEvaluator:
    """Evaluates f at batches of points through the vmapped ``call``; see the module."""

    def __init__(
        self,
        f: Callable[[Any], Any],
        workspace: Workspace,
        spec: OutputSpec,
        call: FlatCall,
        device: torch.device,
        log: BatchLog,
    ) -> None:
        self.f, self.workspace, self.spec, self.device, self.log = f, workspace, spec, device, log
        self.loop = InPlaceEvaluator(f, workspace, spec)
        self.mapped = torch.func.vmap(
            lambda batched, shared: call({**shared, **batched}), in_dims=(0, None)
        )
        self.batching = not any(slot.is_scalar for slot in workspace.vector.slots)
        self.agreed = False
        self.buffer: tuple[tuple, np.ndarray] | None = None  # a slot's rows of theta (_batch)

    def at_coordinates(
        self, coordinates: np.ndarray, values: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        """f's outputs with coordinate coordinates[k] at values[k, q]: shape (k, q, m)."""
        if out is None:
            out = np.empty((*values.shape, self.spec.size))
        if self.batching:
            try:
                self._agree()
                for start, stop, slot in _runs(self.workspace.vector.slots, coordinates):
                    local = np.repeat(coordinates[start:stop] - slot.offset, values.shape[1])
                    flat = values[start:stop].reshape(-1)
                    found = self._moved(slot, local, flat)
                    out[start:stop] = found.reshape(stop - start, values.shape[1], -1)
                return out
            except Exception as error:  # anything vmap raised: not KeyboardInterrupt
                self._fall_back(error)
        return self.loop.at_coordinates(coordinates, values, out)

    def at_thetas(self, thetas: np.ndarray, where: Callable[[int], str]) -> np.ndarray:
        """f's outputs at each row of ``thetas``: every parameter batched."""
        if self.batching:
            try:
                self._agree()
                return self._whole(thetas)
            except Exception as error:
                self._fall_back(error)
        return self.loop.at_thetas(thetas, where)

    def _moved(self, slot: Slot, local: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Points that each set one coordinate of ``slot`` (local index, value): (P, m)."""
        base = real_view(leaf_at(self.workspace.live, slot.path))
        shared = self._shared()
        out = np.empty((local.size, self.spec.size))
        chunk = self._chunk(base.nbytes)
        start = 0
        while start < local.size:
            stop = min(local.size, start + chunk)
            rows, moved = np.arange(stop - start), local[start:stop]
            batch = self._batch(slot, base, stop - start)
            batch[rows, moved] = values[start:stop]
            try:
                out[start:stop] = self._call({slot.path[0]: self._tensor(batch, slot)}, shared)
            except Exception as error:
                chunk = _halved(error, chunk)
                continue
            finally:
                batch[rows, moved] = base[moved]  # the buffer is theta again
            start = stop
        return out

    def _batch(self, slot: Slot, base: np.ndarray, points: int) -> np.ndarray:
        """``points`` rows of theta's ``slot``: one slot's buffer kept between calls (each
        call sets its points' coordinates and puts them back), made again for another slot
        or if theta is not its rows."""
        path, held = self.buffer if self.buffer is not None else ((), None)
        fresh = held is None or path != slot.path or held.shape[0] < points
        if fresh or not np.array_equal(held[0], base):
            self.buffer = None  # the old buffer goes before the new one is made
            held = np.tile(base, (max(points, self._chunk(base.nbytes)), 1))
            self.buffer = (slot.path, held)
        return held[:points]

    def _whole(self, thetas: np.ndarray) -> np.ndarray:
        """f's outputs at whole theta vectors, every parameter batched: (points, m)."""
        slots = self.workspace.vector.slots
        dtypes = self.workspace.eval_dtypes
        out = np.empty((thetas.shape[0], self.spec.size))
        chunk = self._chunk(sum(s.size * d.itemsize for s, d in zip(slots, dtypes, strict=True)))
        start = 0
        while start < thetas.shape[0]:
            stop = min(thetas.shape[0], start + chunk)
            batched = {
                slot.path[0]: self._tensor(
                    np.ascontiguousarray(thetas[start:stop, slot.offset : slot.stop], dtype), slot
                )
                for slot, dtype in zip(slots, dtypes, strict=True)
            }
            try:
                out[start:stop] = self._call(batched, {})
            except Exception as error:
                chunk = _halved(error, chunk)
                continue
            start = stop
        return out

    def _call(self, batched: dict[str, torch.Tensor], shared: dict[str, torch.Tensor]):
        with torch.inference_mode():
            found = self.mapped(batched, shared)
        self.log.points += next(iter(batched.values())).shape[0]
        self.log.calls += 1
        return found.detach().to("cpu", torch.float64).numpy().reshape(found.shape[0], -1)

    def _tensor(self, batch: np.ndarray, slot: Slot) -> torch.Tensor:
        """A batch of real coordinates (P, size) as a tensor (P, *shape) of the slot's kind."""
        if slot.is_complex:
            batch = batch.view(np.result_type(batch.dtype, np.complex64))
        tensor = torch.from_numpy(batch.reshape(batch.shape[0], *slot.shape))
        return tensor if self.device.type == "cpu" else tensor.to(self.device)

    def _shared(self) -> dict[str, torch.Tensor]:
        """Every parameter as it stands (unperturbed): the unbatched arguments."""
        shared = {}
        for slot in self.workspace.vector.slots:
            array = leaf_at(self.workspace.live, slot.path)
            tensor = torch.from_numpy(array)
            shared[slot.path[0]] = tensor if self.device.type == "cpu" else tensor.to(self.device)
        return shared

    def _chunk(self, point_bytes: int) -> int:
        return int(max(1, min(MAX_CHUNK, BATCH_BYTES // max(1, point_bytes))))

    def _agree(self) -> None:
        """Once: f at theta batched against f at theta called alone (one evaluation each,
        counted in the log); a difference beyond rounding stops batching."""
        if self.agreed:
            return
        theta = self.workspace.values()[None]
        batched = self._whole(theta)[0]
        self.log.checks += 1
        value = self.f(self.workspace.live)
        self.log.checks += 1  # each counted as it returns (a Ctrl-C reads the count)
        alone = read_output(self.spec, value, "at theta, called alone")
        scale = float(np.max(np.abs(alone), initial=0.0))
        gap = float(np.max(np.abs(batched - alone), initial=0.0))
        if not gap <= AGREE_ULPS * self.spec.eps * scale:
            raise BatchMismatch(
                f"its batched value at theta differs from its value called alone by {gap:.3g}"
            )
        self.agreed = True

    def _fall_back(self, error: Exception) -> None:
        self.batching = False
        text = str(error).strip().splitlines()[0] if str(error).strip() else ""
        why = str(error) if isinstance(error, BatchMismatch) else f"{type(error).__name__}: {text}"
        self.log.fallback = why[:240]


class BatchMismatch(RuntimeError):
    """The vmapped function disagrees with the function: it is not to be batched."""


class BatchLog:
    """What the vmap evaluators of one check did: read by the adapter for the report."""

    def __init__(self, what: str) -> None:
        self.what = what  # the function's name in notes ("the loss", "fn")
        self.points, self.calls, self.checks = 0, 0, 0
        self.fallback: str | None = None

    def notes(self) -> list[str]:
        """The report's notes: how the points were evaluated."""
        if self.fallback is not None:
            done = f" after {self.points} points in {self.calls} batches" if self.points else ""
            return [
                f"evaluated one point at a time{done}: torch.func.vmap could not batch "
                f"{self.what} ({self.fallback}); in-place ops, data-dependent control flow, "
                ".item() and random ops keep a function from being vmapped"
            ]
        if self.points:
            return [
                f"{self.points} points evaluated in {self.calls} batches through "
                f"torch.func.vmap (up to {MAX_CHUNK} points a call)"
            ]
        return []

    def evaluations(self) -> dict[str, int]:
        """Evaluations made outside the engine's count: the batched-against-alone check."""
        return {"vmap_agreement": self.checks} if self.checks else {}


def _runs(slots: tuple[Slot, ...], coordinates: np.ndarray):
    """(start, stop, slot): consecutive coordinates that fall in one slot."""
    offsets = np.fromiter((s.offset for s in slots), dtype=np.int64)
    slot_of = np.searchsorted(offsets, coordinates, side="right") - 1
    starts = [*np.flatnonzero(np.diff(slot_of, prepend=-1)).tolist(), len(coordinates)]
    for start, stop in zip(starts[:-1], starts[1:], strict=True):
        yield start, stop, slots[int(slot_of[start])]


def _halved(error: Exception, chunk: int) -> int:
    """The chunk halved after torch ran out of memory; any other error, or a chunk of one
    point, propagates."""
    if chunk > 1 and any(words in str(error) for words in OUT_OF_MEMORY):
        return chunk // 2
    raise error


def vmap_factory(call: FlatCall, device: torch.device, log: BatchLog) -> Callable[..., Any]:
    """Settings.evaluator: ``(f, workspace, spec) -> VmapEvaluator`` for this ``call``."""

    def build(f: Callable[[Any], Any], workspace: Workspace, spec: OutputSpec) -> VmapEvaluator:
        return VmapEvaluator(f, workspace, spec, call, device, log)

    return build


def batched_settings(
    settings: Settings, batched: bool, call: FlatCall, device: torch.device, log: BatchLog
) -> Settings:
    """``settings`` evaluating through vmap when ``batched`` and nothing else (another
    evaluator, an executor) was asked for."""
    if not batched or settings.evaluator is not None or settings.executor is not None:
        return settings
    return replace(settings, evaluator=vmap_factory(call, device, log))
