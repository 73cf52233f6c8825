#!/usr/bin/env bash
# org.sipr.Health1 as a client sees it: argument errors naming the field, one object per
# (transport, address, port) with counted watchers, Unwatch by the last watcher or its
# disconnect removes the object (InterfacesRemoved), Report moves the state at once,
# ObjectManager, and siprctl health's output and exit codes.
source "$(dirname "$0")/healthd-lib.sh"
hd_setup
lab_service_start healthd

lab_assert_eq "No targets watched." "$(lab_siprctl health)" "siprctl health with no targets"
lab_assert_eq "[]" "$(lab_siprctl health --json)" "siprctl health --json with no targets"

# watch_error EXPECTED-NAME EXPECTED-WORD ARGS… — Watch must fail with that error, naming the field.
watch_error() {
        local name=$1 word=$2 out
        shift 2
        if out=$(gdbus call --system --dest org.sipr.Health1 --object-path /org/sipr/Health1 \
                --method org.sipr.Health1.Watch "$@" 2>&1); then
                lab_fail "Watch $* succeeded: $out"
        fi
        [[ "$out" == *"$name"* ]] || lab_fail "Watch $*: expected $name, got: $out"
        [[ "$out" == *"$word"* ]] || lab_fail "Watch $*: the error does not name '$word': $out"
}
watch_error org.sipr.Error.InvalidArgs address udp reg1.lab.test 5060 '{}'
watch_error org.sipr.Error.InvalidArgs address udp '' 5060 '{}'
watch_error org.sipr.Error.InvalidArgs address udp 127.0.0.256 5060 '{}'
watch_error org.sipr.Error.InvalidArgs port udp 127.0.0.1 0 '{}'
watch_error org.sipr.Error.InvalidArgs transport sctp 127.0.0.1 5060 '{}'
watch_error org.sipr.Error.InvalidArgs transport '' 127.0.0.1 5060 '{}'
watch_error org.sipr.Error.InvalidArgs crlf udp 127.0.0.1 5060 "{'method': <'crlf'>}"
watch_error org.sipr.Error.InvalidArgs method tcp 127.0.0.1 5060 "{'method': <'ping'>}"
watch_error org.sipr.Error.InvalidArgs method tcp 127.0.0.1 5060 "{'method': <'none'>}"
watch_error org.sipr.Error.InvalidArgs interval_ms tcp 127.0.0.1 5060 "{'interval_ms': <uint32 100>}"
watch_error org.sipr.Error.InvalidArgs interval_ms tcp 127.0.0.1 5060 "{'interval_ms': <'fast'>}"
watch_error org.sipr.Error.InvalidArgs down_after tcp 127.0.0.1 5060 "{'down_after': <uint32 0>}"
watch_error org.sipr.Error.InvalidArgs up_after tcp 127.0.0.1 5060 "{'up_after': <uint32 101>}"
watch_error org.sipr.Error.InvalidArgs colour tcp 127.0.0.1 5060 "{'colour': <'red'>}"
# None of them created anything.
lab_assert_eq "[]" "$(lab_siprctl health --json)" "targets after refused Watch calls"

