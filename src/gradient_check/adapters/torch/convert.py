"""Tensors to numpy arrays and back: the adapter's one crossing between the frameworks.

The engine perturbs numpy arrays; torch sees them through ``torch.from_numpy``, which
shares their memory (no copy on the CPU), so a tensor built for an evaluation always holds
exactly the values the engine wrote.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from ...errors import InvalidProblemError
from ...report import Report

# torch dtypes a check can take, and the numpy dtype of their copies
NUMPY_OF = {
    torch.float16: np.float16,
    torch.float32: np.float32,
    torch.float64: np.float64,
    torch.complex64: np.complex64,
    torch.complex128: np.complex128,
}
COMPLEX_OF = {torch.float32: torch.complex64, torch.float64: torch.complex128}


def numpy_copy(tensor: torch.Tensor, name: str) -> np.ndarray:
    """A numpy copy of ``tensor``'s values (on the CPU, detached), in its own dtype."""
    if tensor.dtype not in NUMPY_OF:
        fix = (
            "numpy has no bfloat16: check a float32 copy (dtype=torch.float32) or float64"
            if tensor.dtype == torch.bfloat16
            else "pass a floating-point or complex tensor"
        )
        raise InvalidProblemError(f"`{name}` has dtype {tensor.dtype}; {fix}.")
    values = tensor.detach()
    if values.layout != torch.strided:
        raise InvalidProblemError(
            f"`{name}` has layout {values.layout}; pass a dense (strided) tensor."
        )
    return np.array(values.cpu().resolve_conj().resolve_neg().numpy(), order="C", copy=True)


def tensor_of(array: np.ndarray, device: torch.device) -> torch.Tensor:
    """``array`` as a tensor on ``device``: shared memory on the CPU, a copy elsewhere."""
    tensor = torch.from_numpy(array)
    return tensor if device.type == "cpu" else tensor.to(device)


def as_array(value: Any) -> Any:
    """A function's output as numpy: tensors (dense, any device) copied out, in their dtype."""
    if isinstance(value, torch.Tensor):
        value = value.detach()
        if value.layout != torch.strided:
            value = value.to_dense()
        return value.cpu().resolve_conj().resolve_neg().numpy()
    return value


def real_flat(tensor: torch.Tensor) -> torch.Tensor:
    """A tensor's elements as real coordinates, complex as (real, imaginary) pairs: the
    order the engine reads outputs in."""
    if tensor.layout != torch.strided:
        tensor = tensor.to_dense()
    if tensor.is_complex():
        tensor = torch.view_as_real(tensor.resolve_conj())
    return tensor.reshape(-1)


def with_notes(report: Report, notes: list[str], problems: list[str] | None = None) -> Report:
    """The report with the adapter's notes (and structural problems) added."""
    if not notes and not problems:
        return report
    return replace(
        report,
        notes=(*report.notes, *notes),
        problems=(*report.problems, *(problems or [])),
    )


def devices_of(devices: Iterable[torch.device]) -> list[int]:
    """The CUDA devices among ``devices``, whose generators a check forks."""
    return sorted({d.index or 0 for d in devices if d.type == "cuda"})
