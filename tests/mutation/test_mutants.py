"""Tests for gradient_check.mutate: mutants of a backward pass and the mutation test driver."""

import ast
import contextlib
import functools
import inspect
import linecache
import textwrap
import types

import numpy as np
import pytest
from click.testing import CliRunner

from gradient_check import nn
from gradient_check.cli.commands import cli
from gradient_check.mutation.judge import (
    _installed,
    backward_targets,
    mutation_test,
    mutation_test_network,
    overall,
)
from gradient_check.mutation.mutants import (
    FAMILIES,
    MutantResult,
    MutationError,
    MutationReport,
    Outcome,
    generate_mutants,
    run_mutation_test,
)
from gradient_check.nn.reference import reference_networks

SCALE = 3.0


def linear_sigmoid_backward(X, W, b, Y):
    """Gradients of the mean cross-entropy of sigmoid(X @ W + b) with respect to W and b."""
    m = X.shape[0]
    Z = X @ W + b
    A = 1 / (1 + np.exp(-Z))
    dZ = A - Y
    dW = X.T @ dZ / m
    db = np.sum(dZ, axis=0, keepdims=True) / m
    return dW, db


def make_scaled_backward(k):
    def scaled_backward(x):
        return SCALE * k * x

    return scaled_backward


def make_counting_backward():
    calls = 0

    def counting_backward(x):
        nonlocal calls
        calls += 1
        return 2 * x

    return counting_backward


def traced(method):
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        return method(*args, **kwargs)

    return wrapper


class Linear:
    def __init__(self, W):
        self.W = W

    @traced
    def backward(self, X, dY):
        """Store dW and return dX for Y = X @ W."""
        self.dW = X.T @ dY
        return dY @ self.W.T


class Identity:
    def backward(self, dY):
        return dY


class Doubled(Identity):
    def backward(self, dY):
        return 2 * super().backward(dY)


class UnevenlyIndented:
    def backward(self, x):
        """Double x.
        This docstring line is not indented, so textwrap.dedent cannot dedent the method."""
        return 2 * x


def transposing_backward(A, B):
    C = np.transpose(A) @ B
    D = np.swapaxes(C, 0, 1)
    return D.T + A.transpose()


def reducing_backward(dZ):
    return dZ.sum(0) + np.mean(dZ, 1).sum()


def square_backward(x):
    return 2 * x**2


def twice(x):
    return x + x


def multiline_backward(x, y):
    grad = (x * y
            + 2 * x)  # fmt: skip
    return grad


def _inputs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 3))
    W = rng.normal(size=(3, 2))
    b = rng.normal(size=(1, 2))
    Y = (rng.random((5, 2)) > 0.5).astype(float)
    return X, W, b, Y


def _output_judge(reference, args, checked=None):
    """Judge a mutant by its outputs; the check compares those at `checked` with the original's.

    A mutant whose outputs all match is equivalent; one that differs only in unchecked outputs
    survives the check.
    """
    expected = reference(*args)

    def same(actual, indices):
        return all(
            np.shape(actual[i]) == np.shape(expected[i]) and np.allclose(actual[i], expected[i])
            for i in indices
        )

    def judge(mutant):
        actual = mutant(*args)
        if same(actual, range(len(expected))):
            return Outcome.EQUIVALENT
        caught = not same(actual, range(len(expected)) if checked is None else checked)
        return Outcome.CAUGHT if caught else Outcome.SURVIVED

    return judge


def _unparsed(fn):
    definition = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(fn)))).body[0]
    definition.decorator_list = []
    return ast.unparse(definition)


def _by_line(mutants, mutated_line):
    [mutant] = [m for m in mutants if m.mutated_line == mutated_line]
    return mutant


