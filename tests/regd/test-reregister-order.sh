#!/usr/bin/env bash
# RFC 3261 10.2: a UA must not send a new REGISTER on a Call-ID until the final answer to the
# previous one. Reregister (and Unregister then Register) first removes the binding (Expires: 0,
# CSeq n), then registers again (CSeq n+1) on the same Call-ID. Sent back to back, a registrar
# with several workers may apply the removal last and hold nothing, while regd believes it is
# registered until its next refresh. The registrar here holds every removal for 1.5 s in one
# worker, so the REGISTER overtakes it unless regd waits for the removal's answer.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
regd_account 1 1001 "$(lab_registrar_addr 1)"
regd_account 2 1002 "$(lab_registrar_addr 1)"
regd_start_configd
regd_start
regd_wait 30 "account 1 registered" regd_is 1 registered
regd_wait 30 "account 2 registered" regd_is 2 registered
both_bound() { lab_has_binding 1 1001 && lab_has_binding 1 1002; }
regd_wait 10 "registrar 1 holds 1001 and 1002" both_bound
lab_registrar_mode 1 slow-remove:1500
uri=$(regd_uri 1)

# True once account X logged a granted registration (expires > 0) after log line $mark.
registered_after() {
        regd_log_since "$mark" | grep -F "Account $1: $uri 200" | grep -vqF "(expires 0)"
}
one_binding_each() {
        local user n
        for user in "$@"; do
                n=$(lab_binding_count 1 "$user") || lab_fail "registrar 1 does not answer"
                [[ $n == 1 ]] || lab_fail "registrar 1 holds $n binding(s) for $user after $what (want 1): $(lab_bindings 1 "$user" | tr '\n' ';')"
        done
}

for round in 1 2 3; do
        what="Reregister $round"
        mark=$(regd_log_mark)
        regd_reregister
        regd_wait 30 "account 1 registered again ($what)" registered_after 1
        regd_wait 30 "account 2 registered again ($what)" registered_after 2
        # Past the registrar's hold: a removal applied after the new REGISTER has landed by now.
        sleep 2
        one_binding_each 1001 1002
        lab_assert_eq registered "$(regd_state 1)" "account 1 State ($what)"
done

# The same through one account's Unregister and Register, called back to back.
what="Unregister+Register"
mark=$(regd_log_mark)
acct=/org/sipr/Registration1/account/1
busctl --system call org.sipr.Registration1 $acct org.sipr.Registration1.Account Unregister &&
        busctl --system call org.sipr.Registration1 $acct org.sipr.Registration1.Account Register ||
        lab_fail "Unregister, Register"
regd_wait 30 "account 1 registered again ($what)" registered_after 1
sleep 2
one_binding_each 1001
# A server change rebuilds the account: the old one's removal finishes as an orphan while the
# new one registers on the same next hop, with the same persisted Call-ID.
what="a change of server 2"
lab_registrar_start 2
mark=$(regd_log_mark)
regd_set "account.1.sip_server.2.address=$(lab_registrar_addr 2)"
regd_wait 30 "account 1 registered again ($what)" registered_after 1
sleep 2
one_binding_each 1001
regd_log_since "$mark" | grep -q "Account 1: $uri: removal answered; registering" ||
        lab_fail "the new account did not wait for the old one's removal"
# The wait is visible: regd said why the REGISTER did not leave at once.
grep -q "Account 1: $uri: registering once the removal is answered" "$LAB_DIR/regd.log" ||
        lab_fail "regd did not say it held the REGISTER behind the removal"
echo ok
