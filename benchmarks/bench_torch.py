"""The PyTorch adapter beside torch.autograd.gradcheck, measured in one run.

(a) the full check of a float64 MLP 64 -> 32 -> 10 (tanh, batch 32, cross-entropy; 2,410
    parameters): torch.autograd.gradcheck in its default mode against check_module, with
    the evaluations each made (counted) and the ratio of their times (goal: >= 8);
(b) a small convolutional network with a custom autograd.Function (handwritten backward),
    correct and with its backward 1 % off;
(c) agreement: torch functions and custom autograd.Functions, correct and with a wrong
    backward (a factor, a missing term, a transpose, one wrong input among several): our
    outcome against the truth and against torch's gradcheck, and whether we name the wrong
    input alone;
(d) float32 models, correct and with a 1 % fault in one layer: ours (check_module with
    dtype=None, the model's own precision) beside torch's gradcheck on the same model.

Times are the fastest of ``--repeats`` runs; ours run on one intra-op thread (the
adapter's choice, see adapters/torch/threads.py), torch's gradcheck on one thread too
(same footing), and with ``--own-threads`` once on torch's own setting too (what a user
gets by default; on a shared machine it can be many times slower).

    python benchmarks/bench_torch.py [--repeats 3] [--own-threads] [--src PATH]
"""

from __future__ import annotations

import sources  # noqa: F401  (first: which gradient_check is measured)

# isort: split
import argparse
import time
import warnings

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from gradient_check.torch import GradcheckError, check_module, gradcheck


class Counted:
    """A function that counts its calls (the evaluations torch's gradcheck makes)."""

    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args):
        self.calls += 1
        return self.fn(*args)


def torch_gradcheck(fn, inputs, threads=1):
    """torch.autograd.gradcheck's verdict (a raise is a failure), time and evaluations."""
    counted, before = Counted(fn), torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # float32 inputs, beta sparse support
            ok = bool(torch.autograd.gradcheck(counted, inputs, raise_exception=False))
    except Exception:
        ok = False
    finally:
        torch.set_num_threads(before)
    return ok, time.perf_counter() - start, counted.calls


def as_function(model, loss_fn):
    """The model's loss as a function of its parameters, as gradcheck takes it."""
    names = [name for name, _ in model.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_() for p in model.parameters())

    def loss(*values):
        return loss_fn(lambda x: functional_call(model, dict(zip(names, values)), (x,)))

    return loss, params


def fastest(run, repeats):
    """(last result, fastest time) of ``repeats`` runs of ``run()``."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return result, min(times)


def mlp(dtype=torch.float64, sizes=(64, 32, 10), seed=0, fault=None):
    torch.manual_seed(seed)
    model = nn.Sequential(
        FaultyLinear(sizes[0], sizes[1], fault == 0),
        nn.Tanh(),
        FaultyLinear(sizes[1], sizes[2], fault == 2),
    ).to(dtype)
    X = torch.randn(32, sizes[0], dtype=dtype)
    y = torch.randint(0, sizes[2], (32,))
    return model, X, y


class LinearFn(torch.autograd.Function):
    """F.linear with a handwritten backward; ``factor`` scales the weight's gradient."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x, w, b, factor):
        return F.linear(x, w, b)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, w, _, factor = inputs
        ctx.save_for_backward(x, w)
        ctx.factor = factor

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        return grad @ w, (grad.T @ x) * ctx.factor, grad.sum(0), None


class FaultyLinear(nn.Linear):
    """nn.Linear through LinearFn: exact, or its weight gradient 1 % off."""

    def __init__(self, inputs, outputs, faulty=False):
        super().__init__(inputs, outputs)
        self.factor = 1.01 if faulty else 1.0

    def forward(self, x):
        if self.factor == 1.0:
            return F.linear(x, self.weight, self.bias)
        return LinearFn.apply(x, self.weight, self.bias, self.factor)


