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


def test_outcome_cells_are_red_when_wrong_and_green_when_passed_and_bands_plain(
    reports: dict[str, Report],
) -> None:
    sheet = sheet_of(reports["wrong_w1"])
    table = sheet_table(sheet)
    titles = [c.title for c in sheet.columns]
    w1, b1 = table.columns[titles.index("outcome")].cells
    assert (w1.plain, _colour(w1)) == ("fail: 8 confirmed wrong", "red")
    assert (b1.plain, _colour(b1)) == ("pass", "green")
    # a band beside the outcome is never coloured as if it were a verdict
    assert [_colour(c) for c in table.columns[titles.index("band (texts)")].cells] == [None] * 2
    for column in table.columns:  # numbers align on the right
        numeric = column.header in ("rel. diff", "analytic", "numeric")
        assert column.justify == ("right" if numeric else "left")


def test_detail_and_summary_lines_are_styled_by_their_tags(reports: dict[str, Report]) -> None:
    group = report_renderable(reports["kink_band"])
    lines = [r for r in group.renderables if isinstance(r, Text)]
    kinks = [line for line in lines if line.plain.startswith(("w:", "    w[0]"))]
    assert [_colour(line) for line in kinks] == ["cyan", "cyan"]
    headline, band = lines[len(kinks)], lines[len(kinks) + 1]
    assert headline.plain.startswith("pass") and _colour(headline) == "green"
    assert band.plain.startswith("texts' relative difference") and _colour(band) is None
    assert "band: wrong" in band.plain  # plain, not red: it does not decide this check
    wrong = report_renderable(reports["wrong_w1"]).renderables
    assert _colour(wrong[1]) == _colour(wrong[2]) == "red"  # "W1: 8 element(s) wrong", W1[2, 0]
    cannot_tell = [r for r in report_renderable(reports["cannot_tell"]).renderables[1:]]
    assert cannot_tell[0].plain.startswith("cannot tell") and _colour(cannot_tell[0]) == "yellow"
