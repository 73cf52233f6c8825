#!/usr/bin/env bash
# SIP OPTIONS over UDP against a real Kamailio: up with an RTT; SIGKILL → down at once through
# ICMP; restart → up; SIGSTOP → down after down_after timeouts; SIGCONT → up after up_after
# successes. Each transition is exactly one PropertiesChanged carrying State with the rest.
source "$(dirname "$0")/healthd-lib.sh"
hd_setup
lab_registrar_start 1
lab_service_start healthd
hd_monitor_start m
A=$(lab_registrar_addr 1)

T=$(hd_watch w "udp $A 5060 interval_ms=500 method=options down_after=3 up_after=2")

hd_wait_state 20 "$T" up
rtt=$(hd_prop "$T" RttUsec)
((rtt > 0)) || lab_fail "RttUsec of an up target is $rtt"
lab_assert_eq "0" "$(hd_prop "$T" Failures)" "Failures while up"
since=$(hd_prop "$T" LastChangeUsec)
now=$(($(date +%s) * 1000000))
((since > now - 120000000 && since <= now + 5000000)) || lab_fail "LastChangeUsec $since is not a recent CLOCK_REALTIME time (now $now)"
lab_siprctl health | grep -E "^udp +$A:5060 +up " >/dev/null || lab_fail "siprctl health does not show the target up: $(lab_siprctl health)"

# SIGKILL: the next probe gets ICMP port unreachable; three of them (down_after) in a row.
mark=$(wc -l <"$LAB_DIR/healthd.log")
lab_registrar_kill 1
hd_wait_state 20 "$T" down
lab_assert_eq icmp "$(hd_prop "$T" LastError)" "LastError after SIGKILL over UDP"
f=$(hd_prop "$T" Failures)
((f >= 3)) || lab_fail "Failures after going down is $f, expected >= down_after (3)"
# ICMP answers at once: only a probe already in flight when the server died may have waited for
# its deadline.
n=$(tail -n +"$mark" "$LAB_DIR/healthd.log" | grep -ac "Probe options of udp $A:5060: timeout" || true)
((n <= 1)) || lab_fail "$n probes timed out after the kill although ICMP was available"
lab_siprctl health | grep -E "^udp +$A:5060 +down .* icmp " >/dev/null || lab_fail "siprctl health: $(lab_siprctl health)"

lab_registrar_start 1
hd_wait_state 20 "$T" up
lab_assert_eq "0" "$(hd_prop "$T" Failures)" "Failures after recovery"

# SIGSTOP: a black hole, every probe times out; down exactly at the third (down_after) timeout
# in a row after the last success.
mark=$(wc -l <"$LAB_DIR/healthd.log")
lab_registrar_freeze 1
hd_wait_state 30 "$T" down
lab_assert_eq timeout "$(hd_prop "$T" LastError)" "LastError while frozen"
r=$(hd_results_before "$LAB_DIR/healthd.log" "$mark" "udp $A:5060" down)
[[ "$r" =~ (^|ok )timeout\ timeout\ timeout$ ]] || lab_fail "probe results before down: '$r' (want ... ok timeout timeout timeout)"
# SIGCONT: up exactly at the second (up_after) success in a row.
mark=$(wc -l <"$LAB_DIR/healthd.log")
lab_registrar_thaw 1
hd_wait_state 30 "$T" up
r=$(hd_results_before "$LAB_DIR/healthd.log" "$mark" "udp $A:5060" up)
[[ "$r" =~ (^|timeout )ok\ ok$ ]] || lab_fail "probe results before up: '$r' (want ... timeout ok ok)"

# One signal per transition: unknown→up, up→down, down→up, up→down, down→up.
sleep 1
sigs=$(hd_monitor_signals m "$T")
n=$(grep -c 'State' <<<"$sigs" || true)
lab_assert_eq 5 "$n" "PropertiesChanged signals carrying State (got: $(tr '\n' ' ' <<<"$sigs"))"
# A transition carries everything that changed with it, in the same signal.
grep -q '^State,LastChangeUsec,Failures$' <<<"$sigs" ||
        lab_fail "no single signal with State,LastChangeUsec,Failures for a transition to down: $(tr '\n' ' ' <<<"$sigs")"
grep -q '^State,RttUsec,LastChangeUsec' <<<"$sigs" ||
        lab_fail "no single signal with State,RttUsec,LastChangeUsec for a transition to up: $(tr '\n' ' ' <<<"$sigs")"
echo "ok"
