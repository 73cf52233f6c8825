#!/usr/bin/env bash
# sip.reg_surge_prevention: accounts that start together (a fleet after a power cut, a
# provisioning push) wait a random 0…N s before their first REGISTER instead of all leaving in
# the same instant. 10 accounts, N = 8: their first REGISTERs fall in several distinct seconds
# (all in one or two: about once in 10⁶ runs). Also
# account.X.register_expires_overlap: expires 60 with overlap 50 refreshes after 10 s.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_sipp_start reg 200 1
for x in $(seq 1 10); do
        regd_cfg "account.$x.enable = 1" "account.$x.user_name = $((1000 + x))" "account.$x.password = p$x" \
                "account.$x.sip_server.1.address = $(lab_registrar_addr 1)" "account.$x.nat.udp_update_enable = 0"
done
regd_cfg "sip.reg_surge_prevention = 8" "account.1.sip_server.1.expires = 60" \
        "account.1.register_expires_overlap = 50"
regd_start_configd
regd_start
first_registers() { # → "user HH:MM:SS" of each account's first REGISTER
        awk '/^-+ [0-9-]+ [0-9:.]+$/ { t = substr($3, 1, 8) } /^REGISTER / { r = 1 }
             r && /^From:/ { if (match($0, /sip:[0-9]+@/)) { u = substr($0, RSTART + 4, RLENGTH - 5); if (!(u in seen)) { seen[u] = t; print u, t } } r = 0 }' \
                "$LAB_DIR/sipp-reg.msg"
}
all_sent() { (($(first_registers | wc -l) >= 10)); }
regd_wait 40 "a REGISTER from each of the 10 accounts" all_sent
seconds=$(first_registers | awk '{ print $2 }' | sort -u | wc -l)
echo "first REGISTERs fell in $seconds distinct seconds: $(first_registers | awk '{ print $2 }' | sort | tr '\n' ' ')"
((seconds >= 3)) || lab_fail "REGISTERs of accounts that started together left in step ($seconds distinct seconds)"
for x in $(seq 1 10); do regd_wait 20 "account $x registered" regd_is "$x" registered; done
grep -q "Account 1: .* 200 OK (expires 60, refresh in 10 s)" "$LAB_DIR/regd.log" ||
        lab_fail "expires 60 with overlap 50 does not refresh after 10 s: $(grep 'Account 1: .*200 OK' "$LAB_DIR/regd.log" | head -2)"
grep -q "Account 2: .* 200 OK (expires 3600, refresh in 3240 s)" "$LAB_DIR/regd.log" ||
        lab_fail "default refresh (90 %) changed: $(grep 'Account 2: .*200 OK' "$LAB_DIR/regd.log" | head -2)"
echo ok
