"""Tables are never cut: at any width, piped or not, every number and every column shows
whole; colour only on a terminal, and never under NO_COLOR."""

from __future__ import annotations

import io
import re

import pytest
from click.testing import CliRunner
from goldens import PROBLEMS
from rich.console import Console
from rich.table import Table

from gradient_check import Report
from gradient_check.cli.commands import cli
from gradient_check.render.console import print_report, print_whole, stacked
from gradient_check.render.text import sheet_of

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]\d+)?")
COLOUR = re.compile(r"\x1b\[[0-9;]*(?:3[0-7]|9[0-7]|38;)[0-9;]*m")  # a foreground colour


def _printed(report: Report, **console: object) -> str:
    out = io.StringIO()
    print_report(Console(file=out, **console), report)
    return out.getvalue()


def _assert_whole(report: Report, text: str) -> None:
    """Every number of the report's plain text and every cell and title of its table
    appear whole in ``text``, and nothing is cut to '…'."""
    assert "…" not in text
    missing = set(NUMBER.findall(str(report))) - set(NUMBER.findall(text))
    assert missing == set()
    words = {w.rstrip(":") for w in text.split()}  # a block writes "title: value"
    sheet = sheet_of(report)
    cells = {w.rstrip(":") for row in sheet.rows for piece in row for w in piece.text.split()}
    titles = {w for column in sheet.columns for w in column.title.split()}
    assert (cells | titles) - words == set()


@pytest.mark.parametrize("width", [60, 80, 120])
@pytest.mark.parametrize("name", list(PROBLEMS))
def test_every_number_shows_whole_at_any_width(
    name: str, width: int, reports: dict[str, Report]
) -> None:
    text = _printed(reports[name], width=width)
    assert max(len(line) for line in text.splitlines()) <= width
    _assert_whole(reports[name], text)


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_no_width_between_40_and_140_cuts_a_table(name: str, reports: dict[str, Report]):
    """Every width, not just three: the fitted table, and the switch to blocks, hold."""
    for width in range(40, 141):
        text = _printed(reports[name], width=width)
        assert max(len(line) for line in text.splitlines()) <= width, width
        _assert_whole(reports[name], text)


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_piped_the_table_keeps_one_row_per_line(name: str, reports: dict[str, Report]):
    """No width set and no terminal: the table at its own width, each row on a line."""
    report = reports[name]
    text = _printed(report)
    _assert_whole(report, text)
    lines = text.splitlines()
    for row in sheet_of(report).rows:
        line = next(line for line in lines if line.startswith(f" {row[0].text} "))
        assert all(piece.text in line for piece in row)


def test_a_narrow_console_gets_one_block_per_row(reports: dict[str, Report]) -> None:
    text = _printed(reports["wrong_w1"], width=60)
    blocks = text.split("\n\n")
    w1 = " ".join(blocks[0].split())
    assert w1.startswith("parameter: W1 shape: 3x3 outcome: fail: 8 confirmed wrong")
    assert "worst element: W1[2, 0] analytic: 6.25 numeric: 3" in w1
    assert " ".join(blocks[1].split()).startswith("parameter: B1 shape: 2 outcome: pass")


def test_a_table_wraps_its_words_before_it_stacks(reports: dict[str, Report]) -> None:
    """Between its narrowest and its full width the table stays a table, the outcome
    wrapped at its words and every number column whole."""
    text = _printed(reports["wrong_w1"], width=100)
    assert "┃ rel. diff ┃" in text and "│  3.46e-01 │" in text
    assert "│ fail: 8" in text and "confirmed" in text


def test_stacked_keeps_a_value_of_several_lines_under_its_title() -> None:
    table = Table("target", "change", "why", title="mutants")
    table.add_row("backward", "- a = b\n+ a = -b", "crashed")
    out = io.StringIO()
    Console(file=out, width=40).print(stacked(table, 40))
    assert out.getvalue().splitlines() == [
        "mutants",
        "target: backward",
        "  change:",
        "    - a = b",
        "    + a = -b",
        "  why: crashed",
        "",
    ]


def test_print_whole_leaves_the_console_width_as_it_was() -> None:
    table = Table("a", "b")
    table.add_row("x" * 70, "y" * 70)
    console = Console(file=io.StringIO())
    print_whole(console, table)
    assert max(len(line) for line in console.file.getvalue().splitlines()) > 140
    assert console.width == 80 and getattr(console, "_width", None) is None


def test_colour_only_on_a_terminal_and_never_under_no_color(
    reports: dict[str, Report], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    report = reports["wrong_w1"]
    terminal = _printed(report, width=120, force_terminal=True, color_system="standard")
    assert COLOUR.search(terminal)
    assert not re.search("\x1b", _printed(report, width=120))  # a file: plain text
    monkeypatch.setenv("NO_COLOR", "1")
    no_color = _printed(report, width=120, force_terminal=True, color_system="standard")
    assert not COLOUR.search(no_color)
    _assert_whole(report, re.sub("\x1b\\[[0-9;]*m", "", no_color))


def test_the_command_line_respects_width(tmp_path, monkeypatch) -> None:
    (tmp_path / "p.py").write_text(
        "import numpy as np\n"
        "def problem():\n"
        "    return (lambda v: float(v['weights'] @ v['weights']),\n"
        "            {'weights': np.array([1.5, -2.0])},\n"
        "            lambda v: {'weights': 3 * v['weights']})\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COLUMNS", raising=False)
    for width in (60, 80):
        result = CliRunner().invoke(cli, ["check", "p.py:problem", "--width", str(width)])
        assert result.exit_code == 1
        assert max(len(line) for line in result.stdout.splitlines()) <= width
        assert "\x1b" not in result.stdout and "…" not in result.stdout
    piped = CliRunner().invoke(cli, ["check", "p.py:problem"])
    row = next(line for line in piped.stdout.splitlines() if line.startswith(" weights "))
    assert "fail: 2 confirmed wrong" in row and "weights[1]" in row


def test_the_demo_at_60_columns_cuts_nothing() -> None:
    result = CliRunner().invoke(cli, ["demo", "--section", "examples", "--width", "60"])
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 60
    assert "…" not in result.output
    for number in ("8.53e-02", "2.75e-03", "5.50e-06", "4.82e-14"):  # first and last row
        assert number in result.output
