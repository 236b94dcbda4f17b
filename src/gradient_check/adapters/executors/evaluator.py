"""The Evaluator over an executor's workers: f shipped once per worker, the plan as data.

Each worker keeps its own copy of the parameters (the live structure the function sees,
pickled with cloudpickle together with f and the output spec) in a small cache keyed by a
token of the check. A task carries only the token and its part of the plan: coordinates
and the values they take (``at_coordinates``), or whole points (``at_thetas``). A worker
that has not seen the token answers "missing" and the task is sent again with the payload,
so f and theta cross to each worker about once. Tasks are chunks of the batch, sized to
give each worker CHUNKS_PER_WORKER of them and to last at most TASK_SECONDS; their results
are put back in order, so the report is identical to the serial run's. Batches too small
to repay a round trip (the probes, localisation's pairs of points) are evaluated in this
process, as the serial run evaluates them. The user's parameters never leave this process
perturbed: the workers perturb their copies. On KeyboardInterrupt the outstanding futures
are cancelled before the interrupt propagates (a chunk already running finishes on its
worker: a process cannot be stopped mid-call).

Each worker should compute with one BLAS/OpenMP thread: ``single_threaded`` is the
initializer that sets it for a process pool; dask's nanny sets the same variables in each
worker's environment by default.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, wait
from typing import Any

import numpy as np

from ...core.evaluate import InPlaceEvaluator
from ...core.flatten import flatten
from ...core.outputs import OutputSpec
from ...core.workspace import Workspace
from ...errors import MissingDependencyError

CHUNKS_PER_WORKER = 4  # tasks per worker and batch: a slow chunk leaves others busy
TASK_SECONDS = 1.0  # a chunk's evaluations take at most about this long
LOCAL_SECONDS = 0.05  # a batch cheaper than this is evaluated here: no round trip
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
MISSING = "missing"  # a worker's answer when it does not hold the check's payload
KEEP = 2  # checks' payloads a worker thread keeps (the current one and one before)
# Per thread: a worker that runs tasks on several threads (dask's default, a thread pool)
# must not perturb one shared copy of theta from two tasks at once.
_LOCAL = threading.local()


def _cache() -> OrderedDict[str, tuple[Any, Workspace, OutputSpec]]:
    """This thread's payloads: f, its own workspace around its own copy of the parameters."""
    if not hasattr(_LOCAL, "cache"):
        _LOCAL.cache = OrderedDict()
    return _LOCAL.cache


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
    cache = _cache()
    cache[token] = (f, workspace, spec)
    while len(cache) > KEEP:
        cache.popitem(last=False)
    return cache[token]


def run_task(token: str, payload: bytes | None, kind: str, data: tuple) -> Any:
    """On a worker: f's outputs for one chunk, or MISSING without the payload."""
    held = _cache().get(token)
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


def single_threaded() -> None:
    """A worker's initializer: one BLAS/OpenMP thread, so that n workers use n cores
    rather than fighting over them (``ProcessPoolExecutor(n, initializer=single_threaded)``).

    Sets OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS to 1 for libraries
    loaded later, and limits those already loaded (numpy's BLAS) through threadpoolctl
    where it is installed.
    """
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # numpy's BLAS, if loaded already, keeps its threads
        return
    threadpool_limits(1)


class ExecutorEvaluator:
    """``Settings.executor``'s evaluator: ``(executor, f, workspace, spec) -> Evaluator``.

    A batch whose evaluation costs less than LOCAL_SECONDS here (from the time the
    in-process evaluations took so far), and any single point, is evaluated in this
    process: a round trip to the workers costs more than it saves (the probes, the
    localising pairs). Larger batches go to the workers in chunks of CHUNKS_PER_WORKER per
    worker, each at most TASK_SECONDS of evaluations, so that a slow chunk leaves the
    others busy and Ctrl-C waits at most one chunk. ``on_done(points)`` (set by the
    engine's counter) hears of each chunk as it returns.
    """

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
        self.local = InPlaceEvaluator(f, workspace, spec)
        self.seconds, self.timed = 0.0, 0  # in-process evaluations: time taken, count
        self.on_done: Callable[[int], None] | None = None

    def cost(self) -> float | None:
        """Seconds per evaluation measured in this process (None before any)."""
        return self.seconds / self.timed if self.timed else None

    def here(self, points: int) -> bool:
        """Whether a batch of ``points`` is cheaper evaluated in this process."""
        cost = self.cost()
        return points <= 1 or (cost is not None and points * cost < LOCAL_SECONDS)

    def in_process(self, points: int, run: Callable[[], np.ndarray]) -> np.ndarray:
        began = time.perf_counter()
        found = run()
        self.seconds += time.perf_counter() - began
        self.timed += points
        if self.on_done is not None:
            self.on_done(points)
        return found

    def chunks(self, size: int, points_per_row: int = 1) -> list[slice]:
        per = max(1, -(-size // (self.workers * CHUNKS_PER_WORKER)))
        cost = self.cost()
        if cost is not None:  # no chunk longer than TASK_SECONDS
            per = min(per, max(1, int(TASK_SECONDS / (cost * points_per_row))))
        return [slice(start, min(size, start + per)) for start in range(0, size, per)]

    def run(self, kind: str, parts: list[tuple], points: list[int]) -> list[np.ndarray]:
        """Each part's outputs, in order, gathered as they finish; a part whose worker
        lacks the payload is sent again with it."""
        submit = self.executor.submit
        futures = {submit(run_task, self.token, None, kind, p): i for i, p in enumerate(parts)}
        submitted = list(futures)
        results: list[Any] = [None] * len(parts)
        try:
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    i = futures.pop(future)
                    results[i] = future.result()
                    if isinstance(results[i], str):  # MISSING: send the payload along
                        again = submit(run_task, self.token, self.payload, kind, parts[i])
                        futures[again] = i
                        submitted.append(again)
                        pending.add(again)
                    elif self.on_done is not None:
                        self.on_done(points[i])
        except BaseException:
            for future in submitted:
                future.cancel()
            raise
        return results

    def at_coordinates(
        self, coordinates: np.ndarray, values: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        per = int(np.prod(values.shape[1:], dtype=int))
        if self.here(per * len(coordinates)):
            return self.in_process(
                per * len(coordinates), lambda: self.local.at_coordinates(coordinates, values, out)
            )
        if out is None:
            out = np.empty((*values.shape, self.spec.size))
        pieces = self.chunks(len(coordinates), per)
        parts = [(coordinates[s], values[s]) for s in pieces]
        found = self.run("coordinates", parts, [per * (s.stop - s.start) for s in pieces])
        for s, part in zip(pieces, found, strict=True):
            out[s] = part
        return out

    def at_thetas(self, thetas: np.ndarray, where: Callable[[int], str]) -> np.ndarray:
        if self.here(thetas.shape[0]):
            return self.in_process(thetas.shape[0], lambda: self.local.at_thetas(thetas, where))
        pieces = self.chunks(thetas.shape[0])
        found = self.run(
            "thetas", [(thetas[s],) for s in pieces], [s.stop - s.start for s in pieces]
        )
        return np.concatenate(found) if found else np.empty((0, self.spec.size))
