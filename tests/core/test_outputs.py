"""What a function returns, read as outputs; what a JVP or HVP returns, read like them."""

import numpy as np
import pytest

from gradient_check import InvalidProblemError
from gradient_check.core.outputs import read_like, vector_spec

LIKE = "f's output"


def test_a_product_shaped_like_the_outputs_is_read_as_float64():
    spec = vector_spec({"y": np.zeros(2), "n": 0.0})
    read = read_like(spec, {"y": np.array([1.0, 2.0], dtype=np.float32), "n": 3.0}, "jvp", LIKE)
    assert read.dtype == np.float64 and read.tolist() == [1.0, 2.0, 3.0]
    assert read_like(vector_spec(np.zeros(2)), [1.0, 2.0], "jvp", LIKE).tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            np.zeros(3),
            r"`jvp` returned a flat vector of 3 numbers, but f's output has shape \(2,\);",
        ),
        ({"out": np.zeros(2)}, r"returned a dict with keys 'out', but f's output has shape"),
        (None, r"`jvp` returned None"),
        (np.zeros(2, dtype=complex), r"complex values for the real output `out`"),
    ],
)
def test_a_bare_output_names_what_differs(given, message):
    with pytest.raises(InvalidProblemError, match=message):
        read_like(vector_spec(np.zeros(2)), given, "jvp", LIKE)


def test_a_structured_output_names_the_structure_or_the_leaf():
    spec = vector_spec({"y": np.zeros(2), "n": 0.0})
    with pytest.raises(InvalidProblemError, match=r"but f's output is a dict of 2 entries"):
        read_like(spec, np.zeros(3), "jvp", LIKE)
    with pytest.raises(InvalidProblemError, match=r"for `y`, but f's output has shape \(2,\) th"):
        read_like(spec, {"y": np.zeros(3), "n": 1.0}, "jvp", LIKE)
