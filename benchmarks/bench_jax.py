"""The JAX adapter beside jax.test_util.check_grads, measured in one run.

(a) the float64 MLP 64 -> 32 -> 10 (tanh, batch 32, cross-entropy; 2,410 parameters):
    ``gradient_check.jax.check`` (every element against its own error estimate) beside
    ``jax.test_util.check_grads(loss, (params,), order=1)`` (one random tangent for the JVP
    and one random cotangent for the VJP, compared within atol = rtol = 1e-5 at a step of
    1e-4): the fastest of ``--repeats`` timed runs of each, interleaved, after one untimed
    run of each (JAX compiles on first use), their ratio, and the evaluations each made
    (ours: the report's count; JAX's: calls of the loss, counted);
(b) agreement: custom_vjp and custom_jvp rules, correct and wrong (a factor, a missing
    term, a transpose, one wrong argument among several, a 1 % factor, one element of 64
    half off, 1 % off in one element of 1,000, a second-order sign), in float64 and
    float32: our outcome (check_function; the drop-in check_grads at order 2) against the
    truth and against JAX's check_grads (false alarms, misses, undecided), and whether ours
    names the wrong argument alone.

    python benchmarks/bench_jax.py [--repeats 3] [--src PATH]
"""

from __future__ import annotations

import sources  # noqa: F401  (first: which gradient_check is measured)

# isort: split
import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import jax.test_util
import numpy as np

from gradient_check import Outcome
from gradient_check.jax import check, check_function, check_grads


