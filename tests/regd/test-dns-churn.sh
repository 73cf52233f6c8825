#!/usr/bin/env bash
# A server name whose address keeps changing (cloud providers do that) must not make regd pile up
# per-address state: SIP registration objects for addresses the name no longer has are dropped
# once idle, and the persisted Call-ID/CSeq list is bounded (test-persist). 10 rounds move
# churn.lab.test to a new address each; regd follows (each address is tried) and keeps at most
# 2 registration objects, and healthd watches at most 2 targets; then the name points at the
# registrar and the account registers.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
regd_account 1 1001 churn.lab.test
regd_cfg "account.1.sip_server.1.port = 5060" "account.1.reg_fail_retry_interval = 1" "sip.timer_t1 = 0.1"
point_at() { LAB_DNS_EXTRA="--address=/churn.lab.test/$1"; }
tried() { grep -q "REGISTER sip:1001@churn.lab.test via sip:$1:5060" "$LAB_DIR/regd.log"; }
# Nothing listens on these addresses: ICMP port unreachable, and the next retry resolves again.
point_at "$LAB_NET.40"
regd_start_configd
regd_start_dns
regd_start_healthd
regd_start
regd_wait 30 "the first address tried" tried "$LAB_NET.40"
max_regs=0 max_targets=0
for i in $(seq 1 10); do
        addr=$LAB_NET.$((40 + i))
        point_at "$addr"
        lab_dns_restart
        regd_wait 30 "round $i: the new address $addr tried" tried "$addr"
        regs=$(lab_service_state regd sip_regs) targets=$(lab_service_state healthd targets)
        echo "round $i: $addr tried, sip_regs=$regs, health targets=$targets"
        ((regs > max_regs)) && max_regs=$regs
        ((targets > max_targets)) && max_targets=$targets
done
((max_regs <= 2)) || lab_fail "regd kept $max_regs SIP registration objects for one account on one server"
# healthd probes only what the account has now: old addresses are unwatched.
((max_targets <= 2)) || lab_fail "healthd watched $max_targets targets for one account on one server"
point_at "$(lab_registrar_addr 1)"
lab_dns_restart
regd_wait 60 "registered on registrar 1" regd_working_is 1 "$(regd_uri 1)"
lab_has_binding 1 1001 || lab_fail "no binding on registrar 1"
echo "after: $(lab_service_state regd)"
echo ok
