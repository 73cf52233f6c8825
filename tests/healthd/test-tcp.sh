#!/usr/bin/env bash
# TCP against a real Kamailio, with the three methods at once on three ports' worth of targets:
# options and crlf on 5060, connect through a second registrar. SIGKILL → RST/closed flow → down
# at once (refused); restart → up; SIGSTOP → down after timeouts; SIGCONT → up.
source "$(dirname "$0")/healthd-lib.sh"
hd_setup
lab_registrar_start 1
lab_registrar_start 2
lab_service_start healthd
A=$(lab_registrar_addr 1)
B=$(lab_registrar_addr 2)

mapfile -t P < <(hd_watch w "tcp $A 5060 interval_ms=500 method=crlf down_after=2 up_after=2" \
        "tcp $B 5060 interval_ms=500 method=options down_after=2 up_after=2")
CRLF=${P[0]}
OPT=${P[1]}
# connect is checked against registrar 2 through a second watcher: same address+transport means
# the same object, whatever the method, so it gets its own registrar here.
lab_registrar_start 3
C=$(lab_registrar_addr 3)
CONN=$(hd_watch c "tcp $C 5060 interval_ms=500 method=connect down_after=2 up_after=2")

for t in "$CRLF" "$OPT" "$CONN"; do
        hd_wait_state 20 "$t" up
        rtt=$(hd_prop "$t" RttUsec)
        ((rtt > 0)) || lab_fail "$t: RttUsec is $rtt while up"
done
lab_assert_eq tcp "$(hd_prop "$CRLF" Transport)" "Transport"
lab_assert_eq 5060 "$(hd_prop "$CRLF" Port)" "Port"

# Kill all three: the kept CRLF flow is closed under us, the others see RST on connect.
mark=$(wc -l <"$LAB_DIR/healthd.log")
lab_registrar_kill 1
lab_registrar_kill 2
lab_registrar_kill 3
for t in "$CRLF" "$OPT" "$CONN"; do
        hd_wait_state 20 "$t" down
        lab_assert_eq refused "$(hd_prop "$t" LastError)" "$t: LastError after SIGKILL over TCP"
done
n=$(tail -n +"$mark" "$LAB_DIR/healthd.log" | grep -ac "Probe [a-z]* of tcp .*: timeout" || true)
((n <= 3)) || lab_fail "$n TCP probes timed out after the kill although RST was available (at most one in flight per target)"

lab_registrar_start 1
lab_registrar_start 2
lab_registrar_start 3
for t in "$CRLF" "$OPT" "$CONN"; do
        hd_wait_state 30 "$t" up
done

# Freeze: the kernel still accepts connections (backlog) but nobody answers. crlf and options
# time out; a bare connect still succeeds, which is exactly what that method promises.
lab_registrar_freeze 1
lab_registrar_freeze 2
hd_wait_state 30 "$CRLF" down
hd_wait_state 30 "$OPT" down
lab_assert_eq timeout "$(hd_prop "$CRLF" LastError)" "crlf LastError while frozen"
lab_assert_eq timeout "$(hd_prop "$OPT" LastError)" "options LastError while frozen"
lab_registrar_thaw 1
lab_registrar_thaw 2
hd_wait_state 30 "$CRLF" up
hd_wait_state 30 "$OPT" up

out=$(lab_siprctl health)
grep -qE "^tcp +$A:5060 +up " <<<"$out" || lab_fail "siprctl health: $out"
lab_siprctl health --json | jq -e --arg a "$B" '[.[] | select(.address == $a and .transport == "tcp" and .state == "up" and .rtt_usec > 0)] | length == 1' >/dev/null ||
        lab_fail "siprctl health --json: $(lab_siprctl health --json)"
echo ok