def test_every_family_mutates_the_linear_sigmoid_backward():
    mutants = generate_mutants(linear_sigmoid_backward)
    assert {m.family for m in mutants} == set(FAMILIES)
    assert _by_line(mutants, "Z = X * W + b").family == "swap-operator"
    assert _by_line(mutants, "dW = 2 * (X.T @ dZ / m)").family == "add-factor"
    assert _by_line(mutants, "dW = X.T @ dZ").family == "drop-factor"
    assert _by_line(mutants, "dW = X @ dZ / m").family == "remove-transpose"
    assert _by_line(mutants, "db = np.sum(dZ, axis=1, keepdims=True) / m").family == "change-axis"
    assert _by_line(mutants, "db = np.sum(dZ, axis=0, keepdims=False) / m").family == "change-axis"
    assert _by_line(mutants, "Z = X @ W").family == "remove-term"
    assert _by_line(mutants, "A = 1 / (1 + np.exp(Z))").family == "flip-sign"
    assert _by_line(mutants, "dW = -(X.T @ dZ / m)").family == "flip-sign"
    assert _by_line(mutants, "m = X.shape[1]").family == "change-constant"
    assert _by_line(mutants, "A = 0.5 / (1 + np.exp(-Z))").family == "change-constant"
    assert _by_line(mutants, "dW = dZ @ X.T / m").family == "swap-argument"
    assert _by_line(mutants, "db = np.sum(dW, axis=0, keepdims=True) / m").family == "swap-variable"


def test_generation_is_deterministic():
    assert generate_mutants(linear_sigmoid_backward) == generate_mutants(linear_sigmoid_backward)


def test_each_mutant_changes_exactly_one_unparsed_line():
    # ast.unparse puts every simple statement on one line, so a statement spanning several
    # source lines still shows up as one changed line.
    original = _unparsed(linear_sigmoid_backward).splitlines()
    for mutant in generate_mutants(linear_sigmoid_backward):
        mutated = mutant.source.splitlines()
        assert len(mutated) == len(original)
        changed = [(old, new) for old, new in zip(original, mutated) if old != new]
        assert len(changed) == 1, mutant
        [(old, new)] = changed
        assert (old.strip(), new.strip()) == (mutant.original_line, mutant.mutated_line)
        assert mutant.description.startswith(f"line {mutant.lineno}: ")


def test_line_numbers_point_at_the_original_file_line():
    filename = inspect.getsourcefile(linear_sigmoid_backward)
    for mutant in generate_mutants(linear_sigmoid_backward):
        source_line = linecache.getline(filename, mutant.lineno).strip()
        assert ast.unparse(ast.parse(source_line)) == mutant.original_line, mutant


def test_line_number_of_a_statement_spanning_lines_is_that_of_the_changed_expression():
    _, start = inspect.getsourcelines(multiline_backward)
    mutant = _by_line(generate_mutants(multiline_backward), "grad = x * y + 3 * x")
    assert mutant.lineno == start + 2
    assert mutant.original_line == "grad = x * y + 2 * x"


def test_line_numbers_count_decorators_and_survive_uneven_indentation():
    _, start = inspect.getsourcelines(inspect.unwrap(Linear.backward))
    assert {m.lineno for m in generate_mutants(Linear.backward)} == {start + 3, start + 4}
    _, start = inspect.getsourcelines(UnevenlyIndented.backward)
    assert {m.lineno for m in generate_mutants(UnevenlyIndented.backward)} == {start + 3}


def test_mutants_compile_and_run_as_plain_functions():
    args = _inputs()
    for mutant in generate_mutants(linear_sigmoid_backward):
        mutant_fn = mutant.make_function()
        assert isinstance(mutant_fn, types.FunctionType)
        assert mutant_fn.__name__ == "linear_sigmoid_backward"
        with contextlib.suppress(ValueError):  # shape errors, e.g. from `X @ W` -> `W @ X`
            mutant_fn(*args)


def test_mutants_resolve_globals_and_closure_variables():
    mutants = generate_mutants(make_scaled_backward(5.0))
    assert _by_line(mutants, "return SCALE * x").make_function()(2.0) == SCALE * 2.0
    assert _by_line(mutants, "return k * x").make_function()(2.0) == 5.0 * 2.0
    assert _by_line(mutants, "return SCALE * k / x").make_function()(2.0) == SCALE * 5.0 / 2.0


def test_nonlocal_in_a_mutant_rebinds_its_own_cell_not_the_original():
    backward = make_counting_backward()
    for mutant in generate_mutants(backward):
        mutant.make_function()(1.0)
    assert backward.__closure__[0].cell_contents == 0
    assert backward(1.0) == 2.0
    assert backward.__closure__[0].cell_contents == 1


def test_method_mutants_take_self_and_keep_zero_argument_super():
    doubled = Doubled()
    mutant = _by_line(generate_mutants(Doubled.backward), "return 3 * super().backward(dY)")
    assert types.MethodType(mutant.make_function(), doubled)(1.0) == 3.0


