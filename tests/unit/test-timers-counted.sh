#!/usr/bin/env bash
# Every timer the daemons arm goes through common/timer.c, or the live-timer count of the
# SIGUSR1 state line (and the soak test's leak check built on it) would miss it.
set -euo pipefail
cd "${SIPR_SOURCE_ROOT:?}"
raw=$(grep -rnE '\bg_(timeout_add|timeout_add_seconds|idle_add)(_full)?\s*\(' common services | grep -v '^common/timer\.c:' || true)
if [[ -n "$raw" ]]; then
        echo "FAIL: timers armed around common/timer.c (use timer_add_msec/_seconds/_idle):" >&2
        echo "$raw" >&2
        exit 1
fi
n=$(grep -rnE '\btimer_add_(msec|seconds|idle)\s*\(' common services | grep -vc '^common/timer\.[ch]:')
((n > 0)) || { echo "FAIL: no timer_add_* call found: is the pattern stale?" >&2; exit 1; }
echo "PASS: $n timer call sites, all counted"
