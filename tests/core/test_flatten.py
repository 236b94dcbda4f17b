"""theta and its names: order, inverse, matching gradients by structure or name."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradient_check import InvalidProblemError, flatten, flatten_like


def test_texts_order_W1_B1_W2_B2_and_names():
    params = {
        "W1": np.arange(6.0).reshape(2, 3),
        "B1": np.zeros(3),
        "W2": np.ones((3, 1)),
        "B2": np.zeros(1),
    }
    vec = flatten(params)
    assert [s.name for s in vec.slots] == ["W1", "B1", "W2", "B2"]
    assert vec.theta[:6].tolist() == [0, 1, 2, 3, 4, 5]  # row-major
    assert vec.label(4) == "W1[1, 1]"
    assert vec.label(6) == "B1[0]"


def test_nested_names_read_like_python():
    params = {"layers": [{"W": np.ones((2, 2)), "b": np.ones(2)}, (np.ones(1), 2.0)]}
    names = [s.name for s in flatten(params).slots]
    assert names == ["layers[0].W", "layers[0].b", "layers[1][0]", "layers[1][1]"]
    assert flatten([np.ones(2)]).slots[0].name == "[0]"
    assert flatten(np.ones(2)).slots[0].name == "params"


def test_complex_takes_two_real_coordinates():
    vec = flatten({"z": np.array([1 + 2j, 3 - 4j])})
    assert vec.theta.tolist() == [1, 2, 3, -4]
    assert vec.label(3) == "z[1].imag"


leaf = hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=3), elements=st.floats(-1e6, 1e6)
)
tree = st.recursive(
    leaf | st.floats(-1e3, 1e3),
    lambda children: (
        st.lists(children, min_size=1, max_size=3)
        | st.tuples(children, children)
        | st.dictionaries(st.text("abc", min_size=1, max_size=2), children, min_size=1, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None)
@given(tree)
def test_unflatten_is_the_exact_inverse(params):
    vec = flatten(params)
    back = vec.unflatten(vec.theta)
    again = flatten(back)
    assert again.theta.tobytes() == vec.theta.tobytes()
    assert [s.name for s in again.slots] == [s.name for s in vec.slots]
    assert [type(v) for v in _leaves(back)] == [type(v) for v in _leaves(params)]


def _leaves(node):
    if isinstance(node, dict):
        return [x for v in node.values() for x in _leaves(v)]
    if isinstance(node, (list, tuple)):
        return [x for v in node for x in _leaves(v)]
    return [node]


def test_gradients_match_by_structure_or_by_name():
    params = {"layers": [{"W": np.ones((2, 2))}]}
    vec = flatten(params)
    by_structure = flatten_like({"layers": [{"W": np.full((2, 2), 3.0)}]}, vec)
    by_name = flatten_like({"layers[0].W": np.full((2, 2), 3.0)}, vec)
    assert by_structure.tolist() == by_name.tolist() == [3.0] * 4


@pytest.mark.parametrize(
    ("grads", "message"),
    [
        ({"W": np.ones((2, 3))}, r"`grads` for parameter `W` has shape \(2, 3\).*\(3, 2\)"),
        ({}, r"no entry for parameter `W`"),
        ({"W": np.ones((3, 2)), "V": np.ones(1)}, r"entry `V` that is not a parameter"),
        ({"W": np.ones((3, 2), dtype=int)}, r"`grads` for parameter `W` has dtype int"),
        ({"W": np.ones((3, 2), dtype=complex)}, r"real parameter `W` is complex"),
    ],
)
def test_mismatched_gradients_name_the_parameter(grads, message):
    with pytest.raises(InvalidProblemError, match=message):
        flatten_like(grads, flatten({"W": np.ones((3, 2))}))


@pytest.mark.skipif(
    np.finfo(np.longdouble).eps >= np.finfo(np.float64).eps, reason="long double is float64 here"
)
@pytest.mark.parametrize(
    "leaf",
    [np.ones(2, dtype=np.longdouble), np.longdouble(1.5), np.ones(2, dtype=np.clongdouble)],
    ids=["array", "scalar", "complex"],
)
def test_extended_precision_is_refused_with_the_cast(leaf):
    """theta is float64: a long double could not be restored bit for bit after a check."""
    with pytest.raises(InvalidProblemError, match=r"parameter `x` is c?\w+ \(extended precision\)"):
        flatten({"x": leaf})


def test_a_none_leaf_is_named():
    with pytest.raises(InvalidProblemError, match=r"parameter `layers\[0\]\.b` is None\. .*leave"):
        flatten({"layers": [{"W": np.ones(2), "b": None}]})
