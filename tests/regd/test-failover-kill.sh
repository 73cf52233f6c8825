#!/usr/bin/env bash
# Two IP-literal servers (fallback, concurrent by default): both registrars hold a binding;
# registrar 1 SIGKILLed (ICMP port unreachable) → WorkingServer moves to registrar 2, which keeps
# its binding; registrar 1 back → working again. Judged at the registrars and over D-Bus.
source "$(dirname "$0")/regd-lib.sh"
regd_setup

lab_registrar_start 1
lab_registrar_start 2
R1=$(lab_registrar_addr 1)
R2=$(lab_registrar_addr 2)
regd_account 1 1001 "$R1" "$R2"
regd_cfg "account.1.sip_server.1.expires = 30" "account.1.sip_server.2.expires = 30" \
        "account.1.reg_fail_retry_interval = 2" "sip.timer_t1 = 0.1"
regd_start_configd
regd_start

regd_wait 30 "account 1 registered" regd_is 1 registered
regd_wait 30 "registrar 1 holds the binding of 1001" lab_has_binding 1 1001
regd_wait 30 "registrar 2 holds the binding of 1001" lab_has_binding 2 1001
lab_assert_eq "$(regd_uri 1)" "$(regd_working 1)" "WorkingServer while registrar 1 is up"
lab_assert_eq concurrent "$(regd_prop 1 Mode)" "Mode"
lab_assert_eq 1 "$(lab_binding_count 1 1001)" "contacts on registrar 1"
lab_assert_eq 1 "$(lab_binding_count 2 1001)" "contacts on registrar 2"
[[ "$(regd_prop 1 Aor)" == "sip:1001@$R1" ]] || lab_fail "Aor: $(regd_prop 1 Aor)"

lab_registrar_kill 1
regd_wait 40 "WorkingServer moves to registrar 2" regd_working_is 1 "$(regd_uri 2)"
lab_assert_eq registered "$(regd_state 1)" "State after failover"
lab_has_binding 2 1001 || lab_fail "registrar 2 lost the binding"
[[ "$(regd_prop 1 Failovers)" -ge 1 ]] || lab_fail "Failovers not counted"
lab_siprctl status 1

lab_registrar_start 1
regd_wait 40 "registrar 1 holds a binding again" lab_has_binding 1 1001
regd_wait 20 "WorkingServer back on registrar 1" regd_working_is 1 "$(regd_uri 1)"
lab_assert_eq 1 "$(lab_binding_count 2 1001)" "contacts on registrar 2 (never a second one)"
echo "ok"
