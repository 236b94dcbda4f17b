"""The texts' two networks, defined once: the demo, the sweep and mutation testing use them.

- ``texts_network``: 7 -> 16 -> 12 -> 10, sigmoid, tanh, softmax, cross-entropy (with L2
  and dropout where asked): the network of the first text.
- ``relu_network``: 4 -> 5 -> 3 -> 1, ReLU, ReLU, sigmoid, binary cross-entropy: the
  course text's network, whose ReLUs have kinks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradient_check.nn.data import one_hot
from gradient_check.nn.network import Network

TEXTS_SIZES = (7, 16, 12, 10)
TEXTS_ACTIVATIONS = ("sigmoid", "tanh", "softmax")
RELU_SIZES = (4, 5, 3, 1)
RELU_ACTIVATIONS = ("relu", "relu", "sigmoid")


def texts_network(seed: int = 0, l2: float = 0.0, keep_prob: float = 1.0) -> Network:
    """The first text's network: 7-16-12-10, sigmoid, tanh, softmax, cross-entropy."""
    return Network.build(
        TEXTS_SIZES, TEXTS_ACTIVATIONS, "cross_entropy", seed=seed, l2=l2, keep_prob=keep_prob
    )


def relu_network(seed: int = 3) -> Network:
    """The course text's network: 4-5-3-1, ReLU, ReLU, sigmoid, binary cross-entropy."""
    return Network.build(RELU_SIZES, RELU_ACTIVATIONS, "binary_cross_entropy", seed=seed)


@dataclass(frozen=True)
class ReferenceNetwork:
    """One of the texts' networks, with a batch to check it on."""

    name: str
    net: Network
    X: np.ndarray
    Y: np.ndarray


def reference_networks() -> list[ReferenceNetwork]:
    """The texts' two networks, with data that keeps accidental equivalence and kinks away.

    Each batch has m = 11 rows of standard normal inputs: m differs from every layer width, so
    a mutant that confuses the batch axis with a unit axis gives other numbers (or shapes), not
    the same ones; the values have no symmetry a swapped axis or argument could hide behind.
    For the ReLU network the seeds are chosen so that every pre-activation is at least 0.02
    away from the kink at 0 (a finite difference step moves it by about 1e-5) and every ReLU
    unit is on for some rows and off for others, so a mutated mask changes the gradient.
    """
    rng = np.random.default_rng(1)
    X1 = rng.standard_normal((11, 7))
    Y1 = one_hot(rng.integers(0, 10, 11), 10)
    rng = np.random.default_rng(8)
    X2 = rng.standard_normal((11, 4))
    Y2 = (rng.random((11, 1)) > 0.5).astype(float)
    return [
        ReferenceNetwork("7-16-12-10", texts_network(seed=0, l2=0.1), X1, Y1),
        ReferenceNetwork("4-5-3-1", relu_network(seed=2), X2, Y2),
    ]
