"""check: a JAX loss of any pytree, its jax.grad (custom rules included) checked by name."""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradient_check import InvalidProblemError, LossError, Outcome, StochasticLossError
from gradient_check.adapters.jax.forward import forward_check
from gradient_check.adapters.jax.precision import precision_of, x64_enabled
from gradient_check.adapters.jax.pytree import layout_of
from gradient_check.errors import CheckInterrupted
from gradient_check.jax import check

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 3))
Y = RNG.standard_normal(6)


def make_mul(bug):
    """a * b with a hand-written backward: correct, or with a factor 2 on b's cotangent."""

    @jax.custom_vjp
    def mul(a, b):
        return a * b

    def fwd(a, b):
        return a * b, (a, b)

    def bwd(saved, g):
        a, b = saved
        return g * b, (2.0 if bug else 1.0) * g * a

    mul.defvjp(fwd, bwd)
    return mul


def make_sin_times(bug):
    """x * y + sin(x) with a custom_jvp: correct, or missing the cos(x) term."""

    @jax.custom_jvp
    def f(x, y):
        return x * y + jnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        dx = y if bug else y + jnp.cos(x)
        return f(x, y), dx * tx + x * ty

    return f


def params():
    return {
        "dense": {"kernel": RNG.standard_normal((3, 2)), "bias": np.zeros(2)},
        "head": [RNG.standard_normal(2), 0.7],
    }


def mlp_loss(p):
    h = jnp.tanh(X @ p["dense"]["kernel"] + p["dense"]["bias"])
    return jnp.mean((h @ p["head"][0] * p["head"][1] - Y) ** 2)


def test_a_small_network_passes_with_rows_named_by_key_path():
    report = check(mlp_loss, params())
    assert report.ok, report
    assert [row.name for row in report.parameters] == [
        "params['dense']['bias']",
        "params['dense']['kernel']",
        "params['head'][0]",
        "params['head'][1]",
    ]
    assert report.row("params['dense']['kernel']").worst_index.startswith(
        "params['dense']['kernel'][",
    )
    assert any("jax.grad(loss)" in n for n in report.notes)


@pytest.mark.parametrize("bug", [False, True])
def test_a_custom_vjp_rule_is_what_gets_checked(bug):
    mul = make_mul(bug)
    p = {"a": RNG.standard_normal(4), "b": RNG.standard_normal(4)}
    report = check(lambda q: jnp.sum(jnp.sin(mul(q["a"], q["b"]))), p)
    if bug:
        assert report.outcome is Outcome.WRONG
        assert report.wrong == ["params['b']"]  # the wrong cotangent, alone
    else:
        assert report.ok, report


@pytest.mark.parametrize("bug", [False, True])
def test_a_custom_jvp_rule_missing_a_term_is_caught_where_it_is_missing(bug):
    f = make_sin_times(bug)
    p = (RNG.standard_normal(3), RNG.standard_normal(3))
    report = check(lambda q: jnp.sum(f(q[0], q[1]) ** 2), p)
    assert report.wrong == (["params[0]"] if bug else [])
    assert report.ok is not bug


def test_namedtuples_and_registered_dataclasses_are_named_by_attribute():
    class Layer(NamedTuple):
        w: object
        b: object

    p = {"layer": Layer(RNG.standard_normal(3), 0.2)}
    report = check(lambda q: jnp.sum(jnp.tanh(q["layer"].w + q["layer"].b) ** 2), p)
    assert report.ok
    assert [row.name for row in report.parameters] == ["params['layer'].w", "params['layer'].b"]


def test_an_equinox_style_module_is_checked_with_its_other_leaves_held_fixed():
    @dataclasses.dataclass
    class Linear:
        weight: object
        bias: object
        activation: object  # a function, a leaf as equinox keeps it (not marked static)
        calls: object  # an integer array

    jax.tree_util.register_dataclass(
        Linear, data_fields=["weight", "bias", "activation", "calls"], meta_fields=[]
    )
    layer = Linear(RNG.standard_normal((2, 3)), np.zeros(2), jnp.tanh, np.array(4))

    def loss(m):
        return jnp.sum(m.activation(X @ m.weight.T + m.bias) ** 2) / m.calls

    report = check(loss, layer)
    assert report.ok, report
    assert sorted(row.name for row in report.parameters) == ["params.bias", "params.weight"]
    assert "held fixed, not being floating-point: `params.activation`, `params.calls`" in (
        report.notes
    )