def test_decorators_are_stripped_and_docstrings_left_alone():
    mutants = generate_mutants(Linear.backward)
    docstring = '"""Store dW and return dX for Y = X @ W."""'
    assert mutants
    for mutant in mutants:
        assert "@traced" not in mutant.source
        assert docstring in mutant.source
        assert "Store dW" not in mutant.original_line


def test_method_mutant_bound_to_an_instance_leaves_the_class_alone():
    class_dict = dict(vars(Linear))
    layer = Linear(np.eye(2))
    X, dY = np.ones((3, 2)), np.ones((3, 2))
    mutant = _by_line(generate_mutants(Linear.backward), "self.dW = 2 * (X.T @ dY)")
    layer.backward = types.MethodType(mutant.make_function(), layer)
    layer.backward(X, dY)
    np.testing.assert_allclose(layer.dW, 2 * X.T @ dY)
    assert dict(vars(Linear)) == class_dict
    fresh = Linear(np.eye(2))
    fresh.backward(X, dY)
    np.testing.assert_allclose(fresh.dW, X.T @ dY)


def test_transposing_calls_and_positional_axes_are_mutated():
    transposed = {
        m.mutated_line for m in generate_mutants(transposing_backward, families="remove-transpose")
    }
    assert transposed == {
        "C = A @ B",
        "D = C",
        "return D + A.transpose()",
        "return D.T + A",
    }
    axes = {m.mutated_line for m in generate_mutants(reducing_backward, families=["change-axis"])}
    assert axes == {
        "return dZ.sum(1) + np.mean(dZ, 1).sum()",
        "return dZ.sum(0) + np.mean(dZ, 0).sum()",
    }


def test_exponents_are_changed_and_duplicates_removed():
    mutants = generate_mutants(square_backward)
    assert _by_line(mutants, "return 2 * x ** 3").family == "swap-operator"
    sources = [m.source for m in mutants]
    assert len(set(sources)) == len(sources)
    assert _unparsed(square_backward) not in sources
    assert [m.mutated_line for m in generate_mutants(twice, families="remove-term")] == ["return x"]


def test_families_and_max_mutants_select_mutants():
    only = generate_mutants(linear_sigmoid_backward, families=["flip-sign", "change-axis"])
    assert {m.family for m in only} == {"flip-sign", "change-axis"}
    report = run_mutation_test(
        linear_sigmoid_backward, lambda fn: Outcome.CAUGHT, max_mutants=len(FAMILIES)
    )
    assert {r.mutant.family for r in report.results} == set(FAMILIES)


def test_run_mutation_test_counts_outcomes_and_scores_the_check():
    args = _inputs()
    code = linear_sigmoid_backward.__code__
    expected = linear_sigmoid_backward(*args)
    module_namespace = {name: id(value) for name, value in globals().items()}

    report = run_mutation_test(
        linear_sigmoid_backward, _output_judge(linear_sigmoid_backward, args)
    )

    counts = report.counts
    assert (
        sum(counts.values())
        == len(report.results)
        == len(generate_mutants(linear_sigmoid_backward))
    )
    assert counts[Outcome.CAUGHT] > 0 and counts[Outcome.CRASHED] > 0
    assert counts[Outcome.SURVIVED] == 0 and report.survivors == []
    assert report.score == 1.0
    crash = next(r for r in report.results if r.mutant.mutated_line == "Z = W @ X + b")
    assert crash.outcome is Outcome.CRASHED
    assert crash.detail.startswith("ValueError: ")
    assert crash.detail.endswith(f"(raised at line {crash.mutant.lineno})")

    assert linear_sigmoid_backward.__code__ is code
    assert {name: id(value) for name, value in globals().items()} == module_namespace
    for got, want in zip(linear_sigmoid_backward(*args), expected):
        np.testing.assert_array_equal(got, want)


