#!/usr/bin/env python3
"""Registrar-side timing for bench/compare/run: reads Kamailio's location table over its control
socket (kamcmd ul.dump), as fast as it answers (one dump per registrar per cycle, ~2-3 ms), and
never through SIP. Every loop ends at --deadline.

  observe.py failover --pgid PGID --signal KILL|STOP --ctl CTL --deadline S USER...
      Takes a baseline of CTL's bindings, sends the signal to the registrar's process group (t0),
      then prints per user "USER MS" once CTL holds a binding registered after t0 (its expiry
      is later than the baseline's), or "USER none" at the deadline.
  observe.py failback --ctl1 CTL1 --ctl2 CTL2 --deadline S USER...
      t0 is now (the primary has just returned). Polls both registrars; prints per user
      "USER MS GAP-MS": when registrar 1 holds a binding, and the longest interval during which
      neither registrar held a live binding; keeps polling 2 s after the last user is back.
  observe.py count --ctl CTL --deadline S --base B [--t0 EPOCH-S] N
      Prints the ms (from --t0, the CLOCK_REALTIME instant the client was started; default now)
      until CTL holds B + N AoRs (usrloc's location_users statistic: a dump of 1000 AoRs is larger
      than the control socket's reply), or "none BOUND".
Prints "poll-ms MEDIAN MAX" (cycle length) last, on stderr."""
import argparse, os, signal, statistics, subprocess, sys, time


def dump(ctl, brief=False):
    """{aor: [(call_id, expires_left)]} or None when the registrar does not answer. The full dump
    of hundreds of AoRs exceeds the control socket's reply size: brief lists AoRs only (each with
    one pseudo binding; usrloc drops expired ones within a second)."""
    try:
        out = subprocess.run(["kamcmd", "-s", "unix:" + ctl, "ul.dump"] + (["brief"] if brief else []), capture_output=True,
                             text=True, timeout=2).stdout
    except (subprocess.TimeoutExpired, OSError):
        return None
    if not out.strip() or out.startswith("error"):
        return None
    aors, aor, cid = {}, None, None
    for line in out.splitlines():
        f = line.split(None, 1)
        if len(f) < 2:
            continue
        if f[0] == "AoR:":
            aor = f[1].strip()
            aors.setdefault(aor, [("", 1)] if brief else [])
        elif f[0] == "Call-ID:":
            cid = f[1].strip()
        elif f[0] == "Expires:" and aor is not None:
            v = f[1].strip()
            aors[aor].append((cid, int(v) if v.lstrip("-").isdigit() else 0))
    return aors


def location_users(ctl):
    """AoRs in the location table, or None when the registrar does not answer."""
    try:
        out = subprocess.run(["kamcmd", "-s", "unix:" + ctl, "stats.get_statistics", "location_users"],
                             capture_output=True, text=True, timeout=2).stdout
    except (subprocess.TimeoutExpired, OSError):
        return None
    for line in out.splitlines():
        if "location_users" in line and "=" in line:
            return int(line.split("=")[1])
    return None


def expiry(aors, user, now):
    """Latest absolute expiry of USER's live bindings, or 0."""
    return max((now + e for _, e in aors.get(user, []) if e > 0), default=0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode")
    p.add_argument("--pgid", type=int)
    p.add_argument("--signal", default="KILL")
    p.add_argument("--ctl")
    p.add_argument("--ctl1")
    p.add_argument("--ctl2")
    p.add_argument("--base", type=int, default=0)
    p.add_argument("--t0", type=float)
    p.add_argument("--deadline", type=float, default=60)
    p.add_argument("users", nargs="*")
    a = p.parse_intermixed_args()
    cycles = []
    if a.mode == "failover":
        now = time.time()
        base = dump(a.ctl) or {}
        base = {u: expiry(base, u, now) for u in a.users}
        t0 = time.monotonic()
        os.killpg(a.pgid, getattr(signal, "SIG" + a.signal))
        seen = {}
        while len(seen) < len(a.users) and time.monotonic() - t0 < a.deadline:
            c = time.monotonic()
            d = dump(a.ctl)
            t = time.monotonic()
            cycles.append(t - c)
            if d is None:
                time.sleep(0.01)
                continue
            for u in a.users:
                # A binding made after the fault expires at least ~min-expires later than any
                # binding that existed before it (Kamailio's Expires has 1 s resolution).
                if u not in seen and expiry(d, u, time.time()) > base[u] + 2:
                    seen[u] = (t - t0) * 1000
        for u in a.users:
            print(u, "%.1f" % seen[u] if u in seen else "none")
    elif a.mode == "failback":
        t0 = time.monotonic()
        back, last_bound, gap, done_at, unbound = {}, {u: t0 for u in a.users}, {u: 0.0 for u in a.users}, None, set()
        while time.monotonic() - t0 < a.deadline:
            c = time.monotonic()
            # Registrar 2 (the one the binding moves away from) first: a make-before-break move
            # between the two reads then still shows the new binding on registrar 1, so only a
            # real gap (old binding removed before the new one exists) can look unbound.
            d2 = dump(a.ctl2)
            d1 = dump(a.ctl1)
            t = time.monotonic()
            cycles.append(t - c)
            now = time.time()
            for u in a.users:
                if (d1 and expiry(d1, u, now)) or (d2 and expiry(d2, u, now)):
                    if u in unbound:
                        # No binding from (at most) the end of the last poll that saw one.
                        gap[u] = max(gap[u], (c - last_bound[u]) * 1000)
                        unbound.discard(u)
                    last_bound[u] = t
                elif d1 is not None and d2 is not None:
                    unbound.add(u)
                if u not in back and d1 and expiry(d1, u, now):
                    back[u] = (t - t0) * 1000
            if len(back) == len(a.users) and done_at is None:
                done_at = t
            if done_at is not None and t - done_at > 2:
                break
        for u in unbound:  # still without a binding at the end
            gap[u] = max(gap[u], (time.monotonic() - last_bound[u]) * 1000)
        for u in a.users:
            print(u, "%.1f" % back[u] if u in back else "none", "%.1f" % gap[u])
    elif a.mode == "count":
        n = int(a.users[0])
        got = 0
        # The clients started before this script did: shift the monotonic origin back.
        t0 = time.monotonic() - (time.time() - a.t0 if a.t0 else 0)
        res = None
        while time.monotonic() - t0 < a.deadline:
            c = time.monotonic()
            users = location_users(a.ctl)
            t = time.monotonic()
            cycles.append(t - c)
            got = users - a.base if users is not None else 0
            if got >= n:
                res = (t - t0) * 1000
                break
            time.sleep(0.02)
        print("%.1f" % res if res is not None else "none %d" % got)
    else:
        sys.exit("unknown mode " + a.mode)
    if cycles:
        print("poll-ms %.1f %.1f" % (statistics.median(cycles) * 1000, max(cycles) * 1000), file=sys.stderr)


if __name__ == "__main__":
    main()
