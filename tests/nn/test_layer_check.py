"""Each layer's backward checked as the VJP of its forward: the wrong layer is named."""

from types import MethodType

import numpy as np
import pytest

from gradient_check import nn


def _net():
    net = nn.Network.build(
        [7, 16, 12, 10], ["sigmoid", "tanh", "softmax"], loss="cross_entropy", seed=0, l2=0.1
    )
    X = nn.normalise(np.random.default_rng(0).standard_normal((6, 7)))
    return net, X


def test_every_layer_of_the_texts_network_is_right():
    net, X = _net()
    results = nn.layer_checks(net, X)
    assert [name for name, _ in results] == [
        "1. Linear(7, 16)",
        "2. Sigmoid()",
        "3. Linear(16, 12)",
        "4. Tanh()",
        "5. Linear(12, 10)",
        "6. Softmax()",
    ]
    assert all(report.ok for _, report in results)


BROKEN = {
    2: lambda self, dy: dy * self.y,  # sigmoid' should be y (1 - y)
    4: lambda self, dy: dy * (1.0 - self.y),  # tanh' should be 1 - y^2
    6: lambda self, dy: dy * self.y * (1 - self.y),  # softmax: diagonal only
}


@pytest.mark.parametrize("position", [2, 4, 6])
def test_a_broken_layer_backward_is_named_and_only_it(position):
    net, X = _net()
    layer = net.layers[position - 1]
    layer.backward = MethodType(BROKEN[position], layer)
    failing = [name for name, report in nn.layer_checks(net, X) if not report.ok]
    assert failing == [f"{position}. {layer!r}"]


def test_relu_network_layers_away_from_kinks():
    net = nn.Network.build(
        [4, 5, 3, 1], ["relu", "relu", "sigmoid"], loss="binary_cross_entropy", seed=3
    )
    X, _ = nn.binary_blobs(n=6, n_features=4, seed=0)
    assert all(report.ok for _, report in nn.layer_checks(net, X))
