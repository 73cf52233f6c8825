#!/usr/bin/env bash
# retry_counts on a non-last address: lab.test → SRV reg1 (a silent sipp), reg2 (Kamailio). The
# silent server sees exactly 1 + retry_counts copies of the REGISTER, then regd moves on.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
RETRY=2
lab_sipp_start silent silent 1
lab_registrar_start 2
regd_start_dns
regd_account 1 1001 lab.test
regd_cfg "account.1.sip_server.1.port = 0" "account.1.sip_server.1.register_on_enable = 1" \
        "account.1.sip_server.1.retry_counts = $RETRY" "account.1.sip_server.1.failback_mode = 2" \
        "sip.timer_t1 = 0.2" "sip.timer_t2 = 4"
regd_start_configd
regd_start

regd_wait 60 "registered at registrar 2" regd_working_is 1 "$(regd_uri 2)"
regd_wait 10 "registrar 2 holds the binding" lab_has_binding 2 1001
sleep 3 # any late retransmission would arrive now
lab_assert_eq $((1 + RETRY)) "$(regd_sipp_transmissions silent REGISTER)" "REGISTER copies at the silent non-last address"
lab_assert_eq 1 "$(lab_sipp_received silent REGISTER)" "REGISTER transactions at the silent address"
echo ok
