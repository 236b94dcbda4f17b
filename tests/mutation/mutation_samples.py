"""Backward functions to mutate, and helpers to read mutants, shared by the mutation tests.

Mutants are made from source files, so these live in a file of their own: their line numbers
are what the tests expect mutants to report.
"""

import ast
import inspect
import textwrap

import numpy as np

from gradient_check.mutation.report import MutantOutcome


def linear_sigmoid_backward(X, W, b, Y):
    """Gradients of the mean cross-entropy of sigmoid(X @ W + b) with respect to W and b."""
    m = X.shape[0]
    Z = X @ W + b
    A = 1 / (1 + np.exp(-Z))
    dZ = A - Y
    dW = X.T @ dZ / m
    db = np.sum(dZ, axis=0, keepdims=True) / m
    return dW, db


def square_backward(x):
    return 2 * x**2


def linear_sigmoid_inputs():
    """X, W, b and Y for `linear_sigmoid_backward`: 5 examples, 3 features, 2 outputs."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 3))
    W = rng.normal(size=(3, 2))
    b = rng.normal(size=(1, 2))
    Y = (rng.random((5, 2)) > 0.5).astype(float)
    return X, W, b, Y


def unparsed(fn):
    """The source of `fn` as `ast.unparse` writes it, without decorators: what mutants diff."""
    definition = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(fn)))).body[0]
    definition.decorator_list = []
    return ast.unparse(definition)


def by_line(mutants, mutated_line):
    """The one mutant whose changed line reads `mutated_line`."""
    [mutant] = [m for m in mutants if m.mutated_line == mutated_line]
    return mutant


def output_judge(reference, args, checked=None):
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
            return MutantOutcome.EQUIVALENT
        caught = not same(actual, range(len(expected)) if checked is None else checked)
        return MutantOutcome.CAUGHT if caught else MutantOutcome.SURVIVED

    return judge
