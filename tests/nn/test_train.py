"""Training: it learns, it is seeded privately, and the callback runs at step 0 and every N."""

import numpy as np
import pytest

from gradient_check.nn import Network, accuracy, binary_blobs, spirals, train


def spiral_network(seed: int = 0) -> Network:
    return Network.build([2, 32, 32, 3], ["tanh", "tanh", "softmax"], "cross_entropy", seed=seed)


@pytest.mark.parametrize(("optimizer", "lr"), [("sgd", 0.5), ("momentum", 0.5), ("adam", 0.01)])
def test_training_reduces_the_cost_on_spirals(optimizer: str, lr: float) -> None:
    X, Y = spirals()
    net = spiral_network()
    initial = net.cost(X, Y)
    result = train(net, X, Y, epochs=60, batch_size=32, lr=lr, optimizer=optimizer)
    assert net.cost(X, Y) < 0.5 * initial
    assert len(result.losses) == 60 * 10
    assert accuracy(net, X, Y) > 0.8


def test_training_the_course_network_on_binary_blobs() -> None:
    X, Y = binary_blobs(n=100)
    net = Network.build([4, 5, 3, 1], ["relu", "relu", "sigmoid"], "binary_cross_entropy", l2=0.1)
    initial = net.cost(X, Y)
    train(net, X, Y, epochs=30, batch_size=20, lr=0.01, optimizer="adam")
    assert net.cost(X, Y) < 0.5 * initial
    assert accuracy(net, X, Y) > 0.9


def test_training_updates_params_in_place() -> None:
    X, Y = spirals(n_per_class=10)
    net = spiral_network()
    objects = [id(array) for array in net.params.values()]
    train(net, X, Y, epochs=1, batch_size=10, optimizer="adam")
    assert [id(array) for array in net.params.values()] == objects
    assert net.linear_layers[0].params["W"] is net.params["W1"]


def test_training_leaves_the_global_rng_alone() -> None:
    X, Y = spirals(n_per_class=20)
    np.random.seed(123)
    state = np.random.get_state()
    train(spiral_network(), X, Y, epochs=3, batch_size=16)
    after = np.random.get_state()
    assert state[0] == after[0]
    assert np.array_equal(state[1], after[1])
    assert state[2:] == after[2:]


def test_training_is_deterministic_by_seed() -> None:
    X, Y = spirals(n_per_class=20)
    first = train(spiral_network(), X, Y, epochs=3, batch_size=16, seed=4).losses
    again = train(spiral_network(), X, Y, epochs=3, batch_size=16, seed=4).losses
    other = train(spiral_network(), X, Y, epochs=3, batch_size=16, seed=5).losses
    assert first == again
    assert first != other


def test_callback_runs_at_step_zero_and_every_n_steps() -> None:
    X, Y = spirals(n_per_class=20)
    net = spiral_network()
    seen_costs = []

    def callback(step: int, seen: Network) -> str:
        assert seen is net
        seen_costs.append(net.cost(X, Y))
        return f"checked at {step}"

    losses, history = train(net, X, Y, epochs=4, batch_size=15, callback=callback, every=3)
    assert len(losses) == 16
    assert [step for step, _ in history] == [0, 3, 6, 9, 12, 15]
    assert history[0] == (0, "checked at 0")
    assert seen_costs[0] == spiral_network().cost(X, Y)


def test_callback_without_every_runs_once() -> None:
    X, Y = spirals(n_per_class=5)
    _, history = train(spiral_network(), X, Y, epochs=2, batch_size=5, callback=lambda s, n: s)
    assert history == [(0, 0)]


def test_progress_bar_runs(capsys) -> None:
    X, Y = spirals(n_per_class=5)
    losses, _ = train(spiral_network(), X, Y, epochs=2, batch_size=5, progress=True)
    assert len(losses) == 6


def test_train_errors() -> None:
    X, Y = spirals(n_per_class=5)
    with pytest.raises(ValueError, match="unknown `optimizer` 'rmsprop'"):
        train(spiral_network(), X, Y, optimizer="rmsprop")
    with pytest.raises(ValueError, match="`X` has 15 rows but `Y` has 14"):
        train(spiral_network(), X, Y[:-1])
