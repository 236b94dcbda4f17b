"""Full Jacobian check of f: R^2000 -> R^500: cost, overhead, and numdifftools side by side.

f(x) = tanh(A x) with a fixed random A. Prints the evaluations the check made (2n + 1 of f
plus 8 probes), (check time) / (time of 2n + 1 bare evaluations of f) measured in the same
run (target <= 1.10), and the accuracy and time of our central differences against
numdifftools.Jacobian's on the same function, both against the exact Jacobian.

    python benchmarks/bench_jacobian.py [--n 2000] [--m 500]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from gradient_check import check_jacobian


def problem(n: int, m: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) / np.sqrt(n)
    x = rng.uniform(-1, 1, n)

    def f(x):
        return np.tanh(A @ x)

    def jacobian(x):
        return (1 - np.tanh(A @ x) ** 2)[:, None] * A

    return f, jacobian, x


def per_evaluation(f, x, samples: int = 5, batch: int = 300) -> float:
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        for _ in range(batch):
            f(x)
        times.append((time.perf_counter() - start) / batch)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--m", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    f, jacobian, x = problem(args.n, args.m)
    exact = jacobian(x)
    count = 2 * args.n + 1

    per_eval, checks = [per_evaluation(f, x)], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        report = check_jacobian(f, x, exact)
        checks.append(time.perf_counter() - start)
        per_eval.append(per_evaluation(f, x))
    base = min(per_eval) * count
    row = report.parameters[0]
    print(f"f: R^{args.n} -> R^{args.m}; evidence: {report.evidence.value}, diff {report.diff:.2e}")
    print(
        f"evaluations of f: {report.total_evaluations:,} = "
        + " + ".join(f"{v:,} {k}" for k, v in report.evaluations.items())
    )
    print(f"bare evaluation {min(per_eval) * 1e6:.0f} us; 2n+1 = {count:,} of them: {base:.2f} s")
    print(f"check: {', '.join(f'{t:.2f} s' for t in checks)}")
    print(f"ratio check / bare(2n+1) = {min(checks) / base:.3f}  (target <= 1.10)")

    import numdifftools as nd

    calls = 0

    def counted(v):
        nonlocal calls
        calls += 1
        return f(v)

    start = time.perf_counter()
    estimate = nd.Jacobian(counted)(x)
    nd_time = time.perf_counter() - start
    nd_error = float(np.max(np.abs(estimate - exact)))
    print()
    print("| method | evaluations of f | time | max abs error vs exact |")
    print("|---|---|---|---|")
    print(
        f"| gradient_check central, auto step (whole check) | {report.total_evaluations:,} "
        f"| {min(checks):.2f} s | {row.max_abs_error:.1e} |"
    )
    print(f"| numdifftools.Jacobian (defaults) | {calls:,} | {nd_time:.2f} s | {nd_error:.1e} |")


if __name__ == "__main__":
    main()
