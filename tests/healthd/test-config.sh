#!/usr/bin/env bash
# healthd follows sipr.health.* from sipr-configd at run time: targets watched without options
# take the configured method and thresholds; explicit Watch options keep theirs.
source "$(dirname "$0")/healthd-lib.sh"
hd_setup
mkdir -p "$LAB_DIR/etc" "$LAB_DIR/state"
printf 'sipr.health.method = none\nsipr.health.interval = 300\nsipr.health.standby_interval = 4500\n' >"$LAB_DIR/etc/y000000000000.cfg"
lab_service_start configd --config-dir="$LAB_DIR/etc" --state-dir="$LAB_DIR/state" --mac=001565000001
lab_service_start healthd
lab_wait_for 20 "healthd to apply the configuration" grep -q "Probe defaults: none every 300 ms" "$LAB_DIR/healthd.log" ||
        lab_fail "healthd did not log the configured defaults: $(grep -i default "$LAB_DIR/healthd.log")"
grep -q "Probe defaults: none every 300 ms, down after 2, up after 2, standby targets every 4500 ms" "$LAB_DIR/healthd.log" ||
        lab_fail "healthd did not take sipr.health.standby_interval: $(grep 'Probe defaults' "$LAB_DIR/healthd.log")"

X=$LAB_NET.20 # nobody listens: any probe fails at once with ICMP
mapfile -t P < <(hd_watch w "udp $X 5060" "udp $X 5061 method=options" "udp $X 5062")
DEF=${P[0]}
EXPL=${P[1]}
UPG=${P[2]}

# method=none: no probes, the state stays unknown; the explicit one is probed.
hd_wait_state 20 "$EXPL" down
lab_assert_eq unknown "$(hd_prop "$DEF" State)" "target under sipr.health.method=none"
lab_assert_eq 0 "$(hd_prop "$DEF" Failures)" "Failures under method=none"
grep -q "Probe options of udp $X:5060" "$LAB_DIR/healthd.log" && lab_fail "a target was probed under method=none"

# A second client asking explicitly for OPTIONS on a target that only had the configured
# method: it gets its probes (explicit beats configured), with its own down_after.
lab_assert_eq unknown "$(hd_prop "$UPG" State)" "target under method=none before an explicit Watch"
lab_assert_eq "$UPG" "$(hd_watch w2 "udp $X 5062 method=options down_after=1")" "shared object"
hd_wait_state 20 "$UPG" down
lab_assert_eq unknown "$(hd_prop "$DEF" State)" "the other default target stays unprobed"

# Switch the default on: the default target is probed now, at the configured interval.
lab_siprctl set sipr.health.method=options sipr.health.down_after=4 >/dev/null
hd_wait_state 20 "$DEF" down
lab_assert_eq icmp "$(hd_prop "$DEF" LastError)" "LastError once probing"
# Exactly down_after (4) failed probes before the transition.
f=$(awk -v p="Probe options of udp $X:5060:" -v d="Target udp $X:5060 is down" \
        'index($0, d) { print n; exit } index($0, p) { n++ }' "$LAB_DIR/healthd.log")
lab_assert_eq 4 "$f" "failed probes before down with sipr.health.down_after=4"

# configd goes away: healthd keeps the last configuration and its targets; when configd comes
# back with a changed file, healthd follows.
lab_service_stop configd
sleep 1
hd_object_exists "$DEF" || lab_fail "a target vanished while configd was away"
lab_assert_eq down "$(hd_prop "$DEF" State)" "state while configd is away"
printf 'sipr.health.method = none\nsipr.health.interval = 700\n' >"$LAB_DIR/etc/y000000000000.cfg"
lab_service_start configd --config-dir="$LAB_DIR/etc" --state-dir="$LAB_DIR/state" --mac=001565000001
lab_wait_for 20 "healthd to follow the restarted configd" grep -q "Probe defaults: options every 700 ms, down after 4" "$LAB_DIR/healthd.log" ||
        lab_fail "healthd did not apply the configuration of the restarted configd: $(grep 'Probe defaults' "$LAB_DIR/healthd.log")"
echo ok
