#!/usr/bin/env bash
# regd started before configd: it waits for the configuration. configd restarted → regd keeps both registrations (no re-REGISTER: the binding of account 1
# keeps counting down with the same Call-ID). A changed key of account 2 re-registers account 2
# only; account 1's binding is untouched, also when account 1's label changes.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
regd_account 1 1001 "$(lab_registrar_addr 1)"
regd_account 2 1002 "$(lab_registrar_addr 1)"
regd_cfg "account.1.sip_server.1.expires = 3600" "account.2.sip_server.1.expires = 3600"
regd_start
lab_assert_eq 0 "$(busctl --system --json=short get-property org.sipr.Registration1 /org/sipr/Registration1 org.sipr.Registration1 Accounts | jq '.data | length')" "Accounts before configd"
regd_start_configd

regd_wait 30 "account 1 registered" regd_is 1 registered
regd_wait 30 "account 2 registered" regd_is 2 registered
regd_wait 10 "bindings" lab_has_binding 1 1002
read -r _ cid1 exp1 < <(lab_bindings 1 1001)

lab_service_stop configd
sleep 1
lab_assert_eq registered "$(regd_state 1)" "account 1 while configd is gone"
regd_start_configd
sleep 2
lab_assert_eq registered "$(regd_state 1)" "account 1 after configd returned"
lab_assert_eq registered "$(regd_state 2)" "account 2 after configd returned"
read -r _ cid1b exp1b < <(lab_bindings 1 1001)
lab_assert_eq "$cid1" "$cid1b" "account 1 Call-ID after configd restart"
((exp1b <= exp1)) || lab_fail "account 1 was re-registered after configd restart ($exp1 → $exp1b)"

read -r _ cid2 exp2 < <(lab_bindings 1 1002)
sleep 2
lab_siprctl set account.2.sip_server.1.expires=1800 >/dev/null
regd_wait 20 "account 2 re-registered with the new expiry" \
        bash -c "source '$(dirname "$0")/regd-lib.sh'; read -r _ _ e < <(lab_bindings 1 1002); ((e <= 1800))"
read -r _ cid2b _ < <(lab_bindings 1 1002)
lab_assert_eq "$cid2" "$cid2b" "account 2 keeps its Call-ID across its own reconfiguration"
read -r _ cid1c exp1c < <(lab_bindings 1 1001)
lab_assert_eq "$cid1" "$cid1c" "account 1 Call-ID after account 2 changed"
((exp1c <= exp1b)) || lab_fail "account 1 was re-registered when account 2 changed ($exp1b → $exp1c)"
lab_assert_eq 1 "$(lab_binding_count 1 1001)" "account 1 contacts"
lab_assert_eq 1 "$(lab_binding_count 1 1002)" "account 2 contacts"

# account 1's label (only shown to users) changed, then account 2's expiry: once account 2 has
# re-registered, regd has seen both changes (configd sends them in order); account 1 must not
# have re-registered for a label.
sleep 1 # bindings count down in whole seconds: a re-REGISTER would show as a larger expiry
read -r _ _ exp1l < <(lab_bindings 1 1001)
mark=$(regd_log_mark)
lab_siprctl set account.1.label=Front-desk >/dev/null
lab_siprctl set account.2.sip_server.1.expires=1700 >/dev/null
regd_wait 20 "account 2 re-registered with expiry 1700" \
        bash -c "source '$(dirname "$0")/regd-lib.sh'; read -r _ _ e < <(lab_bindings 1 1002); ((e <= 1700))"
lab_assert_eq Front-desk "$(lab_siprctl get account.1.label)" "account 1 label"
if regd_log_since "$mark" | grep "Account 1: configuration changed"; then
        lab_fail "account 1 re-registered because its label changed"
fi
read -r _ _ exp1m < <(lab_bindings 1 1001)
((exp1m <= exp1l)) || lab_fail "account 1's binding was refreshed when its label changed ($exp1l → $exp1m)"
exp1c=$exp1m

# account 2 disabled: its binding is removed, it stays visible as disabled; account 1 untouched
lab_siprctl set account.2.enable=0 >/dev/null
regd_wait 20 "account 2 disabled" regd_is 2 disabled
regd_wait 20 "account 2 binding removed" lab_has_no_binding 1 1002
read -r _ cid1d exp1d < <(lab_bindings 1 1001)
lab_assert_eq "$cid1" "$cid1d" "account 1 Call-ID after account 2 was disabled"
((exp1d <= exp1c)) || lab_fail "account 1 was re-registered when account 2 was disabled"
echo ok
