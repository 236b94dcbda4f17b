"""gradcheck and gradgradcheck with torch.autograd's signatures, judged by our evidence.

Adopting them is one import line::

    from gradient_check.torch import gradcheck, gradgradcheck   # was: from torch.autograd

They return True, or raise ``GradcheckError`` (a subclass of torch's own GradcheckError,
so of RuntimeError, and of our GradientCheckError) whose message is our report, or return
False with ``raise_exception=False``. The verdict is the evidence's: each element against
the finite difference's own estimated error, not eps/atol/rtol. Where the caller passes
``eps``, it is the step (an absolute h, as torch takes it); where the caller passes
``atol``/``rtol``, the report's notes say where torch's tolerance would have judged
otherwise. ``fast_mode`` checks along random directions per input, as torch's fast mode
projects (the analytic side still takes the whole Jacobian); sparse COO inputs are checked
as dense tensors, or through their specified values with ``masked=True``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch.autograd.gradcheck import GradcheckError as TorchGradcheckError

from ...checks.derivatives import check_tolerance, settings_of
from ...core.settings import Settings
from ...errors import GradientCheckError, InvalidProblemError
from ...report import Outcome, Report
from .convert import with_notes
from .function import Checked, Extras, function_check


class GradcheckError(GradientCheckError, TorchGradcheckError):
    """A gradcheck that failed: ``except torch.autograd.gradcheck.GradcheckError`` and
    ``except RuntimeError`` catch it as they catch torch's; ``report`` is the evidence."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message)
        self.report = report


class Default(float):
    """A default value that knows it was not passed: ``eps is EPS`` only when the caller
    left it out (a caller's own 1e-6 is another object)."""


EPS, ATOL, RTOL = Default(1e-6), Default(1e-5), Default(1e-3)


def gradcheck(
    func: Callable[..., Any],
    inputs: torch.Tensor | Sequence[Any],
    *,
    eps: float = EPS,
    atol: float = ATOL,
    rtol: float = RTOL,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
) -> bool:
    """torch.autograd.gradcheck's drop-in: True, or GradcheckError with our report."""
    if not (check_forward_ad or check_backward_ad):
        raise InvalidProblemError(
            "check_forward_ad and check_backward_ad are both False: there is nothing to check; "
            "set one of them."
        )
    extras = Extras(
        undefined_grad=check_undefined_grad and check_backward_ad,
        grad_dtypes=check_grad_dtypes,
        batched_grad=check_batched_grad and check_backward_ad,
        batched_forward_grad=check_batched_forward_grad,
        forward_ad=check_forward_ad if check_backward_ad else None,
        backward_ad=check_backward_ad,
        masked=bool(masked),
    )
    args = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    settings = _settings(eps, fast_mode)
    checked = function_check(func, args, {}, settings, check_tolerance(nondet_tol), extras)
    notes = _tolerance_notes(checked, eps, atol, rtol) + _mode_notes(fast_mode, masked, args)
    checked = Checked(with_notes(checked.report, notes), checked.forward)
    return _verdict(checked, raise_exception, "gradcheck")


def _settings(eps: float, fast_mode: bool) -> Settings:
    """The step (the caller's eps, else our automatic one) and, for fast_mode, random
    directions per input where the engine has them (as torch's fast mode projects)."""
    options: dict[str, Any] = {} if eps is EPS else {"h": float(eps)}
    if fast_mode:
        try:
            return settings_of({**options, "mode": "directional"})
        except InvalidProblemError:  # an engine without directional Jacobians
            pass
    return settings_of(options)