def test_given_gradients_are_checked_as_given_and_numpy_leaves_are_left_untouched():
    p = params()
    saved = jax.tree_util.tree_map(lambda a: np.array(a, copy=True), p)
    with jax.enable_x64(True):
        right = jax.tree_util.tree_map(np.asarray, jax.grad(mlp_loss)(p))
    wrong = jax.tree_util.tree_map(np.copy, right)
    wrong["head"][0] = wrong["head"][0] * 1.01
    assert check(mlp_loss, p, right).ok
    assert check(mlp_loss, p, lambda q: right).ok
    assert check(mlp_loss, p, wrong).wrong == ["params['head'][0]"]
    for now, before in zip(jax.tree_util.tree_leaves(p), jax.tree_util.tree_leaves(saved)):
        assert np.asarray(now).tobytes() == np.asarray(before).tobytes()


def test_gradients_of_another_structure_are_refused_by_name():
    with pytest.raises(InvalidProblemError, match="`grads` has the structure"):
        check(mlp_loss, params(), {"dense": 1.0})


def test_a_loss_that_is_not_a_scalar_is_refused():
    with pytest.raises(LossError, match=r"real scalar.*check_function"):
        check(lambda p: p["w"] * 2, {"w": np.ones(3)})


def test_a_random_loss_is_refused_as_in_the_core():
    with pytest.raises(StochasticLossError):
        check(lambda w: jnp.sum(w**2) + np.random.normal(), np.ones(3))


def test_complex_leaves_follow_jaxs_gradient_convention():
    z = RNG.standard_normal(3) + 1j * RNG.standard_normal(3)
    loss = lambda p: jnp.sum(jnp.abs(p["z"]) ** 2 + jnp.real(p["z"] ** 2) * 0.3)  # noqa: E731
    report = check(loss, {"z": z})
    assert report.ok, report
    with jax.enable_x64(True):
        conj = np.conj(np.asarray(jax.grad(loss)({"z": jnp.asarray(z)})["z"]))  # PyTorch's
    assert check(loss, {"z": z}, {"z": conj}).wrong == ["params['z']"]


def test_the_forward_cross_check_agrees_for_correct_rules_and_notes_a_custom_vjp():
    f = make_sin_times(False)
    report = check(lambda q: jnp.sum(f(q, q) ** 2), RNG.standard_normal(3), forward=True)
    assert report.ok
    assert any("jax.jvp along each of the 3 coordinates agrees" in n for n in report.notes)
    assert report.extra["jax"]["forward"]["disagree"] == 0
    mul = make_mul(False)
    report = check(lambda q: jnp.sum(mul(q, q)), RNG.standard_normal(3), forward=2)
    assert report.ok
    assert any("cross-check not made" in n and "custom_vjp" in n for n in report.notes)


def test_the_forward_cross_check_names_a_gradient_wrong_in_one_mode():
    """A gradient FD cannot fault (here: handed to forward_check directly) but jax.jvp
    contradicts is a problem naming the element; inside a row FD found wrong, a note."""
    theta = np.array([0.5, -1.0, 2.0])
    g = lambda t: jnp.sum(t**2)[None]  # noqa: E731
    with jax.enable_x64(True):
        layout, _ = layout_of({"w": theta}, "params", precision_of(np.float64).dtype_of, "p")
        gradient = 2 * theta
        gradient[1] += 1e-6
        notes, problems, facts = forward_check(g, theta, gradient, layout, None, 0, 2.2e-16, set())
        assert notes == () and facts["forward"]["disagree"] == 1
        assert "params['w'][1] (jvp -2" in problems[0]
        notes, problems, _ = forward_check(
            g, theta, gradient, layout, None, 0, 2.2e-16, {"params['w']"}
        )
        assert problems == () and "disagree along 1 of 3" in notes[0]


