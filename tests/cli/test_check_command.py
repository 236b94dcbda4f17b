"""``gradient-check check FILE.py:FUNC``: the outcome as the exit status, every kind of
problem, its options, --json and --html, and each user error as one line with status 2."""

from __future__ import annotations

import json
import sys
import textwrap
import types
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from gradient_check import check
from gradient_check.cli.commands import cli

PROBLEMS = """
import numpy as np

X = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.25]])
W = np.array([0.5, -0.25])
B = np.array([1.0, 2.0])


def loss(p):
    return float(np.sum((X @ p["w"]) ** 2) / 2 + np.sum(p["b"] ** 2))


def right():
    return loss, {"w": W, "b": B}, lambda p: {"w": X.T @ (X @ p["w"]), "b": 2 * p["b"]}


def wrong():  # w's gradient is 1.5 times too large; b's is right
    return loss, {"w": W, "b": B}, lambda p: {"w": 1.5 * X.T @ (X @ p["w"]), "b": 2 * p["b"]}


def float16():  # a float16 loss at a tiny step: its rounding swamps any difference
    def f(v):
        w = np.asarray(v, dtype=np.float16)
        return float(w @ w)

    return {"kind": "gradient", "loss": f, "params": np.array([1.0, -2.0, 3.0]).astype(
        np.float16), "grads": lambda v: 2 * v, "h": 2.0 ** -18}


def moving():  # a derivative that changes between two calls at the same point
    calls = []

    def grads(v):
        calls.append(1)
        return 2 * v + 1e-3 * len(calls)

    return lambda v: float(v @ v), np.array([1.0, -2.0, 3.0]), grads


A = np.array([[1.0, 2.0], [3.0, 4.0], [-1.0, 0.5]])


def jacobian():
    return {"kind": "jacobian", "f": lambda x: np.tanh(A @ x), "params": np.array([0.1, -0.2]),
            "jacobian": lambda x: (1 - np.tanh(A @ x) ** 2)[:, None] * A}


S = np.array([[1.0, 2.0], [3.0, 4.0]])


def jacobian_transposed():
    return {"kind": "jacobian", "f": lambda x: S @ x, "params": np.array([0.1, -0.2]),
            "jacobian": lambda x: S.T}


def vjp():
    return {"kind": "vjp", "f": lambda x: A @ x, "params": np.array([0.5, 1.0]),
            "vjp": lambda x, u: A.T @ u, "nondet_tol": 0.0}


def jvp():
    return {"kind": "jvp", "f": lambda x: A @ x, "params": np.array([0.5, 1.0]),
            "jvp": lambda x, v: A @ v}


def hessian():
    return {"kind": "hessian", "loss": lambda x: float(x @ x * x[0]), "params": np.array(
        [0.5, -1.0]), "grad": lambda x: 2 * x * x[0] + np.array([x @ x, 0.0]),
        "hessian": lambda x: np.array([[6 * x[0], 2 * x[1]], [2 * x[1], 2 * x[0]]])}
"""


