"""A report (or a sweep) as JSON-ready data, and back: ``Report.to_dict``, ``from_dict``.

The documents follow JSON Schemas shipped in the package (``report.schema.json``,
``sweep.schema.json``; ``report_schema()`` and ``sweep_schema()`` load them), versioned by
the ``schema`` key: a reader checks it before anything else. Strict JSON has no NaN or
infinity, so a non-finite float is the string "nan", "inf" or "-inf" wherever a number
stands; every other float is written in full, so ``Report.from_dict(r.to_dict()) == r``.
Evaluation counts are keyed by the stages' identifiers (``differences``, ``refinement``), as
``Report.evaluations`` holds them; the text and HTML put them in words. The derived fields
(``outcome``, ``headline``, ``band_reading``, ``ok``, each row's ``outcome``) are written
for readers; ``from_dict`` recomputes them.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from ..checks.sweep import Sweep, SweepPoint
from ..errors import GradientCheckError
from ..report import Element, Evidence, Report, Row, Verdict, form

SCHEMA = "gradient-check/report/1"
SWEEP_SCHEMA = "gradient-check/sweep/1"
NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def number(value: float | None) -> float | str | None:
    """A float as strict JSON takes it: itself, or "nan", "inf", "-inf"."""
    if value is None:
        return None
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def unnumber(value: float | str | None) -> float | None:
    """The float a document's number stands for (its strings "nan", "inf", "-inf" too)."""
    if value is None:
        return None
    if isinstance(value, str):
        if value not in NON_FINITE:
            raise GradientCheckError(
                f"{value!r} is not a number: a report's numbers are JSON numbers or the "
                'strings "nan", "inf", "-inf"; pass a document Report.to_dict() wrote'
            )
        return NON_FINITE[value]
    return float(value)


def json_safe(value: Any) -> Any:
    """``value`` as JSON can hold it: numpy scalars as numbers, arrays and tuples as lists,
    mapping keys as strings, non-finite floats as strings, anything else by its repr."""
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return number(value)
    return repr(value)


def _unsafe(value: Any) -> Any:
    """``extra`` read back: the strings "nan", "inf", "-inf" are floats again."""
    if isinstance(value, dict):
        return {key: _unsafe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unsafe(item) for item in value]
    if isinstance(value, str) and value in NON_FINITE:
        return NON_FINITE[value]
    return value


def element_dict(element: Element) -> dict[str, Any]:
    return {
        "label": element.label,
        "kind": element.kind,
        "analytic": number(element.analytic),
        "numeric": number(element.numeric),
        "error_estimate": number(element.error_estimate),
        "low": number(element.low),
        "high": number(element.high),
    }


def row_dict(row: Row) -> dict[str, Any]:
    """One block: its outcome, the texts' diff and band, its worst element, its elements."""
    return {
        "name": row.name,
        "output": row.output,
        "block": row.block,
        "shape": list(row.shape),
        "outcome": row.outcome.value,
        "evidence": row.evidence.value,
        "diff": number(row.diff),
        "band": row.verdict.value,
        "absolute": row.absolute,
        "worst": {
            "element": row.worst_index,
            "analytic": number(row.worst_analytic),
            "numeric": number(row.worst_numeric),
            "abs_error": number(row.max_abs_error),
            "rel_error": number(row.max_rel_error),
        },
        "error_bound": number(row.error_bound),
        "step": {"min": number(row.step_min), "max": number(row.step_max)},
        "wrong": [element_dict(e) for e in row.wrong],
        "kinks": [element_dict(e) for e in row.kinks],
        "noise": [element_dict(e) for e in row.noise],
        "undecided": [element_dict(e) for e in row.undecided],
        "counts": {
            "wrong": row.wrong_count,
            "kinks": row.kink_count,
            "noise": row.noise_count,
            "undecided": row.undecided_count,
        },
        "advice": row.advice,
        "errors": [number(e) for e in row.errors],
    }


@form("dict", Report)
def report_dict(report: Report) -> dict[str, Any]:
    """The report as a document of schema ``SCHEMA`` (see report.schema.json)."""
    return {
        "schema": SCHEMA,
        "kind": report.kind,
        "outcome": report.outcome.value,
        "ok": report.ok,
        "headline": report.headline,
        "diff": number(report.diff),
        "band": report.verdict.value,
        "band_scale": number(report.band_scale),
        "band_reading": report.band_reading,
        "evidence": report.evidence.value,
        "stationary": report.stationary,
        "scheme": report.scheme,
        "step": report.step,
        "rows": [row_dict(row) for row in report.parameters],
        "wrong": [
            {"row": row.block, **element_dict(e)} for row in report.parameters for e in row.wrong
        ],
        "evaluations": dict(report.evaluations),
        "total_evaluations": report.total_evaluations,
        "notes": list(report.notes),
        "problems": list(report.problems),
        "extra": json_safe(report.extra),
    }


def _read(data: Any, key: str, where: str = "report") -> Any:
    if not isinstance(data, dict) or key not in data:
        raise GradientCheckError(
            f"`data` lacks the {where}'s key {key!r}: pass a document that "
            "Report.to_dict() wrote (its keys are in gradient_check.render.report_schema())"
        )
    return data[key]


