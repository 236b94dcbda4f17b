"""What is mutated: a backward named MODULE:FUNC, or the methods a network runs, on instances."""

import textwrap

import numpy as np
import pytest

from gradient_check import nn
from gradient_check.mutation.errors import MutationError
from gradient_check.mutation.targets import backward_targets, installed, is_selected, load_target

USER_MODEL = """
import numpy as np

params = {"w": np.array([0.5, -1.0, 2.0])}


def args():
    return (np.array([1.0, 2.0, 3.0]),)


def loss(p, x):
    return float(np.sum(p["w"] ** 2 * x))


def backward(p, x):
    return {"w": 2 * p["w"] * x}
"""


def small_network():
    net = nn.Network.build([3, 4, 2], ["tanh", "softmax"], "cross_entropy", seed=1, l2=0.1)
    rng = np.random.default_rng(5)
    return net, rng.standard_normal((7, 3)), nn.one_hot(np.array([0, 1, 1, 0, 1, 0, 0]), 2)


def test_backward_targets_are_the_methods_the_network_runs_with_their_instances():
    net, _, _ = small_network()
    targets = backward_targets(net)
    assert [f.__qualname__ for f in targets] == [
        "Linear.backward",
        "Tanh.backward",
        "Softmax.backward",
        "CrossEntropy.backward",
    ]
    assert targets[nn.Linear.backward] == net.linear_layers
    assert targets[nn.CrossEntropy.backward] == [net.loss]


def test_targets_are_selected_by_class_name_qualified_name_or_function():
    function = nn.Linear.backward
    assert is_selected(function, None)
    for selection in ([nn.Linear], ["Linear"], ["Linear.backward"], [function]):
        assert is_selected(function, selection)
    assert not is_selected(function, [nn.Tanh, "Tanh", "backward"])


def test_mutants_are_installed_on_instances_only_and_removed_after_an_exception():
    net, X, Y = small_network()
    linears = net.linear_layers
    original = nn.Linear.backward

    def fake(self, dZ):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), installed(linears, fake):
        assert nn.Linear.backward is original
        net.gradients(X, Y)
    assert nn.Linear.backward is original
    assert all("backward" not in vars(layer) for layer in linears)


def test_load_target_by_path_calls_params_and_args_when_they_are_functions(tmp_path):
    path = tmp_path / "usermodel_by_path.py"
    path.write_text(textwrap.dedent(USER_MODEL))
    backward, loss, params, args = load_target(f"{path}:backward")
    assert backward.__name__ == "backward" and loss.__name__ == "loss"
    np.testing.assert_array_equal(params["w"], [0.5, -1.0, 2.0])
    assert isinstance(args, tuple) and len(args) == 1


def test_load_target_refuses_what_it_cannot_load(tmp_path, monkeypatch):
    (tmp_path / "usermodel_refused.py").write_text(textwrap.dedent(USER_MODEL))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MutationError, match="is not MODULE:FUNC"):
        load_target("usermodel_refused")
    with pytest.raises(MutationError, match="lacks nothing"):
        load_target("usermodel_refused:nothing")
    with pytest.raises(MutationError, match="cannot import 'no_such_module'"):
        load_target("no_such_module:backward")
    with pytest.raises(MutationError, match="no file"):
        load_target(f"{tmp_path / 'absent.py'}:backward")
