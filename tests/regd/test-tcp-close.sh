#!/usr/bin/env bash
# TCP: the connection that carries the binding closes (registrar 1 SIGKILLed: RST) → that
# address failed now, without healthd and long before the refresh (expires 3600).
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
lab_registrar_start 2
regd_start_dns
regd_account 1 1001 lab.test
regd_cfg "account.1.sip_server.1.port = 0" "account.1.sip_server.1.transport_type = 1" \
        "account.1.sip_server.1.expires = 3600" "account.1.sip_server.1.register_on_enable = 1" \
        "account.1.sip_server.1.failback_mode = 2"
regd_start_configd
regd_start
regd_wait 30 "registered on registrar 1 over TCP" regd_working_is 1 "$(regd_uri 1 tcp)"
lab_registrar_kill 1
regd_wait 20 "registered on registrar 2 (connection loss noticed)" regd_working_is 1 "$(regd_uri 2 tcp)"
regd_wait 10 "registrar 2 holds the binding" lab_has_binding 2 1001
grep -q "Connection to sip:$(lab_registrar_addr 1):5060;transport=tcp closed" "$LAB_DIR/regd.log" ||
        lab_fail "regd did not notice the closed connection"
echo ok