def test_a_check_blind_to_db_lets_db_mutants_survive():
    judge = _output_judge(linear_sigmoid_backward, _inputs(), checked=[0])
    report = run_mutation_test(linear_sigmoid_backward, judge)
    counts = report.counts
    assert counts[Outcome.SURVIVED] > 0
    assert all("db" in r.mutant.mutated_line for r in report.survivors)
    caught, survived = counts[Outcome.CAUGHT], counts[Outcome.SURVIVED]
    assert report.score == pytest.approx(caught / (caught + survived))
    assert 0 < report.score < 1

    text = str(report).splitlines()
    assert text[0].startswith("Mutation test of linear_sigmoid_backward: ")
    assert text[1].split() == ["outcome", "family", "line", "change"]
    assert text[3].startswith("survived")
    assert "  - db" in text[3] or "  - return" in text[3]
    assert text[4].lstrip().startswith("+ ")


def test_judge_detail_and_score_without_decided_mutants():
    report = run_mutation_test(square_backward, lambda fn: (Outcome.EQUIVALENT, "same outputs"))
    assert report.score is None
    assert {r.detail for r in report.results} == {"same outputs"}
    assert "score n/a" in str(report)
    assert str(MutationReport("nothing")) == (
        "Mutation test of nothing: 0 mutants (0 caught, 0 survived, 0 crashed, 0 equivalent); "
        "score n/a"
    )
    assert isinstance(report.results[0], MutantResult)


def test_keyboard_interrupt_from_the_judge_propagates():
    def judge(mutant_fn):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_mutation_test(square_backward, judge)


def test_judge_returning_something_else_than_an_outcome_is_an_error():
    with pytest.raises(TypeError, match="judge must return an Outcome"):
        run_mutation_test(square_backward, lambda fn: True)


def test_functions_without_source_are_refused():
    namespace = {}
    exec("g = lambda x: 2 * x\ndef h(x):\n    return 2 * x\n", namespace)
    assert issubclass(MutationError, ValueError)
    with pytest.raises(MutationError, match="fn must be a Python function defined with `def`"):
        generate_mutants(len)
    with pytest.raises(MutationError, match="fn is a lambda"):
        generate_mutants(namespace["g"])
    with pytest.raises(
        MutationError, match=r"cannot read the source of fn='h'.*define it with `def`"
    ):
        generate_mutants(namespace["h"])


def test_bad_families_and_max_mutants_are_refused():
    with pytest.raises(MutationError, match="families contains unknown mutation families"):
        generate_mutants(square_backward, families=["swap-operators"])
    with pytest.raises(MutationError, match="max_mutants must be a non-negative int"):
        run_mutation_test(square_backward, lambda fn: Outcome.CAUGHT, max_mutants=-1)


# --------------------------------------------------------------------------------------------
# The checker as the judge: a user's backward function, and the gradient_check.nn network
# --------------------------------------------------------------------------------------------


def regression_loss(p, X, y):
    r = X @ p["w"] + p["b"] - y
    return float(np.mean(r**2) + 1e-12 * np.sum(p["w"] ** 2) / 2)


def regression_backward(p, X, y):
    m = X.shape[0]
    r = X @ p["w"] + p["b"] - y
    dw = 2 * X.T @ r / m + 1e-12 * p["w"]
    db = 2 * np.sum(r) / m
    return {"w": dw, "b": db}


def inplace_backward(p, x):
    w = p["w"]
    w *= 1.0
    return {"w": 2 * w * x**2}


def _regression_problem():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((9, 3))
    y = rng.standard_normal(9)
    return {"w": rng.standard_normal(3), "b": 0.3}, (X, y)


def _result(report, mutated_line):
    [result] = [r for r in report.results if r.mutant.mutated_line == mutated_line]
    return result


def _small_network(l2=0.1):
    net = nn.Network.build([3, 4, 2], ["tanh", "softmax"], "cross_entropy", seed=1, l2=l2)
    rng = np.random.default_rng(5)
    return net, rng.standard_normal((7, 3)), nn.one_hot(np.array([0, 1, 1, 0, 1, 0, 0]), 2)


