"""A small numpy neural network, written by hand: the subject the gradient checker is tried on.

Read it in this order: `layers` (forward and backward of each layer), `losses`, `network`
(the cost J with L2, parameters W1, B1, W2, ...), `train`, `data`. Rows are examples.

Example (the texts' two networks, one line each, and what a checker is handed):
    >>> from gradient_check.nn import Network, blobs
    >>> net = Network.build([4, 5, 3, 1], ["relu", "relu", "sigmoid"], "binary_cross_entropy")
    >>> net = Network.build([7, 16, 12, 10], ["sigmoid", "tanh", "softmax"], "cross_entropy")
    >>> X, Y = blobs(n_per_class=5, n_classes=10, n_features=7)
    >>> loss, grads = net.cost_fn(X, Y), net.gradients_fn(X, Y)  # check(loss, net.params, grads)
    >>> sorted(grads(net.params)) == sorted(net.params)
    True
"""

from gradient_check.nn.data import binary_blobs, blobs, normalise, one_hot, spirals, to_labels
from gradient_check.nn.layer_check import layer_checks
from gradient_check.nn.layers import (
    Dropout,
    Layer,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from gradient_check.nn.losses import (
    BinaryCrossEntropy,
    CrossEntropy,
    Loss,
    MeanSquaredError,
    SoftmaxCrossEntropy,
)
from gradient_check.nn.network import ACTIVATIONS, BUGS, LOSSES, Network, inject_bug
from gradient_check.nn.train import OPTIMIZERS, TrainResult, accuracy, train

__all__ = [
    "ACTIVATIONS",
    "BUGS",
    "LOSSES",
    "OPTIMIZERS",
    "BinaryCrossEntropy",
    "CrossEntropy",
    "Dropout",
    "Layer",
    "LeakyReLU",
    "Linear",
    "Loss",
    "MeanSquaredError",
    "Network",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "SoftmaxCrossEntropy",
    "Tanh",
    "TrainResult",
    "accuracy",
    "binary_blobs",
    "blobs",
    "inject_bug",
    "layer_checks",
    "normalise",
    "one_hot",
    "spirals",
    "to_labels",
    "train",
]
