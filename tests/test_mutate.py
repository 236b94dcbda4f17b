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

from gradient_check.mutate import (
    FAMILIES,
    MutantResult,
    MutationError,
    MutationReport,
    Outcome,
    generate_mutants,
    run_mutation_test,
)

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