def test_mutation_test_of_a_backward_function_catches_crashes_and_lets_tiny_changes_survive():
    params, args = _regression_problem()
    saved = {name: np.copy(value) for name, value in params.items()}
    report = mutation_test(regression_backward, regression_loss, params, args)

    assert report.target == "regression_backward"
    assert _result(report, "dw = -(2 * X.T @ r / m + 1e-12 * p['w'])").outcome is Outcome.CAUGHT
    assert _result(report, "db = 2 * np.sum(r) * m").detail.startswith("confirmed wrong: b")
    crash = _result(report, "dw = 2 * X @ r / m + 1e-12 * p['w']")
    assert crash.outcome is Outcome.CRASHED and crash.detail.startswith("ValueError")
    # dropping the 1e-12 term changes w's gradient far below a finite difference's error
    survivor = _result(report, "dw = 2 * X.T @ r / m")
    assert survivor.outcome is Outcome.SURVIVED
    assert "within estimated error" in survivor.detail and "changed w by" in survivor.detail
    assert {r.mutant.mutated_line for r in report.survivors} >= {"dw = 2 * X.T @ r / m"}
    assert all("1e-12" in r.mutant.original_line for r in report.survivors)
    counts = report.counts
    caught, survived = counts[Outcome.CAUGHT], counts[Outcome.SURVIVED]
    assert survived == len(report.survivors) and report.score == caught / (caught + survived)
    assert report.evaluations > 0
    for name, value in saved.items():
        np.testing.assert_array_equal(params[name], value)


def test_mutants_writing_into_params_or_returning_nan_are_crashed_and_params_restored():
    params = {"w": np.array([0.5, -1.5, 2.0])}
    x = np.array([1.0, 2.0, 3.0])

    def loss(p, x):
        return float(np.sum(p["w"] ** 2 * x**2))

    report = mutation_test(inplace_backward, loss, params, (x,))
    written = _result(report, "w *= 2.0")
    assert written.outcome is Outcome.CRASHED
    assert written.detail.startswith("the mutant wrote into the parameters (w[0])")
    np.testing.assert_array_equal(params["w"], [0.5, -1.5, 2.0])
    assert _result(report, "w *= 0.5").outcome is Outcome.CRASHED
    np.testing.assert_array_equal(params["w"], [0.5, -1.5, 2.0])


def test_non_finite_mutant_gradients_are_crashed_without_warnings():
    def loss(p):
        return float(np.sum(np.log(p["w"])))

    params = {"w": np.array([0.5, 1.5, 2.0])}
    report = mutation_test(reciprocal_backward, loss, params, families=["remove-term"])
    # dividing by zero gives inf: CRASHED (the check refuses a non-finite gradient), no warning
    zero = _result(report, "return {'w': 1.0 / zero}")
    assert zero.outcome is Outcome.CRASHED
    assert zero.detail == "gradient of w[0] is inf: not finite, so not checked"
    assert _result(report, "return {'w': 1.0 / w}").outcome is Outcome.EQUIVALENT


def reciprocal_backward(p):
    w = p["w"]
    zero = 0.0 * w
    return {"w": 1.0 / (w + zero)}


def test_an_unmutated_backward_that_fails_the_check_is_refused():
    params, args = _regression_problem()

    def wrong_backward(p, X, y):
        return {"w": 3 * X.T @ (X @ p["w"] + p["b"] - y), "b": 0.0}

    with pytest.raises(
        MutationError, match=r"the unmutated backward \S*wrong_backward does not pass"
    ):
        mutation_test(wrong_backward, regression_loss, params, args)


def test_network_mutation_restores_the_methods_and_judges_each_mutant():
    net, X, Y = _small_network()
    classes = [type(layer) for layer in net.layers] + [type(net.loss)]
    before = {cls: inspect.getattr_static(cls, "backward") for cls in classes}
    targets = backward_targets(net)
    assert [f.__qualname__ for f in targets] == [
        "Linear.backward",
        "Tanh.backward",
        "Softmax.backward",
        "CrossEntropy.backward",
    ]
    grads = net.gradients(X, Y)

    reports = mutation_test_network(net, X, Y, targets=["Linear"], subject="small")

    assert [(r.subject, r.target) for r in reports] == [("small", "Linear.backward")]
    [linear] = reports
    for cls, function in before.items():
        assert inspect.getattr_static(cls, "backward") is function
    for obj in [*net.layers, net.loss]:
        assert "backward" not in vars(obj)
    for name, value in net.gradients(X, Y).items():
        np.testing.assert_array_equal(value, grads[name])

    caught = _result(linear, "dB = dB * m")
    assert caught.outcome is Outcome.CAUGHT and caught.detail.startswith("confirmed wrong: B1, B2")
    dead = _result(linear, "return -self._backward_with_bug(dZ)")  # runs only with a bug set
    assert dead.outcome is Outcome.EQUIVALENT
    assert dead.detail == "parameter gradients bitwise unchanged"
    crashed = _result(linear, "dW = X @ dZ / m")
    assert crashed.outcome is Outcome.CRASHED
    counts = linear.counts
    assert sum(counts.values()) == len(linear.results) == len(generate_mutants(nn.Linear.backward))
    assert counts[Outcome.CRASHED] > 0 and counts[Outcome.SURVIVED] == 0
    assert linear.score == 1.0
    assert linear.evaluations > 0
    assert overall(reports).counts == counts