def test_a_user_gradient_wrong_in_one_mode_fails_with_the_forward_check_as_a_note():
    p = {"w": np.array([0.5, -1.0, 2.0])}
    report = check(lambda q: jnp.sum(q["w"] ** 3), p, {"w": 3 * p["w"] ** 2 * 1.1}, forward=True)
    assert report.outcome is Outcome.WRONG
    assert any("disagree along 3 of 3" in n for n in report.notes)


@pytest.mark.parametrize(
    ("option", "match"),
    [
        ({"forward": "yes"}, "`forward` is"),
        ({"batched": "sometimes"}, "`batched` is"),
        ({"promote": False}, "`promote` is the numpy check's"),
        ({"margin": -1}, "`margin` must be"),
        ({"tolerance": 1}, "unknown option"),
    ],
)
def test_bad_options_are_named(option, match):
    with pytest.raises(InvalidProblemError, match=match):
        check(mlp_loss, params(), **option)


def stopping_loss(stop, draw):
    """A loss whose ``stop``-th call raises Ctrl-C (after drawing from numpy's generator,
    if ``draw``). ``returned`` holds a flag per call that returned: True for an evaluation,
    False for a trace (jax.grad's, jit's)."""
    returned = []

    def loss(p):
        if draw:
            np.random.random(3)  # moves numpy's generator: the check must put it back
        if len(returned) + 1 == stop:
            raise KeyboardInterrupt
        returned.append(not isinstance(p["w"], jax.core.Tracer))
        return jnp.sum(jnp.tanh(p["w"]) ** 2) + jnp.sum(p["b"] ** 3)

    return loss, returned


def interrupted(stop, batched, draw=False, **options):
    """check of stopping_loss(stop) on numpy leaves: the CheckInterrupted and the calls that
    returned, after asserting that the leaves, numpy's generator and x64 mode came back."""
    params = {"w": np.linspace(-1.0, 1.0, 6), "b": np.array([0.3, -0.2])}
    saved = {k: v.copy() for k, v in params.items()}
    np.random.seed(3)
    state, x64 = np.random.get_state(), x64_enabled()
    loss, returned = stopping_loss(stop, draw)
    with pytest.raises(KeyboardInterrupt) as caught:  # not a bare one: a CheckInterrupted
        check(loss, params, batched=batched, **options)
    assert all(np.array_equal(params[k], saved[k]) for k in saved) and x64_enabled() == x64
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:]
    assert isinstance(caught.value, CheckInterrupted)
    assert not isinstance(caught.value.__cause__, CheckInterrupted)  # wrapped once
    return caught.value, returned


# point by point: call 1 is the adapter's first call, 2-3 jax.grad's traces (called twice
# for repeatability), 4 the engine's centre; batched: 1 the first call, 2 its repeat, 3 the
# trace jit compiles, 4 jax.grad's trace under jit
@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("stop", [1, 2, 3, 4])
def test_a_ctrl_c_in_the_adapters_own_calls_is_a_check_interrupted(stop, batched):
    stopped, returned = interrupted(stop, batched, draw=not batched)
    assert len(returned) == stop - 1 and stopped.stage == "probes"
    # batched, the compiled loss's value at theta (not a call of the loss) counts too
    made = (0, 1, 2, 3) if batched else (0, 1, 1, 1)
    assert stopped.evaluations == {"probes": made[stop - 1]}
    assert batched or stopped.done == sum(returned)


def test_a_ctrl_c_in_the_forward_cross_check_counts_every_evaluation_in_the_report():
    """The last call is the forward cross-check's trace, after the engine's report."""
    loss, returned = stopping_loss(-1, False)
    params = {"w": np.linspace(-1.0, 1.0, 6), "b": np.array([0.3, -0.2])}
    report = check(loss, params, batched=False, forward=True)
    assert report.total_evaluations == sum(returned) and not returned[-1]
    stopped, _ = interrupted(len(returned), False, forward=True)
    assert stopped.done == report.total_evaluations
    assert stopped.stage == list(stopped.evaluations)[-1] != "probes"
