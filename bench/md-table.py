#!/usr/bin/env python3
"""Markdown tables of a bench/run result file, for docs/performance.md.
    bench/md-table.py [--area AREA]… [bench/results/latest.json]
--area: only the rows of these areas (and their machine line). Clients other than sipr, baresip
and floor (e.g. "yealink (computed)") get a column each."""
import json, sys

args, areas = sys.argv[1:], []
while len(args) >= 2 and args[0] == "--area":
    areas.append(args[1])
    args = args[2:]


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


data = json.load(open(args[0] if args else "bench/results/latest.json"))
results = [r for r in data["results"] if not areas or r.get("area") in areas]


def machine_line(m, who=""):
    print(f"Machine{who}: {m['cpu']}, {m['cpus']} CPUs, {m.get('memory_mib', '?')} MiB, kernel {m['kernel']}; "
          f"load average {' '.join(m.get('load_before', []))} before and {' '.join(m.get('load_after', []))} after; "
          f"{m['date']}; {m.get('duration_s', '?')} s{' (--quick)' if m.get('quick') else ''}.")


alone = data.get("area_machines", {})
shown = sorted(set(r.get("area") for r in results))
if any(a not in alone for a in shown):
    machine_line(data["machine"], "" if not alone else " (full run)")
for a in shown:
    if a in alone:
        machine_line(alone[a], f" (bench/run {a}, run on its own)")
print()
print("Side by side (median [min–max] over the runs; `N× >B s`: N runs not done within the bound):")
print()
groups = {}
for r in results:
    if r.get("client"):
        groups.setdefault((r.get("scenario", ""), r.get("metric", "")), {})[r["client"]] = r
others = sorted(set(k for c in groups.values() for k in c) - {"sipr", "baresip", "floor"})
print("| scenario | metric | unit | sipr | baresip | sipr/baresip | floor | " + "".join(f"{o} | " for o in others)
      + "goal | verdict |")
print("|---|---|---|---|---|---|---|" + "---|" * len(others) + "---|---|")
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
    print(f"| {sc} | {me} | {unit} | {fig(s)} | {fig(b)} | {ratio} | {fig(f)} | " + "".join(f"{fig(c.get(o))} | " for o in others)
          + f"{goal} | {v}{' (' + note + ')' if note else ''} |")
plain = [r for r in results if not r.get("client")]
if not plain:
    sys.exit(0)
print()
print("Per service (bench/config, healthd, regd, resolverd):")
print()
print("| area | scenario | metric | unit | median [min–max] | n | goal | verdict |")
print("|---|---|---|---|---|---|---|---|")
for r in plain:
    if r.get("client"):
        continue
    print(f"| {r['area']} | {r.get('scenario', '')} | {r.get('metric', '')} | {r.get('unit', '')} | {fig(r)} | "
          f"{len(r.get('samples', []))} | {r.get('goal', '')} | {r.get('verdict', '')} |")