class Counted:
    """A function that counts its Python calls (each an evaluation, when called eagerly)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn, self.calls = fn, 0

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        return self.fn(*args)


def mlp(seed: int = 0):
    """The float64 MLP 64 -> 32 -> 10 (tanh, softmax cross-entropy, batch 32)."""
    rng = np.random.default_rng(seed)
    with jax.enable_x64(True):
        X = jnp.asarray(rng.standard_normal((32, 64)))
        labels = jnp.asarray(rng.integers(0, 10, 32))
        params = {
            "W1": jnp.asarray(rng.standard_normal((64, 32)) / 8.0),
            "b1": jnp.asarray(0.1 * rng.standard_normal(32)),
            "W2": jnp.asarray(rng.standard_normal((32, 10)) / np.sqrt(32)),
            "b2": jnp.asarray(0.1 * rng.standard_normal(10)),
        }

    def loss(p):
        z = jnp.tanh(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
        return -jnp.mean(jax.nn.log_softmax(z)[jnp.arange(32), labels])

    return loss, params


def timed(run: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = run()
    return result, time.perf_counter() - start


def measure_mlp(repeats: int) -> None:
    loss, params = mlp()
    n = sum(int(np.size(v)) for v in params.values())
    counted = Counted(loss)

    def theirs() -> int:
        counted.calls = 0
        with jax.enable_x64(True):
            jax.test_util.check_grads(counted, (params,), order=1)
        return counted.calls

    ours = lambda: check(loss, params)  # noqa: E731
    report, _ = timed(ours)  # untimed first runs: JAX compiles on first use
    calls, _ = timed(theirs)
    our_times, their_times = [], []
    for _ in range(repeats):
        report, seconds = timed(ours)
        our_times.append(seconds)
        calls, seconds = timed(theirs)
        their_times.append(seconds)
    looped, loop_seconds = timed(lambda: check(loss, params, batched=False))
    ours_best, theirs_best = min(our_times), min(their_times)
    print(f"(a) float64 MLP 64 -> 32 -> 10, tanh, batch 32, cross-entropy: {n:,} parameters")
    print(
        f"  gradient_check.jax.check: {report.outcome.value}; checks all {n:,} elements, each "
        "against its own estimated error"
    )
    print(
        f"    evaluations of the loss: {report.total_evaluations:,} = "
        + " + ".join(f"{v:,} {k}" for k, v in report.evaluations.items())
    )
    print(
        f"    jit(vmap) chunks of {report.extra['jax']['chunk']} points: "
        f"{report.extra['jax']['calls']} compiled calls; times "
        + ", ".join(f"{t:.2f} s" for t in our_times)
    )
    print(
        f"  jax.test_util.check_grads(order=1): passed; checks one random JVP tangent and one "
        f"VJP cotangent (2 projections), {calls} calls of the loss; times "
        + ", ".join(f"{t:.3f} s" for t in their_times)
    )
    print(
        f"  fastest of {repeats}, same run: ours {ours_best:.2f} s, check_grads "
        f"{theirs_best:.3f} s: ours takes {ours_best / theirs_best:.1f}x as long, "
        f"{ours_best / n * 1e6:.0f} us per element checked"
    )
    print(
        f"  ours point by point (batched=False, eager calls): {loop_seconds:.2f} s for "
        f"{looped.total_evaluations:,} evaluations ({looped.outcome.value}); the batched check "
        f"is {loop_seconds / ours_best:.1f}x faster"
    )


@dataclass(frozen=True)
class Case:
    """A function with custom rules, its arguments, the truth and the wrong argument."""

    name: str
    f: Callable[..., Any]
    args: tuple
    wrong: str | None  # the argument whose derivative is wrong; None when correct
    modes: tuple[str, ...] = ("fwd", "rev")  # custom_vjp has no forward mode
    order: int = 1


def mul_rule(factor: float):
    @jax.custom_vjp
    def mul(a, b):
        return a * b

    mul.defvjp(lambda a, b: (a * b, (a, b)), lambda s, g: (g * s[1], factor * g * s[0]))
    return lambda a, b: jnp.sin(mul(a, b))


def sin_times_rule(missing: bool):
    @jax.custom_jvp
    def f(x, y):
        return x * y + jnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        return f(x, y), (y if missing else y + jnp.cos(x)) * tx + x * ty

    return f


def matvec_rule(transposed: bool):
    @jax.custom_vjp
    def matvec(w, x):
        return w @ x

    def bwd(saved, g):
        w, x = saved
        dw = jnp.outer(x, g) if transposed else jnp.outer(g, x)
        return dw, w.T @ g

    matvec.defvjp(lambda w, x: (w @ x, (w, x)), bwd)
    return lambda w, x: jnp.tanh(matvec(w, x))


def triple_rule(wrong_c: bool):
    @jax.custom_vjp
    def triple(a, b, c):
        return a * b + jnp.sin(c)

    def bwd(saved, g):
        a, b, c = saved
        return g * b, g * a, (2.0 if wrong_c else 1.0) * g * jnp.cos(c)

    triple.defvjp(lambda a, b, c: (triple(a, b, c), (a, b, c)), bwd)
    return triple


def softplus_rule(factor: float):
    @jax.custom_jvp
    def softplus(x):
        return jnp.logaddexp(x, 0.0)

    @softplus.defjvp
    def softplus_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return softplus(x), factor * jax.nn.sigmoid(x) * t

    return softplus


def logsumexp_rule(factor: float):
    """logsumexp with a custom_vjp whose first element is off by ``factor`` (1: correct)."""

    @jax.custom_vjp
    def lse(x):
        return jax.nn.logsumexp(x)

    def bwd(x, g):
        return ((g * jax.nn.softmax(x)).at[0].multiply(factor),)

    lse.defvjp(lambda x: (lse(x), x), bwd)
    return lambda x: lse(x)[None]


def second_order_rule(sign_bug: bool):
    @jax.custom_jvp
    def cos(x):
        return jnp.cos(x)

    @cos.defjvp
    def cos_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return jnp.cos(x), (1.0 if sign_bug else -1.0) * jnp.sin(x) * t

    @jax.custom_jvp
    def sin(x):
        return jnp.sin(x)

    @sin.defjvp
    def sin_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return jnp.sin(x), cos(x) * t

    return sin


def cases(dtype) -> list[Case]:
    rng = np.random.default_rng(7)

    def arr(*shape):
        return np.asarray(rng.uniform(-1.5, 1.5, shape), dtype=dtype)

    a, b, c, w, big, huge = arr(4), arr(4), arr(4), arr(4, 4), arr(64), arr(1000)
    rev = ("rev",)
    out = []
    for wrong in (False, True):
        tag = "wrong" if wrong else "correct"
        out += [
            Case(
                f"a factor (custom_vjp mul) {tag}",
                mul_rule(2.0 if wrong else 1.0),
                (a, b),
                "b" if wrong else None,
                rev,
            ),
            Case(
                f"a missing term (custom_jvp) {tag}",
                sin_times_rule(wrong),
                (a, b),
                "x" if wrong else None,
            ),
            Case(
                f"a transpose (custom_vjp W @ x) {tag}",
                matvec_rule(wrong),
                (w, a),
                "w" if wrong else None,
                rev,
            ),
            Case(
                f"one argument of three (custom_vjp) {tag}",
                triple_rule(wrong),
                (a, b, c),
                "c" if wrong else None,
                rev,
            ),
            Case(
                f"a 1 % factor (custom_jvp softplus) {tag}",
                softplus_rule(1.01 if wrong else 1.0),
                (a,),
                "x" if wrong else None,
            ),
            Case(
                f"one element of 64 (custom_vjp logsumexp) {tag}",
                logsumexp_rule(1.5 if wrong else 1.0),
                (big,),
                "x" if wrong else None,
                rev,
            ),
            Case(
                f"1 % in one element of 1,000 (custom_vjp logsumexp) {tag}",
                logsumexp_rule(1.01 if wrong else 1.0),
                (huge,),
                "x" if wrong else None,
                rev,
            ),
            Case(
                f"second order, a sign (custom_jvp) {tag}",
                second_order_rule(wrong),
                (a,),
                "x" if wrong else None,
                ("fwd", "rev"),
                2,
            ),
        ]
    return out


def ours(case: Case, dtype_option: Any) -> tuple[str, bool]:
    """Our outcome, and whether the wrong argument (if any) is named alone."""
    if case.order > 1:
        try:
            reports = check_grads(case.f, case.args, case.order, case.modes, dtype=dtype_option)
            report = reports[-1]
        except AssertionError as error:
            report = error.report
    else:
        report = check_function(case.f, *case.args, modes=case.modes, dtype=dtype_option)
    named = {row.name for row in report.parameters if row.outcome is Outcome.WRONG}
    alone = named == ({case.wrong} if case.wrong else set())
    if case.order > 1 and case.wrong:  # the derived map's arguments: one of them, alone
        alone = len(named) == 1
    return _short(report.outcome), alone


def _short(outcome: Outcome) -> str:
    return {
        Outcome.PASS: "pass",
        Outcome.WRONG: "WRONG",
        Outcome.CANNOT_TELL: "cannot tell",
        Outcome.STRUCTURAL: "structural",
    }[outcome]


def theirs(case: Case) -> str:
    try:
        jax.test_util.check_grads(case.f, case.args, case.order, modes=case.modes)
        return "pass"
    except AssertionError:
        return "FAIL"
    except Exception as error:
        return f"error ({type(error).__name__})"


def verdicts(truth: str, ours64: str, ours32: str, jax64: str, jax32: str) -> dict[str, str]:
    """Each checker's reading of one case: "right", "false alarm", "miss" or "undecided"."""

    def reading(said: str, failed: bool) -> str:
        if said == "cannot tell" or said.startswith("error"):
            return "undecided"
        if failed == (truth == "WRONG"):
            return "right"
        return "false alarm" if truth == "pass" else "miss"

    return {
        "ours f64": reading(ours64, ours64 in ("WRONG", "structural")),
        "ours f32": reading(ours32, ours32 in ("WRONG", "structural")),
        "jax f64": reading(jax64, jax64 == "FAIL"),
        "jax f32": reading(jax32, jax32 == "FAIL"),
    }


