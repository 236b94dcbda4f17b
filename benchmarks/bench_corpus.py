"""False alarms and misses on the project's own corpus, against fixed-tolerance baselines.

For every problem of ``corpus.corpus()`` (dtype x scale family x scale x kinks x fault),
in the same run:

* ours: ``check(loss, params, grads)`` with default settings. An alarm is a report with
  evidence "confirmed wrong"; it names ``report.wrong``. "Cannot tell" is neither an alarm
  nor a pass and has its own column.
* A, torch.autograd.gradcheck's defaults: central differences with the absolute step
  eps = 1e-6 taken in the parameter's own dtype (theta_i +/- 1e-6 rounded to float32 for
  float32 parameters, divided by the nominal 2 eps, as gradcheck does), and a pass iff
  ``np.allclose(analytic, numeric, rtol=1e-3, atol=1e-5)`` for every tensor; it "names"
  the tensors that fail.
* B, the texts' bands: central differences with h = 1e-7 (the course's epsilon, same
  convention), an alarm iff the global relative difference exceeds 1e-7 (the "correct"
  band's edge); B4 is the same differences judged against 1e-4 (the edge the texts allow
  for non-smooth functions). Global only: B names nothing.

Counting, per problem: a false alarm (FA) is an alarm on a problem without a fault, or an
alarm naming a tensor that is not faulty (B cannot name, so it has no FA on faulty
problems). A miss is a faulty problem whose faulty tensor is not named (for B: no alarm);
for ours, "cannot tell" (CT) is not counted as a miss but in its own column. miss* counts
a detection only if the same method raised no alarm on the clean twin (the same function
and parameters with the correct gradient): an alarm that fires anyway carries no
information. For ours, miss* includes CT.

    python benchmarks/bench_corpus.py [--per-category 4] [--seed 0] [--jobs 2] [--src PATH]

Benchmarks this repository's src/ (or ``--src``), whatever the environment has installed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import time
from collections import defaultdict

import numpy as np
import sources  # first: the sources named by --src win over an installed copy
from corpus import DTYPES, FAMILIES, FAULTS, KINKS, SCALES, Problem, corpus, fault_label

# isort: split

import gradient_check
from gradient_check import Evidence, check, relative_difference

REFINEMENT = "refinement"  # the report's evaluation-count identifier

A_EPS, A_ATOL, A_RTOL = 1e-6, 1e-5, 1e-3  # torch.autograd.gradcheck's defaults
B_H = 1e-7  # the texts' epsilon
B_EDGES = (1e-7, 1e-4)  # the "correct" band's edge; the non-smooth allowance

PROBLEMS: list[Problem] = []  # set before the worker pool forks


def central(loss, params: dict, h: float) -> dict[str, np.ndarray]:
    """(J(theta + h e_i) - J(theta - h e_i)) / 2h, stepping in each parameter's own dtype."""
    work = {k: np.array(v, copy=True) for k, v in params.items()}
    out = {}
    for name, arr in work.items():
        flat = arr.reshape(-1)
        numeric = np.empty(arr.size)
        for i in range(arr.size):
            saved = flat[i]
            flat[i] = saved + h  # rounded to the array's dtype, as gradcheck's copy_ does
            plus = float(loss(work))
            flat[i] = saved - h
            minus = float(loss(work))
            flat[i] = saved
            numeric[i] = (plus - minus) / (2 * h)
        out[name] = numeric.reshape(arr.shape)
    return out


def _label(name: str, shape: tuple, index: int) -> str:
    if len(shape) == 0:
        return name
    where = ", ".join(str(int(i)) for i in np.unravel_index(index, shape))
    return f"{name}[{where}]"


def _elements(row) -> list[dict]:
    return [
        dict(
            label=e.label,
            kind=e.kind,
            analytic=e.analytic,
            numeric=e.numeric,
            error=e.error_estimate,
            low=e.low,
            high=e.high,
        )
        for e in (*row.wrong, *row.noise, *row.kinks)
    ]


