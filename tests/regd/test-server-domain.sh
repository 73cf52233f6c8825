#!/usr/bin/env bash
# Each server registers in its own domain (issue 23 item 8; Yealink's example puts the fallback
# server in another domain, an on-site gateway): server 2 of a concurrent account gets
# REGISTER sip:<server 2 address> with To/From user@<server 2 address>, server 1 keeps its own.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
lab_sipp_start gw 200 2
regd_start_dns
gw=$(lab_registrar_addr 2)
regd_account 1 1001 lab.test "$gw"
regd_cfg "account.1.sip_server.1.port = 0"
regd_start_configd
regd_start
regd_wait 30 "account 1 registered" regd_is 1 registered
gw_registered() { (($(lab_sipp_received gw REGISTER) >= 1)); }
regd_wait 30 "a REGISTER at the gateway" gw_registered
regd_wait 30 "the binding at registrar 1 (server 1's domain)" lab_has_binding 1 1001
# the first REGISTER the gateway received: its request line, To and From
first=$(awk '/message received/ { on = 1; next } on && /^REGISTER / { r = 1 } r && NF == 0 { exit } r' \
        "$LAB_DIR/sipp-gw.msg")
echo "$first" | grep -q "^REGISTER sip:$gw SIP/2.0" || lab_fail "Request-URI not server 2's: $first"
echo "$first" | grep -iq "^To: *<sip:1001@$gw>" || lab_fail "To not in server 2's domain: $first"
echo "$first" | grep -iq "^From: *<sip:1001@$gw>;tag=" || lab_fail "From not in server 2's domain: $first"
lab_assert_eq "sip:1001@lab.test" "$(regd_prop 1 Aor)" "Aor (server 1's domain)"
echo ok