@pytest.fixture
def problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The problems above in tmp_path/problems.py, the current directory."""
    path = tmp_path / "problems.py"
    path.write_text(PROBLEMS)
    monkeypatch.chdir(tmp_path)
    return path


def _check(*args: str):
    return CliRunner().invoke(cli, ["check", *args])


@pytest.mark.parametrize(
    ("func", "status", "headline"),
    [
        ("right", 0, "pass — every element agrees"),
        ("wrong", 1, "fail: confirmed wrong in w (2 elements)"),
        ("float16", 3, "cannot tell — "),
        ("moving", 1, "fail: structural problem — "),
        ("jacobian", 0, "pass — "),
        ("jacobian_transposed", 1, "fail: confirmed wrong in out / params"),
        ("vjp", 0, "pass — "),
        ("jvp", 0, "pass — "),
        ("hessian", 0, "pass — "),
    ],
)
def test_the_exit_status_is_the_outcome(problems: Path, func: str, status: int, headline: str):
    result = _check(f"problems.py:{func}")
    assert result.exit_code == status, result.output
    assert f"\n{headline}" in result.stdout
    assert result.stderr == ""


def test_the_command_reports_what_check_reports(problems: Path):
    result = _check("problems.py:wrong", "--width", "200")
    sys.path.insert(0, str(problems.parent))
    try:
        import problems as module  # the same problem, checked by the library
    finally:
        sys.path.remove(str(problems.parent))
        sys.modules.pop("problems", None)
    report = check(*module.wrong())
    row = next(line for line in result.stdout.splitlines() if line.startswith(" w "))
    assert f"{report.row('w').diff:.2e}" in row and f"{report.row('w').worst_analytic:.6g}" in row


def test_a_module_name_is_a_target_too(problems: Path):
    result = _check("problems:right")
    assert result.exit_code == 0, result.output
    assert "pass — " in result.stdout


def test_options_mirror_check(problems: Path):
    result = _check("problems.py:right", "--h", "0.0009765625", "--scheme", "five-point")
    assert result.exit_code == 0, result.output
    assert "five-point, h = 0.000976562;" in result.stdout.replace("\n", " ")
    relative = _check("problems.py:right", "--h", "relative:1e-4", "--seed", "3", "--margin", "8")
    assert relative.exit_code == 0, relative.output
    assert "h = 0.0001 x |theta_i|" in relative.stdout.replace("\n", " ")
    for bad in (["--h", "tiny"], ["--h", "relative:-1"], ["--scheme", "sideways"]):
        refused = _check("problems.py:right", *bad)
        assert refused.exit_code == 2 and "Traceback" not in refused.output


def test_json_to_stdout_moves_the_table_to_stderr(problems: Path):
    result = _check("problems.py:wrong", "--json", "-")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["outcome"] == "fail: confirmed wrong" and data["schema"]
    assert "fail: confirmed wrong in w (2 elements)" in result.stderr


def test_json_and_html_files(problems: Path, tmp_path: Path):
    result = _check(
        "problems.py:right", "--json", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html")
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["outcome"] == "pass"
    assert (tmp_path / "r.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert "pass — " in result.stdout  # the table still shows


def _one_line_error(result) -> str:
    """The error line of a command that could not check: status 2, one line, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    return result.stderr


EXTRA = """

def raises():
    raise KeyError("no data file")


def needs(n):
    return n


answer = 42


def a_list():
    return [1, 2]


def sideways():
    return {"kind": "sideways"}


def no_grads():
    return {"kind": "gradient", "loss": loss, "params": W}


def unknown_option():
    return {"kind": "jacobian", "f": lambda x: x, "params": W, "jacobian": np.eye(2),
            "colour": "blue"}


def misshapen():
    return loss, {"w": W, "b": B}, {"w": np.zeros(3), "b": np.zeros(2)}


def loss_raises():
    def f(v):
        raise ZeroDivisionError("the loss divides by zero")

    return f, W, lambda v: v
"""


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("problems.py", "is not FILE.py:FUNC or MODULE:FUNC"),
        ("missing.py:right", "no file 'missing.py'"),
        ("no_such_module:right", "cannot import 'no_such_module'"),
        ("problems.py:rigth", "has no 'rigth'; did you mean 'right'?"),
        ("problems.py:raises", "problems.py:raises() raised KeyError: 'no data file'"),
        ("problems.py:needs", "needs arguments; FUNC must take none"),
        ("problems.py:answer", "problems.py:answer is a single number, not a function"),
        ("problems.py:a_list", "returned list; return (loss, params, grads)"),
        ("problems.py:sideways", "returned kind 'sideways'; choose one of gradient"),
        ("problems.py:no_grads", "a gradient problem without 'grads'"),
        ("problems.py:unknown_option", "'colour', which check_jacobian does not take"),
        ("problems.py:misshapen", "`grads` for parameter `w` has shape (3,)"),
        ("problems.py:loss_raises", "ZeroDivisionError: the loss divides by zero"),
    ],
)
def test_every_user_error_is_one_line_with_status_2(problems: Path, target: str, says: str):
    problems.write_text(PROBLEMS + EXTRA)
    assert says in _one_line_error(_check(target))


def test_a_module_that_fails_to_import_is_one_line(problems: Path):
    (problems.parent / "broken.py").write_text("import numpy as np\n1 / 0\n")
    line = _one_line_error(_check("broken.py:anything"))
    assert "running 'broken.py' raised ZeroDivisionError: division by zero" in line
    assert "--traceback shows where" in line


def test_traceback_shows_the_users_frames(problems: Path):
    problems.write_text(PROBLEMS + EXTRA)
    result = _check("problems.py:raises", "--traceback")
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert 'raise KeyError("no data file")' in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("Error: problems.py:raises()")


