"""Data: shapes, features in [0, 1], one-hot labels, determinism by seed."""

import numpy as np
import pytest

from gradient_check.nn import binary_blobs, blobs, normalise, one_hot, spirals, to_labels

MAKERS = {
    "spirals": lambda seed: spirals(n_per_class=50, n_classes=3, seed=seed),
    "blobs": lambda seed: blobs(n_per_class=20, n_classes=10, n_features=7, seed=seed),
    "binary_blobs": lambda seed: binary_blobs(n=40, n_features=4, seed=seed),
}


@pytest.mark.parametrize("name", MAKERS)
def test_features_are_min_max_normalised(name: str) -> None:
    X, _ = MAKERS[name](0)
    assert np.allclose(X.min(axis=0), 0.0)
    assert np.allclose(X.max(axis=0), 1.0)


@pytest.mark.parametrize("name", MAKERS)
def test_deterministic_by_seed(name: str) -> None:
    X, Y = MAKERS[name](0)
    X_again, Y_again = MAKERS[name](0)
    X_other, _ = MAKERS[name](1)
    assert np.array_equal(X, X_again)
    assert np.array_equal(Y, Y_again)
    assert not np.array_equal(X, X_other)


def test_shapes_and_one_hot_labels() -> None:
    X, Y = spirals(n_per_class=50, n_classes=3)
    assert X.shape == (150, 2)
    assert Y.shape == (150, 3)
    assert np.array_equal(Y.sum(axis=1), np.ones(150))
    assert np.array_equal(np.bincount(to_labels(Y)), [50, 50, 50])
    X, Y = blobs(n_per_class=4, n_classes=10, n_features=7)
    assert X.shape == (40, 7)
    assert Y.shape == (40, 10)


def test_binary_targets_are_one_column_of_zeros_and_ones() -> None:
    X, Y = binary_blobs(n=40)
    assert X.shape == (40, 4)
    assert Y.shape == (40, 1)
    assert set(np.unique(Y)) == {0.0, 1.0}
    assert np.array_equal(np.bincount(to_labels(Y)), [20, 20])


def test_one_hot_and_to_labels_invert_each_other() -> None:
    labels = np.array([2, 0, 1, 2])
    Y = one_hot(labels)
    assert Y.shape == (4, 3)
    assert np.array_equal(to_labels(Y), labels)
    assert one_hot(labels, 5).shape == (4, 5)


def test_normalise_maps_a_constant_feature_to_zero() -> None:
    X = np.array([[1.0, 5.0], [3.0, 5.0], [2.0, 5.0]])
    assert np.array_equal(normalise(X), [[0.0, 0.0], [1.0, 0.0], [0.5, 0.0]])


def test_data_leaves_the_global_rng_alone() -> None:
    state = np.random.get_state()
    spirals()
    blobs()
    binary_blobs()
    after = np.random.get_state()
    assert np.array_equal(state[1], after[1])
