#!/usr/bin/env bash
# On the last (here: only) address the full 64·T1 applies: far more than 1 + retry_counts copies
# reach the silent server before the transaction times out (LastStatus 408, State failed).
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_sipp_start silent silent 1
regd_account 1 1001 "$(lab_registrar_addr 1)"
regd_cfg "account.1.sip_server.1.retry_counts = 2" "account.1.reg_fail_retry_interval = 600" \
        "sip.timer_t1 = 0.1" "sip.timer_t2 = 0.4"
regd_start_configd
regd_start

regd_wait 60 "account 1 failed after timer F" regd_is 1 failed
lab_assert_eq 408 "$(regd_prop 1 LastStatus)" "LastStatus"
n=$(regd_sipp_transmissions silent REGISTER)
# 64·T1 = 6.4 s with T1 0.1, T2 0.4: 0, .1, .3, then every .4 s → about 18 copies.
((n >= 12)) || lab_fail "only $n REGISTER copies on the last address; expected the full 64·T1 of retransmissions"
lab_assert_eq 1 "$(lab_sipp_received silent REGISTER)" "one transaction until reg_fail_retry_interval"
echo "ok: $n copies"
