"""`gradient-check mutate`: the reference networks, or a user's backward, printed with rich."""

import json
import textwrap

from click.testing import CliRunner

from gradient_check.cli.commands import cli


def test_cli_mutate_runs_the_reference_networks():
    result = CliRunner().invoke(cli, ["mutate", "--max-mutants", "2", "--width", "200"])
    assert result.exit_code == 0, result.output
    assert "7-16-12-10" in result.output and "4-5-3-1" in result.output
    assert "BinaryCrossEntropy.backward" in result.output and "Softmax.backward" in result.output
    assert "The check caught" in result.output and "score" in result.output
    assert "\x1b[" not in result.output  # plain text when not a terminal


def test_cli_mutate_a_user_target_and_its_errors(tmp_path, monkeypatch):
    (tmp_path / "usermodel.py").write_text(
        textwrap.dedent(
            """
            import numpy as np

            params = {"w": np.array([0.5, -1.0, 2.0])}
            args = (np.array([1.0, 2.0, 3.0]),)


            def loss(p, x):
                return float(np.sum(p["w"] ** 2 * x) + 1e-12 * np.sum(p["w"]))


            def backward(p, x):
                return {"w": 2 * p["w"] * x + 1e-12}
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["mutate", "--target", "usermodel:backward", "--width", "200"])
    assert result.exit_code == 1, result.output  # a mutant survived
    assert "survivors" in result.output and "within estimated error" in result.output
    by_path = runner.invoke(
        cli,
        ["mutate", "--target", f"{tmp_path / 'usermodel.py'}:backward", "--family", "flip-sign"],
    )
    assert by_path.exit_code == 0, by_path.output
    assert "No mutant survived." in by_path.output
    assert runner.invoke(cli, ["mutate", "--target", "usermodel"]).exit_code != 0
    missing = runner.invoke(cli, ["mutate", "--target", "usermodel:nothing"])
    assert missing.exit_code != 0 and "lacks nothing" in missing.output


def test_cli_mutate_writes_every_mutants_outcome_as_json(tmp_path):
    path = tmp_path / "mutants.json"
    result = CliRunner().invoke(
        cli, ["mutate", "--max-mutants", "2", "--family", "flip-sign", "--json", str(path)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(path.read_text())
    assert data["schema"] == "gradient-check/mutation/1" and data["target"] == "all"
    mutants = [m for report in data["reports"] for m in report["mutants"]]
    assert len(mutants) == sum(data["counts"].values()) > 0
    assert {m["outcome"] for m in mutants} <= {"caught", "crashed", "equivalent"}
    assert data["counts"]["survived"] == 0 and data["score"] == 1.0
    refused = CliRunner().invoke(cli, ["mutate", "--json", str(tmp_path / "no" / "m.json")])
    assert refused.exit_code == 2 and "create it first" in refused.output
