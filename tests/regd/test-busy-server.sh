#!/usr/bin/env bash
# A server that drops one account's REGISTER but answers the others is alive, only busy: the
# time-out counts against that account alone. regd must not report it to healthd as "timeout"
# (which marks the server down for every account at once): with 1000 accounts, a registration
# storm that overloads a registrar would otherwise cascade into failing over everyone.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
lab_registrar_start 2
regd_account 1 1001 "$(lab_registrar_addr 1)" "$(lab_registrar_addr 2)"
regd_account 2 1002 "$(lab_registrar_addr 1)" "$(lab_registrar_addr 2)"
regd_cfg "sip.timer_t1 = 0.1" "account.1.reg_fail_retry_interval = 2" "account.2.reg_fail_retry_interval = 2"
regd_health_cfg
regd_start_configd
regd_start_healthd
lab_registrar_mode 1 drop-from:1001
regd_start

# Registrar 1 loses everything 1001 sends from the start; 1002 is answered as usual.
regd_wait 30 "account 2 working on registrar 1" regd_working_is 2 "$(regd_uri 1)"
failovers=$(regd_prop 2 Failovers)
# Timer F = 64·T1 = 6.4 s: account 1's first REGISTER on registrar 1 times out.
timed_out() { grep -q "Account 1: $(regd_uri 1) 408" "$LAB_DIR/regd.log"; }
regd_wait 30 "account 1's REGISTER on registrar 1 timed out" timed_out
sleep 1 # a few probe intervals: a down report would have shown by now
! grep -q "Target udp $(lab_registrar_addr 1):5060 is down" "$LAB_DIR/healthd.log" ||
        lab_fail "registrar 1 was marked down for everyone: $(grep 'is down' "$LAB_DIR/healthd.log")"
lab_assert_eq "$(regd_uri 1)" "$(regd_working 2)" "account 2's WorkingServer"
lab_assert_eq "$failovers" "$(regd_prop 2 Failovers)" "account 2's Failovers"
lab_assert_eq registered "$(regd_state 2)" "account 2's State"
grep -q "Account 1: $(regd_uri 1) timed out, but answered other requests meanwhile" "$LAB_DIR/regd.log" ||
        lab_fail "the time-out was not judged against the other answers: $(grep 'Account 1:' "$LAB_DIR/regd.log" | tail -5)"

# Account 1 itself is not stuck: it keeps a registration (registrar 2, concurrent mode).
regd_wait 30 "account 1 registered" regd_is 1 registered
lab_has_binding 2 1001 || lab_fail "account 1 has no binding on registrar 2"
echo ok
