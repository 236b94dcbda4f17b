"""Ctrl-C in the middle of a check: the parameters bitwise and numpy's global generator
restored, and CheckInterrupted carrying how far the check got (engine.run_check,
evaluate.Counted)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradient_check as gc
from gradient_check.core.evaluate import Counted, InPlaceEvaluator
from gradient_check.core.outputs import scalar_spec
from gradient_check.core.workspace import Workspace
from gradient_check.errors import CheckInterrupted

N = 40  # coordinates: W (5 x 6) float64 with a -0.0, b (10,) float32


def params():
    W = np.linspace(-1.0, 1.0, 30).reshape(5, 6)
    W[2, 3] = -0.0
    return {"W": W, "b": np.linspace(0.1, 1.0, 10).astype(np.float32)}


def loss(p):
    return float(np.sum(np.sin(p["W"])) + np.sum(np.asarray(p["b"], dtype=np.float64) ** 2))


def grads(p):
    return {"W": np.cos(p["W"]), "b": 2 * np.asarray(p["b"], dtype=np.float64)}


def stopping_at(n):
    """``loss`` whose n-th call draws from numpy's global generator, then raises Ctrl-C."""
    calls = []

    def f(p):
        calls.append(1)
        if len(calls) == n:
            np.random.random(3)  # the generator moves: it must be put back
            raise KeyboardInterrupt
        return loss(p)

    return f, calls


def calls_of_a_full_check():
    f, calls = stopping_at(-1)
    gc.check(f, params(), grads(params()))
    return len(calls)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_an_interrupt_anywhere_restores_everything_and_says_how_far(data):
    total = calls_of_a_full_check()
    n = data.draw(st.integers(1, total))
    p = params()
    before = {k: v.tobytes() for k, v in p.items()}
    np.random.seed(7)
    state = np.random.get_state()
    f, _ = stopping_at(n)
    with pytest.raises(CheckInterrupted) as caught:
        gc.check(f, p, grads(params()))
    stopped = caught.value
    assert isinstance(stopped, KeyboardInterrupt)
    assert {k: v.tobytes() for k, v in p.items()} == before
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:]
    assert stopped.done == sum(stopped.evaluations.values()) <= n - 1  # the n-th never returned
    assert stopped.stage in stopped.evaluations and stopped.stage in str(stopped)
    measured = sum(stop - start for start, stop in stopped.covered)
    assert 2 * measured <= stopped.evaluations.get("differences", 0)
    assert all(0 <= a < b <= N for a, b in stopped.covered)
    partial = stopped.report  # the coordinates measured, judged; never a pass
    assert (partial is not None) == (measured > 0)
    if partial is not None:
        assert not partial.ok and partial.outcome is gc.Outcome.CANNOT_TELL
        cut = partial.interrupted
        assert cut["coordinates"] == N and cut["done"] == stopped.done
        assert cut["measured"] == (N if stopped.stage != "differences" else stopped.covered[0][1])
        assert sum(
            row.shape[0] if row.name == "W" and len(row.shape) == 1 else 0
            for row in partial.parameters
        ) in (0, min(cut["measured"], 30))
        assert gc.Report.from_dict(partial.to_dict()) == partial


def test_an_interrupt_in_the_differences_says_which_coordinates_were_measured():
    f, _ = stopping_at(-1)
    report = gc.check(f, params(), grads(params()))
    probes = sum(v for k, v in report.evaluations.items() if k != "differences")
    f, _ = stopping_at(probes + 2 * 25 + 1)  # inside coordinate 25's difference
    with pytest.raises(CheckInterrupted) as caught:
        gc.check(f, params(), grads(params()))
    stopped = caught.value
    assert stopped.stage == "differences" and stopped.expected >= probes + 2 * N
    assert stopped.covered and stopped.covered[0][0] == 0 and stopped.covered[-1][1] <= 25
    assert "coordinates' differences measured" in str(stopped)


def test_an_interrupt_at_the_centre_is_still_a_check_interrupted():
    f, _ = stopping_at(1)
    with pytest.raises(CheckInterrupted) as caught:
        gc.check(f, params(), grads(params()))
    assert caught.value.stage == "probes" and caught.value.done == 0


