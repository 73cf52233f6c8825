#!/usr/bin/env bash
# register_on_enable = 0 (the default, as on Yealink): in failover only the primary is REGISTERed
# with. When it dies the account is failed (no binding anywhere), WorkingServer names the next
# address not known down, where new requests go without a registration, and Usable stays true.
# only_signal_with_registered does not change that (Yealink applies it only with
# register_on_enable = 1). Nothing was registered elsewhere, so Failovers stays 0 and the log never
# says "registered via"/"registering via" the secondary. With every registrar dead (healthd sees
# them), WorkingServer is empty and Usable false.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
lab_registrar_start 2
regd_start_dns
regd_health_cfg
regd_account 1 1001 lab.test
regd_cfg "account.1.sip_server.1.port = 0" "account.1.sip_server.1.expires = 30" \
        "account.1.reg_fail_retry_interval = 600"
regd_account 2 1002 lab.test
regd_cfg "account.2.sip_server.1.port = 0" "account.2.sip_server.1.expires = 30" \
        "account.2.reg_fail_retry_interval = 600" \
        "account.2.sip_server.1.only_signal_with_registered = 1"
regd_start_configd
regd_start_healthd
regd_start
r1=$(regd_uri 1) r2=$(regd_uri 2)
regd_wait 30 "account 1 on registrar 1" regd_working_is 1 "$r1"
regd_wait 30 "account 2 on registrar 1" regd_working_is 2 "$r1"
lab_assert_eq true "$(regd_prop 1 Usable)" "account 1 Usable while registered"
mark=$(regd_log_mark)

lab_registrar_kill 1
for x in 1 2; do
        regd_wait 40 "account $x failed" regd_is $x failed
        regd_wait 20 "account $x WorkingServer names the secondary" regd_working_is $x "$r2"
        lab_assert_eq true "$(regd_prop $x Usable)" "account $x Usable (requests go to the secondary)"
        lab_assert_eq 0 "$(regd_prop $x Failovers)" "account $x Failovers (nothing registered elsewhere)"
done
regd_log_since "$mark" | grep -q "Account 1: failed: .*; new requests go to $r2 without a registration" ||
        lab_fail "no log line saying where new requests go: $(regd_log_since "$mark" | grep 'Account 1' | tail -5)"
if regd_log_since "$mark" | grep -E "Account [12]: (registering|registered) via $r2"; then
        lab_fail "the log says the account registers via the secondary"
fi
lab_siprctl status 1 | grep -q "working server:   $r2  (not registered there" ||
        lab_fail "siprctl status does not say the working server holds no registration: $(lab_siprctl status 1)"

lab_registrar_kill 2
regd_wait 30 "account 1 WorkingServer empty once every registrar is down" regd_working_is 1 ""
lab_assert_eq false "$(regd_prop 1 Usable)" "account 1 Usable with every registrar down"
lab_registrar_start 2
regd_wait 30 "account 1 WorkingServer back on the secondary" regd_working_is 1 "$r2"
lab_assert_eq true "$(regd_prop 1 Usable)" "account 1 Usable with the secondary back"

lab_has_no_binding 2 1001 || lab_fail "registrar 2 got a REGISTER with register_on_enable = 0"
lab_has_no_binding 2 1002 || lab_fail "registrar 2 got a REGISTER with register_on_enable = 0"
echo ok