def element_of(data: dict[str, Any]) -> Element:
    return Element(
        label=_read(data, "label", "element"),
        analytic=unnumber(_read(data, "analytic", "element")),
        numeric=unnumber(_read(data, "numeric", "element")),
        error_estimate=unnumber(_read(data, "error_estimate", "element")),
        kind=_read(data, "kind", "element"),
        low=unnumber(data.get("low")),
        high=unnumber(data.get("high")),
    )


def row_of(data: dict[str, Any]) -> Row:
    """The Row a ``row_dict`` came from."""
    worst, step, counts = (_read(data, key, "row") for key in ("worst", "step", "counts"))

    def elements(key: str) -> tuple[Element, ...]:
        return tuple(element_of(e) for e in _read(data, key, "row"))

    return Row(
        name=_read(data, "name", "row"),
        output=_read(data, "output", "row"),
        shape=tuple(int(n) for n in _read(data, "shape", "row")),
        diff=unnumber(_read(data, "diff", "row")),
        verdict=Verdict(_read(data, "band", "row")),
        evidence=Evidence(_read(data, "evidence", "row")),
        max_abs_error=unnumber(_read(worst, "abs_error", "worst element")),
        max_rel_error=unnumber(_read(worst, "rel_error", "worst element")),
        worst_index=_read(worst, "element", "worst element"),
        worst_analytic=unnumber(_read(worst, "analytic", "worst element")),
        worst_numeric=unnumber(_read(worst, "numeric", "worst element")),
        error_bound=unnumber(_read(data, "error_bound", "row")),
        step_min=unnumber(_read(step, "min", "step")),
        step_max=unnumber(_read(step, "max", "step")),
        wrong=elements("wrong"),
        kinks=elements("kinks"),
        noise=elements("noise"),
        undecided=elements("undecided"),
        wrong_count=int(_read(counts, "wrong", "counts")),
        kink_count=int(_read(counts, "kinks", "counts")),
        noise_count=int(_read(counts, "noise", "counts")),
        undecided_count=int(_read(counts, "undecided", "counts")),
        advice=data.get("advice"),
        absolute=bool(data.get("absolute", False)),
        errors=tuple(unnumber(e) for e in data.get("errors", ())),
    )


def _checked(data: Any, schema: str) -> None:
    found = data.get("schema") if isinstance(data, dict) else None
    if found != schema:
        raise GradientCheckError(
            f"`data` has schema {found!r}, not {schema!r}: pass a document that "
            f"to_dict() of this version wrote"
        )


@form("from_dict", Report)
def report_of(data: dict[str, Any]) -> Report:
    """The Report a ``report_dict`` document describes (derived keys are recomputed)."""
    _checked(data, SCHEMA)
    scheme = _read(data, "scheme")
    try:
        return Report(
            kind=_read(data, "kind"),
            diff=unnumber(_read(data, "diff")),
            verdict=Verdict(_read(data, "band")),
            evidence=Evidence(_read(data, "evidence")),
            parameters=tuple(row_of(row) for row in _read(data, "rows")),
            scheme=scheme,
            step=_read(data, "step"),
            evaluations={k: int(n) for k, n in _read(data, "evaluations").items()},
            notes=tuple(_read(data, "notes")),
            problems=tuple(_read(data, "problems")),
            band_scale=unnumber(_read(data, "band_scale")),
            extra=_unsafe(_read(data, "extra")),
        )
    except ValueError as error:  # an enum's value that is not one of its members
        raise GradientCheckError(
            f"`data` is not a report Report.to_dict() wrote: {error}; see "
            "gradient_check.render.report_schema() for the values each key takes"
        ) from error


@form("dict", Sweep)
def sweep_dict(sweep: Sweep) -> dict[str, Any]:
    """A step-size sweep as a document of schema ``SWEEP_SCHEMA`` (sweep.schema.json)."""
    return {
        "schema": SWEEP_SCHEMA,
        "scheme": sweep.scheme,
        "reference": sweep.reference,
        "elements": sweep.elements,
        "auto_h": number(sweep.auto_h),
        "best_h": number(sweep.best_h),
        "points": [
            {key: number(getattr(p, key)) for key in SweepPoint.__dataclass_fields__}
            for p in sweep.points
        ],
    }


@form("from_dict", Sweep)
def sweep_of(data: dict[str, Any]) -> Sweep:
    """The Sweep a ``sweep_dict`` document describes."""
    _checked(data, SWEEP_SCHEMA)
    points = tuple(
        SweepPoint(
            **{key: unnumber(_read(p, key, "point")) for key in SweepPoint.__dataclass_fields__}
        )
        for p in _read(data, "points", "sweep")
    )
    return Sweep(
        points=points,
        auto_h=unnumber(_read(data, "auto_h", "sweep")),
        reference=_read(data, "reference", "sweep"),
        scheme=_read(data, "scheme", "sweep"),
        elements=int(_read(data, "elements", "sweep")),
    )


@cache
def _schema_text(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def report_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of ``Report.to_dict()``'s documents: a fresh copy."""
    return json.loads(_schema_text("report.schema.json"))


def sweep_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of ``Sweep.to_dict()``'s documents: a fresh copy."""
    return json.loads(_schema_text("sweep.schema.json"))