@pytest.mark.parametrize("option", ["--json", "--html"])
def test_an_unwritable_path_is_refused_before_the_check(problems: Path, option: str):
    marker = problems.parent / "ran"
    problems.write_text(
        PROBLEMS + f"\n\ndef marked():\n    open({str(marker)!r}, 'w')\n    return right()\n"
    )
    line = _one_line_error(_check("problems.py:marked", option, "no/such/folder/out"))
    assert f"{option} 'no/such/folder/out': no folder 'no/such/folder'" in line
    assert not marker.exists()  # nothing ran
    folder = _one_line_error(_check("problems.py:marked", option, str(problems.parent)))
    assert "is a folder" in folder


class _Recorded:
    """A stand-in adapter module: records what the command passes it."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple, dict]] = []

    def __call__(self, *args, **options):
        self.calls.append((args, options))
        return check(lambda v: float(v @ v), np.array([1.0, 2.0]), lambda v: 2 * v)


@pytest.mark.parametrize(
    ("kind", "module", "function", "pieces"),
    [
        ("torch", "gradient_check.torch", "check_module", ("model", "loss")),
        ("jax", "gradient_check.jax", "check", ("loss", "params")),
    ],
)
def test_framework_problems_go_to_their_adapter_with_the_options(
    problems: Path, monkeypatch: pytest.MonkeyPatch, kind, module, function, pieces
):
    recorded = _Recorded()
    monkeypatch.setitem(sys.modules, module, types.SimpleNamespace(**{function: recorded}))
    body = ", ".join(f"{name!r}: {name!r}" for name in pieces)
    problems.write_text(
        PROBLEMS + f"\n\ndef framework():\n    return {{'kind': {kind!r}, {body}, 'extra': 1}}\n"
    )
    result = _check("problems.py:framework", "--seed", "5", "--scheme", "forward")
    assert result.exit_code == 0, result.output
    assert recorded.calls == [(pieces, {"extra": 1, "seed": 5, "scheme": "forward"})]


def test_a_missing_adapter_is_one_line(problems: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "gradient_check.torch", None)  # import fails
    problems.write_text(
        PROBLEMS + "\n\ndef framework():\n    return {'kind': 'torch', 'model': 1, 'loss': 2}\n"
    )
    line = _one_line_error(_check("problems.py:framework"))
    assert "torch adapter" in line


def test_check_help_names_the_exit_statuses():
    result = CliRunner().invoke(cli, ["check", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "0 pass, 1 fail, 2 not checked" in text and "3 cannot tell" in text


def test_the_problem_file_may_import_its_neighbours(problems: Path):
    (problems.parent / "helper_module_for_check.py").write_text(
        textwrap.dedent(
            """
            import numpy as np

            def problem():
                return lambda v: float(v @ v), np.array([1.0, 2.0]), lambda v: 2 * v
            """
        )
    )
    problems.write_text(PROBLEMS + "\n\nfrom helper_module_for_check import problem as neighbour\n")
    result = _check(f"{problems}:neighbour")
    assert result.exit_code == 0, result.output


def test_html_to_stdout_and_only_one_output_on_stdout(problems: Path):
    page = _check("problems.py:right", "--html", "-")
    assert page.exit_code == 0, page.output
    assert page.stdout.lstrip().lower().startswith("<!doctype html")
    assert "pass — " in page.stderr  # the table moved out of the page's way
    both = _one_line_error(_check("problems.py:right", "--html", "-", "--json", "-"))
    assert "--json and --html cannot both go to stdout" in both


FRAMEWORKS = {
    "torch": """
import torch


def problem():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    X, Y = torch.randn(4, 3), torch.randn(4, 2)
    return {"kind": "torch", "model": model,
            "loss": lambda m: torch.nn.functional.mse_loss(m(X), Y)}
""",
    "jax": """
import jax.numpy as jnp


def problem():
    return {"kind": "jax", "loss": lambda p: jnp.sum(jnp.sin(p["w"]) ** 2),
            "params": {"w": jnp.array([0.1, 0.2, -0.3])}}
""",
}


@pytest.mark.parametrize(("kind", "row"), [("torch", " weight "), ("jax", " params['w'] ")])
def test_a_framework_problem_runs_end_to_end(tmp_path, monkeypatch, kind: str, row: str):
    pytest.importorskip(f"gradient_check.{kind}")  # skipped where the framework is missing
    (tmp_path / f"{kind}_problem.py").write_text(FRAMEWORKS[kind])
    monkeypatch.chdir(tmp_path)
    result = _check(f"{kind}_problem.py:problem")
    assert result.exit_code == 0, result.output
    assert any(line.startswith(row) for line in result.stdout.splitlines()), result.stdout
