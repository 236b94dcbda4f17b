"""Network: the texts' two networks, parameter naming, cost with L2, params=, planted bugs."""

import numpy as np
import pytest

from gradient_check.nn import (
    BUGS,
    CrossEntropy,
    Dropout,
    Linear,
    Network,
    Sigmoid,
    Softmax,
    SoftmaxCrossEntropy,
    binary_blobs,
    blobs,
    inject_bug,
)


def chapter_network(**options) -> Network:
    """The chapter's network: 7 -> 16 -> 12 -> 10, Sigmoid -> Tanh -> Softmax, cross-entropy."""
    sizes, activations = [7, 16, 12, 10], ["sigmoid", "tanh", "softmax"]
    return Network.build(sizes, activations, "cross_entropy", **options)


def course_network(**options) -> Network:
    """The course's network: 4 -> 5 -> 3 -> 1, ReLU -> ReLU -> Sigmoid, binary cross-entropy."""
    sizes, activations = [4, 5, 3, 1], ["relu", "relu", "sigmoid"]
    return Network.build(sizes, activations, "binary_cross_entropy", **options)


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    return blobs(n_per_class=3, n_classes=10, n_features=7)


def test_the_chapter_network_in_one_line(data) -> None:
    X, _ = data
    net = chapter_network()
    assert list(net.params) == ["W1", "B1", "W2", "B2", "W3", "B3"]
    shapes = [array.shape for array in net.params.values()]
    assert shapes == [(7, 16), (1, 16), (16, 12), (1, 12), (12, 10), (1, 10)]
    assert isinstance(net.loss, CrossEntropy)
    A = net.forward(X)
    assert A.shape == (30, 10)
    assert np.allclose(A.sum(axis=1), 1.0)


def test_the_course_network_in_one_line() -> None:
    X, _ = binary_blobs(n=20)
    net = course_network()
    shapes = [array.shape for array in net.params.values()]
    assert shapes == [(4, 5), (1, 5), (5, 3), (1, 3), (3, 1), (1, 1)]
    A = net.forward(X)
    assert A.shape == (20, 1)
    assert np.all((A > 0) & (A < 1))
    assert isinstance(net.layers[-1], Sigmoid)


def test_params_are_the_layers_own_arrays() -> None:
    net = chapter_network()
    linears = net.linear_layers
    for number, layer in enumerate(linears, start=1):
        assert net.params[f"W{number}"] is layer.params["W"]
        assert net.params[f"B{number}"] is layer.params["B"]


def test_in_place_writes_to_params_are_seen(data) -> None:
    X, Y = data
    net = chapter_network()
    before = net.cost(X, Y)
    net.params["W2"] *= 3.0
    assert net.cost(X, Y) != before


def test_build_is_deterministic_by_seed() -> None:
    first, again, other = chapter_network(seed=1), chapter_network(seed=1), chapter_network(seed=2)
    assert all(np.array_equal(first.params[k], again.params[k]) for k in first.params)
    assert not np.array_equal(first.params["W1"], other.params["W1"])


def test_cost_includes_the_l2_term_on_weights_only(data) -> None:
    X, Y = data
    plain, regularised = chapter_network(), chapter_network(l2=0.5)
    m = X.shape[0]
    squares = sum(np.sum(plain.params[f"W{n}"] ** 2) for n in (1, 2, 3))
    # J = loss + λ/(2m) Σ ||W||²
    assert np.isclose(regularised.cost(X, Y), plain.cost(X, Y) + 0.5 / (2 * m) * squares)
    grads, grads_l2 = plain.gradients(X, Y), regularised.gradients(X, Y)
    for name in plain.params:
        # dW += λ/m·W, dB unchanged
        extra = 0.5 / m * plain.params[name] if name.startswith("W") else 0.0
        assert np.allclose(grads_l2[name], grads[name] + extra)


def test_l2_set_later_reaches_the_layers() -> None:
    net = chapter_network()
    net.l2 = 0.3
    assert all(layer.l2 == 0.3 for layer in net.linear_layers)


def test_cost_with_params_does_not_mutate_the_network(data) -> None:
    X, Y = data
    net = chapter_network()
    saved = {name: array.copy() for name, array in net.params.items()}
    objects = {name: id(array) for name, array in net.params.items()}
    other = {name: array + 1.0 for name, array in net.params.items()}
    cost_other = net.cost(X, Y, other)
    net.gradients(X, Y, other)
    assert cost_other != net.cost(X, Y)
    for name, array in net.params.items():
        assert id(array) == objects[name]
        assert np.array_equal(array, saved[name])
    for layer, number in zip(net.linear_layers, (1, 2, 3), strict=True):
        assert layer.params["W"] is net.params[f"W{number}"]


