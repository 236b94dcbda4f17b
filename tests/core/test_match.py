"""A derivative matched to the parameters: by structure or name, and when the structure
differs, an error that names both structures and the fix."""

import numpy as np
import pytest

from gradient_check import InvalidProblemError, flatten
from gradient_check.core import describe
from gradient_check.core.match import flatten_like, unaliased

W, B = np.arange(15.0).reshape(3, 5), np.array([0.5, -1.0])


def test_a_flat_vector_for_dict_params_says_so_and_offers_unflatten():
    params = {"W": W, "b": B}
    flat = np.concatenate([2 * W.ravel(), np.cos(B)])
    with pytest.raises(InvalidProblemError) as caught:
        flatten_like(flat, flatten(params))
    assert str(caught.value) == (
        "`grads` is a flat vector of 17 numbers but `params` is a dict of 2 arrays (W 3x5, b 2); "
        "give grads shaped like params, e.g. {'W': ..., 'b': ...}, or unflatten it with "
        "gradient_check.flatten(params).unflatten(vector)."
    )


def test_the_offered_fix_works():
    params = {"W": W, "b": B}
    flat = np.arange(17.0)
    vector = flatten(params)
    assert flatten_like(vector.unflatten(flat), vector).tolist() == flat.tolist()


def test_a_flat_vector_of_the_wrong_size_gets_no_unflatten_advice():
    with pytest.raises(InvalidProblemError, match=r"17 numbers in all; give grads") as caught:
        flatten_like(np.zeros(16), flatten({"W": W, "b": B}))
    assert "unflatten" not in str(caught.value)


def test_complex_parameters_get_no_unflatten_advice():
    """theta holds two real coordinates per complex element: unflatten would not fit."""
    params = {"z": np.array([1 + 1j, 2 - 1j]), "w": np.ones(1)}
    with pytest.raises(InvalidProblemError, match=r"flat vector of 5 numbers") as caught:
        flatten_like(np.zeros(5), flatten(params))
    assert "unflatten" not in str(caught.value)


def test_a_mismatch_inside_the_structure_names_where():
    params = {"layers": [{"W": np.ones((2, 2))}], "out": np.ones(3)}
    grads = {"layers": np.zeros(4), "out": np.zeros(3)}
    with pytest.raises(InvalidProblemError) as caught:
        flatten_like(grads, flatten(params))
    message = str(caught.value)
    assert message.startswith(
        "`grads` at `layers` is a flat vector of 4 numbers but `params` at `layers` is a list "
        "of 1 entry (layers[0].W 2x2)"
    )
    assert "unflatten" not in message  # only for the whole structure


@pytest.mark.parametrize(
    ("grads", "message"),
    [
        ([np.ones(2), np.ones(2), np.ones(2)], r"`grads` has an entry `\[2\]` that is not a param"),
        ([np.ones(2)], r"`grads` has no entry for parameter `\[1\]`"),
        ({"a": np.ones(2)}, r"`grads` is a dict with keys 'a' but `params` is a list of 2 arrays"),
        (None, r"`grads` is None but `params` is a list of 2 arrays \(\[0\] 2, \[1\] 2\)"),
    ],
)
def test_list_params_name_the_entry_or_the_structure(grads, message):
    with pytest.raises(InvalidProblemError, match=message):
        flatten_like(grads, flatten([np.ones(2), np.ones(2)]))


def test_nested_lists_of_numbers_are_read_as_an_array_leaf():
    vector = flatten({"W": np.ones((2, 2)), "t": 0.5})
    flat = flatten_like({"W": [[1.0, 2.0], [3.0, 4.0]], "t": 2.0}, vector)
    assert flat.tolist() == [1.0, 2.0, 3.0, 4.0, 2.0]


def test_an_empty_container_in_params_needs_no_gradient():
    vector = flatten({"W": np.ones(2), "frozen": []})
    assert flatten_like({"W": np.ones(2)}, vector).tolist() == [1.0, 1.0]


def test_vjp_names_its_call_in_messages():
    with pytest.raises(InvalidProblemError, match=r"^`vjp\(params, cotangent\)` is a flat vector"):
        flatten_like(np.zeros(17), flatten({"W": W, "b": B}), "vjp(params, cotangent)")


def test_descriptions():
    assert describe.given(np.zeros(3)) == "a flat vector of 3 numbers"
    assert describe.given([1.0]) == "a flat vector of 1 number"
    assert describe.given(np.zeros((2, 3))) == "an array of shape (2, 3)"
    assert describe.given(2.0) == "a single number"
    assert describe.given((np.ones(1), np.ones(2))) == "a tuple of 2 arrays"
    assert describe.given([np.ones(1), "x"]) == "a list of 2 entries"
    assert describe.given({"a": 1, "b": 2}) == "a dict with keys 'a', 'b'"
    assert describe.given(None) == "None"
    assert describe.given("relu") == "a str"
    many = {f"k{i}": i for i in range(9)}
    assert describe.example(many) == "{'k0': ..., 'k1': ..., 'k2': ..., 'k3': ..., ...}"
    assert describe.example((1.0,)) == "(...,)"
    assert describe.example(list(range(7))) == "[7 entries]"
    leaves = [(f"W{i}", (3, 3)) for i in range(8)]
    assert describe.structure(list(np.ones((8, 3, 3))), leaves).endswith("W5 3x3, ... (8 in all))")


def test_a_single_float64_gradient_is_read_in_place_and_never_written():
    theta, grad = np.zeros((300, 4)), np.arange(1200.0).reshape(300, 4)
    flat = flatten_like(grad, flatten(theta), in_place=True)
    assert np.shares_memory(flat, grad) and np.array_equal(flat, grad.ravel())
    assert not np.shares_memory(flatten_like(grad, flatten(theta)), grad)  # copied by default
    with pytest.raises(ValueError):
        flat[0] = 1.0  # the engine's view is read-only; the user's array is not
    grad[0, 0] = 5.0
    assert grad.flags.writeable and flat[0] == 5.0
    # another dtype, or several tensors, is a float64 copy of its own
    assert not np.shares_memory(
        flatten_like(grad.astype(np.float32), flatten(theta), in_place=True), grad
    )
    both = flatten({"a": theta, "b": np.zeros(2)})
    assert not np.shares_memory(
        flatten_like({"a": grad, "b": np.ones(2)}, both, in_place=True), grad
    )


def test_a_gradient_sharing_a_parameters_memory_is_copied():
    w = np.linspace(-1.0, 1.0, 10)
    vector = flatten({"w": w})
    flat = flatten_like({"w": w}, vector, in_place=True)  # check(loss, w, w): the gradient is w
    assert not np.shares_memory(unaliased(flat, {"w": w}, vector), w)
    apart = flatten_like({"w": w.copy()}, vector, in_place=True)
    assert unaliased(apart, {"w": w}, vector) is apart
