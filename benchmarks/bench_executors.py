"""One check run serially, on a two-process pool and on a two-worker dask LocalCluster.

The loss costs about 10-20 ms of CPU per evaluation (dense matrix products on one BLAS
thread; no sleeping); the check is a full one on a few hundred parameters, so nearly all
of its time is evaluations. Every run is the same check: the script prints each one's
wall time, its speed-up over the serial run, the exact evaluation counts and whether the
reports are identical. The pool and the cluster compute with one BLAS thread per worker
(OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS = 1; threadpoolctl in the pool's
initializer), as the serial run does; both are warmed by one small check first (the
workers' imports). With ``--repeat R`` the three run in R interleaved rounds (serial, pool,
cluster, serial, ...), so the machine's load falls on each alike: the best of each and every
round's speed-ups are printed. The machine's load average is printed beside the figures: on
a shared machine two workers get two cores only when nobody else wants them.

    python benchmarks/bench_executors.py [--n 200] [--milliseconds 15] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
os.environ.update(THREADS)  # before numpy loads its BLAS: one thread, here and in workers

import numpy as np  # noqa: E402

from gradient_check import check  # noqa: E402
from gradient_check.adapters.executors import single_threaded  # noqa: E402


class SlowLoss:
    """sum(tanh(A x)^2) plus ``work`` matrix products that cost time and change nothing."""

    def __init__(self, n: int, work: int, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.A = rng.standard_normal((n, n)) / np.sqrt(n)
        self.B = rng.standard_normal((200, 200))
        self.work = work

    def __call__(self, x):
        for _ in range(self.work):
            self.B @ self.B
        return float(np.sum(np.tanh(self.A @ x) ** 2))

    def grad(self, x):
        t = np.tanh(self.A @ x)
        return self.A.T @ (2 * t * (1 - t**2))


def calibrate(loss: SlowLoss, x: np.ndarray, milliseconds: float) -> float:
    """Set ``loss.work`` so that one evaluation costs about ``milliseconds`` of CPU;
    return the CPU seconds one evaluation then takes."""
    loss.work = 20
    start = time.process_time()
    for _ in range(10):
        loss(x)
    per = (time.process_time() - start) / 10 / 20
    loss.work = max(1, int(milliseconds / 1000 / per))
    start = time.process_time()
    for _ in range(10):
        loss(x)
    return (time.process_time() - start) / 10


def timed(run):
    """(report, wall seconds, this process's CPU seconds) of ``run()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    report = run()
    return report, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--milliseconds", type=float, default=15.0)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best is kept")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    x = np.random.default_rng(1).standard_normal(args.n)
    loss = SlowLoss(args.n, 1)
    each = calibrate(loss, x, args.milliseconds)
    g = loss.grad(x)
    print(f"one evaluation: {each * 1e3:.1f} ms of CPU; load average {os.getloadavg()[0]:.2f}")
    import dask

    # dask's nanny also sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which turns off
    # glibc's adaptive mmap threshold: every temporary above 128 KB is mapped and unmapped
    # again, and this loss costs 25-60% more CPU on a worker than here. Threads only.
    with (
        ProcessPoolExecutor(2, initializer=single_threaded) as pool,
        dask.config.set({"distributed.nanny.pre-spawn-environ": THREADS}),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env=THREADS,
        ) as cluster,
        Client(cluster) as client,
    ):
        executors = {
            "serial": None,
            "process pool, 2 workers": pool,
            "dask LocalCluster, 2 workers x 1 thread": client.get_executor(),
        }
        for executor in executors.values():  # start the workers: their imports
            check(loss, x, g, mode="directional", executor=executor)
        rounds = [  # interleaved, so that the machine's load falls on every kind alike
            {name: timed(lambda e=e: check(loss, x, g, executor=e)) for name, e in items}
            for items in [list(executors.items())] * args.repeat
        ]
    runs = {name: min((r[name] for r in rounds), key=lambda t: t[1]) for name in executors}
    for name in list(executors)[1:]:
        ratios = sorted(r["serial"][1] / r[name][1] for r in rounds)
        print(f"{name}: per-round speed-ups {', '.join(f'{q:.2f}x' for q in ratios)}")
    serial, serial_s, _ = runs["serial"]
    print(f"evaluations per check: {sum(serial.evaluations.values())} {serial.evaluations}")
    for name, (report, seconds, cpu) in runs.items():
        same = str(report) == str(serial) and report.evaluations == serial.evaluations
        print(
            f"{name:40s} {seconds:6.2f} s  {serial_s / seconds:5.2f}x  (this process "
            f"{cpu:5.2f} s CPU)  evaluations {sum(report.evaluations.values())}  "
            f"identical to serial: {same}"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f} (2 cores)")


if __name__ == "__main__":
    main()
