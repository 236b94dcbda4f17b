"""Tables, goal checks and the lists to fix, for bench_foreign.py's records."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
from foreign_corpus import CATEGORIES, FAULTS, UNTRUSTED, build

FAULTY = FAULTS[1:]
PEERS = ("torch", "jax")
TRIAGE_LIMIT = 60


def passes(rec: dict, who: str) -> bool:
    r = rec[who]
    return bool(r.get("ok")) if who == "ours" else bool(r.get("passed"))


def flags(rec: dict) -> dict:
    """Per checker: fa (false alarm), miss, and ours' finer counts."""
    correct = rec["fault"] == "none"
    counted = not correct and rec["resolvable"]
    o = rec["ours"]
    f = {
        "correct": correct,
        "counted": counted,
        "ours_fa": correct and not passes(rec, "ours"),
        "ours_cw": correct and o.get("evidence") == "WRONG",
        "ours_ct": correct and o.get("evidence") == "CANNOT_TELL",
        "ours_err": correct and "error" in o,
        "ours_alarm": correct and o.get("verdict") in ("WRONG", "SUSPICIOUS"),
        "ours_ct_fault": counted and o.get("evidence") == "CANNOT_TELL",
        "ours_misnamed": counted and o.get("evidence") == "WRONG" and not o.get("named_right"),
        "ours_elem_caught": counted and rec["fault"] == "elem10" and o.get("evidence") == "WRONG",
    }
    f["ours_elem_named"] = f["ours_elem_caught"] and bool(o.get("named_element"))
    for who in ("ours", *PEERS):
        f[f"{who}_fa"] = correct and not passes(rec, who)
        for fault in FAULTY:
            f[f"{who}_miss_{fault}"] = counted and rec["fault"] == fault and passes(rec, who)
        f[f"{who}_miss"] = counted and passes(rec, who)
    return f


def _totals(recs: list[dict]) -> Counter:
    t = Counter()
    for r in recs:
        f = flags(r)
        t["checks"] += 1
        t["correct"] += f["correct"]
        t["faulty"] += not f["correct"]
        t["counted"] += f["counted"]
        t["correct64"] += f["correct"] and r["dtype"] == "float64"
        t["ct64"] += f["ours_ct"] and r["dtype"] == "float64"
        for k, v in f.items():
            if k not in ("correct", "counted"):
                t[k] += bool(v)
        t["evals"] += r["ours"].get("evaluations", 0) or 0
        for who in ("ours", *PEERS):
            t[f"time_{who}"] += r[who].get("time", 0.0) or 0.0
    return t


def _pct(a: int, b: int) -> str:
    return f"{a} ({100 * a / b:.1f} %)" if b else str(a)


def _miss3(t: Counter, who: str) -> str:
    return " / ".join(str(t[f"{who}_miss_{f}"]) for f in FAULTY)


