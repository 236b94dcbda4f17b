"""A report as HTML: one self-contained page (and a notebook fragment) that says what the
text says, escapes what it is given, maps wrong elements where they are, and renders in a
real browser without errors."""

from __future__ import annotations

import dataclasses
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from report_kinds import every_kind

from gradient_check import GradientCheckError, sweep
from gradient_check.render import render_html
from gradient_check.render.heatmap import (
    CATEGORY,
    NOT_FINITE,
    UNNAMED,
    WRONG,
    element_index,
    grid_of,
    heatmap_svg,
    ratio_colour,
)
from gradient_check.render.html import DATA_ID
from gradient_check.render.text import sheet_of

KINDS = sorted(every_kind())
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")


def _fills(svg: str) -> list[str]:
    """The fill of every rectangle drawn, in order."""
    return re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})"', svg)


@pytest.mark.parametrize("name", KINDS)
def test_the_page_says_what_the_text_says(name):
    report = every_kind()[name]
    page = report.to_html()
    assert page.startswith("<!DOCTYPE html>")
    assert html.escape(report.headline) in page
    assert html.escape(report.outcome.value) in page
    for row in report.parameters:
        assert f">{html.escape(row.block)}<" in page  # in the table, as a cell
    for cells in sheet_of(report).rows:  # the text's table, cell for cell
        assert all(f">{html.escape(cell.text)}</td>" in page for cell in cells)
    for row in report.parameters:
        for element in (*row.wrong, *row.kinks, *row.noise, *row.undecided):
            assert f"<td>{html.escape(element.label)}</td>" in page
    for text in (*report.notes, *report.problems):
        assert html.escape(text) in page


def test_the_page_carries_its_report_as_inert_json():
    report = every_kind()["wrong_w1"]
    page = report.to_html()
    found = re.search(rf'<script type="application/json" id="{DATA_ID}">(.*?)</script>', page, re.S)
    assert found is not None
    assert type(report).from_dict(json.loads(found.group(1))) == report
    assert page.count("<script") == 1  # nothing that runs


def test_the_page_fetches_nothing():
    page = every_kind()["jacobian"].to_html()
    without_svg_namespace = page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for reference in ("http:", "https:", "src=", "href=", "url(", "@import", "<link"):
        assert reference not in without_svg_namespace


def test_user_text_is_escaped():
    report = every_kind()["wrong_w1"]
    evil = "<img onerror=alert(1)>"
    row = dataclasses.replace(report.parameters[0], name=evil)
    page = dataclasses.replace(report, parameters=(row,), notes=(f"{evil} & co",)).to_html()
    assert evil not in page
    assert html.escape(evil) in page
    assert "&lt;img onerror=alert(1)&gt; &amp; co" in page


def test_the_notebook_fragment_has_the_same_content_without_the_page():
    report = every_kind()["kink"]
    fragment = report._repr_html_()
    assert "<html" not in fragment and "<!DOCTYPE" not in fragment
    assert fragment.startswith('<div class="gc">')
    assert fragment in report.to_html()


def test_to_html_writes_the_file_and_says_why_it_cannot(tmp_path):
    report = every_kind()["correct"]
    path = tmp_path / "report.html"
    assert report.to_html(path) == path.read_text(encoding="utf-8")
    with pytest.raises(GradientCheckError, match="cannot write the HTML report to `path`"):
        report.to_html(tmp_path / "no such folder" / "report.html")


def test_a_wrong_block_is_mapped_where_its_wrong_elements_are():
    """W1's gradient is 2 W1 + 0.25 (goldens.wrong_w1): every element is wrong but
    W1[0, 1] = -0.25, where 2 W1 + 0.25 happens to equal W1."""
    measured = every_kind()["wrong_w1"].row("W1")
    grid = grid_of(measured)  # each element's error ratio, as the engine keeps it
    assert grid is not None and not grid.named and grid.values.shape == (3, 3)
    expected = {
        tuple(np.unravel_index(element_index(e.label, measured), (3, 3))) for e in measured.wrong
    }
    assert {(i, j) for i, j in np.argwhere(grid.values > 1)} == expected
    assert grid.values[0, 1] < 1
    row = dataclasses.replace(measured, errors=())  # a report without them: named elements
    grid = grid_of(row)
    assert grid is not None and grid.named and grid.values.shape == (3, 3)
    wrong = {(i, j) for i, j in np.argwhere(grid.values == WRONG)}
    assert wrong == {
        tuple(np.unravel_index(element_index(e.label, row), (3, 3))) for e in row.wrong
    }
    assert len(wrong) == 8 and (0, 1) not in wrong
    fills = _fills(heatmap_svg(row, grid))[:9]
    assert fills.count(CATEGORY[WRONG][1]) == 8 and fills.count(CATEGORY[UNNAMED][1]) == 1


def test_a_transposed_gradient_shows_as_a_pattern_from_the_element_errors():
    """With per-element errors kept (``Row.errors``), a transposed gradient of a matrix
    agrees on the diagonal only: pale diagonal, red elsewhere, non-finite in purple."""
    row = every_kind()["wrong_w1"].row("W1")
    ratios = np.full((3, 3), 40.0)
    np.fill_diagonal(ratios, 0.01)
    ratios[2, 0] = np.nan
    row = dataclasses.replace(row, errors=tuple(ratios.ravel()))
    grid = grid_of(row)
    assert not grid.named
    fills = np.array(_fills(heatmap_svg(row, grid))[:9]).reshape(3, 3)
    assert set(np.diag(fills)) == {ratio_colour(0.01)}
    assert fills[2, 0] == NOT_FINITE
    assert fills[0, 1] == ratio_colour(40.0) != ratio_colour(0.01)


