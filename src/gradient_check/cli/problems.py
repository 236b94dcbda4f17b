"""The problems ``gradient-check sweep`` runs on: the texts' networks and worked example."""

from __future__ import annotations

import numpy as np

from .. import nn
from ..checks.sweep import Sweep, sweep


def sweep_problem(name: str) -> Sweep:
    """Sweep one of the named problems: "network", "relu-network" or "quadratic"."""
    rng = np.random.default_rng(0)
    if name == "quadratic":  # the texts' f(x) = x^2 + 3x at x = 2
        return sweep(lambda x: float(x[0] ** 2 + 3 * x[0]), np.array([2.0]), lambda x: 2 * x + 3)
    if name == "relu-network":
        net = nn.Network.build(
            [4, 5, 3, 1], ["relu", "relu", "sigmoid"], loss="binary_cross_entropy", seed=3
        )
        X, Y = nn.binary_blobs(n=16, n_features=4, seed=0)
    else:
        net = nn.Network.build(
            [7, 16, 12, 10], ["sigmoid", "tanh", "softmax"], loss="cross_entropy", seed=0, l2=0.1
        )
        X = nn.normalise(rng.standard_normal((32, 7)))
        Y = nn.one_hot(rng.integers(0, 10, 32), 10)
    return sweep(net.cost_fn(X, Y), net.params, net.gradients_fn(X, Y))
