#!/usr/bin/env bash
# A host name while sipr-resolverd is not running: failed, LastReason says so; resolverd starts
# → regd registers at once (not after reg_fail_retry_interval = 600 s). IP-literal accounts
# never needed resolverd.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
lab_dns_start
regd_account 1 1001 reg1.lab.test
regd_cfg "account.1.reg_fail_retry_interval = 600"
regd_account 2 1002 "$(lab_registrar_addr 1)"
regd_start_configd
regd_start
regd_wait 30 "literal account registered without resolverd" regd_is 2 registered
regd_wait 30 "account 1 failed" regd_is 1 failed
[[ "$(regd_prop 1 LastReason)" == *"resolverd is not running"* ]] || lab_fail "LastReason: $(regd_prop 1 LastReason)"
lab_service_start resolverd --dns="$(lab_dns_addr)"
regd_wait 30 "account 1 registered once resolverd is there" regd_is 1 registered
lab_assert_eq "$(regd_uri 1)" "$(regd_working 1)" "WorkingServer"
echo ok
