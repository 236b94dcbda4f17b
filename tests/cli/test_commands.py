"""The commands fail with a sentence, not a traceback, and run the texts' problems;
``mutate`` and ``sweep`` on the user's own code (``check`` has tests/cli/test_check_command.py)."""

import json
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
    assert result.exit_code == 2  # not checked: the reference gradient itself is refused
    assert result.stderr.startswith("Error: `grads`") and result.stderr.count("\n") == 1
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


USERMODEL = """
import numpy as np

params = {"w": np.array([0.5, -1.0, 2.0])}
args = (np.array([1.0, 2.0, 3.0]),)


def loss(p, x):
    return float(np.sum(p["w"] ** 2 * x) + 1e-12 * np.sum(p["w"]))


def backward(p, x):  # the 1e-12 is below what any finite difference resolves
    return {"w": 2 * p["w"] * x + 1e-12}
"""


def test_mutate_exits_1_when_a_mutant_survives_and_lists_the_unjudged_with_verbose(
    tmp_path, monkeypatch
):
    (tmp_path / "usermodel.py").write_text(USERMODEL)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    survived = runner.invoke(cli, ["mutate", "--target", "usermodel:backward", "--verbose"])
    assert survived.exit_code == 1, survived.output
    assert "survivors" in survived.output
    assert "mutants not judged: crashed or equivalent" in survived.output
    assert "│ crashed │" in survived.output  # e.g. `return {'w': 1e-12}`: a scalar gradient
    quiet = runner.invoke(cli, ["mutate", "--target", "usermodel:backward"])
    assert quiet.exit_code == 1 and "not judged" not in quiet.output
    usage = runner.invoke(cli, ["mutate", "--target", "usermodel:backward", "--famly", "x"])
    assert usage.exit_code == 2  # click's usage errors have the status of "not checked"
    caught = runner.invoke(
        cli, ["mutate", "--target", "usermodel:backward", "--family", "flip-sign"]
    )
    assert caught.exit_code == 0, caught.output
    assert "No mutant survived." in caught.output
    missing = runner.invoke(cli, ["mutate", "--target", "usermodel:nothing"])
    assert missing.exit_code == 2 and missing.stderr.count("\n") == 1
    assert "lacks nothing" in missing.stderr and "Traceback" not in missing.output


SWEPT = """
import numpy as np


def loss(v):
    return float(np.sum(np.sin(v)))


def analytic():
    return loss, np.array([0.3, 1.2]), np.cos


def richardson():
    return loss, np.array([0.3, 1.2]), None


def jacobian():
    return {"kind": "jacobian", "f": np.sin, "params": np.array([0.3]), "jacobian": np.cos}
"""


def test_sweep_target_sweeps_the_users_own_problem(tmp_path, monkeypatch):
    (tmp_path / "swept.py").write_text(SWEPT)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["sweep", "--target", "swept.py:analytic", "--scheme", "forward"])
    assert result.exit_code == 0, result.output
    assert "step-size sweep (forward, 2 elements, reference: analytic gradient)" in result.output
    assert "<- automatic step" in result.output
    richardson = runner.invoke(cli, ["sweep", "--target", "swept.py:richardson", "--json", "-"])
    assert richardson.exit_code == 0, richardson.output
    data = json.loads(richardson.stdout)
    assert "sweep" in data["schema"] and "Richardson" in richardson.stderr
    for args, says in (
        (["--target", "swept.py:jacobian"], "sweep --target sweeps a gradient"),
        (["--target", "swept.py:analytic", "--plot", "no/folder/sweep.png"], "no folder"),
        (["--target", "swept.py:nothing"], "has no 'nothing'"),
    ):
        refused = runner.invoke(cli, ["sweep", *args])
        assert refused.exit_code == 2, refused.output
        assert says in refused.stderr and refused.stderr.count("\n") == 1
    both = runner.invoke(cli, ["sweep", "--problem", "quadratic", "--target", "swept.py:analytic"])
    assert both.exit_code == 2 and "not both" in both.output
