#!/usr/bin/env python3
"""Looks for secrets in everything a full sipr run produced.

  secrets-scan.py --secret S [--secret S…] --monitor MON.json [FILE…]

FILEs (logs, siprctl output) must not contain any secret, as text or in any byte form checked
below. MON.json is `busctl monitor --json=short` output of the whole run; every message must be
clean except the two that carry a password by design (docs/security.md):
  * the reply to org.sipr.Config1.GetSecret, delivered to a sipr daemon's unique name;
  * an administrator's org.sipr.Config1.Set call (the only way a new password gets in).
Prints what it looked at, and every leak with its place; exit 1 on any leak or when the monitor
saw too little (no GetSecret at all means the run did not exercise the secret path)."""
import argparse
import base64
import json
import sys

SIPR_NAMES = ("org.sipr.Config1", "org.sipr.Resolver1", "org.sipr.Health1", "org.sipr.Registration1")


def forms(secret):
    b = secret.encode()
    return [b, base64.b64encode(b), b.hex().encode(), secret.encode("utf-16-le")]


def walk(value):
    """Every string and byte-array payload as bytes."""
    if isinstance(value, str):
        yield value.encode()
    elif isinstance(value, list):
        if value and all(isinstance(x, int) and 0 <= x < 256 for x in value):
            yield bytes(value)
        for x in value:
            yield from walk(x)
    elif isinstance(value, dict):
        for k, x in value.items():
            yield from walk(k)
            yield from walk(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secret", action="append", required=True)
    ap.add_argument("--monitor", required=True)
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    leaks = []
    needles = [(s, f) for s in a.secret for f in forms(s)]

    for path in a.files:
        data = open(path, "rb").read()
        for s, f in needles:
            if f in data:
                leaks.append(f"{path}: contains secret {s!r} (as {f[:40]!r})")
    print(f"scanned {len(a.files)} files")

    msgs = []
    for line in open(a.monitor, errors="replace"):
        line = line.strip()
        if line.startswith("{"):
            try:
                msgs.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    # Unique names that ever owned a sipr well-known name (restarts give new ones).
    owners = {}
    for m in msgs:
        if m.get("member") == "NameOwnerChanged" and m.get("sender") == "org.freedesktop.DBus":
            name, _old, new = m["payload"]["data"]
            if name in SIPR_NAMES and new:
                owners[new] = name
    calls = {(m.get("sender"), m.get("cookie")): m for m in msgs if m.get("type") == "method_call"}
    allowed = {"GetSecret reply to a sipr daemon": 0, "administrator's Set call": 0}
    for i, m in enumerate(msgs):
        why = None
        if m.get("type") == "method_return":
            call = calls.get((m.get("destination"), m.get("reply_cookie")))
            if (call and call.get("member") == "GetSecret" and call.get("interface") == "org.sipr.Config1"
                    and m.get("destination") in owners):
                why = "GetSecret reply to a sipr daemon"
        elif (m.get("type") == "method_call" and m.get("member") == "Set"
              and m.get("interface") == "org.sipr.Config1" and m.get("sender") not in owners):
            why = "administrator's Set call"
        blob = b"\0".join(walk(m.get("payload", {})))
        hit = [s for s, f in needles if f in blob]
        if why:
            if hit:
                allowed[why] += 1
            continue
        for s in set(hit):
            leaks.append(f"bus message #{i} {m.get('type')} {m.get('sender')} -> {m.get('destination')} "
                         f"{m.get('interface')}.{m.get('member')} carries secret {s!r}")
    print(f"monitor: {len(msgs)} messages, sipr daemons seen: {sorted(set(owners.values()))}")
    for k, v in allowed.items():
        print(f"monitor: {v} message(s) carrying a secret by design: {k}")

    bad = False
    if len(msgs) < 50 or len(set(owners.values())) < len(SIPR_NAMES):
        print("FAIL: the monitor saw too little of the run", file=sys.stderr)
        bad = True
    if allowed["GetSecret reply to a sipr daemon"] == 0:
        print("FAIL: no GetSecret reply seen: the secret path was not exercised", file=sys.stderr)
        bad = True
    for l in leaks:
        print("LEAK: " + l, file=sys.stderr)
    print(f"{len(leaks)} leaks")
    return 1 if leaks or bad else 0


if __name__ == "__main__":
    sys.exit(main())
