#!/usr/bin/env bash
# sipr.unregister_on_stop = 1: SIGTERM → REGISTER Expires: 0 before exit, binding gone;
# with 0 (default) the binding stays.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
regd_account 1 1001 "$(lab_registrar_addr 1)"
regd_cfg "sipr.unregister_on_stop = 1"
regd_start_configd
regd_start
regd_wait 30 "registered" regd_is 1 registered
regd_wait 10 "binding" lab_has_binding 1 1001
lab_service_stop regd
lab_has_no_binding 1 1001 || lab_fail "binding still there after a clean stop"
grep -q "Every binding removed" "$LAB_DIR/regd.log" || lab_fail "regd did not wait for the removal"

lab_siprctl set sipr.unregister_on_stop=0 >/dev/null
regd_start
regd_wait 30 "registered again" regd_is 1 registered
regd_wait 10 "binding" lab_has_binding 1 1001
lab_service_stop regd
lab_has_binding 1 1001 || lab_fail "binding removed although unregister_on_stop = 0"
echo ok
