#!/usr/bin/env bash
# register_on_enable = 0 (the default): in failover only the primary is REGISTERed with. When it
# dies the account is failed and WorkingServer names the secondary (where new requests would go),
# which never receives a REGISTER; with only_signal_with_registered = 1 WorkingServer is empty.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
lab_registrar_start 2
regd_start_dns
regd_account 1 1001 lab.test
regd_cfg "account.1.sip_server.1.port = 0" "account.1.sip_server.1.expires = 30" \
        "account.1.reg_fail_retry_interval = 600"
regd_account 2 1002 lab.test
regd_cfg "account.2.sip_server.1.port = 0" "account.2.sip_server.1.expires = 30" \
        "account.2.reg_fail_retry_interval = 600" \
        "account.2.sip_server.1.only_signal_with_registered = 1"
regd_start_configd
regd_start
regd_wait 30 "account 1 on registrar 1" regd_working_is 1 "$(regd_uri 1)"
regd_wait 30 "account 2 on registrar 1" regd_working_is 2 "$(regd_uri 1)"
lab_registrar_kill 1
regd_wait 40 "account 1 failed" regd_is 1 failed
lab_assert_eq "$(regd_uri 2)" "$(regd_working 1)" "account 1 WorkingServer (requests go to the secondary)"
regd_wait 40 "account 2 failed" regd_is 2 failed
lab_assert_eq "" "$(regd_working 2)" "account 2 WorkingServer with only_signal_with_registered"
lab_has_no_binding 2 1001 || lab_fail "registrar 2 got a REGISTER with register_on_enable = 0"
lab_has_no_binding 2 1002 || lab_fail "registrar 2 got a REGISTER with register_on_enable = 0"
echo ok
