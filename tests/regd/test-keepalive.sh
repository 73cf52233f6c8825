#!/usr/bin/env bash
# nat.udp_update_*: keep-alives on the registration flow (an OPTIONS every udp_update_time s,
# from the registration's port to the server holding the binding); none when disabled.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_sipp_start reg1 200 1
lab_sipp_start reg2 200 2
regd_account 1 1001 "$(lab_registrar_addr 1)"
regd_account 2 1002 "$(lab_registrar_addr 2)"
regd_cfg "account.1.nat.udp_update_time = 15" "account.2.nat.udp_update_enable = 0"
# 8 more accounts that start together: their keep-alives must not all leave in the same instant.
for x in 3 4 5 6 7 8 9 10; do
        regd_cfg "account.$x.enable = 1" "account.$x.user_name = $((1000 + x))" "account.$x.password = p$x" \
                "account.$x.sip_server.1.address = $(lab_registrar_addr 1)" "account.$x.nat.udp_update_time = 15"
done
regd_start_configd
regd_start
regd_wait 30 "account 1 registered" regd_is 1 registered
regd_wait 30 "account 2 registered" regd_is 2 registered
has_options() { (($(lab_sipp_received reg1 OPTIONS) >= 1)); }
regd_wait 40 "a keep-alive OPTIONS at server 1" has_options
lab_assert_eq 0 "$(lab_sipp_received reg2 OPTIONS)" "keep-alives with nat.udp_update_enable = 0"

# The first keep-alive of each account comes at a random point of its 15 s period. In step (as
# GLib's second timers fire), 8 accounts would all fall in one or two seconds; spread, 8 uniform
# draws over 15 s land in at most 2 distinct seconds about once in 100 000 runs.
first_options() { # → "user HH:MM:SS" of each account's first OPTIONS at server 1
        awk '/^-+ [0-9-]+ [0-9:.]+$/ { t = substr($3, 1, 8) } /^OPTIONS / { o = 1 }
             o && /^From:/ { if (match($0, /sip:[0-9]+@/)) { u = substr($0, RSTART + 4, RLENGTH - 5); if (!(u in seen)) { seen[u] = t; print u, t } } o = 0 }' \
                "$LAB_DIR/sipp-reg1.msg"
}
all_sent() { (($(first_options | awk '$1 >= 1003' | wc -l) >= 8)); }
regd_wait 40 "a keep-alive from each of accounts 3-10" all_sent
seconds=$(first_options | awk '$1 >= 1003 { print $2 }' | sort -u | wc -l)
echo "first keep-alives of accounts 3-10 fell in $seconds distinct seconds: $(first_options | awk '$1 >= 1003 { print $2 }' | sort | tr '\n' ' ')"
((seconds >= 3)) || lab_fail "keep-alives of accounts that started together left in step ($seconds distinct seconds)"
echo ok
