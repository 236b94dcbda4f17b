"""What the function under check returns, read as a real vector of outputs.

A scalar loss is one output. An array or a structure of arrays (dicts, lists, tuples) is
flattened like parameters are, complex outputs as real and imaginary parts, so one engine
checks gradients, Jacobians, VJPs, JVPs and Hessians alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InvalidProblemError, LossError
from . import describe
from .flatten import ParameterVector, Slot, leaves, real_view, rebuild


@dataclass(frozen=True)
class OutputSpec:
    """The outputs' names, shapes and positions, and how to read one evaluation."""

    blocks: tuple[Slot, ...]  # None-named single block for a scalar loss
    size: int  # m, the number of real outputs
    eps: float  # machine epsilon of the dtype the function returns
    read: Callable[[Any], Any]
    scalar: bool
    template: Any = None  # the first output, whose structure cotangents take

    def unflatten(self, real: np.ndarray) -> Any:
        """A structure like the function's output from m real values (a cotangent)."""
        if self.scalar:
            return float(real[0])
        parts = {}
        for block in self.blocks:
            part = np.asarray(real[block.offset : block.stop], dtype=np.float64)
            if block.is_complex:
                part = part.view(np.complex128)
            parts[block.path] = part.reshape(block.shape).astype(block.dtype)
        return rebuild(self.template, lambda path, _old: parts[path])

    def label(self, index: int) -> str:
        for block in self.blocks:
            if block.offset <= index < block.stop:
                return block.label(index - block.offset)
        raise IndexError(index)


def _scalar(y: Any, what: str) -> float:
    array = np.asarray(y)
    if array.size != 1 or array.dtype.kind not in "fiu":
        if y is None or array.size != 1:
            shape = "None" if y is None else f"an array of shape {array.shape}"
        else:
            kind = "an array" if isinstance(y, np.ndarray) else f"a {type(y).__name__}"
            shape = f"{kind} of dtype {array.dtype}"
        raise LossError(
            f"`{what}` must return a real scalar; got {shape}. Reduce it with .sum() or .mean(), "
            "or check a vector-valued function with check_jacobian."
        )
    return float(array.reshape(()))


def scalar_spec(y0: Any, what: str = "loss") -> OutputSpec:
    """The spec of a scalar loss (a size-1 array counts as a scalar)."""
    _scalar(y0, what)
    dtype = np.asarray(y0).dtype
    eps = float(np.finfo(dtype).eps) if dtype.kind == "f" else float(np.finfo(np.float64).eps)
    if isinstance(y0, (float, np.floating)):
        read = float
    else:

        def read(y: Any) -> float:
            return _scalar(y, what)

    block = Slot("loss", (), (), np.dtype(np.float64), 0, 1)
    return OutputSpec((block,), 1, eps, read, True)


def vector_spec(y0: Any, what: str = "f", root: str = "out") -> OutputSpec:
    """The spec of an array- or structure-valued function (a bare array is named ``root``)."""
    blocks, offset, eps = [], 0, 0.0
    for path, name, value in leaves(y0):
        array = np.asarray(value)
        if array.dtype.kind not in "fciu":
            value = "None" if value is None else f"a {type(value).__name__} ({array.dtype})"
            where = "" if name == "params" else f" as `{name}`"
            raise LossError(
                f"`{what}` returned {value}{where}; a function under check returns numbers: "
                "arrays or floats, or dicts, lists and tuples of them."
            )
        dtype = array.dtype if array.dtype.kind in "fc" else np.dtype(np.float64)
        eps = max(eps, float(np.finfo(dtype).eps))
        size = array.size * (2 if dtype.kind == "c" else 1)
        label = root if name == "params" else name
        blocks.append(Slot(label, path, array.shape, dtype, offset, size))
        offset += size
    shapes = [b.shape for b in blocks]
    single = len(blocks) == 1 and not blocks[0].path

    if single and blocks[0].dtype.kind == "f":
        shape = shapes[0]

        def read_real(y: Any) -> np.ndarray:  # the common case, kept cheap: it runs 2n times
            array = np.asarray(y, dtype=np.float64)
            if array.shape != shape:
                raise LossError(f"`{what}` returned shape {array.shape}, first {shape}.")
            return array.reshape(-1)

        return OutputSpec(tuple(blocks), offset, eps, read_real, False, y0)

    def read(y: Any) -> np.ndarray:
        if single:
            array = np.asarray(y)
            if array.shape != shapes[0]:
                raise LossError(f"`{what}` returned shape {array.shape}, first {shapes[0]}.")
            return real_view(array.astype(np.result_type(array.dtype, np.float64)))
        found = leaves(y)
        if [np.shape(v) for _, _, v in found] != shapes:
            raise LossError(f"`{what}` changed the structure or shapes of its outputs.")
        return np.concatenate(
            [
                real_view(np.asarray(v).astype(np.result_type(np.asarray(v).dtype, np.float64)))
                for _, _, v in found
            ]
        )

    return OutputSpec(tuple(blocks), offset, eps, read, False, y0)


def read_like(spec: OutputSpec, given: Any, what: str, like: str) -> np.ndarray:
    """Read what a JVP or HVP returned, which has the structure of f's outputs, as m real
    values (float64); an InvalidProblemError naming ``what`` and ``like`` where it differs."""
    bare = len(spec.blocks) == 1 and not spec.blocks[0].path
    found = [((), given)] if bare else [(path, value) for path, _, value in leaves(given)]
    if len(found) != len(spec.blocks) or [p for p, _ in found] != [b.path for b in spec.blocks]:
        outputs = describe.structure(spec.template, [(b.name, b.shape) for b in spec.blocks])
        raise InvalidProblemError(
            f"`{what}` returned {describe.given(given)}, but {like} is {outputs}; return a "
            "structure like it."
        )
    for (_, value), block in zip(found, spec.blocks, strict=True):
        array = describe.numbers(value)
        if array is None or array.shape != block.shape:
            part = "" if bare else f" for `{block.name}`"
            raise InvalidProblemError(
                f"`{what}` returned {describe.given(value)}{part}, but {like} has shape "
                f"{block.shape}{'' if bare else ' there'}; return a structure like {like}."
            )
        if array.dtype.kind == "c" and not block.is_complex:
            raise InvalidProblemError(
                f"`{what}` returned complex values for the real output `{block.name}`; return "
                "their real part."
            )
    return np.asarray(spec.read(given), dtype=np.float64)


def output_label(spec: OutputSpec, vector: ParameterVector, out: int, coordinate: int) -> str:
    """Name one derivative element: ``W1[3, 2]``, or ``out[1] / W1[3, 2]``."""
    if spec.scalar:
        return vector.label(coordinate)
    return f"{spec.label(out)} / {vector.label(coordinate)}"
