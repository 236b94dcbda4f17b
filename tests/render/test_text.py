"""``print(report)`` is exactly the golden table, and the table says which number is which."""

from __future__ import annotations

import re

import pytest
from goldens import PROBLEMS, golden

from gradient_check import Outcome, Report, Verdict
from gradient_check.render.text import (
    BAND,
    KINK,
    WRONG_ELEMENT,
    band_range,
    outcome_tag,
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
    assert w1["outcome"].tag == outcome_tag(Outcome.WRONG)
    assert w1["band (texts)"].tag == verdict_tag(Verdict.WRONG)
    assert b1["outcome"].tag == outcome_tag(Outcome.PASS)
    assert {line.tag for line in sheet.details} == {WRONG_ELEMENT}
    assert [c.title for c in sheet.columns if c.numeric] == ["rel. diff", "analytic", "numeric"]
    assert sheet.summary[0].tag == outcome_tag(Outcome.WRONG)
    assert sheet.summary[1].tag == BAND

    assert {line.tag for line in sheet_of(reports["kink"]).details} == {KINK}
    cannot_tell = sheet_of(reports["cannot_tell"])
    assert cannot_tell.details == ()  # why and what would decide it: in the headline
    assert cannot_tell.rows[0][2].tag == outcome_tag(Outcome.CANNOT_TELL)


def _summary(report: Report) -> list[str]:
    return [line.text for line in sheet_of(report).summary]


@pytest.mark.parametrize(
    ("name", "outcome", "headline"),
    [
        ("correct", Outcome.PASS, "pass — every element agrees"),
        ("wrong_w1", Outcome.WRONG, "fail: confirmed wrong in W1 (8 elements)"),
        ("jacobian", Outcome.WRONG, "fail: confirmed wrong in s / c (1 element)"),
        ("kink_band", Outcome.PASS, "pass — every element agrees"),
        ("stationary", Outcome.PASS, "pass — at a stationary point, every element agrees"),
        ("cannot_tell", Outcome.CANNOT_TELL, "cannot tell — w: the finite difference's"),
    ],
)
def test_the_outcome_is_the_first_summary_line_and_the_table_says_the_same(
    name: str, outcome: Outcome, headline: str, reports: dict[str, Report]
) -> None:
    report = reports[name]
    assert report.outcome is outcome and report.ok is (outcome is Outcome.PASS)
    first, band = _summary(report)[:2]
    assert first == report.headline and first.startswith(headline)
    assert band.startswith(f"texts' relative difference {report.diff:.1e}, band: ")
    cells = {row[0].text: row[2].text for row in sheet_of(report).rows}
    for row in report.parameters:  # each row's cell opens with its own outcome
        assert cells[row.block].startswith(row.outcome.value.split(":")[0])
    text = str(report)
    for words in (v.words for v in Verdict):  # the texts' advice is never a headline
        assert words not in text


def test_a_band_that_looks_alarming_says_why_it_does_not_decide(
    reports: dict[str, Report],
) -> None:
    kink = _summary(reports["kink_band"])
    assert kink[0].endswith("; 1 element at a kink takes a valid subgradient")
    assert kink[1] == (
        "texts' relative difference 1.0e-01, band: wrong (> 1e-2); all of it from kinks "
        "(1 element), where the analytic value is a valid subgradient; every other element "
        "agrees"
    )
    stationary = _summary(reports["stationary"])
    assert stationary[1].endswith(
        "band: wrong (> 1e-2); meaningless at a stationary point: every element was judged "
        "absolutely"
    )
    assert any(line.startswith("note: stationary point:") for line in stationary)
    cannot_tell = _summary(reports["cannot_tell"])
    assert "band: correct (< 1e-7); not to be trusted" in cannot_tell[1]
    assert cannot_tell[0].endswith("evaluate the function in float64")  # what would decide
    assert _summary(reports["correct"])[1] == (
        "texts' relative difference 0.0e+00, band: correct (< 1e-7)"
    )


def test_band_ranges_follow_the_edges_and_their_scale() -> None:
    assert [band_range(v) for v in Verdict] == ["< 1e-7", "1e-7..1e-4", "1e-4..1e-2", "> 1e-2"]
    assert band_range(Verdict.SUSPICIOUS, 100.0) == "1e-2..1e0"


def test_the_cost_line_puts_the_evaluation_identifiers_in_words(
    reports: dict[str, Report],
) -> None:
    import dataclasses

    report = reports["wrong_w1"]
    assert set(report.evaluations) >= {"centre", "differences", "refinement"}
    cost = str(report).splitlines()[-1]
    assert "central differences" in cost and "refinement at 2h or h/2" in cost
    assert " differences," not in cost.replace("central differences", "")  # never the id
    adapter = dataclasses.replace(report, evaluations={**report.evaluations, "vmap agreement": 2})
    assert "2 vmap agreement)" in str(adapter).splitlines()[-1]  # an adapter's key, as given
