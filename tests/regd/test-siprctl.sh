#!/usr/bin/env bash
# siprctl status/--json, monitor (one timestamped line per transition) and failover X:
# a manual failover in failover mode moves the binding to registrar 2 make-before-break.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
lab_registrar_start 2
regd_start_dns
regd_account 1 1001 lab.test
regd_cfg "account.1.label = Front desk" "account.1.sip_server.1.port = 0" \
        "account.1.sip_server.1.register_on_enable = 1" "account.1.sip_server.1.failback_mode = 2"
regd_start_configd
regd_start
regd_wait 30 "registered on registrar 1" regd_working_is 1 "$(regd_uri 1)"

json=$(lab_siprctl status 1 --json)
lab_assert_eq registered "$(jq -r .state <<<"$json")" "status --json state"
lab_assert_eq "$(regd_uri 1)" "$(jq -r .working_server <<<"$json")" "status --json working_server"
lab_assert_eq working "$(jq -r '.servers[0].role' <<<"$json")" "status --json servers[0].role"
lab_assert_eq lab.test "$(jq -r '.servers[0].name' <<<"$json")" "status --json servers[0].name"
lab_siprctl status | grep -q "secret1001" && lab_fail "password in siprctl output"
grep -q "secret1001" "$LAB_DIR/regd.log" && lab_fail "password in the regd log"

lab_siprctl monitor >"$LAB_DIR/monitor.out" 2>&1 &
mon=$!
busctl --system --json=short monitor org.sipr.Registration1 >"$LAB_DIR/busmon.json" 2>/dev/null &
busmon=$!
sleep 1
lab_siprctl failover 1
regd_wait 20 "working on registrar 2" regd_working_is 1 "$(regd_uri 2)"
regd_wait 10 "registrar 2 holds the binding" lab_has_binding 2 1001
regd_wait 10 "registrar 1 binding removed" lab_has_no_binding 1 1001
lab_assert_eq registered "$(regd_state 1)" "State after manual failover"
sleep 1
kill "$mon" "$busmon"
wait "$mon" "$busmon" 2>/dev/null || true
cat "$LAB_DIR/monitor.out"
# The move to registrar 2 is one transition: one PropertiesChanged carries all it changed.
jq -e -s --arg w "$(regd_uri 2)" 'map(select(.member == "PropertiesChanged" and .path == "/org/sipr/Registration1/account/1")
        | .payload.data[1]) | map(select(.WorkingServer.data == $w and has("Failovers") and has("Servers")
        and has("RegisteredSinceUsec"))) | length == 1' "$LAB_DIR/busmon.json" >/dev/null ||
        lab_fail "no single PropertiesChanged carrying WorkingServer, Failovers, Servers and RegisteredSinceUsec"
grep -Eq "^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} +account 1 +registered +$(regd_uri 2 | sed 's/[.;]/\\&/g')" "$LAB_DIR/monitor.out" ||
        lab_fail "monitor shows no transition to registrar 2"
# Colour only on a terminal: piped output (above) has none; under a pty the state word is green.
grep -q $'\x1B' "$LAB_DIR/monitor.out" && lab_fail "colour codes in piped monitor output"
tty_monitor() { # LOG [ENV…] — siprctl monitor on a pseudo-terminal until its "now" line is out
        local log=$1
        shift
        lab_spawn "tty-monitor" "$LAB_DIR/$log.log" env TERM=xterm "$@" script -qfec \
                "$SIPR_BUILD_ROOT/tools/siprctl/siprctl monitor" "$LAB_DIR/$log" >/dev/null
        regd_wait 10 "monitor's first line on a terminal" grep -q "account 1" "$LAB_DIR/$log"
        lab_service_stop tty-monitor
}
tty_monitor tty.out
grep -q $'account 1   \x1B\[0;32mregistered  \x1B\[0m' "$LAB_DIR/tty.out" ||
        lab_fail "monitor on a terminal: registered not green: $(cat -v "$LAB_DIR/tty.out")"
tty_monitor tty-nocolor.out NO_COLOR=1
grep -q $'\x1B' "$LAB_DIR/tty-nocolor.out" && lab_fail "colour codes with NO_COLOR: $(cat -v "$LAB_DIR/tty-nocolor.out")"
rc=0
lab_siprctl failover x >/dev/null 2>&1 || rc=$?
lab_assert_eq 2 "$rc" "siprctl failover with a bad argument"
rc=0
out=$(lab_siprctl failover 9 2>&1) || rc=$?
lab_assert_eq 1 "$rc" "siprctl failover of an account that does not exist"
lab_assert_eq "siprctl: no account 9 (account.9.* not configured)" "$out" "siprctl failover 9 message"
# Without sipr-regd: exit 3 naming it, for the read commands too.
lab_service_stop regd
for cmd in status monitor "failover 1"; do
        rc=0
        # shellcheck disable=SC2086
        out=$(lab_siprctl $cmd 2>&1) || rc=$?
        lab_assert_eq 3 "$rc" "siprctl $cmd without sipr-regd"
        [[ "$out" == *"sipr-regd is not running"* ]] || lab_fail "siprctl $cmd without sipr-regd: $out"
done
echo ok
