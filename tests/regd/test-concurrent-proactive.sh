#!/usr/bin/env bash
# Concurrent fallback with healthd: both registrars hold a binding; registrar 1 dies → as soon
# as healthd marks it down WorkingServer is registrar 2, without a new REGISTER there (its
# binding keeps counting down); registrar 1 back → working again.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
lab_registrar_start 2
regd_account 1 1001 "$(lab_registrar_addr 1)" "$(lab_registrar_addr 2)"
regd_cfg "account.1.sip_server.1.expires = 3600" "account.1.sip_server.2.expires = 3600" \
        "account.1.reg_fail_retry_interval = 2" "sip.timer_t1 = 0.1"
regd_health_cfg
regd_start_configd
regd_start_healthd
regd_start

regd_wait 30 "working on registrar 1" regd_working_is 1 "$(regd_uri 1)"
regd_wait 10 "registrar 2 holds a binding" lab_has_binding 2 1001
read -r _ cid2 exp_before < <(lab_bindings 2 1001)

lab_registrar_kill 1
regd_wait 30 "WorkingServer is registrar 2" regd_working_is 1 "$(regd_uri 2)"
lab_assert_eq registered "$(regd_state 1)" "State"
read -r _ cid2b exp_after < <(lab_bindings 2 1001)
lab_assert_eq "$cid2" "$cid2b" "Call-ID on registrar 2"
((exp_after <= exp_before)) || lab_fail "registrar 2 binding was refreshed ($exp_before → $exp_after): a REGISTER was sent"

lab_registrar_start 1
regd_wait 40 "working on registrar 1 again" regd_working_is 1 "$(regd_uri 1)"
regd_wait 10 "registrar 1 holds a binding" lab_has_binding 1 1001
lab_has_binding 2 1001 || lab_fail "registrar 2 lost its binding"
echo ok
