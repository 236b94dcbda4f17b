"""The commands fail with a sentence, not a traceback, and run the texts' problems."""

import textwrap

import numpy as np
from click.testing import CliRunner

from gradient_check.cli.commands import cli
from gradient_check.cli.problems import relu_problem, sweep_problem, texts_problem
from gradient_check.nn.reference import RELU_SIZES, TEXTS_SIZES


def test_a_target_the_check_refuses_is_an_error_message(tmp_path, monkeypatch):
    (tmp_path / "scalarmodel.py").write_text(
        textwrap.dedent(
            """
            import numpy as np

            params = np.array([0.5, -1.0, 2.0])


            def loss(p):
                return float(p @ p)


            def backward(p):
                return float(2 * p.sum())  # a number where the gradient needs an array
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["mutate", "--target", "scalarmodel:backward"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: `grads`")
    assert "has shape ()" in result.output and "Traceback" not in result.output


def test_the_problems_are_the_reference_networks():
    net, X, Y = texts_problem(l2=0.1)
    assert [layer.params["W"].shape[0] for layer in net.linear_layers] == list(TEXTS_SIZES[:-1])
    assert X.shape == (32, TEXTS_SIZES[0]) and Y.shape == (32, TEXTS_SIZES[-1])
    net, X, Y = relu_problem()
    assert [layer.params["W"].shape[1] for layer in net.linear_layers] == list(RELU_SIZES[1:])
    assert X.shape == (16, RELU_SIZES[0])


def test_sweep_of_the_texts_network_brackets_its_automatic_step():
    result = sweep_problem("network")
    assert result.elements > 1
    assert min(p.h for p in result.points) < result.auto_h < max(p.h for p in result.points)
    assert np.isfinite([p.measured for p in result.points]).all()
