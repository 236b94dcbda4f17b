"""Small synthetic data sets, made on the spot from a seed: nothing is downloaded.

Layout: X has shape (m, n_features), one example per row, every feature min-max normalised
to [0, 1] (the texts' step 3: "X best normalised to [0, 1]"). Multi-class Y is one-hot,
shape (m, n_classes); binary Y has shape (m, 1). Rows come grouped by class; `train` shuffles.
"""

import numpy as np


def normalise(X: np.ndarray) -> np.ndarray:
    """Scale X to [0, 1] per feature, (x - min) / (max - min); a constant feature gives 0."""
    low = X.min(axis=0, keepdims=True)
    span = X.max(axis=0, keepdims=True) - low
    # a constant column would divide 0 by 0: divide by 1 instead, giving all zeros
    span = np.where(span > 0, span, 1.0)
    return (X - low) / span


def one_hot(labels: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """Return the (m, n_classes) one-hot matrix of integer labels of shape (m,).

    Example:
        >>> one_hot(np.array([0, 2]), 3)
        array([[1., 0., 0.],
               [0., 0., 1.]])
    """
    labels = np.asarray(labels, dtype=int)
    if n_classes is None:
        n_classes = int(labels.max()) + 1
    Y = np.zeros((labels.shape[0], n_classes))
    Y[np.arange(labels.shape[0]), labels] = 1.0
    return Y


def to_labels(Y: np.ndarray) -> np.ndarray:
    """Return integer labels (m,) from one-hot (m, n_classes) or binary (m, 1) targets."""
    if Y.shape[1] == 1:
        return (Y[:, 0] > 0.5).astype(int)
    return Y.argmax(axis=1)


def spirals(
    n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Return interleaved 2-D spirals, one arm per class: X (m, 2) in [0, 1], Y one-hot.

    Example:
        >>> X, Y = spirals(n_per_class=10, n_classes=3)
        >>> X.shape, Y.shape
        ((30, 2), (30, 3))
    """
    rng = np.random.default_rng(seed)
    points = []
    labels = []
    for k in range(n_classes):
        radius = np.linspace(0.0, 1.0, n_per_class)
        # each arm turns through 4 radians, starting where the previous one ended
        angle = np.linspace(4.0 * k, 4.0 * (k + 1), n_per_class)
        angle = angle + noise * rng.standard_normal(n_per_class)
        points.append(np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]))
        labels.append(np.full(n_per_class, k))
    X = normalise(np.concatenate(points))
    return X, one_hot(np.concatenate(labels), n_classes)


def blobs(
    n_per_class: int = 100,
    n_classes: int = 3,
    n_features: int = 2,
    spread: float = 1.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Return Gaussian clusters, one per class, centres drawn in [-5, 5]: X in [0, 1], Y one-hot.

    Example (data for the texts' 7 -> 16 -> 12 -> 10 network):
        >>> X, Y = blobs(n_per_class=5, n_classes=10, n_features=7)
        >>> X.shape, Y.shape
        ((50, 7), (50, 10))
    """
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-5.0, 5.0, size=(n_classes, n_features))
    points = []
    labels = []
    for k in range(n_classes):
        points.append(centres[k] + spread * rng.standard_normal((n_per_class, n_features)))
        labels.append(np.full(n_per_class, k))
    X = normalise(np.concatenate(points))
    return X, one_hot(np.concatenate(labels), n_classes)


def binary_blobs(
    n: int = 200, n_features: int = 4, spread: float = 1.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Return two Gaussian clusters of n // 2 rows each: X (n, n_features) in [0, 1], Y (n, 1).

    Example (data for the texts' 4 -> 5 -> 3 -> 1 network):
        >>> X, Y = binary_blobs(n=20)
        >>> X.shape, Y.shape
        ((20, 4), (20, 1))
    """
    X, Y = blobs(n // 2, n_classes=2, n_features=n_features, spread=spread, seed=seed)
    return X, Y[:, 1:]
