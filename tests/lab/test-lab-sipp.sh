#!/usr/bin/env bash
# Lab self-test: each sipp misbehaving server answers as named, over UDP and TCP, and counts
# what it received.
set -eu -o pipefail
source "${SIPR_LAB:-$(dirname "$0")}/selftest-lib.sh"

lab_init

step "sipp misbehaving servers answer as named"
declare -A N=()
n=3
for s in 200 503 503-retry-after 401-loop 403 silent garbage; do
        lab_sipp_start "$s" "$s" "$n"
        N[$s]=$n
        n=$((n + 1))
done
at() { lab_registrar_addr "${N[$1]}"; }
expect_probe 200 "$(at 200)" udp REGISTER "sipp 200"
expect_probe 503 "$(at 503)" udp REGISTER "sipp 503"
probe "$(at 503)" udp REGISTER Retry-After
lab_assert_eq "503" "$(paste -sd ' ' <<<"$PROBE_OUT")" "plain 503 (no Retry-After)"
probe "$(at 503-retry-after)" udp REGISTER Retry-After
lab_assert_eq "503 30" "$(paste -sd ' ' <<<"$PROBE_OUT")" "sipp 503-retry-after"
probe "$(at 401-loop)" udp REGISTER WWW-Authenticate
n1=$(sed -n 2p <<<"$PROBE_OUT")
probe "$(at 401-loop)" udp REGISTER WWW-Authenticate
n2=$(sed -n 2p <<<"$PROBE_OUT")
[[ "$n1" == *nonce=* && "$n1" != "$n2" ]] || lab_fail "401-loop nonces not fresh: '$n1' '$n2'"
if lab_register "${N[401-loop]}" 1001 60 cid-401-loop; then lab_fail "registering against 401-loop succeeded"; fi
# The probes, then the UAC's REGISTER and its authenticated retry (which gets 401 again).
lab_assert_eq $((${SENT["$(at 401-loop) REGISTER"]} + 2)) "$(lab_sipp_received 401-loop REGISTER)" "REGISTERs seen by 401-loop"
expect_probe 403 "$(at 403)" udp REGISTER "sipp 403"
expect_probe timeout "$(at silent)" udp REGISTER "sipp silent"
expect_probe garbage "$(at garbage)" udp REGISTER "sipp garbage"
expect_probe 503 "$(at 503)" udp OPTIONS "sipp 503 answers OPTIONS too"
lab_assert_eq "${SENT["$(at silent) REGISTER"]}" "$(lab_sipp_received silent REGISTER)" "REGISTERs the silent server received"
lab_assert_eq "${SENT["$(at 503) REGISTER"]}" "$(lab_sipp_received 503 REGISTER)" "REGISTERs the 503 server received"
lab_assert_eq "${SENT["$(at 503) OPTIONS"]}" "$(lab_sipp_received 503 OPTIONS)" "OPTIONS the 503 server received"
lab_sipp_stop 503
expect_probe refused "$(at 503)" udp REGISTER "stopped sipp"
sent_udp=${SENT["$(at 503) REGISTER"]}
lab_sipp_start 503tcp 503 "${N[503]}" -t t1
expect_probe 503 "$(at 503)" tcp REGISTER "sipp 503 over TCP"
lab_assert_eq "$((${SENT["$(at 503) REGISTER"]} - sent_udp))" "$(lab_sipp_received 503tcp REGISTER)" "REGISTERs the TCP 503 server received"

echo "lab self-test (sipp): all checks passed"
