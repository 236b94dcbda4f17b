"""Mutants of a function: one changed line each, at the right line, running like the original."""

import ast
import contextlib
import functools
import inspect
import linecache
import types

import numpy as np
import pytest
from mutation_samples import (
    by_line,
    linear_sigmoid_backward,
    linear_sigmoid_inputs,
    square_backward,
    unparsed,
)

from gradient_check.mutation.errors import MutationError
from gradient_check.mutation.mutants import generate_mutants

SCALE = 3.0


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


def multiline_backward(x, y):
    grad = (x * y
            + 2 * x)  # fmt: skip
    return grad


def test_generation_is_deterministic():
    assert generate_mutants(linear_sigmoid_backward) == generate_mutants(linear_sigmoid_backward)


def test_each_mutant_changes_exactly_one_unparsed_line():
    # ast.unparse puts every simple statement on one line, so a statement spanning several
    # source lines still shows up as one changed line.
    original = unparsed(linear_sigmoid_backward).splitlines()
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
    mutant = by_line(generate_mutants(multiline_backward), "grad = x * y + 3 * x")
    assert mutant.lineno == start + 2
    assert mutant.original_line == "grad = x * y + 2 * x"


def test_line_numbers_count_decorators_and_survive_uneven_indentation():
    _, start = inspect.getsourcelines(inspect.unwrap(Linear.backward))
    assert {m.lineno for m in generate_mutants(Linear.backward)} == {start + 3, start + 4}
    _, start = inspect.getsourcelines(UnevenlyIndented.backward)
    assert {m.lineno for m in generate_mutants(UnevenlyIndented.backward)} == {start + 3}


def test_mutants_compile_and_run_as_plain_functions():
    args = linear_sigmoid_inputs()
    for mutant in generate_mutants(linear_sigmoid_backward):
        mutant_fn = mutant.make_function()
        assert isinstance(mutant_fn, types.FunctionType)
        assert mutant_fn.__name__ == "linear_sigmoid_backward"
        with contextlib.suppress(ValueError):  # shape errors, e.g. from `X @ W` -> `W @ X`
            mutant_fn(*args)


def test_mutants_resolve_globals_and_closure_variables():
    mutants = generate_mutants(make_scaled_backward(5.0))
    assert by_line(mutants, "return SCALE * x").make_function()(2.0) == SCALE * 2.0
    assert by_line(mutants, "return k * x").make_function()(2.0) == 5.0 * 2.0
    assert by_line(mutants, "return SCALE * k / x").make_function()(2.0) == SCALE * 5.0 / 2.0


def test_nonlocal_in_a_mutant_rebinds_its_own_cell_not_the_original():
    backward = make_counting_backward()
    for mutant in generate_mutants(backward):
        mutant.make_function()(1.0)
    assert backward.__closure__[0].cell_contents == 0
    assert backward(1.0) == 2.0
    assert backward.__closure__[0].cell_contents == 1


def test_method_mutants_take_self_and_keep_zero_argument_super():
    doubled = Doubled()
    mutant = by_line(generate_mutants(Doubled.backward), "return 3 * super().backward(dY)")
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
    mutant = by_line(generate_mutants(Linear.backward), "self.dW = 2 * (X.T @ dY)")
    layer.backward = types.MethodType(mutant.make_function(), layer)
    layer.backward(X, dY)
    np.testing.assert_allclose(layer.dW, 2 * X.T @ dY)
    assert dict(vars(Linear)) == class_dict
    fresh = Linear(np.eye(2))
    fresh.backward(X, dY)
    np.testing.assert_allclose(fresh.dW, X.T @ dY)


def test_families_select_mutants():
    only = generate_mutants(linear_sigmoid_backward, families=["flip-sign", "change-axis"])
    assert {m.family for m in only} == {"flip-sign", "change-axis"}


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


def test_unknown_families_are_refused():
    with pytest.raises(MutationError, match="families contains unknown mutation families"):
        generate_mutants(square_backward, families=["swap-operators"])
