#!/usr/bin/env bash
# Fleet load (issue 23): a target every watcher calls standby is probed at the standby interval
# (sipr.health.standby_interval, 30 s by default) instead of its interval; one watcher that uses
# it (the default, or SetStandby false) makes it active again, and so does that watcher's leaving
# only when nobody else uses it. A successful Report (traffic answered) pushes the next probe
# back a whole interval, so a target whose traffic flows is not probed on top. Counted at a sipp
# server; SetStandby's and the option's errors name the field.
source "$(dirname "$0")/healthd-lib.sh"
hd_setup
lab_service_start healthd
A=$(lab_registrar_addr 1)
lab_sipp_start srv 200 1

options() { lab_sipp_received srv OPTIONS; }
# probes_in SECONDS — OPTIONS the server received in that many seconds from now.
probes_in() {
        local before
        before=$(options)
        sleep "$1"
        echo $(($(options) - before))
}
hd_standby_is() { [[ "$(hd_prop "$1" Standby)" == "$2" ]]; } # PATH true|false
hd_wait_standby() {
        lab_wait_for 20 "$1 Standby $2" hd_standby_is "$1" "$2" ||
                lab_fail "$1: Standby is $(hd_prop "$1" Standby), expected $2"
}

# Errors first: a wrong type for the option, SetStandby of an unknown target.
out=$(gdbus call --system --dest org.sipr.Health1 --object-path /org/sipr/Health1 --method org.sipr.Health1.Watch \
        udp "$A" 5060 "{'standby': <'yes'>}" 2>&1) && lab_fail "Watch with standby 'yes' succeeded: $out"
[[ "$out" == *org.sipr.Error.InvalidArgs*"option standby"* ]] || lab_fail "Watch with standby 'yes': $out"
hd_client a
hd_client b
[[ "$(hd_cmd a standby /org/sipr/Health1/target/999 1)" == "error org.sipr.Error.NoSuchTarget"* ]] ||
        lab_fail "SetStandby of an unknown target"

# a watches at 300 ms but calls it standby: probed at most once in 6 s (at a random point of the
# 30 s standby period), not 20 times.
t=$(hd_cmd a watch "udp $A 5060 interval_ms=300 standby=1")
t=${t#ok }
[[ "$t" == /org/sipr/Health1/target/* ]] || lab_fail "Watch returned '$t'"
lab_assert_eq true "$(hd_prop "$t" Standby)" "Standby after a Watch with standby=1"
lab_assert_eq true "$(lab_siprctl health --json | jq '.[0].standby')" "siprctl health --json: standby"
lab_siprctl health | grep -qE "^udp +$A:5060 .* standby$" || lab_fail "siprctl health: $(lab_siprctl health)"
n=$(probes_in 6)
echo "standby: $n probes in 6 s"
((n <= 1)) || lab_fail "a standby target was probed $n times in 6 s (interval 300 ms, standby interval 30 s)"

# Someone else watching it without saying standby uses it: active, probed every 300 ms.
out=$(busctl --system call org.sipr.Health1 /org/sipr/Health1 org.sipr.Health1 SetStandby ob "$t" true 2>&1) &&
        lab_fail "SetStandby by a connection that does not watch succeeded"
[[ "$out" == *"not watched by"* ]] || lab_fail "SetStandby by a non-watcher: $out"
lab_assert_eq "ok $t" "$(hd_cmd b watch "udp $A 5060")" "Watch by b"
hd_wait_standby "$t" false
n=$(probes_in 3)
echo "active: $n probes in 3 s"
((n >= 5)) || lab_fail "an active target (interval 300 ms) was probed only $n times in 3 s"

# b says standby too: standby again. Then active again, and b's leaving the bus (SIGKILL) makes it
# standby without an Unwatch.
lab_assert_eq ok "$(hd_cmd b standby "$t" 1)" "SetStandby true by b"
hd_wait_standby "$t" true
n=$(probes_in 4)
echo "standby again: $n probes in 4 s"
((n <= 1)) || lab_fail "standby target probed $n times in 4 s"
lab_assert_eq ok "$(hd_cmd b standby "$t" 0)" "SetStandby false by b"
hd_wait_standby "$t" false
lab_signal client-b KILL
hd_wait_standby "$t" true
hd_object_exists "$t" || lab_fail "$t vanished while a still watches it"

# a's own word: SetStandby false makes it active; a second Watch without the option keeps what a
# said; a Watch with standby=1 changes it back.
lab_assert_eq ok "$(hd_cmd a standby "$t" 0)" "SetStandby false by a"
hd_wait_standby "$t" false
lab_assert_eq "ok $t" "$(hd_cmd a watch "udp $A 5060")" "second Watch by a"
sleep 0.5
lab_assert_eq false "$(hd_prop "$t" Standby)" "Standby after a second Watch without the option"
lab_assert_eq "ok $t" "$(hd_cmd a watch "udp $A 5060 standby=1")" "third Watch by a, standby"
hd_wait_standby "$t" true

# Traffic as proof of life: a target probed every 2 s is not probed while a client reports "ok"
# every half second (each report pushes the next probe back 2 s ± 10 %); probes resume when the
# reports stop. Another server: the shortest interval asked for a target stays.
B=$(lab_registrar_addr 2)
lab_sipp_start srv2 200 2
options() { lab_sipp_received srv2 OPTIONS; }
hd_client c
t=$(hd_cmd c watch "udp $B 5060 interval_ms=2000")
t=${t#ok }
lab_assert_eq false "$(hd_prop "$t" Standby)" "Standby of a target watched without the option"
hd_wait_state 20 "$t" up
before=$(options)
end=$((SECONDS + 10))
reports=0
while ((SECONDS < end)); do
        lab_assert_eq ok "$(hd_cmd c report "$t" ok)" "Report ok"
        reports=$((reports + 1))
        sleep 0.5
done
n=$(($(options) - before))
echo "with $reports reports ok in 10 s: $n probes (interval 2 s)"
((n <= 1)) || lab_fail "a target whose traffic answers every 0.5 s was probed $n times in 10 s (interval 2 s)"
grep -q "Traffic shows udp $B:5060 alive: next probe in" "$LAB_DIR/healthd.log" || lab_fail "no push-back logged"
n=$(probes_in 7)
echo "after the reports stopped: $n probes in 7 s"
((n >= 2)) || lab_fail "probes did not resume after the reports stopped ($n in 7 s)"
echo ok
