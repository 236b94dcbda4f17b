"""The cheap modes of check: directional, sample, locate, and the budget that picks one."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradient_check as gc
from gradient_check import InvalidProblemError, Outcome


def quadratic(n, seed=0, tensors=("W", "b")):
    rng = np.random.default_rng(seed)
    params = {name: rng.standard_normal(n if i == 0 else 50) for i, name in enumerate(tensors)}

    def loss(p):
        return float(sum(np.sum(v**2) + np.sum(np.sin(v)) for v in p.values()))

    grads = {k: 2 * v + np.cos(v) for k, v in params.items()}
    return loss, params, grads


def test_directional_passes_a_right_gradient_and_states_what_it_rules_out():
    loss, params, grads = quadratic(2000)
    report = gc.check(loss, params, grads, mode="directional", seed=3)
    assert report.outcome is Outcome.PASS
    assert sum(report.evaluations.values()) < 60  # not 2n + ... = 4100
    bounds = report.extra["ruled_out"]
    assert set(bounds) == {"W", "b"} and report.extra["seed"] == 3
    for name, bound in bounds.items():
        # the bound is far below the gradient's own size: it rules out real errors
        assert 0 < bound["relative_above"] < 1e-4, name
    assert any("no error of norm above" in note for note in report.notes)


def test_directional_names_the_wrong_tensor_only():
    loss, params, grads = quadratic(2000)
    grads["W"] = grads["W"].copy()
    grads["W"][17] += 1.0
    report = gc.check(loss, params, grads, mode="directional")
    assert report.outcome is Outcome.WRONG
    assert report.wrong == ["W"]  # the tensor's own name, as a full check gives it
    row = report.parameters[0]
    assert row.shape == params["W"].shape and all("W·v[" in e.label for e in row.wrong)
    assert report.headline.startswith("fail: confirmed wrong in W (") and "direction" in (
        report.headline
    )
    assert set(report.extra["ruled_out"]) == {"b"}  # a failing tensor rules nothing out


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 99_999), st.integers(0, 10))
def test_locate_finds_one_wrong_element_in_a_hundred_thousand(index, seed):
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(100_000)
    grads = 2 * theta
    grads[index] += 0.5 + rng.random()
    report = gc.check(lambda x: float(x @ x), theta, grads, mode="locate", seed=seed)
    row = report.parameters[0]
    assert [e.label for e in row.wrong] == [f"params[{index}]"]
    element = row.wrong[0]
    assert abs(element.numeric - 2 * theta[index]) <= 4 * element.error_estimate
    assert element.analytic == grads[index]
    assert sum(report.evaluations.values()) <= 200 - 70  # log2(1e5) = 17 halvings


def test_locate_names_two_wrong_elements_and_a_whole_tensor_fault_cheaply():
    loss, params, grads = quadratic(4096)
    grads["W"] = grads["W"].copy()
    grads["W"][[5, 3000]] += 1.0
    report = gc.check(loss, params, grads, mode="locate")
    assert report.extra["located"]["W"] == ["W[5]", "W[3000]"]
    grads["W"] = 2 * (2 * params["W"] + np.cos(params["W"]))  # a factor 2 on the layer
    whole = gc.check(loss, params, grads, mode="locate")
    assert whole.outcome is Outcome.WRONG
    assert whole.evaluations["differences"] == 2 * 2 * 2  # 4 per tensor
    assert any("spread over the tensor" in note for note in whole.notes)


def test_sample_checks_k_stratified_elements_per_tensor():
    loss, params, grads = quadratic(3000)
    report = gc.check(loss, params, grads, mode="sample", samples=10)
    assert report.outcome is Outcome.PASS
    assert report.evaluations["differences"] == 2 * 20
    assert any("not more than" in note for note in report.notes)
    everywhere = {k: v.copy() for k, v in grads.items()}
    everywhere["W"][::2] += 1.0  # half the elements wrong: ten strata cannot all miss
    assert gc.check(loss, params, everywhere, mode="sample", samples=10).outcome is Outcome.WRONG


def test_a_budget_in_evaluations_picks_the_mode_and_says_why():
    loss, params, grads = quadratic(3000)
    full = gc.check(loss, params, grads, budget=10_000)
    assert "chose mode 'full'" in full.notes[0] and "differences" in full.evaluations
    cheap = gc.check(loss, params, grads, budget=200)
    assert "chose mode 'locate'" in cheap.notes[0]
    assert sum(cheap.evaluations.values()) <= 200
    tiny = gc.check(loss, params, grads, budget=40)
    assert "chose mode 'directional'" in tiny.notes[0]


def test_a_budget_in_seconds_times_one_evaluation():
    loss, params, grads = quadratic(3000)
    report = gc.check(loss, params, grads, budget="1h")
    assert "one evaluation took" in report.notes[0] and "chose mode 'full'" in report.notes[0]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"mode": "quick"}, "`mode`"),
        ({"mode": "directional", "directions": 0}, "`directions`"),
        ({"mode": "sample", "samples": 2.5}, "`samples`"),
        ({"budget": 1.5}, "`budget`"),
        ({"budget": "10 parsecs"}, "`budget`"),
        ({"executor": object()}, "`executor`"),
        ({"progress": 3}, "`progress`"),
    ],
)
def test_bad_mode_options_are_named(options, named):
    loss, params, grads = quadratic(10)
    with pytest.raises(InvalidProblemError, match=named):
        gc.check(loss, params, grads, **options)


def test_check_jacobian_takes_the_directional_mode_only():
    A = np.arange(6.0).reshape(2, 3)
    wrong = A.copy()
    wrong[1, 2] += 1
    report = gc.check_jacobian(lambda x: A @ x, np.ones(3), wrong, mode="directional")
    assert report.outcome is Outcome.WRONG and report.evaluations["differences"] == 6
    with pytest.raises(InvalidProblemError, match="'locate'"):
        gc.check_jacobian(lambda x: A @ x, np.ones(3), A, mode="locate")


def test_progress_is_called_with_counts_up_to_the_expected():
    loss, params, grads = quadratic(500)
    seen = []
    gc.check(loss, params, grads, progress=lambda done, expected: seen.append((done, expected)))
    assert seen and all(done <= expected for done, expected in seen)
    assert seen[-1][0] >= 2 * 550


def test_a_sampled_wrong_element_is_named_by_its_index_in_the_tensor():
    loss, params, grads = quadratic(3000)
    grads["W"] = grads["W"].copy()
    grads["W"] += 1.0  # every element wrong: whichever are sampled, they are named
    report = gc.check(loss, params, grads, mode="sample", samples=5)
    assert report.wrong == ["W"]
    labels = [e.label for e in report.parameters[0].wrong]
    assert len(labels) == 5 and all(label.startswith("W[") for label in labels)
    indices = [int(label[2:-1]) for label in labels]
    assert sorted(i // 600 for i in indices) == [0, 1, 2, 3, 4]  # one per stratum of 600


def test_options_that_contradict_the_mode_are_refused_by_name():
    loss, params, grads = quadratic(100)
    with pytest.raises(InvalidProblemError, match=r"`budget` picks the mode"):
        gc.check(loss, params, grads, budget=10, mode="locate")
    with pytest.raises(InvalidProblemError, match="`directions` applies to"):
        gc.check(loss, params, grads, directions=4)
    assert gc.check(loss, params, grads, mode="locate", directions=4).ok
