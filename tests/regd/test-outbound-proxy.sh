#!/usr/bin/env bash
# Outbound proxies: REGISTER for lab.test goes through outbound_proxy.1 (registrar 1; lab.test
# itself is never resolved: no DNS runs); proxy 1 dies → through proxy 2 (never both: no
# concurrent registration); proxy 1 back → preferred again after outbound_proxy_fallback_interval,
# and the binding made through proxy 2 is removed.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
lab_registrar_start 2
regd_account 1 1001 lab.test
regd_cfg "account.1.sip_server.1.expires = 30" "account.1.outbound_proxy_enable = 1" \
        "account.1.outbound_proxy.1.address = $(lab_registrar_addr 1)" \
        "account.1.outbound_proxy.2.address = $(lab_registrar_addr 2)" \
        "account.1.outbound_proxy_fallback_interval = 30" "sip.timer_t1 = 0.1"
regd_start_configd
regd_start

regd_wait 30 "registered through proxy 1" regd_working_is 1 "$(regd_uri 1)"
regd_wait 10 "registrar 1 holds the binding" lab_has_binding 1 1001
lab_assert_eq failover "$(regd_prop 1 Mode)" "Mode with outbound proxies"
lab_has_no_binding 2 1001 || lab_fail "a binding through proxy 2 while proxy 1 works"
lab_assert_eq "$(lab_registrar_addr 1) $(lab_registrar_addr 2)" \
        "$(lab_siprctl status 1 --json | jq -r '[.servers[].name] | join(" ")')" "Servers names are the proxies"

lab_registrar_kill 1
regd_wait 40 "registered through proxy 2" regd_working_is 1 "$(regd_uri 2)"
regd_wait 10 "registrar 2 holds the binding" lab_has_binding 2 1001
lab_registrar_start 1
regd_wait 60 "back through proxy 1" regd_working_is 1 "$(regd_uri 1)"
regd_wait 10 "binding through proxy 2 removed" lab_has_no_binding 2 1001
echo ok
