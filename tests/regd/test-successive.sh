#!/usr/bin/env bash
# Successive fallback: exactly one registrar holds a binding; registrar 1 dies → registrar 2;
# registrar 1 back → within fallback.timeout regd moves back and removes the registrar-2 binding.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
lab_registrar_start 2
regd_account 1 1001 "$(lab_registrar_addr 1)" "$(lab_registrar_addr 2)"
regd_cfg "account.1.fallback.redundancy_type = 1" "account.1.fallback.timeout = 10" \
        "account.1.sip_server.1.expires = 30" "account.1.sip_server.2.expires = 30" \
        "account.1.reg_fail_retry_interval = 2" "sip.timer_t1 = 0.1"
regd_start_configd
regd_start

regd_wait 30 "working on registrar 1" regd_working_is 1 "$(regd_uri 1)"
lab_assert_eq successive "$(regd_prop 1 Mode)" "Mode"
regd_wait 10 "only registrar 1 holds a binding" regd_only_on 1 1001

lab_registrar_kill 1
regd_wait 40 "working on registrar 2" regd_working_is 1 "$(regd_uri 2)"
regd_wait 10 "registrar 2 holds the binding" lab_has_binding 2 1001

lab_registrar_start 1
lab_has_no_binding 1 1001 || lab_fail "registrar 1 has a binding before any probe"
regd_wait 40 "back on registrar 1" regd_working_is 1 "$(regd_uri 1)"
regd_wait 10 "only registrar 1 holds a binding (fallback binding removed)" regd_only_on 1 1001
echo ok