def run_one(index: int) -> dict:
    """Everything measured for one problem, as plain data (picklable)."""
    p = PROBLEMS[index]
    rec: dict = dict(index=index, n=p.size)
    start = time.perf_counter()
    try:
        report = check(p.loss, p.params, p.grads)
    except Exception as error:  # a refusal is recorded, not fatal
        rec["ours"] = dict(error=f"{type(error).__name__}: {error}")
    else:
        rows = []
        for row in report.parameters:
            rows.append(
                dict(
                    name=row.name,
                    evidence=row.evidence.name,
                    diff=row.diff,
                    error_bound=row.error_bound,
                    worst=(row.worst_index, row.worst_analytic, row.worst_numeric),
                    max_rel_error=row.max_rel_error,
                    counts=(row.wrong_count, row.kink_count, row.noise_count),
                    elements=_elements(row),
                    advice=row.advice,
                    steps=(row.step_min, row.step_max),
                )
            )
        rec["ours"] = dict(
            evidence=report.evidence.name,
            wrong=list(report.wrong),
            diff=report.diff,
            verdict=report.verdict.value,
            evaluations=dict(report.evaluations),
            total=report.total_evaluations,
            rows=rows,
            notes=list(report.notes),
        )
    rec["time_ours"] = time.perf_counter() - start
    start = time.perf_counter()
    numeric_a = central(p.loss, p.params, A_EPS)
    failing = [
        k
        for k in p.params
        if not np.allclose(
            np.asarray(p.grads[k], dtype=np.float64), numeric_a[k], rtol=A_RTOL, atol=A_ATOL
        )
    ]
    numeric_b = central(p.loss, p.params, B_H)
    flat_g = np.concatenate([np.ravel(np.asarray(p.grads[k], dtype=np.float64)) for k in p.params])
    flat_b = np.concatenate([np.ravel(numeric_b[k]) for k in p.params])
    rec["A"] = dict(named=failing)
    rec["B"] = dict(diff=relative_difference(flat_g, flat_b))
    rec["time_baselines"] = time.perf_counter() - start
    return rec


def classify(p: Problem, rec: dict) -> dict:
    """Per method: alarm / detect / FA / miss / CT / error flags for this problem."""
    faulty = bool(p.faulty_names)
    out = {}
    ours = rec["ours"]
    if "error" in ours:
        out["ours"] = dict(alarm=False, detect=False, fa=False, miss=False, ct=False, error=True)
    else:
        named = set(ours["wrong"])
        alarm = ours["evidence"] == Evidence.WRONG.name
        ct = ours["evidence"] == Evidence.CANNOT_TELL.name
        detect = faulty and bool(named & p.faulty_names)
        fa = (not faulty and alarm) or (faulty and bool(named - p.faulty_names))
        out["ours"] = dict(
            alarm=alarm, detect=detect, fa=fa, miss=faulty and not detect and not ct, ct=ct
        )
    named = set(rec["A"]["named"])
    detect = faulty and bool(named & p.faulty_names)
    fa = (not faulty and bool(named)) or (faulty and bool(named - p.faulty_names))
    out["A"] = dict(alarm=bool(named), detect=detect, fa=fa, miss=faulty and not detect)
    for edge in B_EDGES:
        alarm = not rec["B"]["diff"] <= edge
        out[f"B{edge:g}"] = dict(
            alarm=alarm, detect=faulty and alarm, fa=not faulty and alarm, miss=faulty and not alarm
        )
    return out


def informative(problems: list[Problem], flags: list[dict]) -> None:
    """miss*: no detection, or a detection by a method that also alarms on the clean twin.

    The seven fault variants of a base problem share its function and parameters, so an
    alarm that also fires on the correct gradient tells the user nothing about the fault.
    """
    clean = {}
    for p, f in zip(problems, flags):
        if p.fault is None:
            clean[(*p.category[:4], p.seed)] = f
    for p, f in zip(problems, flags):
        twin = clean.get((*p.category[:4], p.seed))
        for m in METHODS:
            useful = f[m].get("detect", False) and twin is not None and not twin[m]["alarm"]
            f[m]["miss*"] = bool(p.faulty_names) and not useful


METHODS = ("ours", "A", *(f"B{e:g}" for e in B_EDGES))
HEADER = (
    "| dtype | family | scale | kinks | fault | n | ours FA | ours miss | ours CT | ours miss* "
    "| A FA | A miss | A miss* | B1e-7 FA | B1e-7 miss | B1e-7 miss* | B1e-4 FA | B1e-4 miss "
    "| B1e-4 miss* |"
)


