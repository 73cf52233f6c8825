#!/usr/bin/env bash
# Account.Unregister() removes the binding and leaves the account unregistered; Register()
# registers it again (same Call-ID); root Reregister() re-registers every account.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
regd_account 1 1001 "$(lab_registrar_addr 1)"
regd_cfg "account.2.enable = 0" "account.2.user_name = 1002" "account.2.sip_server.1.address = $(lab_registrar_addr 1)"
regd_start_configd
regd_start
acc() { busctl --system call org.sipr.Registration1 "/org/sipr/Registration1/account/$1" org.sipr.Registration1.Account "$2"; }

regd_wait 30 "registered" regd_is 1 registered
regd_wait 10 "binding" lab_has_binding 1 1001
cid=$(regd_callid 1 1001)
lab_assert_eq disabled "$(regd_state 2)" "State of a disabled account"
lab_assert_eq false "$(regd_prop 2 Enabled)" "Enabled of a disabled account"

acc 1 Unregister
regd_wait 10 "unregistered" regd_is 1 unregistered
regd_wait 10 "binding removed" lab_has_no_binding 1 1001
lab_assert_eq "" "$(regd_working 1)" "WorkingServer after Unregister"

acc 1 Register
regd_wait 30 "registered again" regd_is 1 registered
regd_wait 10 "binding again" lab_has_binding 1 1001
lab_assert_eq "$cid" "$(regd_callid 1 1001)" "Call-ID after Register"

busctl --system call org.sipr.Registration1 /org/sipr/Registration1 org.sipr.Registration1 Reregister
regd_wait 30 "registered after Reregister" regd_is 1 registered
lab_assert_eq 1 "$(lab_binding_count 1 1001)" "contacts after Reregister"

out=$(acc 2 Register 2>&1) && lab_fail "Register on a disabled account succeeded"
[[ "$out" == *"disabled"* ]] || lab_fail "Register on a disabled account: $out"
out=$(acc 2 Failover 2>&1) && lab_fail "Failover without a working server succeeded"
[[ "$out" == *"no working server"* ]] || lab_fail "Failover error: $out"
echo ok