def gradgradcheck(
    func: Callable[..., Any],
    inputs: torch.Tensor | Sequence[Any],
    grad_outputs: torch.Tensor | Sequence[torch.Tensor | None] | None = None,
    *,
    eps: float = EPS,
    atol: float = ATOL,
    rtol: float = RTOL,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """torch.autograd.gradgradcheck's drop-in: gradcheck of the VJP ``(inputs,
    grad_outputs) -> grads of the inputs``, with seeded random ``grad_outputs`` (from a
    generator of its own: torch's global RNG is not drawn) unless given."""
    args = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    cotangents = _grad_outputs(func, args, grad_outputs, gen_non_contig_grad_outputs)
    count = len(args)

    wanted = [i for i, x in enumerate(args) if isinstance(x, torch.Tensor) and x.requires_grad]

    def vjp(*values: Any) -> tuple[torch.Tensor, ...]:
        ins, cots = list(values[:count]), values[count:]
        with torch.enable_grad():
            for i in wanted:  # a value the check built without grad: differentiable here
                if not ins[i].requires_grad:
                    ins[i] = ins[i].detach().requires_grad_()
            pairs = [(y, g) for y, g in zip(_differentiable(func(*ins)), cots) if y.requires_grad]
            grads = torch.autograd.grad(
                [y for y, _ in pairs],
                [ins[i] for i in wanted],
                [g for _, g in pairs],
                create_graph=True,
                allow_unused=True,
            )
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        vjp,
        (*args, *cotangents),
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad,
        check_forward_ad=check_fwd_over_rev,
        check_backward_ad=check_rev_over_rev,
        fast_mode=fast_mode,
        masked=masked,
    )


def _differentiable(raw: Any) -> list[torch.Tensor]:
    """A function's floating and complex tensor outputs, in order."""
    found = [raw] if isinstance(raw, torch.Tensor) else list(raw)
    return [
        y
        for y in found
        if isinstance(y, torch.Tensor) and (y.is_floating_point() or y.is_complex())
    ]


def _grad_outputs(
    func: Callable[..., Any], args: tuple, given: Any, non_contiguous: bool
) -> tuple[torch.Tensor, ...]:
    """The cotangents of gradgradcheck: the caller's, or seeded random ones like the
    outputs, requiring grad (the second derivative is taken in them too)."""
    if given is not None:
        found = (given,) if isinstance(given, torch.Tensor) else tuple(given)
        return tuple(g for g in found if g is not None)
    with torch.no_grad():
        outputs = _differentiable(func(*args))
    generator = torch.Generator().manual_seed(0)
    made = []
    for y in outputs:
        shape = (*y.shape, 2) if non_contiguous else tuple(y.shape)
        values = torch.randn(shape, generator=generator, dtype=y.dtype)
        values = values[..., 0] if non_contiguous else values
        made.append(values.to(y.device).requires_grad_())
    return tuple(made)


def _tolerance_notes(checked: Checked, eps: float, atol: float, rtol: float) -> list[str]:
    """Where the caller set eps/atol/rtol: what the step was, and where torch's tolerance
    |analytic - numeric| <= atol + rtol |numeric| judges the worst elements otherwise."""
    notes = []
    if eps is not EPS:
        notes.append(f"the step is the eps passed ({float(eps):g}), an absolute step")
    if atol is ATOL and rtol is RTOL:
        return notes
    for row in checked.report.parameters:
        within = row.max_abs_error <= atol + rtol * abs(row.worst_numeric)
        if within and row.outcome is Outcome.WRONG:
            notes.append(
                f"{row.block}: within atol={atol:g}, rtol={rtol:g} at its worst element, yet "
                "confirmed wrong beyond the finite difference's estimated error"
            )
        elif not within and row.outcome is Outcome.PASS:
            notes.append(
                f"{row.block}: beyond atol={atol:g}, rtol={rtol:g} at {row.worst_index} "
                f"(|analytic - numeric| = {row.max_abs_error:.2e}), yet within the finite "
                "difference's own estimated error: the tolerance is tighter than this "
                "difference can resolve"
            )
    return notes


def _mode_notes(fast_mode: bool, masked: bool | None, args: tuple) -> list[str]:
    notes = []
    if fast_mode:
        notes.append("fast_mode: checked along random directions per input, not every element")
    sparse = any(isinstance(a, torch.Tensor) and a.layout != torch.strided for a in args)
    if sparse:
        notes.append(
            "sparse inputs checked through their specified values (masked=True)"
            if masked
            else "sparse inputs checked as the dense tensors they stand for (masked=False)"
        )
    return notes


def _verdict(checked: Checked, raise_exception: bool, name: str) -> bool:
    """True if the check passed; otherwise GradcheckError with the report(s), or False."""
    if checked.ok:
        return True
    if not raise_exception:
        return False
    text = f"{name} failed: {checked.report.headline}\n\n{checked.report}"
    if checked.forward is not None and not checked.forward.ok:
        text += f"\n\nforward-mode AD (JVPs) judged apart:\n\n{checked.forward}"
    raise GradcheckError(text, checked.report)
