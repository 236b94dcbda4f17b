"""Small problems with hand-written gradients, shared by the tests."""

import numpy as np
import pytest


class TanhNet:
    """A two-layer tanh network with a mean-squared-error cost and a hand-written backward."""

    def __init__(self, seed: int = 0, m: int = 12):
        rng = np.random.default_rng(seed)
        self.X = rng.random((m, 4))
        self.Y = rng.random((m, 2))
        self.params = {
            "W1": rng.standard_normal((4, 5)),
            "B1": 0.1 * rng.standard_normal((1, 5)),
            "W2": rng.standard_normal((5, 2)),
            "B2": 0.1 * rng.standard_normal((1, 2)),
        }

    def loss(self, p) -> float:
        Z = np.tanh(self.X @ p["W1"] + p["B1"])
        out = Z @ p["W2"] + p["B2"]
        return float(0.5 * np.sum((out - self.Y) ** 2) / self.X.shape[0])

    def grads(self, p, bug: str | None = None) -> dict:
        m = self.X.shape[0]
        Z = np.tanh(self.X @ p["W1"] + p["B1"])
        out = Z @ p["W2"] + p["B2"]
        d_out = (out - self.Y) / m
        dW2 = Z.T @ d_out
        dB2 = d_out.sum(axis=0, keepdims=True)
        dZ = (d_out @ p["W2"].T) * (1 - Z**2)
        dW1 = self.X.T @ dZ
        dB1 = dZ.sum(axis=0, keepdims=True)
        grads = {"W1": dW1, "B1": dB1, "W2": dW2, "B2": dB2}
        if bug is not None:
            grads[bug] = grads[bug] * 1.1
        return grads


@pytest.fixture
def net() -> TanhNet:
    return TanhNet()
