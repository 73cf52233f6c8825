#!/usr/bin/env python3
"""Markdown tables of a bench/run result file, for docs/performance.md.
    bench/md-table.py [bench/results/latest.json]"""
import json, sys


def num(v):
    a = abs(v)
    if a >= 1000 or a == 0:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def fig(r):
    if r is None:
        return "–"
    s = sorted(float(x) for x in r.get("samples", []))
    to = r.get("timeouts", 0)
    if not s and not to:
        return "n/a"
    txt = ""
    if s:
        txt = num(r["median"]) + (f" [{num(s[0])}–{num(s[-1])}]" if len(s) > 1 else "")
    if to:
        txt += (" + " if txt else "") + f"{to}× >{r.get('bound', '?')} s"
    return txt


data = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "bench/results/latest.json"))
m = data["machine"]
print(f"Machine: {m['cpu']}, {m['cpus']} CPUs, {m.get('memory_mib', '?')} MiB, kernel {m['kernel']}; "
      f"load average {' '.join(m.get('load_before', []))} before and {' '.join(m.get('load_after', []))} after; "
      f"{m['date']}; {m.get('duration_s', '?')} s{' (--quick)' if m.get('quick') else ''}.")
print()
print("Side by side (median [min–max] over the runs; `N× >B s`: N runs not done within the bound):")
print()
print("| scenario | metric | unit | sipr | baresip | sipr/baresip | floor | goal | verdict |")
print("|---|---|---|---|---|---|---|---|---|")
groups = {}
for r in data["results"]:
    if r.get("client"):
        groups.setdefault((r.get("scenario", ""), r.get("metric", "")), {})[r["client"]] = r
for (sc, me), c in groups.items():
    s, b, f = c.get("sipr"), c.get("baresip"), c.get("floor")
    ratio = "–"
    if s and b and s.get("median") is not None:
        if b.get("median") is not None and not b.get("timeouts") and b["median"] > 0:
            ratio = num(s["median"] / b["median"])
        elif b.get("timeouts") and not b.get("samples") and s.get("unit") == "ms":
            ratio = "<" + num(s["median"] / (1000 * b.get("bound", 1)))
    unit = next(x.get("unit", "") for x in c.values())
    goal = next((x.get("goal") for x in c.values() if x.get("goal")), "")
    v = next((x.get("verdict", "") for x in c.values() if x.get("goal")), "")
    note = "; ".join(x["note"] for x in c.values() if x.get("note"))
    v = f"**{v}**" if v == "MISSED" else v
    print(f"| {sc} | {me} | {unit} | {fig(s)} | {fig(b)} | {ratio} | {fig(f)} | {goal} | {v}{' (' + note + ')' if note else ''} |")
print()
print("Per service (bench/config, healthd, regd, resolverd):")
print()
print("| area | scenario | metric | unit | median [min–max] | n | goal | verdict |")
print("|---|---|---|---|---|---|---|---|")
for r in data["results"]:
    if r.get("client"):
        continue
    print(f"| {r['area']} | {r.get('scenario', '')} | {r.get('metric', '')} | {r.get('unit', '')} | {fig(r)} | "
          f"{len(r.get('samples', []))} | {r.get('goal', '')} | {r.get('verdict', '')} |")
