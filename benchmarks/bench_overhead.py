"""Overhead of a full central check over the bare cost of its loss evaluations.

A numpy MLP with about 100,000 parameters. Prints (check time) / (time of 2n + 1 loss
evaluations), both measured in this run, two ways: against the fastest timed batches of
bare evaluations, and against the time the loss itself took inside the check (robust on a
shared, noisy machine); and the check's exact evaluation counts. Target: at most 1.10, with
every trust feature on (they are on by default).

    python benchmarks/bench_overhead.py [--batch 16] [--repeats 1]
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import time_checks

from gradient_check import check


def mlp(n_in: int = 784, n_hidden: int = 120, n_out: int = 10, batch: int = 16, seed: int = 0):
    """A tanh MLP with softmax cross-entropy: loss(params) and its hand-written gradient."""
    rng = np.random.default_rng(seed)
    X = rng.random((batch, n_in))
    Y = np.eye(n_out)[rng.integers(0, n_out, batch)]
    params = {
        "W1": rng.standard_normal((n_in, n_hidden)) / np.sqrt(n_in),
        "B1": np.zeros((1, n_hidden)),
        "W2": rng.standard_normal((n_hidden, n_out)) / np.sqrt(n_hidden),
        "B2": np.zeros((1, n_out)),
    }

    def forward(p):
        A1 = np.tanh(X @ p["W1"] + p["B1"])
        Z2 = A1 @ p["W2"] + p["B2"]
        Z2 = Z2 - Z2.max(axis=1, keepdims=True)
        P = np.exp(Z2)
        return A1, P / P.sum(axis=1, keepdims=True)

    def loss(p) -> float:
        _, P = forward(p)
        return float(-np.sum(Y * np.log(P)) / batch)

    def grads(p):
        A1, P = forward(p)
        dZ2 = (P - Y) / batch
        dA1 = dZ2 @ p["W2"].T
        dZ1 = dA1 * (1 - A1**2)
        return {
            "W1": X.T @ dZ1,
            "B1": dZ1.sum(0, keepdims=True),
            "W2": A1.T @ dZ2,
            "B2": dZ2.sum(0, keepdims=True),
        }

    return loss, params, grads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--hidden", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=2, help="checks timed; the fastest counts")
    args = parser.parse_args()
    loss, params, grads = mlp(batch=args.batch, n_hidden=args.hidden)
    n = sum(v.size for v in params.values())
    count = 2 * n + 1
    report, checks, ratios, per_eval = time_checks(
        lambda timed: check(timed, params, grads),
        loss,
        params,
        count,
        args.repeats,
        samples=7,
        batch=2000,
    )
    base = per_eval * count
    print(f"parameters n = {n:,}; verdict: {report.evidence.value}, diff {report.diff:.2e}")
    print(
        f"evaluations: {report.total_evaluations:,} = "
        + " + ".join(f"{v:,} {k}" for k, v in report.evaluations.items())
    )
    print(
        f"bare evaluation: {per_eval * 1e6:.1f} us (fastest batch); "
        f"2n+1 = {count:,} of them: {base:.2f} s"
    )
    print(f"check: {', '.join(f'{t:.2f} s' for t in checks)}")
    print(
        f"ratio check / bare(2n+1), fastest batches: {min(checks) / base:.3f}; against the "
        f"time the loss took inside the same check: {min(ratios):.3f}  (target <= 1.10)"
    )


if __name__ == "__main__":
    main()
