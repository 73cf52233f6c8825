#!/usr/bin/env bash
# 16 accounts on 2 servers (concurrent): every registrar holds exactly one contact per user.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
lab_registrar_start 2
for x in $(seq 1 16); do
        regd_account "$x" $((1000 + x)) "$(lab_registrar_addr 1)" "$(lab_registrar_addr 2)"
done
regd_start_configd
regd_start

all_registered() {
        local x
        for x in $(seq 1 16); do regd_is "$x" registered || return 1; done
}
regd_wait 60 "16 accounts registered" all_registered
lab_assert_eq 16 "$(busctl --system --json=short get-property org.sipr.Registration1 /org/sipr/Registration1 org.sipr.Registration1 Accounts | jq '.data | length')" "Accounts"
for x in $(seq 1 16); do
        u=$((1000 + x))
        regd_wait 10 "registrar 1 holds $u" lab_has_binding 1 $u
        regd_wait 10 "registrar 2 holds $u" lab_has_binding 2 $u
        lab_assert_eq 1 "$(lab_binding_count 1 $u)" "contacts of $u on registrar 1"
        lab_assert_eq 1 "$(lab_binding_count 2 $u)" "contacts of $u on registrar 2"
done
lab_assert_eq 16 "$(lab_siprctl status --json | jq '[.[] | select(.state == "registered")] | length')" "siprctl status --json"
echo ok
