"""Layers: shapes, softmax rows, a stable sigmoid, parameters read at call time, dropout."""

import numpy as np
import pytest

from gradient_check.nn import Dropout, LeakyReLU, Linear, ReLU, Sigmoid, Softmax, Tanh


def test_linear_shapes_and_grads() -> None:
    layer = Linear(3, 2, np.random.default_rng(0))
    assert layer.params["W"].shape == (3, 2)
    assert layer.params["B"].shape == (1, 2)
    x = np.ones((5, 3))
    y = layer.forward(x)
    assert y.shape == (5, 2)
    dx = layer.backward(np.ones_like(y))
    assert dx.shape == x.shape
    assert {key: grad.shape for key, grad in layer.grads.items()} == {"W": (3, 2), "B": (1, 2)}


def test_linear_initial_parameters_are_random_and_non_zero() -> None:
    layer = Linear(4, 3, np.random.default_rng(0))
    assert np.all(layer.params["W"] != 0)
    assert np.all(layer.params["B"] != 0)


def test_linear_reads_its_params_at_call_time() -> None:
    layer = Linear(2, 2, np.random.default_rng(0))
    x = np.ones((1, 2))
    layer.params["W"][...] = 0.0
    layer.params["B"][...] = 1.0
    assert np.array_equal(layer.forward(x), [[1.0, 1.0]])
    layer.params["W"] = np.eye(2)
    assert np.array_equal(layer.forward(x), [[2.0, 2.0]])


@pytest.mark.parametrize("make", [Sigmoid, Tanh, ReLU, LeakyReLU, Softmax])
def test_activation_shapes(make: type) -> None:
    layer = make()
    x = np.random.default_rng(0).standard_normal((6, 4))
    assert layer.forward(x).shape == (6, 4)
    assert layer.backward(np.ones((6, 4))).shape == (6, 4)
    assert layer.params == {}


def test_softmax_rows_sum_to_one_even_for_huge_logits() -> None:
    x = np.random.default_rng(0).standard_normal((8, 5)) * 1000.0
    y = Softmax().forward(x)
    assert np.allclose(y.sum(axis=1), 1.0)
    assert np.all(y >= 0.0)


def test_softmax_backward_is_the_jacobian_product() -> None:
    layer = Softmax()
    z = np.array([[0.5, -1.0, 2.0]])
    a = layer.forward(z)[0]
    dy = np.array([[1.0, 2.0, -3.0]])
    # ∂A_i/∂Z_j = A_i·(δ_ij - A_j), written out for one example
    jacobian = np.diag(a) - np.outer(a, a)
    assert np.allclose(layer.backward(dy)[0], dy[0] @ jacobian)


def test_sigmoid_is_stable_and_right() -> None:
    x = np.array([[-1000.0, -2.0, 0.0, 2.0, 1000.0]])
    y = Sigmoid().forward(x)
    assert np.allclose(y, [[0.0, 1 / (1 + np.exp(2.0)), 0.5, 1 / (1 + np.exp(-2.0)), 1.0]])


def test_relu_and_leaky_relu_values() -> None:
    x = np.array([[-2.0, 3.0]])
    assert np.array_equal(ReLU().forward(x), [[0.0, 3.0]])
    assert np.allclose(LeakyReLU(slope=0.1).forward(x), [[-0.2, 3.0]])
    leaky = LeakyReLU(slope=0.1)
    leaky.forward(x)
    assert np.allclose(leaky.backward(np.ones((1, 2))), [[0.1, 1.0]])


def test_dropout_frozen_mask_gives_the_same_output_twice() -> None:
    layer = Dropout(keep_prob=0.5, seed=0)
    layer.freeze()
    x = np.ones((10, 20))
    assert np.array_equal(layer.forward(x), layer.forward(x))


def test_dropout_unfrozen_mask_changes() -> None:
    layer = Dropout(keep_prob=0.5, seed=0)
    x = np.ones((10, 20))
    first = layer.forward(x)
    assert not np.array_equal(first, layer.forward(x))
    layer.freeze()
    frozen = layer.forward(x)
    layer.unfreeze()
    assert not np.array_equal(frozen, layer.forward(x))


def test_dropout_keeps_the_expected_value_and_scales_by_keep_prob() -> None:
    layer = Dropout(keep_prob=0.8, seed=0)
    y = layer.forward(np.ones((200, 200)))
    assert set(np.unique(y)) <= {0.0, 1.0 / 0.8}
    assert abs(y.mean() - 1.0) < 0.02


def test_dropout_keep_prob_one_is_the_identity() -> None:
    layer = Dropout(keep_prob=1.0, seed=0)
    x = np.random.default_rng(0).standard_normal((4, 3))
    assert layer.forward(x) is x
    dy = np.ones((4, 3))
    assert layer.backward(dy) is dy


def test_dropout_off_in_prediction_keeps_the_frozen_mask() -> None:
    layer = Dropout(keep_prob=0.5, seed=0)
    layer.freeze()
    x = np.ones((3, 4))
    before = layer.forward(x)
    layer.training = False
    assert layer.forward(x) is x
    layer.training = True
    assert np.array_equal(layer.forward(x), before)


def test_dropout_is_seeded_and_leaves_the_global_rng_alone() -> None:
    state = np.random.get_state()
    x = np.ones((5, 5))
    first = Dropout(keep_prob=0.5, seed=7).forward(x)
    second = Dropout(keep_prob=0.5, seed=7).forward(x)
    assert np.array_equal(first, second)
    after = np.random.get_state()
    assert state[0] == after[0]
    assert np.array_equal(state[1], after[1])
    assert state[2:] == after[2:]


def test_dropout_errors() -> None:
    with pytest.raises(ValueError, match="`keep_prob` must be in"):
        Dropout(keep_prob=0.0)
    layer = Dropout(keep_prob=0.5)
    layer.freeze()
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="call unfreeze"):
        layer.forward(np.ones((4, 3)))