def section_a(repeats, own_threads):
    print("\n(a) full check of a float64 MLP 64-32-10 (tanh, batch 32, cross-entropy)\n")
    model, X, y = mlp()
    n = sum(p.numel() for p in model.parameters())
    loss_fn = lambda m: F.cross_entropy(m(X), y)  # noqa: E731
    loss, params = as_function(model, lambda m: F.cross_entropy(m(X), y))
    check_module(model, loss_fn)  # warm-up: torch.func's first use loads its rules
    report, ours = fastest(lambda: check_module(model, loss_fn), repeats)
    _, loop = fastest(lambda: check_module(model, loss_fn, batched=False), 1)
    timed = [torch_gradcheck(loss, params) for _ in range(repeats)]
    ok, theirs, calls = min(timed, key=lambda t: t[1])
    default = torch.get_num_threads()
    if own_threads:  # on a shared machine this can take minutes
        ok_default, theirs_default, _ = torch_gradcheck(loss, params, threads=None)
    print(f"n = {n} parameters; 2n + 1 = {2 * n + 1}")
    print("| method | evaluations of the loss | time | gradcheck (1 thread) / this |")
    print("|---|---|---|---|")
    rows = [
        ("torch.autograd.gradcheck, default mode, 1 thread", calls, theirs, ok),
        ("check_module (vmap batches, 1 thread)", report.total_evaluations, ours, report.ok),
        ("check_module, batched=False (one point at a time)", report.total_evaluations, loop, None),
    ]
    if own_threads:
        name = f"torch.autograd.gradcheck, default mode, torch's {default} threads"
        rows.insert(1, (name, calls, theirs_default, ok_default))
    for name, count, seconds, verdict in rows:
        said = "" if verdict is None else (" (pass)" if verdict else " (FAIL)")
        print(f"| {name}{said} | {count:,} | {seconds:.3f} s | {theirs / seconds:.1f} |")
    print(f"\nevaluations of ours: {report.evaluations}")
    print(f"ratio gradcheck / check_module, same run, 1 thread each: {theirs / ours:.1f}")
    if own_threads:
        print(f"gradcheck on torch's {default} threads / check_module: {theirs_default / ours:.1f}")


class SquarePlus(torch.autograd.Function):
    """y = (x + sqrt(x^2 + 4)) / 2, a smooth ReLU, with a handwritten backward."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x, factor):
        return (x + torch.sqrt(x * x + 4)) / 2

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])
        ctx.factor = inputs[1]

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (1 + x / torch.sqrt(x * x + 4)) / 2 * ctx.factor, None


class ConvNet(nn.Module):
    def __init__(self, factor=1.0):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.head = nn.Linear(4 * 6 * 6, 10)
        self.factor = factor

    def forward(self, x):
        return self.head(SquarePlus.apply(self.conv(x), self.factor).flatten(1))


def section_b(repeats):
    print("\n(b) a small convolutional network with a custom autograd.Function (float64)\n")
    print(
        "| backward | parameters | ours | ours: named | ours: time | torch gradcheck | "
        "torch: time | evaluations (ours / torch) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for factor in (1.0, 1.01):
        torch.manual_seed(0)
        model = ConvNet(factor).double()
        X, y = torch.randn(8, 1, 8, 8, dtype=torch.float64), torch.randint(0, 10, (8,))

        def loss_fn(m, X=X, y=y):
            return F.cross_entropy(m(X), y)

        report, ours = fastest(lambda m=model, f=loss_fn: check_module(m, f), repeats)
        loss, params = as_function(model, loss_fn)
        ok, theirs, calls = torch_gradcheck(loss, params)
        n = sum(p.numel() for p in model.parameters())
        print(
            f"| {'correct' if factor == 1 else 'x1.01 in SquarePlus'} | {n} | "
            f"{report.outcome.value} | {', '.join(report.wrong) or '-'} | {ours:.3f} s | "
            f"{'pass' if ok else 'fail'} | {theirs:.3f} s | "
            f"{report.total_evaluations:,} / {calls:,} |"
        )
    print("\nhow ours evaluated:", [n for n in report.notes if "vmap" in n or "point" in n])


class Scaled(torch.autograd.Function):
    """sin(x), backward times ``factor`` (a factor fault)."""

    @staticmethod
    def forward(ctx, x, factor):
        ctx.save_for_backward(x)
        ctx.factor = factor
        return torch.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * torch.cos(x) * ctx.factor, None


class ProductSin(torch.autograd.Function):
    """a * b * sin(a); ``missing`` drops the product rule's cos term from a's gradient."""

    @staticmethod
    def forward(ctx, a, b, missing):
        ctx.save_for_backward(a, b)
        ctx.missing = missing
        return a * b * torch.sin(a)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        da = b * torch.sin(a) + (0 if ctx.missing else a * b * torch.cos(a))
        return grad * da, grad * a * torch.sin(a), None


class MatMul(torch.autograd.Function):
    """x @ w (w square); ``transposed`` forgets the transpose in x's gradient."""

    @staticmethod
    def forward(ctx, x, w, transposed):
        ctx.save_for_backward(x, w)
        ctx.transposed = transposed
        return x @ w

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        return grad @ (w if ctx.transposed else w.T), x.T @ grad, None


