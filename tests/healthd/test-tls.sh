#!/usr/bin/env bash
# TLS targets: the CRLF keep-alive over TLS (RFC 5626) against small python TLS servers: a server
# that pongs is up with an RTT; killing it is seen at once (the flow closes, the reconnect is
# refused); a server that completes the handshake and never answers is down (timeout); a plain
# TCP server that sends garbage fails the handshake (bad-reply); OPTIONS on TLS probe the same way.
source "$(dirname "$0")/healthd-lib.sh"
hd_setup
lab_service_start healthd
grep -q . <(openssl version) || lab_fail "openssl is needed for the test certificate"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=lab.test -days 1 \
        -keyout "$LAB_DIR/key.pem" -out "$LAB_DIR/cert.pem" >/dev/null 2>&1
S=$LAB_NET.40
srv() { # NAME MODE PORT
        lab_spawn "$1" "$LAB_DIR/$1.log" "$(dirname "$0")/tls-server.py" "$2" "$S" "$3" "$LAB_DIR/cert.pem" "$LAB_DIR/key.pem" >/dev/null
        lab_wait_for 10 "TLS server $1" grep -q listening "$LAB_DIR/$1.log"
}
srv pong pong 5061
srv mute mute 5062
lab_spawn flood "$LAB_DIR/flood.log" "$(dirname "$0")/bad-server.py" flood "$S" 5063 >/dev/null
lab_wait_for 10 "flood server" grep -q listening "$LAB_DIR/flood.log"
srv pong2 pong 5064

mapfile -t P < <(hd_watch w "tls $S 5061 method=crlf interval_ms=1000" "tls $S 5062 method=crlf interval_ms=400" \
        "tls $S 5063 method=crlf interval_ms=400" "tls $S 5064 method=options interval_ms=400")
PONG=${P[0]}
MUTE=${P[1]}
FLOOD=${P[2]}
OPT=${P[3]}

hd_wait_state 20 "$PONG" up
rtt=$(hd_prop "$PONG" RttUsec)
((rtt > 0)) || lab_fail "RttUsec of an up TLS target is $rtt"
lab_assert_eq tls "$(hd_prop "$PONG" Transport)" "Transport"
hd_wait_state 20 "$OPT" up
hd_wait_state 20 "$MUTE" down
lab_assert_eq timeout "$(hd_prop "$MUTE" LastError)" "TLS server that never answers"
hd_wait_state 20 "$FLOOD" down
lab_assert_eq bad-reply "$(hd_prop "$FLOOD" LastError)" "plain garbage on a TLS port"

# One flow per target, kept: four more successful probes, no new connection.
oks() { grep -ac "Probe crlf of tls $S:5061: ok" "$LAB_DIR/healthd.log"; }
a0=$(grep -c accepted "$LAB_DIR/pong.log")
o0=$(oks)
lab_wait_for 30 "four more probes" bash -c "(( \$(grep -ac 'Probe crlf of tls $S:5061: ok' '$LAB_DIR/healthd.log') >= $o0 + 4 ))" ||
        lab_fail "fewer than 4 more successful probes of $S:5061"
lab_assert_eq "$a0" "$(grep -c accepted "$LAB_DIR/pong.log")" "TLS connections accepted by the pong server during 4 probes"
lab_signal pong KILL
hd_wait_state 20 "$PONG" down
lab_assert_eq refused "$(hd_prop "$PONG" LastError)" "TLS server killed"
srv pong pong 5061
hd_wait_state 20 "$PONG" up
lab_siprctl health | grep -qE "^tls +$S:5061 +up " || lab_fail "siprctl health: $(lab_siprctl health)"
echo ok