def test_only_the_networks_parameter_gradients_count_for_equivalence():
    # one Linear layer and no activation: its dX feeds nothing, so mutating it changes nothing
    net = nn.Network.build([3, 2], [None], "mse", seed=0)
    X = np.random.default_rng(0).standard_normal((6, 3))
    Y = np.random.default_rng(1).standard_normal((6, 2))
    [report] = mutation_test_network(net, X, Y, targets=[nn.Linear], families="add-factor")
    assert _result(report, "dX = 2 * (dZ @ W.T)").outcome is Outcome.EQUIVALENT
    assert _result(report, "return 2 * dX").outcome is Outcome.EQUIVALENT
    # l2 = 0: the L2 term is zero, and mutating it changes nothing either
    assert _result(report, "dW = 2 * (dW + self.l2 / m * W)").outcome is Outcome.CAUGHT


def test_mutants_are_installed_on_instances_only_and_removed_after_an_exception():
    net, X, Y = _small_network()
    linears = net.linear_layers
    original = nn.Linear.backward

    def fake(self, dZ):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), _installed(linears, fake):
        assert nn.Linear.backward is original
        net.gradients(X, Y)
    assert nn.Linear.backward is original
    assert all("backward" not in vars(layer) for layer in linears)


def test_reference_networks_keep_kinks_and_accidental_equivalence_away():
    first, second = reference_networks()
    assert (first.name, second.name) == ("7-16-12-10", "4-5-3-1")
    assert first.net.l2 == 0.1 and type(first.net.loss) is nn.CrossEntropy
    assert type(second.net.loss) is nn.BinaryCrossEntropy
    widths = {7, 16, 12, 10, 4, 5, 3, 1}
    for reference in (first, second):
        assert reference.X.shape[0] >= 8 and reference.X.shape[0] not in widths
    A = second.X
    for layer in second.net.layers:
        if isinstance(layer, nn.ReLU):
            assert np.min(np.abs(A)) > 0.02
            assert np.all((A > 0).any(axis=0) & (A < 0).any(axis=0))
        A = layer.forward(A)


def test_cli_mutate_runs_the_reference_networks():
    result = CliRunner().invoke(cli, ["mutate", "--max-mutants", "2", "--width", "200"])
    assert result.exit_code == 0, result.output
    assert "7-16-12-10" in result.output and "4-5-3-1" in result.output
    assert "BinaryCrossEntropy.backward" in result.output and "Softmax.backward" in result.output
    assert "The check caught" in result.output and "score" in result.output
    assert "\x1b[" not in result.output  # plain text when not a terminal


def test_cli_mutate_a_user_target_and_its_errors(tmp_path, monkeypatch):
    (tmp_path / "usermodel.py").write_text(
        textwrap.dedent(
            """
            import numpy as np

            params = {"w": np.array([0.5, -1.0, 2.0])}
            args = (np.array([1.0, 2.0, 3.0]),)


            def loss(p, x):
                return float(np.sum(p["w"] ** 2 * x) + 1e-12 * np.sum(p["w"]))


            def backward(p, x):
                return {"w": 2 * p["w"] * x + 1e-12}
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["mutate", "--target", "usermodel:backward", "--width", "200"])
    assert result.exit_code == 0, result.output
    assert "survivors" in result.output and "within estimated error" in result.output
    by_path = runner.invoke(
        cli,
        ["mutate", "--target", f"{tmp_path / 'usermodel.py'}:backward", "--family", "flip-sign"],
    )
    assert by_path.exit_code == 0, by_path.output
    assert "No mutant survived." in by_path.output
    assert runner.invoke(cli, ["mutate", "--target", "usermodel"]).exit_code != 0
    missing = runner.invoke(cli, ["mutate", "--target", "usermodel:nothing"])
    assert missing.exit_code != 0 and "lacks nothing" in missing.output
