"""The operator families: which edits each proposes, and where."""

import numpy as np
from mutation_samples import by_line, linear_sigmoid_backward, square_backward, unparsed

from gradient_check.mutation.mutants import generate_mutants
from gradient_check.mutation.operators import FAMILIES, OPERATORS


def transposing_backward(A, B):
    C = np.transpose(A) @ B
    D = np.swapaxes(C, 0, 1)
    return D.T + A.transpose()


def reducing_backward(dZ):
    return dZ.sum(0) + np.mean(dZ, 1).sum()


def twice(x):
    return x + x


def test_every_family_has_an_operator():
    assert tuple(OPERATORS) == FAMILIES


def test_every_family_mutates_the_linear_sigmoid_backward():
    mutants = generate_mutants(linear_sigmoid_backward)
    assert {m.family for m in mutants} == set(FAMILIES)
    assert by_line(mutants, "Z = X * W + b").family == "swap-operator"
    assert by_line(mutants, "dW = 2 * (X.T @ dZ / m)").family == "add-factor"
    assert by_line(mutants, "dW = X.T @ dZ").family == "drop-factor"
    assert by_line(mutants, "dW = X @ dZ / m").family == "remove-transpose"
    assert by_line(mutants, "db = np.sum(dZ, axis=1, keepdims=True) / m").family == "change-axis"
    assert by_line(mutants, "db = np.sum(dZ, axis=0, keepdims=False) / m").family == "change-axis"
    assert by_line(mutants, "Z = X @ W").family == "remove-term"
    assert by_line(mutants, "A = 1 / (1 + np.exp(Z))").family == "flip-sign"
    assert by_line(mutants, "dW = -(X.T @ dZ / m)").family == "flip-sign"
    assert by_line(mutants, "m = X.shape[1]").family == "change-constant"
    assert by_line(mutants, "A = 0.5 / (1 + np.exp(-Z))").family == "change-constant"
    assert by_line(mutants, "dW = dZ @ X.T / m").family == "swap-argument"
    assert by_line(mutants, "db = np.sum(dW, axis=0, keepdims=True) / m").family == "swap-variable"


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
    assert by_line(mutants, "return 2 * x ** 3").family == "swap-operator"
    sources = [m.source for m in mutants]
    assert len(set(sources)) == len(sources)
    assert unparsed(square_backward) not in sources
    assert [m.mutated_line for m in generate_mutants(twice, families="remove-term")] == ["return x"]
