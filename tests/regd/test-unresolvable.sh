#!/usr/bin/env bash
# A server host that does not resolve → failed, LastReason naming the key and the host.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
regd_start_dns
regd_account 1 1001 nowhere.lab.test
regd_cfg "account.2.enable = 1" "account.2.sip_server.1.address = $(lab_registrar_addr 1)"
regd_start_configd
regd_start
regd_wait 30 "account 1 failed" regd_is 1 failed
reason=$(regd_prop 1 LastReason)
[[ "$reason" == *"account.1.sip_server.1.address"* && "$reason" == *"nowhere.lab.test"* ]] ||
        lab_fail "LastReason does not name the key and host: '$reason'"
lab_assert_eq "" "$(regd_working 1)" "WorkingServer"
# enabled without a user: failed at once, saying which key is missing
regd_wait 10 "account 2 failed" regd_is 2 failed
[[ "$(regd_prop 2 LastReason)" == *"account.2.user_name"* ]] || lab_fail "account 2 LastReason: $(regd_prop 2 LastReason)"
echo "ok: $reason"
