#!/usr/bin/env bash
# Proactive failover (sipr): failover mode via SRV with a long expiry, so no refresh is due;
# registrar 1 frozen (silent) → healthd marks it down → regd registers at registrar 2 at once.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
lab_registrar_start 2
regd_start_dns
regd_account 1 1001 lab.test
regd_cfg "account.1.sip_server.1.port = 0" "account.1.sip_server.1.expires = 3600" \
        "account.1.sip_server.1.register_on_enable = 1" "account.1.sip_server.1.failback_mode = 0" \
        "sipr.failback.hold_down = 1" "sip.timer_t1 = 0.1"
regd_health_cfg
regd_start_configd
regd_start_healthd
regd_start

regd_wait 30 "working on registrar 1" regd_working_is 1 "$(regd_uri 1)"
lab_registrar_freeze 1
regd_wait 30 "WorkingServer is registrar 2 (long before the refresh at 54 min)" regd_working_is 1 "$(regd_uri 2)"
regd_wait 10 "registrar 2 holds the binding" lab_has_binding 2 1001
lab_registrar_thaw 1
# failback 0 + health up + hold_down 1 s: back without waiting for the refresh
regd_wait 40 "failback to registrar 1" regd_working_is 1 "$(regd_uri 1)"
regd_wait 10 "registrar 2 binding removed" lab_has_no_binding 2 1001
echo ok
