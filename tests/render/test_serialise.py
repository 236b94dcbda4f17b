"""A report as JSON-ready data: it round-trips exactly, follows its shipped schema, and
carries NaN and infinity through strict JSON."""

from __future__ import annotations

import dataclasses
import json
import math

import jsonschema
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from report_kinds import every_kind

from gradient_check import Element, GradientCheckError, Report, sweep
from gradient_check.core.summarise import EVALUATIONS
from gradient_check.render import report_schema, sweep_schema
from gradient_check.render.serialise import SCHEMA, json_safe, number, unnumber
from gradient_check.report import FORMS, form_of

KINDS = sorted(every_kind())
NATIVE = [name for name in KINDS if name != "hand_made"]  # extra holds numpy values there


def _strict(data: dict) -> dict:
    """``data`` through strict JSON text (NaN and infinity refused), and back."""
    return json.loads(json.dumps(data, allow_nan=False))


@pytest.mark.parametrize("name", NATIVE)
def test_every_kind_round_trips_to_an_equal_report(name):
    report = every_kind()[name]
    back = Report.from_dict(_strict(report.to_dict()))
    assert back == report
    assert (back.outcome, back.headline, back.band_reading) == (
        report.outcome,
        report.headline,
        report.band_reading,
    )


@pytest.mark.parametrize("name", KINDS)
def test_every_kind_validates_against_the_shipped_schema(name):
    document = _strict(every_kind()[name].to_dict())
    jsonschema.Draft202012Validator(report_schema()).validate(document)


def test_the_schema_is_a_valid_versioned_draft_2020_12_schema():
    schema = report_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["schema"] == {"const": SCHEMA}
    assert schema["$id"].endswith(":1")
    # the document's keys are exactly the schema's required ones
    assert set(every_kind()["wrong_w1"].to_dict()) == set(schema["required"])


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: d.update(outcome="probably fine"),
        lambda d: d.pop("rows"),
        lambda d: d.update(schema="gradient-check/report/0"),
        lambda d: d["rows"][0].update(diff="tiny"),
        lambda d: d["rows"][0]["counts"].update(wrong=-1),
        lambda d: d["wrong"][0].pop("row"),
        lambda d: d.update(surprise=1),
    ],
    ids=["outcome", "no-rows", "version", "diff-text", "negative-count", "wrong-row", "extra-key"],
)
def test_an_invalid_document_is_rejected_by_the_schema(spoil):
    document = _strict(every_kind()["wrong_w1"].to_dict())
    validator = jsonschema.Draft202012Validator(report_schema())
    validator.validate(document)
    spoil(document)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(document)


def test_the_top_level_keys_the_issue_names():
    document = every_kind()["wrong_w1"].to_dict()
    assert document["schema"] == SCHEMA
    assert document["outcome"] == "fail: confirmed wrong"
    assert (document["diff"], document["band"]) == (every_kind()["wrong_w1"].diff, "wrong")
    w1 = document["rows"][0]
    assert (w1["name"], w1["outcome"], w1["counts"]["wrong"]) == ("W1", "fail: confirmed wrong", 8)
    assert w1["worst"] == {
        "element": "W1[2, 0]",
        "analytic": 6.25,
        "numeric": 3.0,
        "abs_error": 3.25,
        "rel_error": every_kind()["wrong_w1"].parameters[0].max_rel_error,
    }
    assert [(e["row"], e["label"]) for e in document["wrong"]][:2] == [
        ("W1", "W1[2, 0]"),
        ("W1", "W1[0, 2]"),
    ]
    assert len(document["wrong"]) == 8


@pytest.mark.parametrize("name", NATIVE)
def test_evaluations_are_keyed_by_identifiers_not_sentences(name):
    report = every_kind()[name]
    document = report.to_dict()
    assert set(document["evaluations"]) <= set(EVALUATIONS)
    assert sum(document["evaluations"].values()) == report.total_evaluations
    assert document["evaluations"] == report.evaluations
    assert set(report.evaluations) <= set(EVALUATIONS)  # the report holds identifiers too


def test_non_finite_numbers_survive_strict_json():
    report = every_kind()["hand_made"]
    document = _strict(report.to_dict())
    row = document["rows"][0]
    assert row["worst"]["rel_error"] == "nan"
    assert row["undecided"][0]["numeric"] == "inf"
    assert row["undecided"][0]["high"] == "-inf"
    assert row["errors"] == [0.5, "inf", "nan"]
    back = Report.from_dict(document)
    assert math.isnan(back.parameters[0].max_rel_error)
    jump = back.parameters[0].undecided[0]
    assert (jump.numeric, jump.high, jump.low) == (math.inf, -math.inf, -1.0)
    assert math.isnan(jump.error_estimate)
    # the rest is exact: the same document again
    assert back.to_dict() == document


