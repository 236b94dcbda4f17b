"""The demo tells the texts' story: numbers reproduce, the bug is named, dropout refused."""

import io
import re
import subprocess
import sys

from click.testing import CliRunner
from rich.console import Console

from gradient_check.cli.commands import cli
from gradient_check.cli.demo import run_demo


def _demo_text(*sections: str) -> str:
    out = io.StringIO()
    run_demo(Console(file=out, width=140, color_system=None), list(sections) or None)
    return out.getvalue()


def test_worked_examples_show_the_published_figures():
    text = _demo_text("examples")
    assert "f(x+h) = 10.007001   f(x-h) = 9.993001" in text
    assert "= 7.000000" in text
    assert "one-sided 3.0301" in text and "two-sided 3.0001" in text


def test_network_section_names_w2_and_only_w2():
    text = _demo_text("network")
    correct, buggy = text.split("A realistic bug")
    assert "confirmed wrong" not in correct and "fail" not in correct
    assert "\npass — every element agrees" in correct  # the outcome heads the summary
    wrong_rows = [line for line in buggy.splitlines() if " fail: " in line]
    assert len(wrong_rows) == 1 and wrong_rows[0].split()[0] == "W2"
    assert "\nfail: confirmed wrong in W2 (192 elements)\n" in buggy
    assert "certainly wrong" not in text and "cup of tea" not in text  # never a headline


def test_regularisation_dropout_and_kinks_sections():
    text = _demo_text("regularisation", "dropout", "kinks")
    assert "fail: confirmed wrong in W1 (112 elements), W2 (192 elements), W3 (120" in text
    assert re.search(r"refused: `loss` is random", text)
    assert "freeze its mask" in text
    assert "With the mask frozen: pass — " in text
    kinks = text.split("kinks are not bugs")[1]
    assert "kink: valid subgradient" in kinks
    # a pass under a band that looks bad: the band line says why, in the same line
    assert "\npass — every element agrees" in kinks
    assert re.search(r"band: possibly wrong \(1e-4\.\.1e-2\); all of it from kinks", kinks)


def test_command_line_runs_the_demo():
    result = CliRunner().invoke(cli, ["demo", "--section", "examples"])
    assert result.exit_code == 0, result.output
    assert "10.007001" in result.output


def test_piped_demo_tables_show_every_column_and_number():
    """Piped (no terminal, 80 columns by default), a table is printed at its own width:
    nothing is cut to '…' and both numbers of each row are there."""
    result = CliRunner().invoke(cli, ["demo", "--section", "kinks", "--section", "network"])
    assert result.exit_code == 0, result.output
    assert "…" not in result.output
    lines = result.output.splitlines()
    row = next(line for line in lines if line.startswith(" W1  ") and "kink" in line)
    assert "possibly wrong" in row and "0.0272814" in row and "0.0264206" in row


def test_python_dash_m_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "gradient_check", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "demo" in done.stdout


def test_sweep_command_prints_the_table_and_draws_the_plot(tmp_path):
    target = tmp_path / "sweep.png"
    result = CliRunner().invoke(cli, ["sweep", "--problem", "quadratic", "--plot", str(target)])
    assert result.exit_code == 0, result.output
    assert "<- automatic step" in result.output
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_layers_section_names_the_tanh_layer():
    text = _demo_text("layers")
    assert "names W1, B1, W2, B2" in text
    wrong = [line for line in text.splitlines() if "fail: confirmed wrong" in line]
    assert len(wrong) == 1 and "4. Tanh()" in wrong[0]
    assert text.count("│ pass ") == 5  # the other five layers