def _count(flags: list[dict]) -> dict:
    total = defaultdict(int)
    for f in flags:
        total["n"] += 1
        for m in METHODS:
            for key in ("fa", "miss", "ct", "error", "miss*"):
                total[(m, key)] += bool(f[m].get(key, False))
    return total


def _cells(t: dict) -> str:
    cells = [t[("ours", "fa")], t[("ours", "miss")], t[("ours", "ct")], t[("ours", "miss*")]]
    for m in METHODS[1:]:
        cells += [t[(m, "fa")], t[(m, "miss")], t[(m, "miss*")]]
    return " | ".join(str(c) for c in cells)


def _table(groups: dict, keys: list, header: str) -> list[str]:
    sep = "|" + "---|" * (header.count("|") - 1)
    lines = [header, sep]
    for key in keys:
        if key not in groups:
            continue
        t = _count(groups[key])
        lead = " | ".join(_fmt(k) for k in key)
        lines.append(f"| {lead} | {t['n']} | {_cells(t)} |")
    return lines


def _fmt(v) -> str:
    if isinstance(v, bool):
        return "with" if v else "without"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _describe_failure(p: Problem, rec: dict, what: str) -> list[str]:
    ours = rec["ours"]
    lines = [
        f"- **{what}** `{p.name}` (n={p.size}, returns {p.returns}): evidence "
        f"{ours['evidence']}, wrong={ours['wrong']}, diff={ours['diff']:.3e} "
        f"({ours['verdict']}), faulty={sorted(p.faulty_names) or '-'}"
    ]
    if p.fault_element is not None:
        name, i = p.fault_element
        shape = p.params[name].shape
        clean = float(np.ravel(p.clean_grads[name])[i])
        lines.append(
            f"  - planted: {_label(name, shape, i)} x (1 + {p.fault[1]:g}): "
            f"{clean:.6e} -> {float(np.ravel(p.grads[name])[i]):.6e}"
        )
    elif p.fault is not None:
        lines.append(f"  - planted: all of {sorted(p.faulty_names)} x (1 + {p.fault[1]:g})")
    for row in ours["rows"]:
        interesting = row["name"] in p.faulty_names or row["evidence"] != "CONSISTENT"
        if not interesting:
            continue
        w, k, nz = row["counts"]
        lines.append(
            f"  - row {row['name']}: {row['evidence']}, diff {row['diff']:.3e}, error_bound "
            f"{row['error_bound']:.3e}, worst {row['worst'][0]} a={row['worst'][1]:.6e} "
            f"n={row['worst'][2]:.6e}, max_rel {row['max_rel_error']:.2e}, wrong/kink/noise "
            f"{w}/{k}/{nz}, steps {row['steps'][0]:.2e}..{row['steps'][1]:.2e}"
            + (f", advice: {row['advice']}" if row["advice"] else "")
        )
        for e in row["elements"][:6]:
            bracket = "" if e["low"] is None else f" bracket [{e['low']:.6e}, {e['high']:.6e}]"
            lines.append(
                f"    - {e['kind']} {e['label']}: analytic {e['analytic']:.6e}, numeric "
                f"{e['numeric']:.6e}, |a-n| {abs(e['analytic'] - e['numeric']):.3e}, error "
                f"estimate {e['error']:.3e}{bracket}"
            )
    noise_notes = [n for n in ours["notes"] if "noise" in n or "evaluated in" in n]
    if noise_notes:
        lines.append("  - notes: " + "; ".join(noise_notes))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-category", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--no-category-table", action="store_true")
    parser.add_argument(
        "--src", default=sources.source(), help="gradient_check sources (default: this repo's src/)"
    )
    args = parser.parse_args()

    global PROBLEMS
    start = time.perf_counter()
    PROBLEMS = corpus(seed=args.seed, per_category=args.per_category)
    built = time.perf_counter() - start
    indices = list(range(len(PROBLEMS)))
    if args.jobs > 1:
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            records = pool.map(run_one, indices, chunksize=8)
    else:
        records = [run_one(i) for i in indices]
    elapsed = time.perf_counter() - start

    package = os.path.dirname(os.path.abspath(gradient_check.__file__))
    head = subprocess.run(
        ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=package
    ).stdout.strip()
    head = f"{package} (git {head or 'none'})"
    flags = [classify(PROBLEMS[r["index"]], r) for r in records]
    informative(PROBLEMS, flags)
    kinks_exact = sum(p.exact_kinks for p in PROBLEMS if p.fault is None)
    kinks_wanted = sum(p.wanted_kinks for p in PROBLEMS if p.fault is None)
    print(
        f"# Corpus benchmark: {len(PROBLEMS)} checks (seed {args.seed}, {args.per_category} per "
        f"category), gradient_check from {head}; built in {built:.1f} s, total "
        f"{elapsed:.1f} s with {args.jobs} job(s); exact kinks placed "
        f"{kinks_exact}/{kinks_wanted} (plus zeros under |.| and ties under max(), exact by "
        "construction)\n"
    )
    print(
        "FA = false alarms; miss = faulty tensor not named (B: no alarm); CT = ours says "
        "'cannot tell' (neither alarm nor pass); miss* = no detection, or a detection by a "
        "method that also alarms on the clean twin (ours: CT included).\n"
        "A = gradcheck defaults (eps 1e-6, atol 1e-5, rtol 1e-3); B1e-7 / B1e-4 = texts' "
        "h = 1e-7, global diff > 1e-7 / > 1e-4.\n"
    )

    by_cat = defaultdict(list)
    for p, f in zip(PROBLEMS, flags):
        by_cat[p.category].append(f)
    cat_keys = [
        (d, fam, s, k, fault_label(fl))
        for d in DTYPES
        for fam in FAMILIES
        for s in SCALES
        for k in KINKS
        for fl in FAULTS
    ]
    if not args.no_category_table:
        print("## Per category\n")
        print("\n".join(_table(by_cat, cat_keys, HEADER)))
        print()

    def grouped(key_fn, keys, title, lead):
        groups = defaultdict(list)
        for p, f in zip(PROBLEMS, flags):
            groups[key_fn(p)].append(f)
        header = f"| {lead} | n | " + HEADER.split("| n | ")[1]
        print(f"## {title}\n")
        print("\n".join(_table(groups, keys, header)))
        print()

    grouped(
        lambda p: (p.dtype, p.family, p.scale, p.kinks),
        [(d, fam, s, k) for d in DTYPES for fam in FAMILIES for s in SCALES for k in KINKS],
        "By dtype x family x scale x kinks (all faults)",
        "dtype | family | scale | kinks",
    )
    grouped(
        lambda p: (p.dtype, p.kinks, fault_label(p.fault)),
        [(d, k, fault_label(fl)) for d in DTYPES for k in KINKS for fl in FAULTS],
        "By dtype x kinks x fault (all scales)",
        "dtype | kinks | fault",
    )
    grouped(
        lambda p: (p.model, p.dtype),
        sorted({(p.model, p.dtype) for p in PROBLEMS}),
        "By model x dtype",
        "model | dtype",
    )
    grouped(
        lambda p: (p.dtype, p.returns, p.kinks, p.fault is not None),
        [
            (d, ret, k, f)
            for d in DTYPES
            for ret in ("float", "float32")
            for k in KINKS
            for f in (False, True)
        ],
        "By dtype x what the loss returns x kinks x faulty",
        "dtype | returns | kinks | faulty",
    )
    grouped(lambda p: ("all",), [("all",)], "Totals", "all")

    # The goal, per category
    false_alarms, compare = [], defaultdict(lambda: defaultdict(list))
    n_cats = 0
    for key in cat_keys:
        if key not in by_cat:
            continue
        n_cats += 1
        t = _count(by_cat[key])
        if t[("ours", "fa")]:
            false_alarms.append(key)
        if key[4] == "none":
            continue
        for m in METHODS[1:]:
            for ours, theirs, what in (
                (t[("ours", "miss")] + t[("ours", "ct")], t[(m, "miss")], "miss+CT vs miss"),
                (t[("ours", "miss*")], t[(m, "miss*")], "miss* vs miss*"),
            ):
                if ours < theirs:
                    verdict = "fewer"
                elif ours > theirs:
                    verdict = "MORE"
                else:
                    verdict = "equal, both 0" if ours == 0 else "equal, > 0"
                compare[(m, what)][verdict].append(key)

    def shown(keys: list) -> str:
        text = "; ".join(" ".join(_fmt(x) for x in k) for k in keys[:10])
        return text + (f" (+{len(keys) - 10} more)" if len(keys) > 10 else "")

    print(f"## Goal check over {n_cats} categories\n")
    print(
        f"- categories where ours has a false alarm: {len(false_alarms)}"
        + (f": {shown(false_alarms)}" if false_alarms else "")
    )
    faulty_cats = sum(1 for k in cat_keys if k in by_cat and k[4] != "none")
    print(f"- faulty categories: {faulty_cats}; ours against each baseline:")
    for (m, what), verdicts in compare.items():
        counts = ", ".join(
            f"{v}: {len(verdicts[v])}"
            for v in ("fewer", "equal, both 0", "equal, > 0", "MORE")
            if verdicts[v]
        )
        print(f"  - ours {what} of {m}: {counts}")
        for v in ("MORE", "equal, > 0"):
            if verdicts[v]:
                print(f"    - {v}: {shown(verdicts[v])}")
    print()

    # Evaluations
    ours_recs = [r for r in records if "error" not in r["ours"]]
    total = sum(r["ours"]["total"] for r in ours_recs)
    bare = max(sum(2 * r["n"] + 1 for r in ours_recs), 1)
    parts = defaultdict(int)
    for r in ours_recs:
        for k, v in r["ours"]["evaluations"].items():
            parts[k] += v
    refined = sum(1 for r in ours_recs if REFINEMENT in r["ours"]["evaluations"])
    print("## Evaluations (ours)\n")
    print(
        f"- total {total:,} vs 2n+1 = {bare:,} (ratio {total / bare:.3f}); "
        + ", ".join(f"{k}: {v:,}" for k, v in parts.items())
    )
    print(
        f"- checks with a refinement (2h or h/2): {refined}/{len(ours_recs)}; refinement "
        f"evaluations {parts.get(REFINEMENT, 0):,} = "
        f"{parts.get(REFINEMENT, 0) / bare:.2%} of 2n+1"
    )
    print("\n| dtype | kinks | fault | checks | refined | evaluations | 2n+1 | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for dtype in DTYPES:
        for kinks in KINKS:
            for faulty in (False, True):
                sel = [
                    r
                    for r in ours_recs
                    if PROBLEMS[r["index"]].dtype == dtype
                    and PROBLEMS[r["index"]].kinks == kinks
                    and (PROBLEMS[r["index"]].fault is not None) == faulty
                ]
                if not sel:
                    continue
                used = sum(r["ours"]["total"] for r in sel)
                base = sum(2 * r["n"] + 1 for r in sel)
                n_ref = sum(1 for r in sel if REFINEMENT in r["ours"]["evaluations"])
                print(
                    f"| {dtype} | {_fmt(kinks)} | {'faulty' if faulty else 'none'} | {len(sel)} "
                    f"| {n_ref} | {used:,} | {base:,} | {used / base:.3f} |"
                )
    print()
    t_ours = sum(r["time_ours"] for r in records)
    t_base = sum(r["time_baselines"] for r in records)
    print(f"- time in check(): {t_ours:.1f} s; in the baselines' differences: {t_base:.1f} s\n")

    # Our failures
    print("## Our false alarms\n")
    found = False
    for p, r, f in zip(PROBLEMS, records, flags):
        if f["ours"]["fa"]:
            found = True
            print("\n".join(_describe_failure(p, r, "FA")))
    if not found:
        print("none")
    print("\n## Our misses\n")
    found = False
    for p, r, f in zip(PROBLEMS, records, flags):
        if f["ours"]["miss"]:
            found = True
            print("\n".join(_describe_failure(p, r, "miss")))
    if not found:
        print("none")
    print("\n## Our 'cannot tell' (one line each: the undecided rows' error bound and advice)\n")
    found = False
    for p, r, f in zip(PROBLEMS, records, flags):
        if f["ours"]["ct"]:
            found = True
            rows = [row for row in r["ours"]["rows"] if row["evidence"] == "CANNOT_TELL"]
            what = "; ".join(
                f"{row['name']} bound {row['error_bound']:.1e} ({row['advice']})" for row in rows
            )
            print(f"- `{p.name}`: diff {r['ours']['diff']:.2e}; {what}")
    if not found:
        print("none")
    errors = [(p, r) for p, r in zip(PROBLEMS, records) if "error" in r["ours"]]
    if errors:
        print("\n## Our refusals (exceptions)\n")
        for p, r in errors:
            print(f"- `{p.name}`: {r['ours']['error']}")


if __name__ == "__main__":
    main()
