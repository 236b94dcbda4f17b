"""The pytest plugin: ``gradcheck`` fails a test with the outcome first and the table below,
``--gradcheck-seed`` seeds its checks, ``--gradcheck-json`` writes each report."""

import json
import subprocess
import sys

pytest_plugins = ["pytester"]

INNER = """
import numpy as np

import gradient_check.pytest_plugin as plugin


def loss(w):
    return float(np.sum(w ** 3))


W = np.array([1.0, 2.0])


def test_right(gradcheck):
    report = gradcheck(loss, W, lambda w: 3 * w ** 2)
    assert report.ok and report.kind == "gradient"


def test_wrong(gradcheck):
    gradcheck(loss, W, lambda w: 2 * w ** 2)  # 2w^2 where 3w^2 is right


def test_seeds(gradcheck, monkeypatch):
    seen = []
    real = plugin.check

    def spy(*args, **options):
        seen.append(options.get("seed"))
        return real(*args, **options)

    monkeypatch.setattr(plugin, "check", spy)
    gradcheck(loss, W, lambda w: 3 * w ** 2)
    gradcheck(loss, W, lambda w: 3 * w ** 2, seed=2)  # the test's own seed wins
    assert seen == [SEED, 2]
"""


def _run(pytester, *args: str, seed: str = "None"):
    pytester.makepyfile(test_inner=INNER.replace("SEED", seed))
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def test_a_right_gradient_passes_and_a_wrong_one_fails_with_the_outcome_first(pytester):
    result = _run(pytester, "-k", "right or wrong")
    result.assert_outcomes(passed=1, failed=1)
    lines = result.stdout.lines
    first = next(i for i, line in enumerate(lines) if "Failed: " in line)
    # the failure message's first line is the outcome, naming the wrong parameter
    assert lines[first].split("Failed: ", 1)[1] == "fail: confirmed wrong in params (2 elements)"
    below = "\n".join(lines[first : first + 12])
    assert "gradient check (gradient)" in below
    row = next(line for line in lines[first:] if "fail: 2 confirmed wrong" in line)
    assert "params" in row and "2.00e-01" in row  # the table's row, below the outcome
    assert "test_inner.py:" in result.stdout.str()  # pointing at the test's own line


def test_gradcheck_seed_is_the_default_seed_of_every_check(pytester):
    result = _run(pytester, "-k", "seeds", "--gradcheck-seed", "7", seed="7")
    result.assert_outcomes(passed=1)
    without = _run(pytester, "-k", "seeds", seed="None")  # no option: check's own default
    without.assert_outcomes(passed=1)


def test_gradcheck_json_writes_each_report_named_after_its_test(pytester, tmp_path):
    folder = tmp_path / "reports" / "nested"
    result = _run(pytester, "-k", "right or wrong or seeds", "--gradcheck-json", str(folder))
    result.assert_outcomes(passed=2, failed=1)
    names = sorted(path.name for path in folder.iterdir())
    assert names == [
        "test_inner.py_test_right.json",
        "test_inner.py_test_seeds-2.json",
        "test_inner.py_test_seeds.json",
        "test_inner.py_test_wrong.json",
    ]
    wrong = json.loads((folder / "test_inner.py_test_wrong.json").read_text())
    right = json.loads((folder / "test_inner.py_test_right.json").read_text())
    assert wrong["outcome"] == "fail: confirmed wrong"
    assert wrong["headline"] == "fail: confirmed wrong in params (2 elements)"
    assert right["outcome"] == "pass"


def test_the_plugin_imports_no_command_line_or_framework_library():
    code = (
        "import sys\n"
        "import gradient_check.pytest_plugin\n"
        "heavy = ('click', 'rich', 'torch', 'jax', 'matplotlib', 'dask')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"
