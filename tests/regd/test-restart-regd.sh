#!/usr/bin/env bash
# regd SIGKILLed and started again: same Contact (persisted port), same Call-ID and a higher
# CSeq (persisted), same +sip.instance → the registrar still holds exactly one contact.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
regd_account 1 1001 "$(lab_registrar_addr 1)"
regd_cfg "account.1.sip_server.1.expires = 60"
regd_start_configd
regd_start

regd_wait 30 "registered" regd_is 1 registered
regd_wait 10 "registrar 1 holds the binding" lab_has_binding 1 1001
read -r contact cid _ < <(lab_bindings 1 1001)

for round in 1 2; do
        lab_signal regd KILL
        lab_wait_for 10 "regd gone" bash -c '! busctl --system status org.sipr.Registration1 >/dev/null 2>&1'
        regd_start
        regd_wait 30 "registered again (round $round)" regd_is 1 registered
        sleep 1
        lab_assert_eq 1 "$(lab_binding_count 1 1001)" "contacts on registrar 1 after restart $round"
        read -r contact2 cid2 _ < <(lab_bindings 1 1001)
        lab_assert_eq "$contact" "$contact2" "Contact after restart"
        lab_assert_eq "$cid" "$cid2" "Call-ID after restart"
done
echo ok
