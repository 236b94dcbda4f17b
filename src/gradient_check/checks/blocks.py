"""Derivative blocks as the user gives them, read as one real (outputs, coordinates) matrix.

Blocks follow ``jax.jacobian``'s layout (and ``jax.hessian``'s, the Jacobian of a
gradient): for each output leaf, a structure like ``params`` whose leaves have shape
``output.shape + parameter.shape``; a dense (outputs, coordinates) matrix is accepted too.
Complex outputs and parameters: a holomorphic f's complex derivative f'(z) is read as the
real map [[Re f', -Im f'], [Im f', Re f']] on (real, imaginary) coordinates.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.describe import LISTED
from ..core.flatten import ParameterVector, leaf_at
from ..core.outputs import OutputSpec
from ..errors import InvalidProblemError

# A complex number is two real coordinates (real part, imaginary part), interleaved.
PARTS = 2


def real_block(block: np.ndarray, out_complex: bool, param_complex: bool) -> np.ndarray:
    """One block (out elements, param elements) as a real map on (re, im) coordinates."""
    re, im = block.real, block.imag if np.iscomplexobj(block) else np.zeros_like(block.real)
    rows, cols = block.shape
    if out_complex and param_complex:  # holomorphic: d(u + iv)/d(x + iy) from f'
        real = np.empty((PARTS * rows, PARTS * cols))
        real[0::2, 0::2], real[0::2, 1::2] = re, -im
        real[1::2, 0::2], real[1::2, 1::2] = im, re
        return real
    if out_complex:
        real = np.empty((PARTS * rows, cols))
        real[0::2], real[1::2] = re, im
        return real
    if param_complex:  # a real output of complex parameters: d/dRe + i d/dIm per element
        real = np.empty((rows, PARTS * cols))
        real[:, 0::2], real[:, 1::2] = re, im
        return real
    return re


def jacobian_matrix(
    blocks: Any, spec: OutputSpec, vector: ParameterVector, what: str = "jacobian", of: str = "f"
) -> np.ndarray:
    """Jacobian blocks (jax.jacobian's layout, or a dense matrix) as one real (m, n) matrix.

    ``what`` names the derivative and ``of`` the function it differentiates, in errors.
    """
    dense = _dense(blocks, spec, vector, what, of)
    if dense is not None:
        return dense
    matrix = np.empty((spec.size, vector.size))
    for out in spec.blocks:
        for slot in vector.slots:
            try:
                leaf = np.asarray(leaf_at(leaf_at(blocks, out.path), slot.path))
            except (KeyError, IndexError, TypeError):
                raise InvalidProblemError(
                    f"`{what}` has no block for output `{out.name}` and parameter "
                    f"`{slot.name}`. {_layouts(spec, vector, of)}"
                ) from None
            except ValueError:  # a ragged nesting of lists
                raise InvalidProblemError(
                    f"`{what}` block for output `{out.name}` and parameter `{slot.name}` is a "
                    f"ragged nesting of sequences; expected floats of shape "
                    f"{out.shape + slot.shape} ({of}'s output shape + parameter shape)."
                ) from None
            expected = out.shape + slot.shape
            if leaf.shape != expected or leaf.dtype.kind not in "fc":
                raise InvalidProblemError(
                    f"`{what}` block for output `{out.name}` and parameter `{slot.name}` has "
                    f"shape {leaf.shape} and dtype {leaf.dtype}; expected floats of shape "
                    f"{expected} ({of}'s output shape + parameter shape)."
                    + _reshape_hint(leaf, expected, slot.shape + out.shape)
                )
            flat = leaf.reshape(int(np.prod(out.shape)), int(np.prod(slot.shape)))
            matrix[out.offset : out.stop, slot.offset : slot.stop] = real_block(
                flat, out.is_complex, slot.is_complex
            )
    return matrix


def _dense(
    blocks: Any, spec: OutputSpec, vector: ParameterVector, what: str, of: str
) -> np.ndarray | None:
    """A dense (m, n) matrix as float64; None when ``blocks`` are blocks. A lone array for
    structured outputs or parameters that is not (m, n) is an error with both layouts."""
    if blocks is None:
        raise InvalidProblemError(f"`{what}` is None. {_layouts(spec, vector, of)}")
    if not isinstance(blocks, np.ndarray):
        return None
    m, n = spec.size, vector.size
    if blocks.shape == (m, n) and blocks.dtype.kind == "f":
        return np.asarray(blocks, dtype=np.float64)
    bare = len(spec.blocks) == 1 and not spec.blocks[0].path
    if bare and len(vector.slots) == 1 and not vector.slots[0].path:
        return None  # one block, which is the whole matrix: checked as a block
    if blocks.dtype.kind == "c":
        return None  # complex values: read block by block
    if blocks.shape == (m, n):
        raise InvalidProblemError(
            f"`{what}` has dtype {blocks.dtype}; a Jacobian is floats: give "
            "np.asarray(J, dtype=float)."
        )
    raise InvalidProblemError(
        f"`{what}` is an array of shape {blocks.shape}, but {of} has {m} real outputs and "
        f"`params` holds {n} numbers. {_layouts(spec, vector, of)}"
        + _reshape_hint(blocks, (m, n), (n, m))
    )


def _layouts(spec: OutputSpec, vector: ParameterVector, of: str) -> str:
    """The two layouts a Jacobian may take, for this problem's outputs and parameters."""
    out = spec.blocks[0]
    shapes = {s.name: out.shape + s.shape for s in vector.slots}
    per_output = (
        f"per output of {of}, a structure like params (for `{out.name}`: "
        + ", ".join(f"{name} {shape}" for name, shape in list(shapes.items())[:LISTED])
        + (", ..." if len(shapes) > LISTED else "")
        + ")"
    )
    return (
        f"Give a dense ({spec.size}, {vector.size}) matrix, {of}'s outputs by the parameter "
        f"elements in the order {', '.join(s.name for s in vector.slots[:LISTED])}"
        f"{', ...' if len(vector.slots) > LISTED else ''}; or blocks like jax.jacobian: "
        f"{per_output}."
    )


def _reshape_hint(given: np.ndarray, expected: tuple[int, ...], swapped: tuple[int, ...]) -> str:
    """What a misshapen array most likely is: the transpose, or the right numbers flat."""
    if given.shape == swapped and swapped != expected:
        return " It looks transposed: output axes come first (for a matrix, give its .T)."
    if given.dtype.kind in "fc" and given.size == int(np.prod(expected)):
        return f" It holds the right number of values: reshape it to {expected}."
    return ""
