#!/usr/bin/env bash
# RFC 2782 weighted selection seen from outside: one priority with weights 80/20 (and a weight-0
# record), resolved many times with the cache flushed in between. Bounds are wide (≈5 σ) so the
# test checks the distribution, not luck.
set -euo pipefail
source "$SIPR_LAB/lab.sh"
source "$(dirname "$0")/lib.sh"

lab_init
LAB_DNS_EXTRA=(
        --srv-host=_sip._udp.weighted.lab.test,reg1.lab.test,5060,10,80
        --srv-host=_sip._udp.weighted.lab.test,reg2.lab.test,5060,10,20
        --srv-host=_sip._udp.weighted.lab.test,reg3.lab.test,5060,10,0
        --srv-host=_sip._udp.weighted.lab.test,reg3.lab.test,5099,5,0
)
lab_dns_start
rs_start --dns="$(lab_dns_addr)"
R1=$(lab_registrar_addr 1) R2=$(lab_registrar_addr 2) R3=$(lab_registrar_addr 3)

N=300
declare -A first=()
for ((i = 0; i < N; i++)); do
        rs_flush
        out=$(rs_targets weighted.lab.test 0 udp)
        # Priority 5 always first, then the three priority-10 records in some order.
        [[ "$(sed -n 1p <<<"$out")" == "udp $R3 5099 5 0" ]] || lab_fail "priority 5 not first: $out"
        [[ $(wc -l <<<"$out") == 4 ]] || lab_fail "expected 4 targets: $out"
        f=$(sed -n 2p <<<"$out" | awk '{ print $2 ":" $5 }')
        first[$f]=$((${first[$f]:-0} + 1))
done
w80=${first[$R1:80]:-0} w20=${first[$R2:20]:-0} w0=${first[$R3:0]:-0}
echo "first among priority 10 over $N rounds: weight 80: $w80, weight 20: $w20, weight 0: $w0"
# Expected: 80/101, 20/101, 1/101 of N (weight 0 only wins when the random number is 0).
((w80 >= N * 60 / 100 && w80 <= N * 92 / 100)) || lab_fail "weight 80 first $w80/$N times"
((w20 >= N * 8 / 100 && w20 <= N * 35 / 100)) || lab_fail "weight 20 first $w20/$N times"
((w0 <= N * 6 / 100)) || lab_fail "weight 0 first $w0/$N times"
echo "PASS"
