#!/usr/bin/env bash
# Hostile TLS servers against healthd's TLS probes (crlf and options): resets during and after the
# handshake, a close without close_notify, a reset after the ping. Each server sees at least 20
# connections (bounded wait); healthd must still be running and answering, and every target be
# down. A write to a reset TLS connection must not kill the daemon (SIGPIPE: it did, until the
# daemons ignored it in common/service.c).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$SIPR_LAB/lab.sh"
source "$here/../healthd/healthd-lib.sh"
lab_init
lab_dbus_start
lab_service_start healthd
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=lab.test -days 1 \
        -keyout "$LAB_DIR/key.pem" -out "$LAB_DIR/cert.pem" >/dev/null 2>&1 || lab_fail "openssl req"
S=$LAB_NET.41
modes=(rst-handshake rst-after fin-after rst-after-ping)
specs=()
port=5070
for m in "${modes[@]}"; do
        lab_spawn "$m" "$LAB_DIR/$m.log" "$here/hostile-tls.py" "$m" "$S" "$port" "$LAB_DIR/cert.pem" "$LAB_DIR/key.pem" >/dev/null
        lab_wait_for 10 "TLS server $m" grep -q listening "$LAB_DIR/$m.log" || lab_fail "server $m: $(cat "$LAB_DIR/$m.log")"
        specs+=("tls $S $port method=crlf interval_ms=200" "tls $S $port method=options interval_ms=200")
        port=$((port + 1))
done
mapfile -t P < <(hd_watch w "${specs[@]}")
((${#P[@]} == ${#specs[@]})) || lab_fail "watch: ${P[*]}"
pid=$(lab_pid healthd)
# Enough connections, or healthd is gone (then fail at once rather than at the deadline).
enough() { (($(grep -c '^accepted' "$LAB_DIR/$1.log") >= 20)) || ! kill -0 "$pid" 2>/dev/null; }
for m in "${modes[@]}"; do
        lab_wait_for 120 "20 connections to $m" enough "$m" ||
                lab_fail "$m saw $(grep -c '^accepted' "$LAB_DIR/$m.log") connections; healthd alive: $(kill -0 "$pid" 2>/dev/null && echo yes || echo no); log: $(tail -5 "$LAB_DIR/healthd.log")"
        kill -0 "$pid" 2>/dev/null || lab_fail "healthd died while probing $m: $(tail -5 "$LAB_DIR/healthd.log")"
done
kill -0 "$pid" 2>/dev/null || lab_fail "healthd died: $(tail -5 "$LAB_DIR/healthd.log")"
lab_has_name org.sipr.Health1 || lab_fail "healthd left the bus"
for p in "${P[@]}"; do
        hd_wait_state 30 "$p" down
done
echo "connections: $(for m in "${modes[@]}"; do printf '%s=%s ' "$m" "$(grep -c '^accepted' "$LAB_DIR/$m.log")"; done)"
echo PASS
