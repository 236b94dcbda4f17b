"""Directional and locate checks of models with 1e6 and 1e7 parameters.

A linear model's loss (least squares on a fixed batch: one matrix-vector product per
evaluation) over three tensors (W: most of theta, b, and a small head c); the gradient is
exact except, for locate, one wrong element of W. Prints, per size and mode: evaluations,
seconds, the outcome and what was found, beside a full check's evaluation count (2n + the
probes; computed, not run: at 1e7 it would be 2e7 evaluations). Also the peak extra memory
of each run (tracemalloc) as a multiple of theta's bytes.

    python benchmarks/bench_large.py [--sizes 1e6 1e7]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from gradient_check import check

PROBES = 10  # centre, 2 repeats, precision probe, noise table: a full check's fixed part


def model(n: int, seed: int = 0):
    """loss(params), its gradient, params: three tensors, n parameters in all."""
    rng = np.random.default_rng(seed)
    size_w = n - 1000 - 10
    params = {
        "W": rng.standard_normal(size_w) / np.sqrt(size_w),
        "b": rng.standard_normal(1000),
        "c": rng.standard_normal(10),
    }
    a = rng.standard_normal(size_w)  # one data row: loss = (a . W + sum b^2/2 + c . c - 1)^2

    def loss(p):
        r = float(a @ p["W"]) + 0.5 * float(p["b"] @ p["b"]) + float(p["c"] @ p["c"]) - 1.0
        return r * r

    def grad(p):
        r = float(a @ p["W"]) + 0.5 * float(p["b"] @ p["b"]) + float(p["c"] @ p["c"]) - 1.0
        return {"W": 2 * r * a, "b": 2 * r * p["b"], "c": 4 * r * p["c"]}

    return loss, grad, params


def run(n: int, mode: str, wrong: int | None) -> None:
    loss, grad, params = model(n)
    grads = grad(params)
    if wrong is not None:
        grads["W"][wrong] += 0.1 * (abs(grads["W"][wrong]) + 1.0)
    theta_bytes = 8 * n
    tracemalloc.start()
    start = time.perf_counter()
    report = check(loss, params, grads, mode=mode)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / theta_bytes
    tracemalloc.stop()
    made = sum(report.evaluations.values())
    found = report.extra.get("located", {})
    print(
        f"n={n:.0e}  {mode:11s}  {made:5d} evaluations  {seconds:7.2f} s  peak {peak:5.1f} x theta"
        f"  full check: {2 * n + PROBES:.3g} evaluations  outcome {report.outcome.value}"
        + (f"  located {found}" if found else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e6, 1e7])
    args = parser.parse_args()
    for n in (int(s) for s in args.sizes):
        run(n, "directional", None)
        run(n, "locate", n // 3)


if __name__ == "__main__":
    main()
