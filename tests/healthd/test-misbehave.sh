#!/usr/bin/env bash
# Servers that answer badly: sipp answering 503 is alive (up); sipp never answering is down;
# sipp sending a malformed response is down; a TCP server that accepts and never speaks is down
# for options and crlf while healthd keeps answering on the bus; one that floods garbage is down
# and costs healthd no memory.
source "$(dirname "$0")/healthd-lib.sh"
hd_setup
lab_service_start healthd
S503=$(lab_registrar_addr 1)
SILENT=$(lab_registrar_addr 2)
GARBAGE=$(lab_registrar_addr 3)
MUTE=$LAB_NET.9
FLOOD=$LAB_NET.10

lab_sipp_start s503 503 1
lab_sipp_start silent silent 2
lab_sipp_start garbage garbage 3
lab_spawn mute "$LAB_DIR/mute.log" "$(dirname "$0")/bad-server.py" mute "$MUTE" 5060 >/dev/null
lab_spawn flood "$LAB_DIR/flood.log" "$(dirname "$0")/bad-server.py" flood "$FLOOD" 5060 >/dev/null
lab_spawn mute2 "$LAB_DIR/mute2.log" "$(dirname "$0")/bad-server.py" mute "$MUTE" 5062 >/dev/null
lab_spawn flood2 "$LAB_DIR/flood2.log" "$(dirname "$0")/bad-server.py" flood "$FLOOD" 5062 >/dev/null
for s in mute flood mute2 flood2; do
        lab_wait_for 10 "python server $s listening" grep -q listening "$LAB_DIR/$s.log"
done

mapfile -t P < <(hd_watch w \
        "udp $S503 5060 interval_ms=400 method=options down_after=2 up_after=2" \
        "udp $SILENT 5060 interval_ms=400 method=options down_after=2 up_after=2" \
        "udp $GARBAGE 5060 interval_ms=400 method=options down_after=2 up_after=2" \
        "tcp $MUTE 5060 interval_ms=400 method=crlf down_after=2 up_after=2" \
        "tcp $FLOOD 5060 interval_ms=400 method=crlf down_after=2 up_after=2")
mapfile -t Q < <(hd_watch v \
        "tcp $S503 5061 interval_ms=400 method=options" \
        "tcp $MUTE 5062 interval_ms=400 method=options" \
        "tcp $FLOOD 5062 interval_ms=400 method=options")

hd_wait_state 20 "${P[0]}" up
rtt=$(hd_prop "${P[0]}" RttUsec)
((rtt > 0)) || lab_fail "503 answers must give an RTT, got $rtt"
# It must have been the 503s that made it up: sipp saw our OPTIONS.
n=$(lab_sipp_received s503 OPTIONS)
((n >= 1)) || lab_fail "sipp 503 received no OPTIONS"

hd_wait_state 20 "${P[1]}" down
lab_assert_eq timeout "$(hd_prop "${P[1]}" LastError)" "silent server LastError"
n=$(lab_sipp_received silent OPTIONS)
((n >= 2)) || lab_fail "sipp silent received $n OPTIONS, expected at least down_after (2)"

hd_wait_state 20 "${P[2]}" down
lab_assert_eq timeout "$(hd_prop "${P[2]}" LastError)" "garbage server LastError (malformed answers are dropped)"

# Accepts TCP, never speaks.
hd_wait_state 20 "${P[3]}" down
lab_assert_eq timeout "$(hd_prop "${P[3]}" LastError)" "mute server, crlf"

# Floods: no pong can be found in garbage; the flow is dropped, not buffered.
hd_wait_state 20 "${P[4]}" down
e=$(hd_prop "${P[4]}" LastError)
[[ "$e" == bad-reply || "$e" == timeout ]] || lab_fail "flood server, crlf: LastError $e"

# OPTIONS over TCP: nobody on port 5061 of the sipp address (refused); the mute server never
# answers (timeout); the flood is garbage to the SIP parser, which drops the connection.
for t in "${Q[@]}"; do
        hd_wait_state 20 "$t" down
done
lab_assert_eq refused "$(hd_prop "${Q[0]}" LastError)" "options to a closed TCP port"
lab_assert_eq timeout "$(hd_prop "${Q[1]}" LastError)" "options to a mute TCP server"
lab_assert_eq bad-reply "$(hd_prop "${Q[2]}" LastError)" "options to a TCP server flooding garbage"

mapfile -t R < <(hd_watch x \
        "tcp $MUTE 5060 interval_ms=400 method=options" \
        "tcp $FLOOD 5060 interval_ms=400 method=options")
# Same (transport, address, port) as the crlf targets above: shared objects.
lab_assert_eq "${P[3]}" "${R[0]}" "second Watch of the mute target returns the same object"
lab_assert_eq "${P[4]}" "${R[1]}" "second Watch of the flood target returns the same object"

# Let the flood run for a while, then check healthd is responsive and small.
pid=$(pgrep -f "services/healthd/sipr-healthd" -P "$(lab_pid healthd)" || lab_pid healthd)
for ((i = 0; i < 10; i++)); do
        timeout 5 busctl --system call org.sipr.Health1 /org/sipr/Health1 org.freedesktop.DBus.Peer Ping >/dev/null ||
                lab_fail "healthd did not answer a Ping within 5 s under the flood"
        timeout 5 "$SIPR_BUILD_ROOT/tools/siprctl/siprctl" health >/dev/null || lab_fail "siprctl health failed under the flood"
        sleep 0.3
done
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
# Under a wrapper (valgrind) the RSS is the wrapper's: only bound it for the plain daemon.
if [[ -z "${SIPR_WRAPPER:-}" ]]; then
        ((rss < 65536)) || lab_fail "healthd RSS is ${rss} KiB under the flood (bound: 64 MiB)"
fi
kill -0 "$pid" || lab_fail "healthd died"
echo "ok (healthd RSS ${rss} KiB)"
