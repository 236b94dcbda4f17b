"""The rich renderer: the plain text's content at a fixed width, styled by what it means."""

from __future__ import annotations

import io

import pytest
from goldens import golden
from rich.console import Console
from rich.style import Style
from rich.text import Text

from gradient_check import Report
from gradient_check.render.console import print_report, report_renderable, sheet_table
from gradient_check.render.text import sheet_of


@pytest.mark.parametrize(("name", "width"), [("wrong_w1", 100), ("jacobian", 120)])
def test_rich_table_without_colour_is_the_golden_one(
    name: str, width: int, reports: dict[str, Report]
) -> None:
    console = Console(file=io.StringIO(), width=width, color_system=None, record=True)
    print_report(console, reports[name])
    text = console.export_text()
    assert text == golden(f"console_{name}_{width}.txt", text)


def _colour(text: Text) -> str | None:
    colour = Style.parse(str(text.style)).color
    return None if colour is None else colour.name


def test_evidence_cells_are_red_when_wrong_and_green_when_consistent(
    reports: dict[str, Report],
) -> None:
    sheet = sheet_of(reports["wrong_w1"])
    table = sheet_table(sheet)
    evidence = [c.title for c in sheet.columns].index("evidence")
    w1, b1 = table.columns[evidence].cells
    assert (w1.plain, _colour(w1)) == ("confirmed wrong (8)", "red")
    assert (b1.plain, _colour(b1)) == ("within estimated error", "green")
    for column in table.columns:  # numbers align on the right
        numeric = column.header in ("rel. diff", "analytic", "numeric")
        assert column.justify == ("right" if numeric else "left")


def test_detail_and_summary_lines_are_styled_by_their_tags(reports: dict[str, Report]) -> None:
    group = report_renderable(reports["kink"])
    lines = [r for r in group.renderables if isinstance(r, Text)]
    kinks = [line for line in lines if line.plain.startswith(("w:", "    w[0]"))]
    assert [_colour(line) for line in kinks] == ["cyan", "cyan"]
    headline, evidence = lines[len(kinks)], lines[len(kinks) + 1]
    assert headline.plain.startswith("relative difference") and _colour(headline) == "green"
    assert evidence.plain.startswith("evidence:") and _colour(evidence) == "green"
    wrong = report_renderable(reports["wrong_w1"]).renderables
    assert _colour(wrong[1]) == _colour(wrong[2]) == "red"  # "W1: 8 element(s) wrong", W1[2, 0]
