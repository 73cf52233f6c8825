#!/usr/bin/env bash
# A state directory that cannot be created or written: regd still registers (says once why
# restarts will not reuse the Call-ID), and keeps running.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
regd_account 1 1001 "$(lab_registrar_addr 1)"
regd_start_configd
: >"$LAB_DIR/not-a-dir"
lab_service_start regd --state-dir="$LAB_DIR/not-a-dir/state" --sip-address="$REGD_SIP_ADDR"
regd_wait 30 "registered without a state directory" regd_is 1 registered
regd_wait 10 "binding" lab_has_binding 1 1001
grep -q "will not reuse their Call-ID" "$LAB_DIR/regd.log" || lab_fail "no explanation in the log"
lab_assert_eq 1 "$(grep -c "will not reuse their Call-ID" "$LAB_DIR/regd.log")" "the explanation is given once"
echo ok