class Affine(torch.autograd.Function):
    """tanh(x @ w + b): three inputs; ``bad`` puts a 5 % error in w's gradient alone."""

    @staticmethod
    def forward(ctx, x, w, b, bad):
        y = torch.tanh(x @ w + b)
        ctx.save_for_backward(x, w, y)
        ctx.bad = bad
        return y

    @staticmethod
    def backward(ctx, grad):
        x, w, y = ctx.saved_tensors
        dz = grad * (1 - y * y)
        return dz @ w.T, x.T @ dz * (1.05 if ctx.bad else 1.0), dz.sum(0), None


def cases():
    """(name, fn, inputs, wrong input or None)."""
    generator = torch.Generator().manual_seed(0)

    def t(*shape, dtype=torch.float64):
        return torch.randn(shape, generator=generator, dtype=dtype).requires_grad_()

    x, w, a, b, sq = t(3, 4), t(4, 2), t(5), t(5), t(3, 3)
    A = (torch.eye(3, dtype=torch.float64) * 3 + 0.1 * t(3, 3)).detach().requires_grad_()
    return [
        ("torch.sin", torch.sin, (a,), None),
        ("tanh(x @ w)", lambda x, w: torch.tanh(x @ w), (x, w), None),
        ("softmax", lambda x: torch.softmax(x, -1), (x,), None),
        ("logsumexp", lambda x: torch.logsumexp(x, -1), (x,), None),
        ("atan2", torch.atan2, (a, b), None),
        ("cumprod", lambda a: torch.cumprod(a, 0), (a,), None),
        (
            "layer_norm (3 inputs)",
            lambda x, g, c: F.layer_norm(x, (4,), g, c),
            (x, t(4), t(4)),
            None,
        ),
        ("linalg.solve", torch.linalg.solve, (A, t(3, 2)), None),
        (
            "complex z * conj(z) + sin(z)",
            lambda z: z * z.conj() + torch.sin(z),
            (t(4, dtype=torch.complex128),),
            None,
        ),
        ("custom: factor x2", lambda a: Scaled.apply(a, 2.0), (a,), "input 0"),
        ("custom: factor x1.01", lambda a: Scaled.apply(a, 1.01), (a,), "input 0"),
        ("custom: factor, correct", lambda a: Scaled.apply(a, 1.0), (a,), None),
        ("custom: missing term", lambda a, b: ProductSin.apply(a, b, True), (a, b), "input 0"),
        ("custom: missing term, correct", lambda a, b: ProductSin.apply(a, b, False), (a, b), None),
        ("custom: transpose", lambda x, w: MatMul.apply(x, w, True), (sq, t(3, 3)), "input 0"),
        ("custom: transpose, correct", lambda x, w: MatMul.apply(x, w, False), (sq, t(3, 3)), None),
        (
            "custom: one wrong input of 3",
            lambda x, w, b: Affine.apply(x, w, b, True),
            (x, w, t(2)),
            "input 1",
        ),
        (
            "custom: 3 inputs, correct",
            lambda x, w, b: Affine.apply(x, w, b, False),
            (x, w, t(2)),
            None,
        ),
    ]


