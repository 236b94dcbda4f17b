"""Losses: the cost J averaged over the m examples, and its gradient wrt the network output.

`forward(A, Y)` returns J, a float averaged over the m rows (the 1/m factor of the texts).
`backward()` returns the per-example gradient dA, i.e. m·∂J/∂A, the signal the layers expect
(see the conventions in `gradient_check.nn.layers`): for softmax with cross-entropy it is the
texts' dZ = A - Y. The L2 term is the network's, not the loss's.
"""

import numpy as np


class Loss:
    """A cost J(A, Y) averaged over the rows, and its per-example gradient."""

    def forward(self, A: np.ndarray, Y: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class CrossEntropy(Loss):
    """Multi-class cross-entropy on probabilities, J = -1/m Σ_i Σ_j Y_ij·ln A_ij.

    Put it after a `Softmax` layer, as the texts' network does: Softmax's backward turns
    dA = -Y/A into dZ = A - Y. A probability of exactly 0 where Y is 1 gives an infinite
    cost; `SoftmaxCrossEntropy` on logits never does.

    Example:
        >>> Y = np.array([[0.0, 1.0]])
        >>> round(CrossEntropy().forward(np.array([[0.5, 0.5]]), Y), 6)
        0.693147
    """

    def forward(self, A: np.ndarray, Y: np.ndarray) -> float:
        self.A = A
        self.Y = Y
        m = A.shape[0]
        # J = -1/m · Σ Y·ln A
        return float(-np.sum(Y * np.log(A)) / m)

    def backward(self) -> np.ndarray:
        # dA = -Y / A
        return -self.Y / self.A


class SoftmaxCrossEntropy(Loss):
    """Softmax and multi-class cross-entropy fused, on logits Z: J = -1/m Σ Y·log_softmax(Z).

    The network's last layer is then `Linear` with no activation; the output of
    `Network.forward` is logits, and softmax of them is the probability.

    Example:
        >>> Y = np.array([[0.0, 1.0]])
        >>> round(SoftmaxCrossEntropy().forward(np.array([[0.0, 0.0]]), Y), 6)
        0.693147
    """

    def forward(self, A: np.ndarray, Y: np.ndarray) -> float:
        Z = A
        m = Z.shape[0]
        # log_softmax(Z) = Z - max - ln Σ e^(Z - max), finite for any logits
        shifted = Z - Z.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        self.probs = np.exp(log_probs)
        self.Y = Y
        # J = -1/m · Σ Y·log_softmax(Z)
        return float(-np.sum(Y * log_probs) / m)

    def backward(self) -> np.ndarray:
        # dZ = softmax(Z) - Y
        return self.probs - self.Y


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy on sigmoid probabilities, J = -1/m Σ [Y·ln A + (1-Y)·ln(1-A)].

    A of exactly 0 or 1 (a saturated sigmoid) gives an infinite cost.

    Example:
        >>> Y = np.array([[1.0], [0.0]])
        >>> round(BinaryCrossEntropy().forward(np.array([[0.5], [0.5]]), Y), 6)
        0.693147
    """

    def forward(self, A: np.ndarray, Y: np.ndarray) -> float:
        self.A = A
        self.Y = Y
        m = A.shape[0]
        # J = -1/m · Σ [Y·ln A + (1-Y)·ln(1-A)]
        return float(-np.sum(Y * np.log(A) + (1.0 - Y) * np.log(1.0 - A)) / m)

    def backward(self) -> np.ndarray:
        A = self.A
        Y = self.Y
        # dA = -Y/A + (1-Y)/(1-A); after a Sigmoid layer this becomes dZ = A - Y
        return -Y / A + (1.0 - Y) / (1.0 - A)


class MeanSquaredError(Loss):
    """Half the mean squared error, J = 1/(2m) Σ (A - Y)², so that dA = A - Y.

    Example:
        >>> MeanSquaredError().forward(np.array([[1.0], [3.0]]), np.array([[0.0], [1.0]]))
        1.25
    """

    def forward(self, A: np.ndarray, Y: np.ndarray) -> float:
        self.A = A
        self.Y = Y
        m = A.shape[0]
        # J = 1/(2m) · Σ (A - Y)²
        return float(np.sum((A - Y) ** 2) / (2 * m))

    def backward(self) -> np.ndarray:
        # dA = A - Y
        return self.A - self.Y
