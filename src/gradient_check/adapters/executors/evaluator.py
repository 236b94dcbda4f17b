"""The Evaluator over an executor's workers: f shipped once per worker, the plan as data.

Each worker keeps its own copy of the parameters (the live structure the function sees,
pickled with cloudpickle together with f and the output spec) in a small cache keyed by a
token of the check. A task carries only the token and its part of the plan: coordinates
and the values they take (``at_coordinates``), or whole points (``at_thetas``). A worker
that has not seen the token answers "missing" and the task is sent again with the payload,
so f and theta cross to each worker about once. Tasks are chunks of the batch, sized to
give each worker CHUNKS_PER_WORKER of them; their results are put back in order, so the
report is identical to the serial run's. The user's parameters never leave this process
perturbed: the workers perturb their copies. On KeyboardInterrupt the outstanding futures
are cancelled before the interrupt propagates.
"""

from __future__ import annotations

import os
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from ...core.flatten import flatten
from ...core.outputs import OutputSpec
from ...core.workspace import Workspace
from ...errors import MissingDependencyError

CHUNKS_PER_WORKER = 4  # tasks per worker and batch: a slow chunk leaves others busy
MISSING = "missing"  # a worker's answer when it does not hold the check's payload
KEEP = 2  # checks' payloads a worker keeps (the current one and one before)
_CACHE: OrderedDict[str, tuple[Any, Workspace, OutputSpec]] = OrderedDict()


def worker_count(executor: Any) -> int:
    """How many tasks the executor runs at once (a process pool's workers, a dask
    cluster's threads), or the CPU count when it does not say."""
    count = getattr(executor, "_max_workers", None)
    client = getattr(executor, "_client", None)
    if client is not None:
        try:
            count = sum(client.nthreads().values())
        except Exception:  # a client that cannot answer: fall back
            count = None
    return max(1, int(count or os.cpu_count() or 1))


def _install(token: str, payload: bytes) -> tuple[Any, Workspace, OutputSpec]:
    import pickle

    f, live, spec = pickle.loads(payload)
    workspace = Workspace(live, flatten(live), promote=False)
    _CACHE[token] = (f, workspace, spec)
    while len(_CACHE) > KEEP:
        _CACHE.popitem(last=False)
    return _CACHE[token]


def run_task(token: str, payload: bytes | None, kind: str, data: tuple) -> Any:
    """On a worker: f's outputs for one chunk, or MISSING without the payload."""
    held = _CACHE.get(token)
    if held is None:
        if payload is None:
            return MISSING
        held = _install(token, payload)
    f, workspace, spec = held
    if kind == "coordinates":
        coordinates, values = data
        out = np.empty((*values.shape, spec.size))
        workspace.evaluate_points(f, coordinates, values, spec.read, out)
        return out
    out = np.empty((data[0].shape[0], spec.size))
    for j, theta in enumerate(data[0]):
        y = workspace.evaluate_theta(f, theta, spec.read)
        out[j] = np.atleast_1d(np.asarray(y, dtype=np.float64))
    return out


class ExecutorEvaluator:
    """``Settings.executor``'s evaluator: ``(executor, f, workspace, spec) -> Evaluator``."""

    def __init__(
        self, executor: Any, f: Callable[[Any], Any], workspace: Workspace, spec: OutputSpec
    ):
        try:
            import cloudpickle
        except ImportError as error:  # pragma: no cover - cloudpickle comes with dask
            raise MissingDependencyError(
                "`executor` needs cloudpickle to ship the function: pip install "
                "'gradient-check[dask]'."
            ) from error
        self.executor, self.spec = executor, spec
        self.token = uuid.uuid4().hex
        self.payload = cloudpickle.dumps((f, workspace.live, spec))
        self.workers = worker_count(executor)

    def chunks(self, size: int) -> list[slice]:
        per = max(1, -(-size // (self.workers * CHUNKS_PER_WORKER)))
        return [slice(start, min(size, start + per)) for start in range(0, size, per)]

    def run(self, kind: str, parts: list[tuple]) -> list[np.ndarray]:
        """Each part's outputs, in order; resubmitted with the payload where missing."""
        futures = [self.executor.submit(run_task, self.token, None, kind, p) for p in parts]
        submitted = list(futures)
        try:
            results = [None] * len(parts)
            pending = list(range(len(parts)))
            while pending:
                for i, future in zip(pending, futures, strict=True):
                    results[i] = future.result()
                pending = [i for i in pending if isinstance(results[i], str)]  # MISSING
                # workers without the payload: send it along, all at once
                futures = [
                    self.executor.submit(run_task, self.token, self.payload, kind, parts[i])
                    for i in pending
                ]
                submitted += futures
        except BaseException:
            for future in submitted:
                future.cancel()
            raise
        return results

    def at_coordinates(
        self, coordinates: np.ndarray, values: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        if out is None:
            out = np.empty((*values.shape, self.spec.size))
        pieces = self.chunks(len(coordinates))
        parts = [(coordinates[s], values[s]) for s in pieces]
        for s, found in zip(pieces, self.run("coordinates", parts), strict=True):
            out[s] = found
        return out

    def at_thetas(self, thetas: np.ndarray, where: Callable[[int], str]) -> np.ndarray:
        pieces = self.chunks(thetas.shape[0])
        found = self.run("thetas", [(thetas[s],) for s in pieces])
        return np.concatenate(found) if found else np.empty((0, self.spec.size))