def measure_agreement() -> None:
    print("\n(b) agreement on custom rules: outcome (ours: check_function / check_grads)")
    rows, readings, named = [], [], 0
    with jax.enable_x64(True):
        wide = cases(np.float64)
    with jax.enable_x64(False):
        narrow = cases(np.float32)
    for case64, case32 in zip(wide, narrow, strict=True):
        truth = "WRONG" if case64.wrong else "pass"
        with jax.enable_x64(True):
            o64, alone = ours(case64, np.float64)
            j64 = theirs(case64)
        with jax.enable_x64(False):
            o32, _ = ours(case32, None)
            j32 = theirs(case32)
        readings.append(verdicts(truth, o64, o32, j64, j32))
        named += alone
        rows.append((case64.name, truth, o64, "yes" if alone else "no", j64, o32, j32))
    head = ("case", "truth", "ours f64", "named alone", "jax f64", "ours f32", "jax f32")
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for row in [head, tuple("-" * w for w in widths), *rows]:
        print("  " + "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    total = len(rows)
    for checker in ("ours f64", "jax f64", "ours f32", "jax f32"):
        seen = [r[checker] for r in readings]
        print(
            f"  {checker}: matches the truth {seen.count('right')}/{total}; false alarms "
            f"{seen.count('false alarm')}, misses {seen.count('miss')}, undecided "
            f"{seen.count('undecided')}"
        )
    print(
        f"  ours names the wrong argument alone (and nothing when correct) in {named}/{total} "
        "(float64; at order 2, one argument of the derived map)"
    )
    print("  (ours f32: dtype=None, the arguments' float32; jax's: check_grads on float32)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--src", help="the gradient_check sources to measure")
    args = parser.parse_args()
    print(f"jax {jax.__version__}, {jax.devices()[0].platform}")
    measure_mlp(args.repeats)
    measure_agreement()


if __name__ == "__main__":
    main()
