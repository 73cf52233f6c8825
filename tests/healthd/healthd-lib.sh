#!/usr/bin/env bash
# Helpers for the healthd lab tests. Sources tests/lab/lab.sh unless the caller already did.
HEALTHD_TESTS=${HEALTHD_TESTS:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
# shellcheck source=../lab/lab.sh
declare -F lab_init >/dev/null || source "${SIPR_LAB:-$HEALTHD_TESTS/../lab}/lab.sh"

# hd_setup — strict mode, the lab and its private bus.
hd_setup() {
        set -euo pipefail
        lab_init
        lab_dbus_start
}

# hd_watch NAME "transport addr port opt=val…" … — a client that Watch()es those targets and keeps
# its bus connection until stopped; prints the object paths, one per line, in argument order.
hd_watch() {
        local name=$1
        shift
        lab_spawn "watcher-$name" "$LAB_DIR/watcher-$name.out" "$HEALTHD_TESTS/watcher.py" "$@" >/dev/null
        lab_wait_for 20 "watcher $name registered its targets" grep -qx ready "$LAB_DIR/watcher-$name.out" ||
                lab_fail "watcher $name failed: $(cat "$LAB_DIR/watcher-$name.out")"
        grep '^/' "$LAB_DIR/watcher-$name.out"
}

# hd_prop PATH PROPERTY — the value, without the type letter and quotes.
hd_prop() {
        busctl --system get-property org.sipr.Health1 "$1" org.sipr.Health1.Target "$2" 2>/dev/null |
                sed -e 's/^[a-z] //' -e 's/^"\(.*\)"$/\1/'
}

hd_state_is() { [[ "$(hd_prop "$1" State)" == "$2" ]]; } # PATH STATE

# hd_wait_state SECONDS PATH STATE — waits, fails the test with the target's properties if not.
hd_wait_state() {
        lab_wait_for "$1" "$2 to be $3" hd_state_is "$2" "$3" ||
                lab_fail "$2 did not become $3: $(busctl --system get-property org.sipr.Health1 "$2" org.sipr.Health1.Target State Failures LastError 2>&1 | tr "\n" " ")"
}

hd_object_exists() { busctl --system introspect org.sipr.Health1 "$1" >/dev/null 2>&1; }

# hd_monitor_start NAME — records every PropertiesChanged of the targets (dbus-monitor).
hd_monitor_start() {
        lab_spawn "monitor-$1" "$LAB_DIR/monitor-$1.log" dbus-monitor --system \
                "type='signal',sender='org.sipr.Health1'" >/dev/null
        lab_wait_for 10 "dbus-monitor running" grep -q "NameAcquired\|member=" "$LAB_DIR/monitor-$1.log" || sleep 0.5
}

# hd_monitor_signals NAME PATH — one line per PropertiesChanged of PATH: the property names it carried.
hd_monitor_signals() {
        awk -v p="$2" '
                /^signal / { if (cur != "") print cur; cur = ""; on = (index($0, "path=" p ";") > 0); next }
                on && /^ *string "[A-Z][A-Za-z]*"$/ { gsub(/.*string "|"$/, ""); cur = cur (cur == "" ? "" : ",") $0 }
                END { if (cur != "") print cur }
        ' "$LAB_DIR/monitor-$1.log"
}

# hd_client NAME — a watcher that takes commands (hd_cmd), started with no targets.
hd_client() {
        mkfifo "$LAB_DIR/cmd-$1"
        lab_spawn "client-$1" "$LAB_DIR/client-$1.out" "$HEALTHD_TESTS/watcher.py" --commands "$LAB_DIR/cmd-$1" >/dev/null
        lab_wait_for 20 "client $1 connected" grep -qx ready "$LAB_DIR/client-$1.out" ||
                lab_fail "client $1 failed: $(cat "$LAB_DIR/client-$1.out")"
}

_hd_lines_gt() { (($(wc -l <"$1") > $2)); }

# hd_cmd NAME COMMAND… — runs one command in client NAME, prints its answer line.
hd_cmd() {
        local name=$1 before
        shift
        before=$(wc -l <"$LAB_DIR/client-$name.out")
        echo "$*" >"$LAB_DIR/cmd-$name"
        lab_wait_for 20 "client $name to answer '$*'" _hd_lines_gt "$LAB_DIR/client-$name.out" "$before" ||
                lab_fail "client $name did not answer '$*'"
        tail -n +"$((before + 1))" "$LAB_DIR/client-$name.out" | head -1
}

# hd_results_before LOG FROM-LINE "transport addr:port" STATE — the probe results ("ok",
# "timeout", "icmp"…) logged for that target after line FROM-LINE up to its transition to STATE,
# oldest first, space separated.
hd_results_before() {
        tail -n +"$2" "$1" | awk -v t="$3" -v s="$4" '
                index($0, "Target " t " is " s) { print out; exit }
                index($0, "Probe ") && index($0, " of " t ": ") {
                        r = substr($0, index($0, " of " t ": ") + length(" of " t ": "))
                        sub(/[: ].*/, "", r)
                        out = out (out == "" ? "" : " ") r
                }'
}