def test_a_jacobian_block_is_mapped_outputs_by_elements():
    row = every_kind()["jacobian"].row("x", "y")  # 3 outputs x 2 elements
    errors = np.arange(6.0)  # element i of x, output r: index i * 3 + r
    grid = grid_of(dataclasses.replace(row, errors=tuple(errors)))
    assert grid.lines == "outputs"
    assert grid.values.tolist() == errors.reshape(2, 3).T.tolist()


def test_one_wrong_element_of_a_large_tensor_survives_pooling():
    row = dataclasses.replace(
        every_kind()["wrong_w1"].row("W1"),
        shape=(300, 200),
        wrong=(
            dataclasses.replace(every_kind()["wrong_w1"].row("W1").wrong[0], label="W1[123, 45]"),
        ),
        wrong_count=1,
        errors=(),  # too large for the engine to keep each element's ratio
    )
    fills = _fills(heatmap_svg(row, grid_of(row)))
    assert len(fills) <= 48 * 48 + 5  # pooled, plus the legend
    assert fills.count(CATEGORY[WRONG][1]) == 2  # its cell, and the legend's


def test_element_labels_find_their_index():
    row = every_kind()["wrong_w1"].row("W1")
    assert element_index("W1[2, 0]", row) == 6
    assert element_index("W1[3, 0]", row) is None  # outside the shape
    assert element_index("B1[0]", row) is None
    jacobian = every_kind()["jacobian"].row("c", "s")
    assert element_index("s[0] / c[0]", jacobian) == 0


def test_the_chart_draws_a_bar_per_block_over_four_bands():
    report = every_kind()["jacobian"]
    page = report.to_html()
    chart = page[page.index("<svg") : page.index("</svg>")]
    for band in ("correct", "non-smooth only", "possibly wrong", "wrong"):
        assert f">{band}</text>" in chart
    assert chart.count("</title></rect>") == len(report.parameters)  # a bar each
    bounded = [row for row in report.parameters if row.error_bound > 0]
    assert chart.count("</title></line>") == len(bounded) > 0  # each error bound's tick


def _sweep():
    return sweep(
        lambda x: float(np.sum(np.sin(x))), np.array([0.3, 1.2]), np.cos, steps=(1e-2, 1e-4, 1e-6)
    )


def test_a_sweep_has_its_own_page_and_joins_a_report():
    swept = _sweep()
    page = swept.to_html()
    assert "step-size sweep (central" in page and "<polyline" in page
    assert "automatic step" in swept._repr_html_()
    joined = render_html(every_kind()["correct"], sweeps=[swept])
    assert "step-size sweep (central" in joined and "gradient check (gradient)" in joined


# Headless Chromium: the page renders (a screenshot that is not blank) and logs nothing.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1200,1600",
)


def _browse(page: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    """A screenshot of ``page`` in headless Chromium, and what its console said. Our pages
    run no script, so every console line is a finding (an uncaught error among them)."""
    shot = tmp_path / f"{page.stem}.png"
    done = subprocess.run(
        [
            BROWSER,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / ('profile-' + page.stem)}",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    console = [
        line for line in done.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line
    ]
    return shot, console


def _ink(shot: Path) -> tuple[int, float, int]:
    """Distinct colours, the share of pixels that are not white, and red pixels."""
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB")).reshape(-1, 3).astype(int)
    colours = len(np.unique(pixels, axis=0))
    inked = float(np.mean(np.any(pixels < 245, axis=1)))
    red = int(np.sum((pixels[:, 0] > 150) & (pixels[:, 1] < 80) & (pixels[:, 2] < 80)))
    return colours, inked, red


needs_browser = pytest.mark.skipif(
    BROWSER is None,
    reason="no chromium or chromium-browser on PATH (Debian's chromium; .ci/run installs it)",
)


@needs_browser
def test_the_detector_sees_a_page_that_throws_and_a_blank_screenshot(tmp_path):
    page = tmp_path / "throws.html"
    page.write_text("<!DOCTYPE html><html><body><script>null.boom();</script></body></html>")
    shot, console = _browse(page, tmp_path)
    assert any("Uncaught" in line for line in console), console
    colours, inked, _ = _ink(shot)
    assert colours == 1 and inked == 0.0


@needs_browser
def test_the_page_renders_in_chromium_without_errors(tmp_path):
    page = tmp_path / "report.html"
    render_html(every_kind()["wrong_w1"], page, sweeps=[_sweep()])
    shot, console = _browse(page, tmp_path)
    assert console == []
    colours, inked, red = _ink(shot)
    assert colours > 50 and inked > 0.03
    assert red > 500  # the wrong block's bar and map, in the outcome's red


def test_the_cost_table_puts_the_evaluation_identifiers_in_words():
    report = every_kind()["wrong_w1"]
    page = report.to_html()
    assert "<td>central differences</td>" in page
    assert "<td>refinement at 2h or h/2</td>" in page
    assert "<td>differences</td>" not in page and "<td>refinement</td>" not in page