# Nobody listens on these: probes fail (ICMP / refused), with a long interval so that the
# state only moves when the test says so.
X=$LAB_NET.20
hd_client a
hd_client b
hd_monitor_start om
ta=$(hd_cmd a watch "udp $X 5060 interval_ms=3600000")
ta=${ta#ok }
[[ "$ta" == /org/sipr/Health1/target/* ]] || lab_fail "Watch returned '$ta'"
lab_assert_eq "ok $ta" "$(hd_cmd a watch "udp $X 5060")" "second Watch by the same client"
lab_assert_eq "ok $ta" "$(hd_cmd b watch "UDP $X 5060 interval_ms=1000")" "Watch by another client (transport in upper case)"
# IPv4 spelled differently is the same target; IPv6 literals are accepted and normalised.
t6=$(hd_cmd b watch "udp [0:0::1] 5099 interval_ms=3600000")
t6=${t6#ok }
lab_assert_eq "::1" "$(hd_prop "$t6" Address)" "IPv6 address normalised"
lab_assert_eq "ok $t6" "$(hd_cmd a watch "udp ::1 5099")" "same IPv6 target, other spelling"
lab_assert_eq "udp" "$(hd_prop "$ta" Transport)" "Transport"
lab_assert_eq "$X" "$(hd_prop "$ta" Address)" "Address"
lab_assert_eq "5060" "$(hd_prop "$ta" Port)" "Port"

# The ObjectManager lists both, siprctl shows them.
n=$(lab_siprctl health --json | jq length)
lab_assert_eq 2 "$n" "targets in siprctl health --json"
lab_siprctl health | grep -qE "^udp +$X:5060 " || lab_fail "siprctl health: $(lab_siprctl health)"
lab_siprctl health | grep -qE "^udp +\[::1\]:5099 " || lab_fail "siprctl health: $(lab_siprctl health)"

# Unwatch: not a watcher, not a target.
out=$(busctl --system call org.sipr.Health1 /org/sipr/Health1 org.sipr.Health1 Unwatch o "$ta" 2>&1) &&
        lab_fail "Unwatch by a client that does not watch succeeded"
[[ "$out" == *"not watched by"* ]] || lab_fail "Unwatch by a non-watcher: $out"
[[ "$(hd_cmd a unwatch /org/sipr/Health1/target/999)" == "error org.sipr.Error.NoSuchTarget"* ]] ||
        lab_fail "Unwatch of an unknown target"

# a watched twice: two Unwatch calls; b still holds it afterwards.
lab_assert_eq ok "$(hd_cmd a unwatch "$ta")" "first Unwatch by a"
lab_assert_eq ok "$(hd_cmd a unwatch "$ta")" "second Unwatch by a"
[[ "$(hd_cmd a unwatch "$ta")" == "error org.sipr.Error.InvalidArgs"* ]] || lab_fail "third Unwatch by a should fail"
hd_object_exists "$ta" || lab_fail "$ta vanished while b still watches it"
lab_assert_eq ok "$(hd_cmd b unwatch "$ta")" "Unwatch by the last watcher"
lab_wait_for 10 "$ta to disappear" bash -c "! busctl --system introspect org.sipr.Health1 $ta >/dev/null 2>&1" ||
        lab_fail "$ta still exists after the last Unwatch"
lab_wait_for 10 "InterfacesRemoved for $ta" grep -q "member=InterfacesRemoved" "$LAB_DIR/monitor-om.log" || true

# Report moves the state at once, whatever the probes said so far. The target is a server that
# accepts and never answers, probed hourly: only Report can move its state during the test.
lab_spawn mute "$LAB_DIR/mute.log" "$(dirname "$0")/bad-server.py" mute "$X" 5070 >/dev/null
lab_wait_for 10 "mute server listening" grep -q listening "$LAB_DIR/mute.log"
tr=$(hd_cmd a watch "tcp $X 5070 method=crlf interval_ms=3600000 down_after=5 up_after=5")
tr=${tr#ok }
lab_assert_eq ok "$(hd_cmd a report "$tr" ok)" "Report ok"
lab_assert_eq up "$(hd_prop "$tr" State)" "State right after Report ok"
lab_assert_eq ok "$(hd_cmd a report "$tr" icmp)" "Report icmp"
lab_assert_eq down "$(hd_prop "$tr" State)" "State right after Report icmp"
lab_assert_eq icmp "$(hd_prop "$tr" LastError)" "LastError after Report icmp"
lab_assert_eq ok "$(hd_cmd a report "$tr" ok)" "Report ok"
lab_assert_eq up "$(hd_prop "$tr" State)" "State after Report ok"
lab_assert_eq ok "$(hd_cmd a report "$tr" refused)" "Report refused"
lab_assert_eq refused "$(hd_prop "$tr" LastError)" "LastError after Report refused"
lab_assert_eq ok "$(hd_cmd a report "$tr" timeout)" "Report timeout"
lab_assert_eq timeout "$(hd_prop "$tr" LastError)" "LastError after Report timeout"
[[ "$(hd_cmd a report "$tr" crash)" == "error org.sipr.Error.InvalidArgs"*crash* ]] || lab_fail "Report with a bad event"
[[ "$(hd_cmd a report /org/sipr/Health1/target/999 ok)" == "error org.sipr.Error.NoSuchTarget"* ]] ||
        lab_fail "Report on an unknown target"

# A client flipping the state with Report after Report gets a probe at most four times per
# interval, not one per Report (a closed UDP port: every probe ends at once with ICMP).
tf=$(hd_cmd a watch "udp $X 5071 interval_ms=2000 down_after=3 up_after=3")
tf=${tf#ok }
lab_wait_for 10 "first probe of $X:5071" grep -q "Probe options of udp $X:5071" "$LAB_DIR/healthd.log"
p0=$(grep -ac "Probe options of udp $X:5071" "$LAB_DIR/healthd.log")
t0=$SECONDS
for ((i = 0; i < 40; i++)); do
        hd_cmd a report "$tf" ok >/dev/null
        hd_cmd a report "$tf" timeout >/dev/null
done
p1=$(grep -ac "Probe options of udp $X:5071" "$LAB_DIR/healthd.log")
max=$((4 * ((SECONDS - t0) / 2 + 1) + 2))
(((p1 - p0) <= max)) || lab_fail "$((p1 - p0)) probes during 80 flipping Reports in $((SECONDS - t0)) s (at most $max)"

# A watcher that leaves the bus releases its targets: a's remaining ones are the IPv6 one
# (shared with b) and $tr (a only).
lab_signal client-a KILL
lab_wait_for 10 "$tr to disappear when its only watcher left the bus" \
        bash -c "! busctl --system introspect org.sipr.Health1 $tr >/dev/null 2>&1" ||
        lab_fail "$tr survived its watcher's disconnect"
hd_object_exists "$t6" || lab_fail "$t6 vanished although b still watches it"
lab_signal client-b KILL
lab_wait_for 10 "$t6 to disappear" bash -c "! busctl --system introspect org.sipr.Health1 $t6 >/dev/null 2>&1" ||
        lab_fail "$t6 survived its watchers' disconnect"
grep -q "member=InterfacesAdded" "$LAB_DIR/monitor-om.log" || lab_fail "no InterfacesAdded signal seen"
grep -q "member=InterfacesRemoved" "$LAB_DIR/monitor-om.log" || lab_fail "no InterfacesRemoved signal seen"
lab_assert_eq "[]" "$(lab_siprctl health --json)" "targets after every watcher left"

# IPv6 probes: nobody listens on these ports of ::1, so each method fails the way it should.
if ip -6 addr show lo 2>/dev/null | grep -q "::1"; then
        mapfile -t V6 < <(hd_watch v6 "udp ::1 5098 interval_ms=400 down_after=1" \
                "tcp ::1 5098 interval_ms=400 down_after=1 method=options" \
                "tcp [::1] 5097 interval_ms=400 down_after=1 method=crlf")
        hd_wait_state 20 "${V6[0]}" down
        lab_assert_eq icmp "$(hd_prop "${V6[0]}" LastError)" "OPTIONS over UDP to a closed IPv6 port"
        hd_wait_state 20 "${V6[1]}" down
        lab_assert_eq refused "$(hd_prop "${V6[1]}" LastError)" "OPTIONS over TCP to a closed IPv6 port"
        hd_wait_state 20 "${V6[2]}" down
        lab_assert_eq refused "$(hd_prop "${V6[2]}" LastError)" "CRLF to a closed IPv6 port"
        lab_stop_process watcher-v6
fi

# siprctl without healthd: exit 3 and a message naming the service.
lab_service_stop healthd
set +e
out=$(lab_siprctl health 2>&1)
rc=$?
set -e
lab_assert_eq 3 "$rc" "siprctl health exit code without healthd"
[[ "$out" == *sipr-healthd* ]] || lab_fail "siprctl health without healthd: $out"
echo ok
