"""Verdicts on derivatives of code nobody here wrote, beside torch gradcheck and jax check_grads.

The cases (foreign_corpus.py and the modules it names): PyTorch OpInfo operators,
scipy.special functions, scikit-learn's LinearModelLoss, piecewise functions at and near
breakpoints, stationary points, float32 models, Jacobians of torch vector functions and
models scaled by 1e-8 ... 1e8. Each is checked with its correct derivative and with the
whole derivative x2, x1.01 and one element x1.1, by three checkers judging the same
numbers (foreign_peers.py):

* ours: ``check`` / ``check_jacobian`` with defaults; it passes when ``report.ok``;
* torch: ``torch.autograd.gradcheck`` with defaults, ``raise_exception=False``;
* jax: ``jax.test_util.check_grads(order=1, modes=("rev",))``, x64 enabled.

A false alarm is not passing a correct derivative (for ours split into "confirmed wrong",
"cannot tell" and errors; "alarming headline" = band WRONG or SUSPICIOUS, whatever the
evidence); a miss is passing a faulty one (faults that no finite difference could resolve
are counted apart, see foreign_corpus.py). Operators whose gradcheck test PyTorch itself
skips or expects to fail are reported apart (opinfo-xfail) and left out of "all".

Printed: a table per category and overall, the goals, a table per group, then every case
where ours says "confirmed wrong" on a correct derivative (each triaged: a numdifftools
Richardson reference at the elements ours named, or "exact by construction" for closed
forms) or passes a x2 fault, and one line for every other miss, "cannot tell", error and
skip. Progress goes to stderr.

    python benchmarks/bench_foreign.py [--quick] [--max-ops N] [--jobs 2] [--out /tmp/foreign.json]
        [--categories opinfo,special,...] [--src PATH] [--timeout 120] [--no-triage]
    python benchmarks/bench_foreign.py --from-json /tmp/foreign.json   # the report again

Deterministic: seeds everywhere; per-case results go to ``--out`` as JSON for diffing runs.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import sources  # noqa: E402  (first: the sources named by --src win over an installed copy)

# isort: split
import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
import zlib  # noqa: E402

import numpy as np  # noqa: E402
from foreign_corpus import CATEGORIES, Skip, build, specs, variants  # noqa: E402

TIMEOUT = 120  # seconds per checker call


class CheckTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise CheckTimeout(f"over {TIMEOUT} s")


def _init(timeout: int) -> None:
    global TIMEOUT
    TIMEOUT = timeout
    warnings.simplefilter("ignore")
    import torch

    torch.set_num_threads(1)
    signal.signal(signal.SIGALRM, _alarm)
    import foreign_peers  # noqa: F401  (jax and torch set up once per worker)


def _timed(call, *args):
    signal.alarm(TIMEOUT)
    try:
        return call(*args)
    except CheckTimeout as error:
        return dict(passed=False, ok=False, error=f"timeout: {error}")
    finally:
        signal.alarm(0)


def _fingerprint(point: list, derivative) -> str:
    """A checksum of the inputs and the derivative judged: the same case in two runs."""
    parts = [*point, *(derivative if isinstance(derivative, list) else [derivative])]
    crc = 0
    for a in parts:
        crc = zlib.crc32(np.ascontiguousarray(a).tobytes(), crc)
    return f"{crc:08x}"


def run_spec(spec: tuple) -> list[dict]:
    """Every case of one spec, with each fault, through the three checkers."""
    import foreign_peers as peers

    out = []
    for case in build(spec):
        if isinstance(case, Skip):
            out.append(
                dict(
                    skip=True,
                    name=case.name,
                    category=case.category,
                    reason=case.reason,
                    spec=list(spec),
                )
            )
            continue
        try:
            f0 = case.fn([np.array(x, copy=True) for x in case.point])
            made = list(variants(case, f0))
        except Exception as error:
            out.append(
                dict(
                    skip=True,
                    name=case.name,
                    category=case.category,
                    reason=f"variants: {type(error).__name__}: {error}",
                    spec=list(spec),
                )
            )
            continue
        out_shape = () if case.kind == "grad" else tuple(np.shape(f0))
        for fault, derivative, labels, resolvable in made:
            rec = dict(
                name=case.name,
                category=case.category,
                group=case.group,
                dtype=case.dtype,
                kind=case.kind,
                n=case.size,
                fault=fault,
                resolvable=resolvable,
                faulty=sorted(labels[1]),
                fingerprint=_fingerprint(case.point, derivative),
                element=labels[2],
                spec=list(spec),
            )
            rec["ours"] = _timed(peers.run_ours, case, derivative, labels)
            rec["torch"] = _timed(peers.run_torch, case, derivative)
            rec["jax"] = _timed(peers.run_jax, case, derivative, out_shape)
            out.append(rec)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few hundred checks (~3 min)")
    parser.add_argument("--max-ops", type=int, default=None, help="OpInfo operators (default all)")
    parser.add_argument("--categories", default=",".join(CATEGORIES))
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--out", default="/tmp/foreign.json")
    parser.add_argument("--timeout", type=int, default=TIMEOUT)
    parser.add_argument(
        "--no-triage",
        action="store_true",
        help="skip the numdifftools reference for the listed cases",
    )
    parser.add_argument(
        "--src", default=sources.source(), help="gradient_check sources (default: src/)"
    )
    parser.add_argument(
        "--from-json",
        metavar="PATH",
        help="print the report of a saved run (triaged again unless --no-triage); run nothing",
    )
    args = parser.parse_args()
    if args.from_json:
        import foreign_report

        with open(args.from_json) as fh:
            saved = json.load(fh)
        triage = saved.get("triage", {}) if args.no_triage else None
        if triage is None:
            triage = foreign_report.triage(saved["records"])
        foreign_report.report(
            saved["meta"], saved["records"], saved["skips"], triage, args.from_json
        )
        return
    categories = [c for c in args.categories.split(",") if c]
    start = time.perf_counter()
    warnings.simplefilter("ignore")
    all_specs = specs(quick=args.quick, max_ops=args.max_ops, categories=categories)
    print(f"{len(all_specs)} specs", file=sys.stderr, flush=True)
    chunks = []

    def progress(chunk: list) -> None:
        chunks.append(chunk)
        if len(chunks) % 50 == 0 or len(chunks) == len(all_specs):
            done = sum(1 for c in chunks for r in c if not r.get("skip"))
            print(
                f"  {len(chunks)}/{len(all_specs)} specs, {done} checks, "
                f"{time.perf_counter() - start:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    if args.jobs > 1:  # spawn: jax and torch are not fork-safe once started
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(args.jobs, initializer=_init, initargs=(args.timeout,)) as pool:
            for chunk in pool.imap(run_spec, all_specs, chunksize=1):  # in order: deterministic
                progress(chunk)
    else:
        _init(args.timeout)
        for spec in all_specs:
            progress(run_spec(spec))
    elapsed = time.perf_counter() - start
    records = [r for chunk in chunks for r in chunk if not r.get("skip")]
    skips = [r for chunk in chunks for r in chunk if r.get("skip")]

    import jax
    import torch

    import gradient_check

    package = os.path.dirname(os.path.abspath(gradient_check.__file__))
    head = subprocess.run(
        ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=package
    ).stdout.strip()
    meta = dict(
        argv=sys.argv[1:],
        quick=args.quick,
        max_ops=args.max_ops,
        categories=categories,
        jobs=args.jobs,
        elapsed=elapsed,
        gradient_check=f"{package} (git {head or 'none'})",
        torch=torch.__version__,
        jax=jax.__version__,
        specs=len(all_specs),
    )
    import foreign_report

    triage = {} if args.no_triage else foreign_report.triage(records)
    with open(args.out, "w") as fh:
        json.dump(
            dict(meta=meta, records=records, skips=skips, triage=triage), fh, indent=1, default=str
        )
    foreign_report.report(meta, records, skips, triage, args.out)


if __name__ == "__main__":
    main()
