"""interruptible: Ctrl-C in an adapter's own calls of f, raised as the engine's
CheckInterrupted with the adapter's evaluations counted (adapters/interrupt.py).
The PyTorch and JAX checks' own interrupts are tested beside them (test_torch_module,
test_torch_function, test_jax_check)."""

from types import SimpleNamespace

import numpy as np
import pytest

import gradient_check as gc
from gradient_check.adapters.interrupt import interruptible
from gradient_check.errors import CheckInterrupted


def loss(p):
    return float(np.sum(np.sin(p["w"])))


def params():
    return {"w": np.linspace(-1.0, 1.0, 8)}


def stopping_at(n):
    calls = []

    def f(p):
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt
        return loss(p)

    return f, calls


def test_a_ctrl_c_before_the_engine_counts_the_calls_that_returned():
    f, _ = stopping_at(3)
    with pytest.raises(KeyboardInterrupt) as caught, interruptible() as tally:
        probe = tally.counted(f)
        for _ in range(5):
            probe(params())
    stopped = caught.value
    assert isinstance(stopped, CheckInterrupted)
    assert (stopped.stage, stopped.evaluations, stopped.done) == ("probes", {"probes": 2}, 2)
    assert type(stopped.__cause__) is KeyboardInterrupt


def test_the_engines_interrupt_gets_the_adapters_calls_added_its_stage_and_plan_kept():
    full = gc.check(loss, params(), {"w": np.cos(params()["w"])})
    probes = sum(v for k, v in full.evaluations.items() if k != "differences")
    f, _ = stopping_at(probes + 2 * 5 + 1)  # inside coordinate 5's difference
    with pytest.raises(CheckInterrupted) as alone:
        gc.check(f, params(), {"w": np.cos(params()["w"])})
    f, _ = stopping_at(probes + 2 * 5 + 1 + 2)  # the engine's same call, after 2 probes
    checks = [0]
    with pytest.raises(KeyboardInterrupt) as caught, interruptible() as tally:
        probe = tally.counted(f)
        probe(params())
        probe(params())
        tally.more.append(lambda: checks[0])  # a count kept elsewhere (a vmap log's)
        checks[0] += 1
        gc.check(f, params(), {"w": np.cos(params()["w"])})
    engine, merged = alone.value, caught.value
    assert merged.stage == engine.stage == "differences" and merged.covered == engine.covered
    assert merged.evaluations == {**engine.evaluations, "probes": engine.evaluations["probes"] + 3}
    assert merged.done == engine.done + 3 and merged.expected == engine.expected + 3
    assert type(merged.__cause__) is KeyboardInterrupt  # the engine's wrapping replaced


def test_the_engines_partial_report_is_carried_through():
    wrong = {"w": 1.5 * np.cos(params()["w"])}
    full = gc.check(loss, params(), wrong)
    first = sum(v for k, v in full.evaluations.items() if k not in ("refinement", "shortened"))
    f, _ = stopping_at(first + 2 + 1)  # the refinement's first evaluation, after 2 probes
    with pytest.raises(KeyboardInterrupt) as caught, interruptible() as tally:
        probe = tally.counted(f)
        probe(params())
        probe(params())
        gc.check(f, params(), wrong)
    partial = caught.value.report
    assert caught.value.stage == "refinement" and partial is not None
    assert partial.interrupted["measured"] == 8 and partial.outcome is gc.Outcome.WRONG


def test_the_engines_interrupt_passes_as_it_is_when_the_adapter_made_no_call():
    f, _ = stopping_at(4)
    with pytest.raises(CheckInterrupted) as alone:
        gc.check(f, params(), {"w": np.cos(params()["w"])})
    with pytest.raises(CheckInterrupted) as caught, interruptible():
        raise alone.value
    assert caught.value is alone.value


def test_a_ctrl_c_after_the_engines_report_has_its_evaluations_by_stage():
    report = SimpleNamespace(evaluations={"centre": 1, "noise_table": 6, "differences": 16})
    with pytest.raises(KeyboardInterrupt) as caught, interruptible() as tally:
        tally.made = 2
        tally.report = report
        raise KeyboardInterrupt
    stopped = caught.value
    assert isinstance(stopped, CheckInterrupted)
    assert stopped.evaluations == {"probes": 9, "differences": 16}
    assert stopped.stage == "differences" and stopped.done == 25 and stopped.expected == 0


def test_other_errors_pass_untouched():
    with pytest.raises(ValueError, match="not mine"), interruptible() as tally:
        tally.made = 3
        raise ValueError("not mine")