def tables(groups: dict, order: list, lead: str) -> list[str]:
    totals = {key: _totals(groups[key]) for key in order if key in groups}
    lines = [
        f"| {lead} | correct | ours FA | ours confirmed wrong | ours cannot tell | ours error "
        "| ours alarming headline | torch FA | jax FA |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, t in totals.items():
        lines.append(
            f"| {key} | {t['correct']} | {_pct(t['ours_fa'], t['correct'])} | {t['ours_cw']} "
            f"| {t['ours_ct']} | {t['ours_err']} | {_pct(t['ours_alarm'], t['correct'])} "
            f"| {_pct(t['torch_fa'], t['correct'])} | {_pct(t['jax_fa'], t['correct'])} |"
        )
    lines += [
        "",
        f"| {lead} | faulty (resolvable) | ours misses x2 / x1.01 / elem10 | ours cannot tell "
        "| ours named a wrong block | ours elem10 caught: element named "
        "| torch misses x2 / x1.01 / elem10 | jax misses x2 / x1.01 / elem10 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, t in totals.items():
        lines.append(
            f"| {key} | {t['faulty']} ({t['counted']}) | {_miss3(t, 'ours')} "
            f"| {t['ours_ct_fault']} | {t['ours_misnamed']} "
            f"| {t['ours_elem_named']}/{t['ours_elem_caught']} | {_miss3(t, 'torch')} "
            f"| {_miss3(t, 'jax')} |"
        )
    return lines


def _one_line(r: dict) -> str:
    o = r["ours"]
    if "error" in o:
        head = f"error {o['error']}"
    else:
        head = (
            f"{o['evidence']}, band {o['verdict']}, diff {o['diff']:.2e}, "
            f"{o['evaluations']} evals, wrong={o['wrong']}"
        )
    return (
        f"`{r['name']}` [{r['category']}, {r['dtype']}, n={r['n']}, fault {r['fault']}]: "
        f"ours {head}; torch {'pass' if passes(r, 'torch') else 'FAIL'}, "
        f"jax {'pass' if passes(r, 'jax') else 'FAIL'}"
    )


def _details(r: dict, triage: dict) -> list[str]:
    lines = ["- " + _one_line(r)]
    o = r["ours"]
    for row in o.get("rows", []):
        w, k, nz = row["counts"]
        lines.append(
            f"  - {row['block']}: {row['evidence']}, diff {row['diff']:.3e}, error bound "
            f"{row['error_bound']:.2e}, worst {row['worst']} analytic {row['analytic']:.9e} "
            f"numeric {row['numeric']:.9e}, wrong/kink/noise {w}/{k}/{nz}"
            + (f"; advice: {row['advice']}" if row.get("advice") else "")
        )
    if o.get("wrong_elements"):
        lines.append(
            "  - wrong elements (analytic / numeric +- estimated error): "
            + ", ".join(
                f"{lab} {a:.10e} / {n:.10e} +- {e:.1e}" for lab, a, n, e in o["wrong_elements"][:4]
            )
        )
    if o.get("problems"):
        lines.append(f"  - problems: {o['problems']}")
    t = triage.get(r["name"])
    if t:
        lines.append(f"  - triage: **{t['verdict']}**: {t['text']}")
    return lines


CLOSED_FORM = ("piecewise", "stationary", "scales")


def _labels(case, out_shape) -> dict:
    """Our element labels -> (row, column) of the flat derivative matrix."""
    from foreign_corpus import element_label as _label

    cols, start = [], 0
    for name, x in zip(case.names, case.point):
        cols += [(_label(name, x.shape, j), start + j) for j in range(x.size)]
        start += x.size
    if case.kind == "grad":
        return {lab: (0, c) for lab, c in cols}
    rows = int(np.prod(out_shape))
    return {
        f"{_label('out', out_shape, i)} / {lab}": (i, c) for i in range(rows) for lab, c in cols
    }


def _reference(r: dict) -> dict:
    import foreign_special
    import numdifftools as nd
    from foreign_corpus import flat_derivative

    case = next(c for c in build(tuple(r["spec"])) if getattr(c, "name", "") == r["name"])
    x0 = np.concatenate([np.ravel(x).astype(np.float64) for x in case.point])

    def f(theta):
        parts, start = [], 0
        for x in case.point:
            parts.append(theta[start : start + x.size].reshape(x.shape).astype(x.dtype))
            start += x.size
        return case.fn(parts)

    given = flat_derivative(case, case.derivative)
    exact = foreign_special.reference(case) if case.category == "special" else None
    if exact is not None:
        source = "mpmath (40 digits)"
        ref, err = np.reshape(exact, given.shape), np.zeros(given.shape)
    else:
        source = "numdifftools (Richardson)"
        method = nd.Gradient if case.kind == "grad" else nd.Jacobian
        result = method(f, full_output=True)(x0)
        if hasattr(result, "estimate"):  # numdifftools >= 0.11: one EstimateResult
            ref, err = result.estimate, result.error_estimate
        else:
            ref, err = result[0], result[1].error_estimate
        ref, err = np.reshape(ref, given.shape), np.reshape(err, given.shape)
    where = _labels(case, np.shape(f(x0)))
    sides = []
    for label, a, n, _ in r["ours"]["wrong_elements"]:
        if label in where:
            i, j = where[label]
            sides.append((label, a, n, ref[i, j], err[i, j]))
    numeric_side = sum(abs(n - rf) < abs(a - rf) for _, a, n, rf, _ in sides)
    if not sides:
        verdict = "unknown"
    elif numeric_side == len(sides):
        verdict = "likely a true catch: the reference sides with our numeric"
    elif numeric_side == 0:
        verdict = "FALSE ALARM: the reference sides with the analytic"
    else:
        verdict = "mixed"
    text = (
        f"{source} at our wrong elements, reference sides with our numeric at "
        f"{numeric_side}/{len(sides)}: "
        + ", ".join(f"{lab} ref {rf:.10e} +- {e:.1e}" for lab, _, _, rf, e in sides[:4])
    )
    return dict(verdict=verdict, text=text)


def triage(records: list[dict]) -> dict:
    """Whom a high-accuracy reference sides with, where ours calls a correct derivative wrong."""
    out = {}
    wanted = [r for r in records if flags(r)["ours_cw"]][:TRIAGE_LIMIT]
    for r in wanted:
        if r["category"] in CLOSED_FORM:
            out[r["name"]] = dict(
                verdict="FALSE ALARM: closed-form derivative, exact by construction",
                text="no reference needed (numdifftools' own steps would cross the breakpoint)",
            )
            continue
        try:
            out[r["name"]] = _reference(r)
        except Exception as error:
            out[r["name"]] = dict(
                verdict="unknown", text=f"reference failed: {type(error).__name__}: {error}"
            )
    return out


def _goal(groups: dict, order: list) -> list[str]:
    lines = []
    for key in order:
        if key not in groups:
            continue
        t = _totals(groups[key])
        cells = []
        for what in ("fa", "miss"):
            for who in PEERS:
                a, b = t[f"ours_{what}"], t[f"{who}_{what}"]
                word = "fewer" if a < b else ("MORE" if a > b else "equal" if a else "both 0")
                cells.append(f"{what} vs {who}: {a} vs {b} {word}")
        lines.append(f"- {key}: " + "; ".join(cells))
    return lines


def report(meta: dict, records: list[dict], skips: list[dict], triage_: dict, out: str) -> None:
    by_cat = defaultdict(list)
    for r in records:
        by_cat[r["category"]].append(r)
        if r["category"] not in UNTRUSTED:
            by_cat["all"].append(r)
    order = [c for c in CATEGORIES if c in by_cat] + ["all"]
    trusted = by_cat["all"]
    t = _totals(trusted)
    untrusted = len(records) - len(trusted)
    print(
        f"# Foreign corpus: {t['checks']} checks ({t['correct']} correct, {t['faulty']} faulty of "
        f"which {t['counted']} resolvable) from {meta['specs']} specs, plus {untrusted} on "
        f"operators PyTorch expects to fail its own gradcheck; {len(skips)} skipped\n"
    )
    print(
        f"gradient_check from {meta['gradient_check']}; torch {meta['torch']}, jax "
        f"{meta['jax']}; {'quick' if meta['quick'] else 'full'} run"
        f"{f' (at most {m} OpInfo operators)' if (m := meta.get('max_ops')) else ''}, "
        f"{meta['jobs']} job(s), "
        f"{meta['elapsed']:.1f} s wall; checker time (summed over jobs): ours "
        f"{t['time_ours']:.1f} s, torch {t['time_torch']:.1f} s, jax {t['time_jax']:.1f} s; our "
        f"evaluations {t['evals']:,}. Per-case JSON: {out}\n"
    )
    print(
        "FA = false alarm (not passing a correct derivative); ours FA = confirmed wrong + "
        "cannot tell + error; alarming headline = band WRONG or SUSPICIOUS on a correct "
        "derivative (whatever the evidence); misses = passing a fault that a finite difference "
        "can resolve (foreign_corpus.py); 'named a wrong block' = confirmed wrong but naming a "
        "block without the fault. 'all' leaves out opinfo-xfail.\n"
    )
    print("## By category\n")
    print("\n".join(tables(by_cat, order, "category")))
    cw = [r for r in trusted if flags(r)["ours_cw"]]
    verdicts = Counter(triage_.get(r["name"], {}).get("verdict", "not triaged") for r in cw)
    print("\n## Goals (all categories but opinfo-xfail)\n")
    print(
        f"- confirmed wrong on a correct derivative: {t['ours_cw']} (goal 0); triage: "
        + ("; ".join(f"{v}: {n}" for v, n in verdicts.most_common()) or "-")
    )
    print(f"- x2 faults passed by ours: {t['ours_miss_x2']} (goal 0)")
    print(
        f"- cannot tell on a correct float64 derivative: {_pct(t['ct64'], t['correct64'])} "
        "(goal under 0.5 %)"
    )
    print("- fewer false alarms and fewer misses than both peers, per category:")
    print("\n".join("  " + line for line in _goal(by_cat, order)))

    by_group = defaultdict(list)
    for r in records:
        by_group[f"{r['category']}: {r['group']}"].append(r)
    interesting = []
    for key, recs in by_group.items():
        g = _totals(recs)
        if key.startswith("opinfo") and not any(
            g[k]
            for k in (
                "ours_fa",
                "ours_alarm",
                "ours_miss",
                "torch_fa",
                "torch_miss",
                "jax_fa",
                "jax_miss",
            )
        ):
            continue
        interesting.append(key)
    print("\n## By group (OpInfo operators only where some checker failed)\n")
    print("\n".join(tables(by_group, interesting, "group")))

    print("\n## Ours: confirmed wrong on a correct derivative (opinfo-xfail last)\n")
    listed = sorted(
        (r for r in records if flags(r)["ours_cw"]), key=lambda r: r["category"] in UNTRUSTED
    )
    print("\n".join(line for r in listed for line in _details(r, triage_)) or "none")
    print("\n## Ours: x2 faults passed\n")
    listed = [r for r in records if flags(r)["ours_miss_x2"]]
    print("\n".join(line for r in listed for line in _details(r, triage_)) or "none")
    print("\n## Ours: other misses (x1.01, elem10)\n")
    listed = [r for r in records if flags(r)["ours_miss"] and r["fault"] != "x2"]
    print("\n".join("- " + _one_line(r) for r in listed) or "none")
    print("\n## Ours: cannot tell or error on a correct derivative\n")
    listed = [r for r in records if flags(r)["ours_ct"] or flags(r)["ours_err"]]
    for r in listed:
        rows = [row for row in r["ours"].get("rows", []) if row["evidence"] == "CANNOT_TELL"]
        what = "; ".join(
            f"{row['block']} bound {row['error_bound']:.1e} ({row['advice']})" for row in rows[:2]
        )
        print("- " + _one_line(r) + (f"; {what}" if what else ""))
    if not listed:
        print("none")
    print("\n## Ours: named a block without the fault\n")
    listed = [r for r in records if flags(r)["ours_misnamed"]]
    print("\n".join("- " + _one_line(r) + f"; faulty {r['faulty']}" for r in listed) or "none")
    print("\n## Peer errors (exceptions other than their own failure)\n")
    errs = Counter()
    for r in records:
        for who in PEERS:
            if "error" in r[who]:
                errs[(who, r[who]["error"][:90])] += 1
    print("\n".join(f"- {who} x{n}: {e}" for (who, e), n in errs.most_common(20)) or "none")
    print("\n## Skipped cases, by reason\n")
    reasons = Counter((s["category"], s["reason"][:80]) for s in skips)
    print("\n".join(f"- {c}: {why} (x{n})" for (c, why), n in reasons.most_common()) or "none")
    unresolvable = [r for r in records if r["fault"] != "none" and not r["resolvable"]]
    print(
        f"\n{len(unresolvable)} faulty checks not counted (fault below the rounding floor): "
        + ", ".join(f"{k} {v}" for k, v in Counter(r["category"] for r in unresolvable).items())
    )
