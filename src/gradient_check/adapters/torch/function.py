"""check_function: the full Jacobian of a function of tensors, every (output, input) pair.

    report = check_function(torch.nn.functional.softplus, x)   # x.requires_grad_()

torch.autograd.gradcheck's use case on the core's Jacobian check
(``checks.jacobian.jacobian_report``): the inputs that require grad are theta, by name;
f is the function at numpy copies of them, batched through torch.func.vmap where it can be;
the analytic Jacobian is autograd's, one VJP per output coordinate. Forward-mode JVPs are a
second reference: where they disagree with the VJPs, they are judged against the finite
differences too, and the notes say which agrees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from ...checks.derivatives import check_tolerance, settings_of
from ...checks.jacobian import jacobian_report
from ...core.outputs import vector_spec
from ...core.settings import Settings
from ...report import Report
from ..interrupt import interruptible
from .batched import BatchLog, batched_settings
from .convert import devices_of, with_notes
from .inputs import FunctionInputs
from .jacobians import (
    Traced,
    backward_jacobian,
    batched_backward_jacobian,
    batched_forward_jacobian,
    coordinates,
    disagreement,
    forward_jacobian,
    traced,
)
from .randomness import REPEATS, refuse_random
from .structure import batched_like, grad_dtypes, undefined_grads, zero_cotangents
from .threads import THREADS, intra_op_threads, thread_note

# forward_ad=None compares forward mode (one pass per input coordinate) up to this many
FORWARD_COMPARED = 2048


@dataclass(frozen=True)
class Extras:
    """Which of gradcheck's checks beyond the Jacobian's values to make."""

    undefined_grad: bool = True
    grad_dtypes: bool = False
    batched_grad: bool = False
    batched_forward_grad: bool = False
    # forward mode: None compares it with the backward (a note), True judges it as well,
    # False leaves it out
    forward_ad: bool | None = None
    backward_ad: bool = True
    masked: bool = False  # a sparse input's specified values only


@dataclass(frozen=True)
class Checked:
    """A function's check: the report, and the forward mode's where it was judged apart."""

    report: Report
    forward: Report | None = None  # the forward-mode Jacobian's, where it disagreed

    @property
    def ok(self) -> bool:
        return self.report.ok and (self.forward is None or self.forward.ok)


def check_function(
    fn: Callable[..., Any],
    *inputs: Any,
    nondet_tol: float = 0.0,
    forward_ad: bool | None = None,
    check_undefined_grad: bool = True,
    masked: bool = False,
    batched: bool = True,
    threads: int | None = THREADS,
    **options: Any,
) -> Report:
    """Check autograd's Jacobian of ``fn(*inputs)`` against finite differences.

    The inputs that require grad are checked (rows ``input 0``, or a keyword input's name:
    a keyword argument holding a tensor is an input, any other is one of ``check``'s
    options); the others are held fixed. Every floating or complex tensor ``fn`` returns is
    an output (``output``, or ``output 1`` in a tuple). ``forward_ad``: None compares
    forward-mode JVPs with the VJPs (a note), True also fails the check where they are
    wrong, False skips them. ``check_undefined_grad``: each output's backward alone, every
    incoming gradient undefined, and zero incoming gradients, as gradcheck checks them.
    ``masked``: a sparse input is checked through its specified values only (by default,
    as the dense tensor it stands for).

    Example:
        >>> import torch
        >>> x = torch.linspace(-1, 1, 5, dtype=torch.float64, requires_grad=True)
        >>> check_function(torch.tanh, x).ok
        True
    """
    keyword = {k: v for k, v in options.items() if isinstance(v, torch.Tensor)}
    options = {k: v for k, v in options.items() if k not in keyword}
    settings = settings_of(options)
    extras = Extras(undefined_grad=check_undefined_grad, forward_ad=forward_ad, masked=masked)
    checked = function_check(
        fn, inputs, keyword, settings, check_tolerance(nondet_tol), extras, batched, threads
    )
    if checked.forward is not None and forward_ad and not checked.forward.ok:
        problem = f"forward-mode AD (JVPs): {checked.forward.headline}"
        return with_notes(checked.report, [], [problem])
    return checked.report


def function_check(
    fn: Callable[..., Any],
    args: Sequence[Any],
    kwargs: dict[str, Any],
    settings: Settings,
    tolerance: float,
    extras: Extras,
    batched: bool = True,
    threads: int | None = THREADS,
) -> Checked:
    """check_function from validated settings: the path gradcheck shares."""
    before = torch.get_num_threads()
    with interruptible() as tally, intra_op_threads(threads):  # Ctrl-C: after the restores
        inputs = FunctionInputs(fn, args, kwargs, extras.masked)
        with torch.random.fork_rng(devices=devices_of(inputs.devices.values())):
            outputs = tally.counted(inputs.outputs)
            refuse_random(outputs, inputs.params, lambda y: vector_spec(y, "fn"), "fn")
            log = BatchLog("the function")
            tally.more.append(lambda: log.checks)
            settings = batched_settings(settings, batched, inputs.flat_call, _device(inputs), log)
            last: dict[str, Any] = {}

            def backward(arrays: dict[str, np.ndarray]) -> np.ndarray:
                trace = traced(inputs, arrays)
                last["trace"], (last["matrix"], last["dtypes"]) = trace, backward_jacobian(trace)
                return last["matrix"]

            def forward(arrays: dict[str, np.ndarray]) -> np.ndarray:
                last["forward"] = forward_jacobian(inputs, arrays)
                return last["forward"]

            analytic = backward if extras.backward_ad else forward
            report = jacobian_report(inputs.outputs, inputs.params, analytic, settings, tolerance)
            tally.report = report
            notes, problems, second = _beyond_values(inputs, last, extras, settings, tolerance)
    report = replace(
        report,
        evaluations={**report.evaluations, "randomness_probe": 1 + REPEATS, **log.evaluations()},
    )
    notes += log.notes() + thread_note(threads, before)
    return Checked(with_notes(report, notes, problems), second)


def _beyond_values(
    inputs: FunctionInputs,
    last: dict[str, Any],
    extras: Extras,
    settings: Settings,
    tolerance: float,
) -> tuple[list[str], list[str], Report | None]:
    """The forward-mode reference and the structural checks: notes, problems, and the
    forward-mode Jacobian's own report where it disagreed with the backward's."""
    eps = max(float(np.finfo(a.dtype).eps) for a in inputs.params.values())
    notes: list[str] = []
    problems: list[str] = []
    second = None
    if extras.batched_forward_grad:
        problems += batched_like(
            "batched forward gradients (vmap over forward-mode JVPs)",
            lambda: batched_forward_jacobian(inputs, inputs.params),
            last["forward"] if "forward" in last else forward_jacobian(inputs, inputs.params),
            eps,
        )
    if not extras.backward_ad:  # the rest are the backward's
        return notes, problems, second
    trace, matrix = last["trace"], last["matrix"]
    if extras.forward_ad is None and matrix.shape[1] > FORWARD_COMPARED:
        notes.append(
            f"forward-mode AD not compared: {matrix.shape[1]} input coordinates, one forward "
            "pass each (pass forward_ad=True to compare and judge it)"
        )
    elif extras.forward_ad is not False:
        try:
            columns = forward_jacobian(inputs, inputs.params)
        except Exception as error:
            why = f"{type(error).__name__}: {str(error).strip().splitlines()[0][:200]}"
            notes.append(f"forward-mode AD not compared: the function does not support it ({why})")
            if extras.forward_ad:
                problems.append(f"forward-mode AD failed ({why})")
        else:
            apart = blocks_apart(trace, columns, matrix, eps)
            if apart:
                second = jacobian_report(
                    inputs.outputs, inputs.params, columns, settings, tolerance
                )
                notes.append(
                    f"forward-mode AD (JVPs) disagrees with the backward (VJPs) in "
                    f"{', '.join(apart)}; judged against the finite differences, the forward "
                    f"mode's outcome is: {second.headline}"
                )
            else:
                notes.append("forward-mode AD (JVPs) agrees with the backward (VJPs)")
    if extras.undefined_grad:
        problems += undefined_grads(trace, matrix, eps) + zero_cotangents(trace)
    if extras.grad_dtypes:
        problems += grad_dtypes(trace, last["dtypes"])
    if extras.batched_grad:
        problems += batched_like(
            "batched gradients (vmap over the backward)",
            lambda: batched_backward_jacobian(trace),
            matrix,
            eps,
        )
    return notes, problems, second


def blocks_apart(trace: Traced, one: np.ndarray, other: np.ndarray, eps: float) -> list[str]:
    """The (output / input) blocks where two Jacobians differ beyond rounding."""
    rows, start = [], 0
    for name, y in trace.outputs.items():
        rows.append((name, start, start + coordinates(y)))
        start += coordinates(y)
    columns, start = [], 0
    for name, leaf in trace.leaves.items():
        columns.append((name, start, start + coordinates(leaf)))
        start += coordinates(leaf)
    scale = max(float(np.max(np.abs(a), initial=0.0)) for a in (one, other))
    return [
        f"{out} / {name}"
        for out, r0, r1 in rows
        for name, c0, c1 in columns
        if disagreement(one[r0:r1, c0:c1], other[r0:r1, c0:c1], eps, scale)
    ]


def _device(inputs: FunctionInputs) -> torch.device:
    return next(iter(inputs.devices.values()))
