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


def jacobian_matrix(blocks: Any, spec: OutputSpec, vector: ParameterVector) -> np.ndarray:
    """Jacobian blocks (jax.jacobian's layout, or a dense matrix) as one real (m, n) matrix."""
    if (
        isinstance(blocks, np.ndarray)
        and blocks.shape == (spec.size, vector.size)
        and blocks.dtype.kind == "f"
    ):
        return np.asarray(blocks, dtype=np.float64)
    matrix = np.empty((spec.size, vector.size))
    for out in spec.blocks:
        for slot in vector.slots:
            try:
                leaf = leaf_at(leaf_at(blocks, out.path), slot.path)
            except (KeyError, IndexError, TypeError):
                raise InvalidProblemError(
                    f"`jacobian` has no block for output `{out.name}` and parameter "
                    f"`{slot.name}`. Give blocks like jax.jacobian: per output, a structure "
                    "like `params`."
                ) from None
            leaf = np.asarray(leaf)
            if leaf.shape != out.shape + slot.shape or leaf.dtype.kind not in "fc":
                raise InvalidProblemError(
                    f"`jacobian` block for output `{out.name}` and parameter `{slot.name}` has "
                    f"shape {leaf.shape} and dtype {leaf.dtype}; expected floats of shape "
                    f"{out.shape + slot.shape} (output shape + parameter shape)."
                )
            flat = leaf.reshape(int(np.prod(out.shape)), int(np.prod(slot.shape)))
            matrix[out.offset : out.stop, slot.offset : slot.stop] = real_block(
                flat, out.is_complex, slot.is_complex
            )
    return matrix
