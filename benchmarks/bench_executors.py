"""A check on a two-worker dask LocalCluster against the same check run serially.

The loss costs about 10 ms per evaluation (a fixed amount of dense linear algebra, on one
thread per worker); the check is a full one on a few hundred parameters, so nearly all of
its time is evaluations. Prints both times and their ratio (goal: at least 1.7x on two
cores; the machine is shared, so the figure is what was measured, not a promise), and
whether the reports are identical.

    python benchmarks/bench_executors.py [--n 200] [--milliseconds 10]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core per worker, and for the serial run
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

import gradient_check.adapters.executors  # noqa: F401  (registers the evaluator)
from gradient_check import check


class SlowLoss:
    """sum(tanh(A x)^2) plus ``work`` matrix products that cost time and change nothing."""

    def __init__(self, n: int, work: int, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.A = rng.standard_normal((n, n)) / np.sqrt(n)
        self.B = rng.standard_normal((300, 300))
        self.work = work

    def __call__(self, x):
        for _ in range(self.work):
            self.B @ self.B
        return float(np.sum(np.tanh(self.A @ x) ** 2))

    def grad(self, x):
        t = np.tanh(self.A @ x)
        return self.A.T @ (2 * t * (1 - t**2))


def calibrate(loss: SlowLoss, x: np.ndarray, milliseconds: float) -> None:
    """Set ``loss.work`` so that one evaluation costs about ``milliseconds``."""
    loss.work = 20
    start = time.perf_counter()
    for _ in range(5):
        loss(x)
    per = (time.perf_counter() - start) / 5 / 20
    loss.work = max(1, int(milliseconds / 1000 / per))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--milliseconds", type=float, default=10.0)
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    x = np.random.default_rng(1).standard_normal(args.n)
    loss = SlowLoss(args.n, 1)
    calibrate(loss, x, args.milliseconds)
    start = time.perf_counter()
    loss(x)
    each = time.perf_counter() - start
    start = time.perf_counter()
    serial = check(loss, x, loss.grad(x))
    serial_s = time.perf_counter() - start
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        executor = client.get_executor()
        start = time.perf_counter()
        remote = check(loss, x, loss.grad(x), executor=executor)
        remote_s = time.perf_counter() - start
    made = sum(serial.evaluations.values())
    print(f"one evaluation {each * 1e3:.1f} ms; {made} evaluations per check")
    print(f"serial {serial_s:.2f} s, dask 2 workers {remote_s:.2f} s: {serial_s / remote_s:.2f}x")
    print(f"reports identical: {str(serial) == str(remote)}")


if __name__ == "__main__":
    main()
