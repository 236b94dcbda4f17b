"""The jit(vmap) evaluator: the Evaluator contract, chunks bounded by memory, the fallback."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradient_check import flatten
from gradient_check.adapters.jax import batched as batched_module
from gradient_check.adapters.jax.batched import Batched, JaxEvaluator
from gradient_check.core.evaluate import InPlaceEvaluator
from gradient_check.core.probe import centred
from gradient_check.jax import check

A = np.random.default_rng(3).standard_normal((20, 6))
THETA = np.array([0.3, -0.8, 1.1, 0.05, -2.0, 0.6])


def g(theta):
    return jnp.tanh(A @ theta)


def numpy_f(p):
    return np.tanh(A @ p["t"])


def test_the_evaluator_keeps_the_contract_of_the_in_place_loop():
    """Same values as the in-place loop (to a few roundings), float64, (k, q, m) shaped,
    the parameters bitwise as they were."""
    params = {"t": THETA.copy()}
    vector = flatten(params)
    with jax.enable_x64(True), centred(numpy_f, params, vector, False, "f", False) as at:
        fast = JaxEvaluator(Batched(g, THETA, 20), at.workspace, at.spec)
        loop = InPlaceEvaluator(numpy_f, at.workspace, at.spec)
        coordinates = np.array([0, 3, 5])
        values = THETA[coordinates][:, None] + np.array([-1e-3, 2e-3])
        ours, theirs = (
            fast.at_coordinates(coordinates, values),
            loop.at_coordinates(coordinates, values),
        )
        assert ours.dtype == np.float64 and ours.shape == (3, 2, 20)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-14)
        thetas = np.stack([THETA + 1e-4, THETA - 2e-4])
        np.testing.assert_allclose(
            fast.at_thetas(thetas, str), loop.at_thetas(thetas, str), rtol=0, atol=1e-14
        )
    assert params["t"].tobytes() == THETA.tobytes()


def test_every_value_comes_from_one_executable_bit_for_bit():
    """A point gives the same bits alone (padded with the centre) and anywhere in a full
    chunk: the centre, the repeats and the differences round alike."""
    with jax.enable_x64(True):
        fast = Batched(g, THETA, 20)
        point = THETA.copy()
        point[2] += 1e-5
        alone = fast.theta(point)
        index = np.full(fast.chunk, 4, dtype=np.int32)
        values = np.full(fast.chunk, THETA[4])
        index[fast.chunk - 3], values[fast.chunk - 3] = 2, point[2]
        inside = fast.coordinates(THETA, index, values)[fast.chunk - 3]
    assert alone.tobytes() == inside.tobytes()


def test_chunks_shrink_to_fit_the_memory_bound(monkeypatch):
    with jax.enable_x64(True):
        full = Batched(g, THETA, 20)
        temp = full.run.memory_analysis().temp_size_in_bytes
        monkeypatch.setattr(batched_module, "TEMP_BYTES", temp // 4)
        small = Batched(g, THETA, 20)
        assert small.chunk <= full.chunk // 4
        index = np.arange(6, dtype=np.int32).repeat(3)
        values = THETA[index] + 1e-3
        np.testing.assert_allclose(
            small.coordinates(THETA, index, values),
            full.coordinates(THETA, index, values),
            rtol=0,
            atol=1e-14,
        )
    assert small.calls == -(-index.size // small.chunk)


def loss(p):
    return jnp.sum(jnp.tanh(p["w"] @ p["x"]) ** 2)


@pytest.fixture
def problem():
    rng = np.random.default_rng(4)
    return {"w": rng.standard_normal((10, 10)), "x": rng.standard_normal(10)}


def test_auto_batches_from_a_hundred_coordinates_and_agrees_with_the_loop(problem):
    batched = check(loss, problem)  # 110 coordinates: batched
    looped = check(loss, problem, batched=False)
    assert batched.extra["jax"]["batched"] and not looped.extra["jax"]["batched"]
    assert batched.ok and looped.ok
    assert batched.extra["jax"]["calls"] < batched.total_evaluations
    assert [r.name for r in batched.parameters] == [r.name for r in looped.parameters]
    assert max(batched.diff, looped.diff) < 1e-8
    setup = "adapter_setup"
    assert {k: v for k, v in batched.evaluations.items() if k != setup} == {
        k: v for k, v in looped.evaluations.items() if k != setup
    }
    small = check(loss, {"w": problem["w"][:3, :3], "x": problem["x"][:3]})
    assert not small.extra["jax"]["batched"]


def test_a_loss_with_python_control_flow_falls_back_to_the_loop_with_a_note():
    def branching(w):
        if w[0] > 0:  # Python control flow on a value: not traceable
            return jnp.sum(w**2)
        return jnp.sum(w**3)

    report = check(branching, np.array([0.5, 1.0, -2.0]), batched=True)
    assert report.ok
    assert not report.extra["jax"]["batched"]
    assert any(
        "jax.jit(jax.vmap(loss)) failed (TracerBoolConversionError" in n for n in report.notes
    )


def test_a_loss_that_computes_otherwise_when_traced_is_checked_as_called():
    def two_faced(w):
        scale = 1.0 if isinstance(w, jax.core.Tracer) else 1.5
        return jnp.sum(w**2) * scale

    report = check(two_faced, np.array([0.5, 1.0, -2.0]), batched=True)
    assert not report.extra["jax"]["batched"]
    assert any("differs from calling it" in n for n in report.notes)
    assert not report.ok  # jax.grad sees the traced function, not the one called
