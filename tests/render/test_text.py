"""``print(report)`` is exactly the golden table, and the table says which number is which."""

from __future__ import annotations

import re

import pytest
from goldens import PROBLEMS, golden

from gradient_check import Evidence, Report, Verdict
from gradient_check.render.text import (
    ADVICE,
    KINK,
    WRONG_ELEMENT,
    evidence_tag,
    render_text,
    sheet_of,
    verdict_tag,
)


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_print_report_is_the_golden_table(name: str, reports: dict[str, Report]) -> None:
    text = str(reports[name]) + "\n"
    assert text == golden(f"{name}.txt", text)
    assert str(reports[name]) == render_text(reports[name])


def _cells(line: str) -> list[str]:
    """A plain table line split into its cells (cells are at least two spaces apart)."""
    return re.split(r"\s{2,}", line.strip())


def _table_row(report: Report, block: str) -> dict[str, str]:
    lines = str(report).splitlines()
    headers = _cells(lines[2])
    row = next(line for line in lines[4:] if line.startswith(block + " "))
    return dict(zip(headers, _cells(row), strict=True))


def test_analytic_and_numeric_columns_are_not_swapped(reports: dict[str, Report]) -> None:
    # W1[2, 0] = 3: the wrong gradient gives 2 x 3 + 0.25, the finite difference 3
    row = _table_row(reports["wrong_w1"], "W1")
    assert (row["worst element"], row["analytic"], row["numeric"]) == ("W1[2, 0]", "6.25", "3")
    assert "W1[2, 0]: analytic 6.25, numeric 3 " in str(reports["wrong_w1"])
    # ds/dc given as x[1] = -2 where it is x[0] = 0.5
    row = _table_row(reports["jacobian"], "s / c")
    assert (row["worst element"], row["analytic"], row["numeric"]) == ("s[0] / c[0]", "-2", "0.5")


def test_every_piece_carries_its_meaning(reports: dict[str, Report]) -> None:
    sheet = sheet_of(reports["wrong_w1"])
    titles = [c.title for c in sheet.columns]
    w1, b1 = ({titles[i]: piece for i, piece in enumerate(row)} for row in sheet.rows)
    assert w1["evidence"].tag == evidence_tag(Evidence.WRONG)
    assert w1["verdict (texts)"].tag == verdict_tag(Verdict.WRONG)
    assert b1["evidence"].tag == evidence_tag(Evidence.CONSISTENT)
    assert {line.tag for line in sheet.details} == {WRONG_ELEMENT}
    assert [c.title for c in sheet.columns if c.numeric] == ["rel. diff", "analytic", "numeric"]
    assert sheet.summary[0].tag == verdict_tag(Verdict.WRONG)
    assert sheet.summary[1].tag == evidence_tag(Evidence.WRONG)

    assert {line.tag for line in sheet_of(reports["kink"]).details} == {KINK}
    cannot_tell = sheet_of(reports["cannot_tell"])
    assert [line.tag for line in cannot_tell.details] == [ADVICE]
    assert cannot_tell.rows[0][4].tag == evidence_tag(Evidence.CANNOT_TELL)
