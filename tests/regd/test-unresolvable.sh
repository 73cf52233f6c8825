#!/usr/bin/env bash
# A server host that does not resolve → failed, LastReason naming the key and the host.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
regd_start_dns
regd_cfg "account.1.enable = 1" "account.1.user_name = 1001" "account.1.password = secret1001" \
        "account.1.sip_server.1.address = nowhere.lab.test"
regd_start_configd
regd_start
regd_wait 30 "account 1 failed" regd_is 1 failed
reason=$(regd_prop 1 LastReason)
[[ "$reason" == *"account.1.sip_server.1.address"* && "$reason" == *"nowhere.lab.test"* ]] ||
        lab_fail "LastReason does not name the key and host: '$reason'"
lab_assert_eq "" "$(regd_working 1)" "WorkingServer"
echo "ok: $reason"
