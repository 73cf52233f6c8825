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
regd_start_configd
regd_start
regd_wait 30 "account 1 registered" regd_is 1 registered
regd_wait 30 "account 2 registered" regd_is 2 registered
has_options() { (($(lab_sipp_received reg1 OPTIONS) >= 1)); }
regd_wait 40 "a keep-alive OPTIONS at server 1" has_options
lab_assert_eq 0 "$(lab_sipp_received reg2 OPTIONS)" "keep-alives with nat.udp_update_enable = 0"
echo ok
