"""Where ``gradient-check check`` runs its evaluations: ``--workers N`` (a process pool
made for the check and shut down after it) or ``--scheduler ADDRESS`` (a running dask
cluster, through a client closed after the check); by default, in this process.

The pool's workers compute with one BLAS/OpenMP thread each (``single_threaded``) and
ignore Ctrl-C, which the command handles: it cancels what has not started and exits 130.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from ..adapters.executors import single_threaded
from .failures import NotChecked

CONNECT_SECONDS = 5.0  # how long --scheduler waits for the cluster before giving up


def pool_worker() -> None:
    """A process-pool worker of the command line: one BLAS thread, Ctrl-C left to the
    command (a worker that caught it would break the pool instead of stopping cleanly)."""
    single_threaded()
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def executor_for(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    """The executor of ``--workers`` or ``--scheduler`` for the check's duration (None:
    evaluate in this process); refuses both at once, a missing dask, an unreachable
    cluster."""
    if workers is not None and scheduler is not None:
        raise NotChecked("give --workers or --scheduler, not both")
    if workers is not None:
        # spawned, not forked: a fork of a process with threads (jax's, torch's) can hang
        spawn = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(workers, mp_context=spawn, initializer=pool_worker)
        try:
            yield pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    if scheduler is None:
        yield None
        return
    client = connect(scheduler)
    try:
        yield client.get_executor()
    finally:
        client.close()


def connect(address: str) -> Any:
    """A dask.distributed Client of the scheduler at ``address``, or a one-line refusal."""
    try:
        from distributed import Client
    except ImportError as error:
        raise NotChecked(
            "--scheduler needs dask.distributed, which is not installed; install it with: "
            "pip install 'dask[distributed]'"
        ) from error
    try:
        return Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, ValueError, TypeError) as error:  # TimeoutError is an OSError
        reason = " ".join(str(error).split()) or type(error).__name__
        if len(reason) > 120:
            reason = reason[:117] + "..."
        raise NotChecked(
            f"--scheduler {address!r}: no dask scheduler could be reached within "
            f"{CONNECT_SECONDS:g} s ({reason}); start one with `dask scheduler` and give "
            "its address, such as tcp://127.0.0.1:8786"
        ) from error
