"""A function of tensors seen by name: its checked inputs and its differentiable outputs.

The inputs that require grad are checked (``input 0``, or a keyword's name); every other
argument is held fixed. A sparse COO input is checked as torch's gradcheck checks it: as
the dense tensor it stands for (every element perturbed, the gradient read densely), or
with ``masked=True`` through its specified values only. The outputs
are the floating and complex tensors the function returns, ``output`` for a lone tensor,
``output 1`` for the second of a tuple.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ...errors import InvalidProblemError, LossError
from .convert import as_array, numpy_copy, real_flat, tensor_of


@dataclass(frozen=True)
class Sparse:
    """How a sparse COO input is rebuilt from its (checked) values."""

    indices: torch.Tensor | None  # the specified elements' (masked), or None: dense
    size: torch.Size
    sparse_dim: int


def checked(value: Any) -> bool:
    """An input the check differentiates: a tensor that requires grad."""
    return isinstance(value, torch.Tensor) and value.requires_grad


class FunctionInputs:
    """``fn(*args, **kwargs)`` with its checked inputs replaceable by name."""

    def __init__(
        self,
        fn: Callable[..., Any],
        args: Sequence[Any],
        kwargs: dict[str, Any],
        masked: bool = False,
    ) -> None:
        self.fn, self.args, self.kwargs, self.masked = fn, tuple(args), dict(kwargs), masked
        self.where: dict[str, int | str] = {}  # name -> position or keyword
        self.tensors: dict[str, torch.Tensor] = {}  # the caller's, never written
        self.sparse: dict[str, Sparse] = {}
        places = [(f"input {i}", i, a) for i, a in enumerate(args)]
        places += [(k, k, v) for k, v in kwargs.items()]
        for name, place, value in places:
            if checked(value):
                self.where[name] = place
                self.tensors[name] = value
        if not self.tensors:
            if not any(isinstance(value, torch.Tensor) for _, _, value in places):
                kinds = ", ".join(sorted({type(value).__name__ for _, _, value in places}))
                raise InvalidProblemError(
                    f"the inputs are {kinds or 'missing'}, not torch tensors: pass each input "
                    "as a tensor argument, check_function(fn, x, y), with requires_grad=True "
                    "on those to differentiate."
                )
            raise InvalidProblemError(
                "no input requires grad, so there is nothing to check: call "
                ".requires_grad_() on the inputs to differentiate (the others are held fixed)."
            )
        self.params = {name: self._values(name, t) for name, t in self.tensors.items()}
        self.devices = {name: t.device for name, t in self.tensors.items()}

    def _values(self, name: str, tensor: torch.Tensor) -> np.ndarray:
        if tensor.layout == torch.sparse_coo:
            tensor = tensor.detach().coalesce()
            indices = tensor.indices() if self.masked else None
            self.sparse[name] = Sparse(indices, tensor.shape, tensor.sparse_dim())
            return numpy_copy(tensor.values() if self.masked else tensor.to_dense(), name)
        if tensor.layout != torch.strided:
            raise InvalidProblemError(
                f"`{name}` has layout {tensor.layout}; pass a dense tensor, or a sparse COO one "
                "(.to_sparse()), whose specified values are checked."
            )
        return numpy_copy(tensor, name)

    def leaf(self, name: str, values: torch.Tensor) -> torch.Tensor:
        """Input ``name`` holding ``values``: the values themselves, or a sparse tensor."""
        sparse = self.sparse.get(name)
        if sparse is None:
            return values
        if sparse.indices is None:
            return values.to_sparse(sparse.sparse_dim)
        return torch.sparse_coo_tensor(
            sparse.indices.to(values.device), values, sparse.size, is_coalesced=True
        )

    def call(self, values: dict[str, torch.Tensor]) -> Any:
        """fn with each checked input holding ``values[name]``, the rest as given."""
        args, kwargs = list(self.args), dict(self.kwargs)
        for name, place in self.where.items():
            leaf = self.leaf(name, values[name])
            if isinstance(place, int):
                args[place] = leaf
            else:
                kwargs[place] = leaf
        return self.fn(*args, **kwargs)

    def tensors_of(self, arrays: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
        """The engine's arrays as tensors on each input's device (shared memory on CPU)."""
        return {name: tensor_of(arrays[name], self.devices[name]) for name in self.where}

    def outputs(self, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The engine's f: the outputs at ``arrays``, as numpy arrays by name."""
        with torch.no_grad():
            found = named_outputs(self.call(self.tensors_of(arrays)))
        return {name: as_array(y) for name, y in found.items()}

    def flat_call(self, values: dict[str, torch.Tensor]) -> torch.Tensor:
        """One point's outputs as real coordinates, in the engine's order (for vmap)."""
        found = named_outputs(self.call(values))
        return torch.cat([real_flat(y) for y in found.values()])


def named_outputs(raw: Any) -> dict[str, torch.Tensor]:
    """A function's floating and complex tensor outputs by name (integer ones skipped)."""
    if isinstance(raw, torch.Tensor):
        found = {"output": raw}
    elif isinstance(raw, (tuple, list)):
        found = {f"output {k}": y for k, y in enumerate(raw) if isinstance(y, torch.Tensor)}
    else:
        raise LossError(
            f"the function returned a {type(raw).__name__}; it must return a tensor or a tuple "
            "of tensors."
        )
    found = {k: y for k, y in found.items() if y.is_floating_point() or y.is_complex()}
    if not found:
        raise LossError(
            "the function returned no floating-point or complex tensor: there is nothing to "
            "differentiate."
        )
    return found