def test_params_argument_gives_what_a_network_with_those_params_gives(data) -> None:
    X, Y = data
    net, twin = chapter_network(seed=0, l2=0.2), chapter_network(seed=5, l2=0.2)
    assert np.isclose(net.cost(X, Y, twin.params), twin.cost(X, Y))
    ours, theirs = net.gradients(X, Y, twin.params), twin.gradients(X, Y)
    assert all(np.allclose(ours[name], theirs[name]) for name in ours)
    assert list(ours) == list(net.params)


def test_cost_fn_and_gradients_fn(data) -> None:
    X, Y = data
    net = chapter_network()
    assert net.cost_fn(X, Y)(net.params) == net.cost(X, Y)
    grads = net.gradients_fn(X, Y)(net.params)
    assert all(np.array_equal(grads[k], v) for k, v in net.gradients(X, Y).items())


def test_params_with_missing_keys_or_wrong_shapes_are_refused(data) -> None:
    X, Y = data
    net = chapter_network()
    with pytest.raises(ValueError, match="`params` lacks W3, B3"):
        net.cost(X, Y, {k: v for k, v in net.params.items() if k.endswith(("1", "2"))})
    bad = dict(net.params, W2=np.zeros((12, 16)))
    with pytest.raises(ValueError, match=r"`params\['W2'\]` has shape \(12, 16\)"):
        net.cost(X, Y, bad)
    assert net.linear_layers[0].params["W"] is net.params["W1"]


def test_build_errors() -> None:
    with pytest.raises(ValueError, match="one name per layer"):
        Network.build([2, 3, 4], ["tanh"])
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        Network.build([2, 3], ["swish"])
    with pytest.raises(ValueError, match="unknown `loss`"):
        Network.build([2, 3], ["softmax"], loss="hinge")


def test_fused_loss_on_logits() -> None:
    net = Network.build([2, 4, 3], ["tanh", None], "softmax_cross_entropy")
    assert isinstance(net.loss, SoftmaxCrossEntropy)
    assert not any(isinstance(layer, Softmax) for layer in net.layers)


def test_keep_prob_puts_dropout_after_hidden_layers_and_predict_turns_it_off(data) -> None:
    X, Y = data
    net = chapter_network(keep_prob=0.5)
    kinds = [type(layer).__name__ for layer in net.layers]
    hidden = ["Linear", "Sigmoid", "Dropout", "Linear", "Tanh", "Dropout"]
    assert kinds == [*hidden, "Linear", "Softmax"]
    assert net.cost(X, Y) != net.cost(X, Y)
    net.freeze_dropout()
    assert net.cost(X, Y) == net.cost(X, Y)
    net.freeze_dropout(False)
    assert np.array_equal(net.predict(X), chapter_network().forward(X))
    assert all(layer.training for layer in net.layers if isinstance(layer, Dropout))


@pytest.mark.parametrize(("kind", "layer"), [("drop_1_over_m", 2), ("drop_l2", 1), ("drop_l2", 3)])
def test_a_layer_bug_changes_exactly_one_gradient(data, kind: str, layer: int) -> None:
    X, Y = data
    clean = chapter_network(l2=0.7)
    buggy = inject_bug(chapter_network(l2=0.7), kind, layer)
    assert buggy.cost(X, Y) == clean.cost(X, Y)
    right, wrong = clean.gradients(X, Y), buggy.gradients(X, Y)
    changed = [name for name in right if not np.array_equal(right[name], wrong[name])]
    assert changed == [f"W{layer}"]


def test_the_cost_bug_changes_the_cost_and_no_gradient(data) -> None:
    X, Y = data
    clean = chapter_network(l2=0.7)
    buggy = inject_bug(chapter_network(l2=0.7), "no_l2_in_cost")
    assert buggy.cost(X, Y) < clean.cost(X, Y)
    right, wrong = clean.gradients(X, Y), buggy.gradients(X, Y)
    assert all(np.array_equal(right[name], wrong[name]) for name in right)


def test_inject_bug_errors() -> None:
    assert set(BUGS) == {"drop_1_over_m", "drop_l2", "no_l2_in_cost"}
    with pytest.raises(ValueError, match="unknown bug 'typo'"):
        inject_bug(chapter_network(), "typo", 1)
    with pytest.raises(ValueError, match="changes nothing when the network's l2 is 0"):
        inject_bug(chapter_network(), "drop_l2", 1)
    with pytest.raises(ValueError, match="needs `layer`, a number from 1 to 3; got 4"):
        inject_bug(chapter_network(), "drop_1_over_m", 4)
    with pytest.raises(ValueError, match="drop `layer`"):
        inject_bug(chapter_network(l2=1.0), "no_l2_in_cost", 2)


def test_a_hand_assembled_network_names_its_params() -> None:
    rng = np.random.default_rng(0)
    net = Network([Linear(3, 4, rng), Sigmoid(), Linear(4, 2, rng), Softmax()], CrossEntropy())
    assert list(net.params) == ["W1", "B1", "W2", "B2"]
    assert "Linear(3, 4) -> Sigmoid()" in repr(net)