def section_c():
    print("\n(c) agreement: truth, ours, torch.autograd.gradcheck (default tolerances)\n")
    print("| case | truth | ours | ours names | torch gradcheck |")
    print("|---|---|---|---|---|")
    right = named = torch_right = faulty = 0
    for name, fn, inputs, wrong in cases():
        try:
            ours, said = gradcheck(fn, inputs), "pass"
            blocks = []
        except GradcheckError as error:
            ours, said = False, error.report.outcome.value
            blocks = error.report.wrong
        inputs_named = sorted({block.split(" / ")[-1] for block in blocks})
        theirs = torch_gradcheck(fn, inputs)[0]
        truth = wrong is None
        right += ours == truth
        torch_right += theirs == truth
        if wrong is not None:
            faulty += 1
            named += inputs_named == [wrong]
        print(
            f"| {name} | {'pass' if truth else 'fail (' + wrong + ')'} | {said} | "
            f"{', '.join(inputs_named) or '-'} | {'pass' if theirs else 'fail'} |"
        )
    total = len(cases())
    print(
        f"\nours matches the truth on {right} of {total}; torch's gradcheck on {torch_right} "
        f"of {total}; ours names the wrong input alone on {named} of {faulty} faulty cases"
    )


def section_d():
    print("\n(d) float32 models, correct and with one layer's weight gradient 1 % off\n")
    print("ours: check_module on its default float64 copy, and with dtype=None (the model's own")
    print("float32); torch.autograd.gradcheck on the float32 parameters themselves\n")
    print("| model | seed | backward | ours (float64 copy) | ours (float32) | ours names | torch |")
    print("|---|---|---|---|---|---|---|")
    tally = {}
    for sizes in ((16, 16, 4), (64, 32, 10)):
        for seed in range(3):
            for fault in (None, 2, 0):
                model, X, y = mlp(torch.float32, sizes, seed, fault)

                def loss_fn(m, X=X, y=y):
                    return F.cross_entropy(m(X), y)

                copy = check_module(model, loss_fn)
                own = check_module(model, loss_fn, dtype=None)
                loss, params = as_function(model, loss_fn)
                theirs = torch_gradcheck(loss, params)[0]
                what = "correct" if fault is None else f"layer {fault} weight x1.01"
                tally.setdefault(("-".join(map(str, sizes)), what), []).append(
                    (copy.outcome.value, own.outcome.value, theirs)
                )
                named = sorted(set(copy.wrong) | set(own.wrong))
                print(
                    f"| {'-'.join(map(str, sizes))} | {seed} | {what} | {copy.outcome.value} | "
                    f"{own.outcome.value} | {', '.join(named) or '-'} | "
                    f"{'pass' if theirs else 'fail'} |"
                )
    print("\npass / confirmed wrong / cannot tell, and torch's pass / fail:\n")
    print("| model | backward | ours (float64 copy) | ours (float32) | torch |")
    print("|---|---|---|---|---|")
    for (model, what), found in tally.items():
        counts = []
        for k in (0, 1):
            seen = [f[k] for f in found]
            counts.append(
                f"{seen.count('pass')} / {seen.count('fail: confirmed wrong')} / "
                f"{seen.count('cannot tell')}"
            )
        passed = sum(f[2] for f in found)
        print(
            f"| {model} | {what} | {counts[0]} | {counts[1]} | {passed} / {len(found) - passed} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--src", help="the gradient_check sources to measure")
    parser.add_argument(
        "--own-threads",
        action="store_true",
        help="also time gradcheck on torch's own thread setting (minutes on a busy machine)",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    section_a(args.repeats, args.own_threads)
    section_b(args.repeats)
    section_c()
    section_d()
    print(f"\n(whole benchmark: {time.perf_counter() - start:.0f} s; torch {torch.__version__})")


if __name__ == "__main__":
    main()
