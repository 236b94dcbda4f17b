"""``gradient-check check`` with check's large-model options (--mode, --directions,
--samples, --budget), its executors (--workers, --scheduler) and Ctrl-C (status 130)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradient_check.adapters.executors import evaluator as executor_evaluator
from gradient_check.cli import check_command, executors
from gradient_check.cli.commands import cli

PROBLEMS = """
import numpy as np

W = np.linspace(-1.0, 1.0, 96).reshape(8, 12)
B = np.array([0.5, -0.25, 1.5])


def loss(p):
    return float(np.sum(np.sin(p["W"])) + np.sum(p["b"] ** 2))


def grads():
    return {"W": np.cos(W), "b": 2 * B}


def right():
    return loss, {"W": W, "b": B}, grads()


def one_wrong():  # W[3, 5] is wrong, nothing else
    g = grads()
    g["W"][3, 5] += 0.5
    return loss, {"W": W, "b": B}, g


def stopped_at(n):  # the problem with Ctrl-C on the loss's n-th evaluation
    calls = []

    def stopping(p):
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt
        return loss(p)

    return stopping, {"W": W, "b": B}, grads()


def interrupted():  # in the probes' pieces: nothing of the differences measured
    return stopped_at(40)


def interrupted_late():  # on the 150th of 208 evaluations: in the differences
    return stopped_at(150)


def jacobian():
    return {"kind": "jacobian", "f": lambda x: np.tanh(x), "params": B,
            "jacobian": lambda x: np.diag(1 - np.tanh(x) ** 2)}
"""


@pytest.fixture
def problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "flagged.py"
    path.write_text(PROBLEMS)
    monkeypatch.chdir(tmp_path)
    yield path
    sys.modules.pop("flagged", None)


def run(*args: str):
    return CliRunner().invoke(cli, ["check", *args])


def test_locate_names_the_wrong_element(problems: Path):
    result = run("flagged.py:one_wrong", "--mode", "locate", "--width", "200")
    assert result.exit_code == 1, result.output
    assert "W[3, 5]" in result.stdout
    assert "W[3, 4]" not in result.stdout and "W[2, 5]" not in result.stdout


def test_directional_and_sample_modes_say_what_they_rule_out(problems: Path):
    directional = run("flagged.py:right", "--mode", "directional", "--directions", "2")
    assert directional.exit_code == 0, directional.output
    assert "directional check (seed 0)" in " ".join(directional.stdout.split())
    sample = run("flagged.py:right", "--mode", "sample", "--samples", "4")
    assert sample.exit_code == 0, sample.output
    assert "W: 4 of 96" in " ".join(sample.stdout.split())


def test_a_budget_picks_the_mode(problems: Path):
    result = run("flagged.py:one_wrong", "--budget", "120", "--width", "200")
    assert result.exit_code == 1, result.output
    text = " ".join(result.stdout.split())
    assert "budget 120 evaluations: chose mode 'locate'" in text and "W[3, 5]" in text
    for bad in ("10 parsecs", "0", "-3s"):
        refused = run("flagged.py:right", "--budget", bad)
        assert refused.exit_code == 2 and "budget" in refused.stderr


def test_workers_run_the_check_on_a_process_pool(problems: Path, monkeypatch):
    monkeypatch.setattr(executor_evaluator, "LOCAL_SECONDS", 0.0)  # every batch to the pool
    submitted = []

    class Pool(executors.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            assert kwargs["mp_context"].get_start_method() == "spawn"
            super().__init__(*args, **kwargs)

        def submit(self, fn, *args, **kwargs):
            submitted.append(fn)
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(executors, "ProcessPoolExecutor", Pool)
    pooled = run("flagged.py:one_wrong", "--workers", "2", "--width", "200")
    serial = run("flagged.py:one_wrong", "--width", "200")
    assert pooled.exit_code == serial.exit_code == 1, pooled.output
    assert pooled.stdout == serial.stdout and submitted


def test_an_unreachable_scheduler_is_one_line_with_status_2(problems: Path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(executors, "CONNECT_SECONDS", 1.0)
    result = run("flagged.py:right", "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: --scheduler 'tcp://127.0.0.1:9'")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_scheduler_without_dask_says_what_to_install(problems: Path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    result = run("flagged.py:right", "--scheduler", "tcp://127.0.0.1:8786")
    assert result.exit_code == 2
    assert "pip install 'dask[distributed]'" in result.stderr and result.stderr.count("\n") == 1


def test_workers_and_scheduler_together_are_refused(problems: Path):
    result = run("flagged.py:right", "--workers", "2", "--scheduler", "tcp://127.0.0.1:8786")
    assert result.exit_code == 2 and "not both" in result.stderr


def test_a_mode_the_check_does_not_take_is_one_line(problems: Path):
    result = run("flagged.py:jacobian", "--mode", "locate")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "'locate'" in result.stderr


def test_ctrl_c_exits_130_with_one_line(problems: Path):
    result = run("flagged.py:interrupted")
    assert result.exit_code == check_command.INTERRUPTED == 130
    assert result.stderr.startswith("gradient-check: check interrupted during ")
    assert result.stderr.count("\n") == 1 and "restored" in result.stderr
    assert result.stdout == ""


def test_ctrl_c_in_the_differences_prints_and_writes_the_partial_report(
    problems: Path, tmp_path: Path
):
    out = tmp_path / "partial.json"
    result = run("flagged.py:interrupted_late", "--json", str(out))
    assert result.exit_code == 130
    assert result.stderr.startswith("gradient-check: check interrupted during differences")
    said = json.loads(out.read_text())
    cut = said["extra"]["interrupted"]
    assert cut["stage"] == "differences" and 0 < cut["measured"] < cut["coordinates"] == 99
    assert f"interrupted: {cut['measured']} of 99 coordinates measured" in result.stdout
    assert said["outcome"] == "cannot tell"