def test_extra_is_made_json_safe():
    document = _strict(every_kind()["hand_made"].to_dict())
    assert document["extra"] == {"asymmetry": 2.5e-3, "sizes": [0, 1, 2], "when": [1, "a"]}
    assert every_kind()["vjp_random"].to_dict()["extra"] == {"cotangents": 2, "seed": 3}
    assert json_safe({1: np.array([np.nan, 1.0]), "f": np.float32(0.5), "o": object}) == {
        "1": ["nan", 1.0],
        "f": 0.5,
        "o": repr(object),
    }


_floats = st.floats(allow_nan=True, allow_infinity=True)


def _same(a: float | None, b: float | None) -> bool:
    """Bit for bit (so -0.0 is not 0.0), except that any NaN is NaN: JSON has one."""
    if a is None or b is None:
        return a is b
    return (math.isnan(a) and math.isnan(b)) or np.float64(a).tobytes() == np.float64(b).tobytes()


@given(
    values=st.lists(_floats, min_size=5, max_size=5),
    slopes=st.one_of(st.none(), st.tuples(_floats, _floats)),
    errors=st.lists(_floats, max_size=6),
)
def test_any_float_survives_the_round_trip(values, slopes, errors):
    """Every float (NaN, infinities, subnormals, -0.0) comes back bit for bit (NaN as NaN)."""
    low, high = slopes if slopes else (None, None)
    element = Element("w[0]", values[0], values[1], values[2], "kink", low=low, high=high)
    base = every_kind()["kink"]
    row = dataclasses.replace(
        base.parameters[0], kinks=(element,), diff=values[3], errors=tuple(errors)
    )
    report = dataclasses.replace(base, parameters=(row,), diff=values[4])
    back = Report.from_dict(_strict(report.to_dict()))
    restored = back.parameters[0]
    got = [*(getattr(restored.kinks[0], k) for k in ("analytic", "numeric", "error_estimate"))]
    got += [restored.diff, back.diff]
    got += [restored.kinks[0].low, restored.kinks[0].high, *restored.errors]
    wanted = [*values, *(slopes or (None, None)), *errors]
    assert len(got) == len(wanted)
    assert all(_same(a, b) for a, b in zip(got, wanted)), (got, wanted)


def test_numbers_and_their_strings():
    assert [number(v) for v in (1.5, math.nan, math.inf, -math.inf, None)] == [
        1.5,
        "nan",
        "inf",
        "-inf",
        None,
    ]
    assert unnumber("-inf") == -math.inf
    with pytest.raises(GradientCheckError, match="not a number"):
        unnumber("Infinity")


def test_from_dict_refuses_other_documents_in_one_line():
    document = every_kind()["correct"].to_dict()
    with pytest.raises(GradientCheckError, match="schema 'gradient-check/report/9'"):
        Report.from_dict({**document, "schema": "gradient-check/report/9"})
    with pytest.raises(GradientCheckError, match="schema None"):
        Report.from_dict([1, 2])
    without = {**document, "rows": [{k: v for k, v in document["rows"][0].items() if k != "name"}]}
    with pytest.raises(GradientCheckError, match="row's key 'name'"):
        Report.from_dict(without)
    with pytest.raises(GradientCheckError, match="'maybe' is not a valid Verdict"):
        Report.from_dict({**document, "band": "maybe"})


def test_a_sweep_round_trips_and_follows_its_schema():
    swept = sweep(
        lambda x: float(np.sum(np.sin(x))), np.array([0.3, 1.2]), np.cos, steps=(1e-2, 1e-5)
    )
    document = _strict(swept.to_dict())
    jsonschema.Draft202012Validator(sweep_schema()).validate(document)
    assert type(swept).from_dict(document) == swept
    assert document["best_h"] == swept.best_h


def test_the_forms_are_registered_and_a_missing_one_says_so():
    for name in ("text", "dict", "from_dict", "html", "html_fragment"):
        assert Report in FORMS[name]
    with pytest.raises(NotImplementedError, match="no 'dict' form of int"):
        form_of("dict", int)
