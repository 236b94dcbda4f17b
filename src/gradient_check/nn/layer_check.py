"""Which layer's backward is wrong: check each layer as a function of its own input.

A parameter check says *which parameter* has a wrong gradient; a wrong activation
backward shows up in every parameter below it. Checking each layer's backward as the
vector-Jacobian product of its forward, at the input it receives on X, names the layer.
"""

from __future__ import annotations

import numpy as np

from ..checks.products import check_vjp
from ..report import Report
from .network import Network


def layer_checks(net: Network, X: np.ndarray) -> list[tuple[str, Report]]:
    """A VJP check of every layer's backward at the input it sees in ``net.forward(X)``.

    Each layer's forward is the function, its input the parameter, and ``backward`` the VJP
    (dX = backward(dY) after forward(X), per example, as the layers compute it).
    """
    results = []
    A = np.array(X, dtype=np.float64)
    for position, layer in enumerate(net.layers, start=1):
        inputs = A.copy()

        def vjp(x, cotangent, layer=layer):
            layer.forward(x)
            return layer.backward(cotangent)

        report = check_vjp(layer.forward, inputs, vjp)
        results.append((f"{position}. {layer!r}", report))
        A = layer.forward(A)
    return results