def test_the_in_place_loop_reports_progress_in_pieces():
    """One batch of many points is counted piece by piece, in order, up to its size (the
    centre, evaluated before any batch, counts 1)."""
    p = params()
    workspace = Workspace(p, gc.flatten(p))
    spec = scalar_spec(loss(p))
    seen = []
    counted = Counted(InPlaceEvaluator(loss, workspace, spec), lambda d, e: seen.append(d))
    counted.enter("differences")
    coordinates = np.arange(N)
    values = workspace.values()[coordinates, None] + np.array([-1e-3, 1e-3])
    found = counted.at_coordinates(coordinates, workspace.stored(coordinates, values))
    assert found.shape == (N, 2, 1) and len(seen) > 1
    assert seen == sorted(seen) and seen[-1] == 1 + 2 * N
    assert counted.covered() == ((0, N),)


def test_the_partial_report_names_a_wrong_element_measured_and_never_passes():
    """W[3, 4] (coordinate 22) is wrong. A Ctrl-C in the refinement leaves a report of every
    coordinate, naming it on its first difference's evidence; one in the first half of the
    differences leaves W's first elements, flat, which cannot tell (never a pass)."""
    wrong = grads(params())
    wrong["W"][3, 4] *= 1.5
    f, _ = stopping_at(-1)
    report = gc.check(f, params(), grads(params()))
    probes = sum(v for k, v in report.evaluations.items() if k != "differences")

    f, _ = stopping_at(probes + 2 * N + 1)  # the first evaluation of the refinement
    with pytest.raises(CheckInterrupted) as caught:
        gc.check(f, params(), wrong)
    partial = caught.value.report
    assert caught.value.stage == "refinement" and partial.interrupted["measured"] == N
    assert partial.outcome is gc.Outcome.WRONG
    row = partial.parameters[0]
    assert (row.name, row.worst_index) == ("W", "W[3, 4]")
    assert f"(interrupted: {N} of {N} coordinates measured)" in partial.headline

    f, _ = stopping_at(probes + 2 * 20 + 1)  # inside coordinate 20's difference
    with pytest.raises(CheckInterrupted) as caught:
        gc.check(f, params(), wrong)
    partial = caught.value.report
    if partial is None:  # the first piece of points had not returned
        assert not caught.value.covered
        return
    measured = partial.interrupted["measured"]
    assert measured == caught.value.covered[0][1] <= 20
    assert [(row.name, row.shape) for row in partial.parameters] == [("W", (measured,))]
    assert partial.outcome is gc.Outcome.CANNOT_TELL and not partial.ok
    assert partial.parameters[0].outcome is gc.Outcome.PASS
    assert partial.headline.endswith(f"interrupted: {measured} of {N} coordinates measured")
    assert partial.band_reading == (
        f"over the {measured} of {N} coordinates measured before the interrupt; the rest "
        "were never measured"
    )


def test_a_forward_difference_check_interrupted_in_its_refinement_has_a_partial_report():
    """No gaps without a central difference: the elements in doubt cannot tell."""
    wrong = grads(params())
    wrong["W"][3, 4] *= 1.5
    f, _ = stopping_at(-1)
    report = gc.check(f, params(), wrong, scheme="forward")
    before = sum(v for k, v in report.evaluations.items() if k not in ("refinement", "shortened"))
    f, _ = stopping_at(before + 1)
    with pytest.raises(CheckInterrupted) as caught:
        gc.check(f, params(), wrong, scheme="forward")
    partial = caught.value.report
    assert caught.value.stage == "refinement" and partial.interrupted["measured"] == N
    assert partial.outcome is gc.Outcome.CANNOT_TELL
    assert partial.parameters[0].worst_index == "W[3, 4]"


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # the refinement's
def test_gaps_that_overflow_never_make_a_partial_report_say_wrong():
    """f near float64's top: f+ + f- - 2 f0 overflows though every value is finite, so the
    bound is NaN, which shows nothing: the correct gradient is never called wrong."""
    w = np.linspace(-1.0, 1.0, 40)

    def huge(v):
        return 1e306 * (95.0 + float(np.mean(np.sin(v))))

    correct = 1e306 * np.cos(w) / w.size
    full = gc.check(huge, w, correct)
    assert full.outcome is not gc.Outcome.WRONG
    done = full.total_evaluations - full.evaluations.get("refinement", 0)
    done -= full.evaluations.get("shortened", 0)
    for stop in (done - 2 * N + 2 * 20, done + 1):  # in the differences; in the refinement
        f, calls = huge, []

        def stopping(v, f=f, calls=calls, stop=stop):
            calls.append(1)
            if len(calls) == stop:
                raise KeyboardInterrupt
            return f(v)

        with pytest.raises(CheckInterrupted) as caught:
            gc.check(stopping, w, correct)
        partial = caught.value.report
        assert partial is None or partial.outcome is not gc.Outcome.WRONG
