"""The problems the demo and ``gradient-check sweep`` run on: the texts' networks, each with
the batch it is checked on, and the texts' worked example.

The networks themselves are defined once, in ``nn.reference``; here they get their batches.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checks.sweep import Sweep, sweep
from ..nn.data import binary_blobs, normalise, one_hot
from ..nn.network import Network
from ..nn.reference import relu_network, texts_network

Problem = tuple[Network, np.ndarray, np.ndarray]  # a network and its batch X, Y


def texts_problem(seed: int = 0, l2: float = 0.0, keep_prob: float = 1.0) -> Problem:
    """The first text's 7-16-12-10 network with 32 normalised examples of 10 classes."""
    rng = np.random.default_rng(seed)
    X = normalise(rng.standard_normal((32, 7)))
    Y = one_hot(rng.integers(0, 10, 32), 10)
    return texts_network(seed=seed, l2=l2, keep_prob=keep_prob), X, Y


def relu_problem() -> Problem:
    """The course text's 4-5-3-1 ReLU network with 16 examples of two blobs."""
    X, Y = binary_blobs(n=16, n_features=4, seed=0)
    return relu_network(seed=3), X, Y


def sweep_problem(name: str, **options: Any) -> Sweep:
    """Sweep one of the named problems: "network", "relu-network" or "quadratic"; ``options``
    are ``sweep``'s (scheme, seed, ...)."""
    if name == "quadratic":  # the texts' f(x) = x^2 + 3x at x = 2
        return sweep(
            lambda x: float(x[0] ** 2 + 3 * x[0]), np.array([2.0]), lambda x: 2 * x + 3, **options
        )
    net, X, Y = relu_problem() if name == "relu-network" else texts_problem(l2=0.1)
    return sweep(net.cost_fn(X, Y), net.params, net.gradients_fn(X, Y), **options)
