"""Pytrees as the core sees them: leaves named by key path, copied, and rebuilt exactly."""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradient_check import InvalidProblemError
from gradient_check.adapters.jax.precision import precision_of
from gradient_check.adapters.jax.pytree import (
    from_real,
    key_names,
    layout_of,
    output_layout,
    real_numpy,
    real_vector,
    rebuild,
    tree_of,
)


class Pair(NamedTuple):
    w: object
    b: object


@dataclasses.dataclass
class Dense:
    kernel: object
    name: str


jax.tree_util.register_dataclass(Dense, data_fields=["kernel"], meta_fields=["name"])


class Node:
    """A pytree node registered without keys (jax names its children by flat index)."""

    def __init__(self, a, b):
        self.a, self.b = a, b


jax.tree_util.register_pytree_node(Node, lambda n: ((n.a, n.b), None), lambda _, c: Node(*c))

FLOAT64 = precision_of(np.float64)


def _float64(own, name):
    return FLOAT64.dtype_of(own, name)


def test_leaves_are_named_by_key_path_after_the_root():
    tree = {
        "dense": {"kernel": np.ones((2, 2)), "bias": 0.5},
        "layers": [np.zeros(1), (2.0,)],
        "pair": Pair(np.ones(2), 1.0),
        "dc": Dense(np.ones(3), "first"),
        "node": Node(1.0, 2.0),
    }
    names = [name for name, _ in key_names(tree, "params")[0]]
    assert names == [
        "params['dc'].kernel",
        "params['dense']['bias']",
        "params['dense']['kernel']",
        "params['layers'][0]",
        "params['layers'][1][0]",
        "params['node'][<flat index 0>]",
        "params['node'][<flat index 1>]",
        "params['pair'].w",
        "params['pair'].b",
    ]


def test_a_tuple_of_arguments_is_named_by_each_argument():
    names = [n for n, _ in key_names((np.ones(2), {"w": 1.0}), ("x", "state"))[0]]
    assert names == ["x", "state['w']"]


def test_a_bare_array_is_the_root_itself():
    assert [n for n, _ in key_names(jnp.ones(3), "params")[0]] == ["params"]


def test_copies_are_in_the_checks_dtype_and_never_the_users_arrays():
    w = np.arange(4.0, dtype=np.float32).reshape(2, 2)
    layout, copies = layout_of({"w": w, "s": 1.5}, "params", _float64, "parameter")
    assert copies["params['w']"].dtype == np.float64
    assert not np.shares_memory(copies["params['w']"], w)
    assert [(leaf.name, leaf.offset, leaf.size) for leaf in layout.leaves] == [
        ("params['s']", 0, 1),
        ("params['w']", 1, 4),
    ]


def test_leaves_that_are_not_floats_are_held_fixed_and_put_back_in_place():
    tree = {"n": np.arange(3), "act": jnp.tanh, "none": None, "on": True, "w": np.ones(2)}
    layout, copies = layout_of(tree, "params", _float64, "parameter")
    assert layout.names == ["params['w']"] and list(copies) == ["params['w']"]
    assert layout.fixed == ("params['act']", "params['n']", "params['on']")
    rebuilt = rebuild(layout, [np.full(2, 3.0)])
    assert rebuilt["act"] is jnp.tanh and rebuilt["n"] is tree["n"] and rebuilt["none"] is None
    assert rebuilt["on"] is True and np.array_equal(rebuilt["w"], [3.0, 3.0])


def test_a_pytree_without_floating_leaves_is_refused():
    with pytest.raises(
        InvalidProblemError, match=r"no floating-point leaves \(only `params\['n'\]`"
    ):
        layout_of({"a": None, "n": 3}, "params", _float64, "parameter")


def test_a_complex_leaf_takes_two_real_coordinates_real_part_first():
    z = np.array([1.0 + 2.0j, -3.0 + 0.5j])
    layout, copies = layout_of({"z": z}, "params", _float64, "parameter")
    assert layout.size == 4
    assert real_numpy([copies["params['z']"]]).tolist() == [1.0, 2.0, -3.0, 0.5]


@settings(max_examples=15, deadline=None)
@given(
    shapes=st.lists(st.lists(st.integers(1, 3), max_size=2).map(tuple), min_size=1, max_size=3),
    complex_first=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_theta_and_the_pytree_round_trip_exactly(shapes, complex_first, seed):
    """Property: leaves -> theta -> leaves is the identity, on the numpy side and inside
    traced code (tree_of then real_vector), complex leaves included."""
    rng = np.random.default_rng(seed)
    leaves = [rng.standard_normal(s) for s in shapes]
    if complex_first:
        leaves[0] = leaves[0] + 1j * rng.standard_normal(shapes[0])
    with jax.enable_x64(True):
        layout, copies = layout_of(leaves, "p", _float64, "parameter")
        theta = real_numpy([copies[name] for name in layout.names])
        back = from_real(layout, theta)
        for original, rebuilt in zip(leaves, back, strict=True):
            assert np.array_equal(original, rebuilt)
        traced = jax.jit(
            lambda t: real_vector(jax.tree_util.tree_leaves(tree_of(layout, t)), t.dtype)
        )
        assert np.array_equal(np.asarray(traced(theta)), theta)


def test_outputs_keep_their_own_dtypes_and_names():
    layout = output_layout({"logits": jnp.ones((2, 3)), "n": jnp.int32(3)}, "out")
    assert [(o.name, o.shape, str(o.dtype)) for o in layout.leaves] == [
        ("out['logits']", (2, 3), "float32"),
        ("out['n']", (), "int32"),
    ]
