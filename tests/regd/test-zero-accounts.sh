#!/usr/bin/env bash
# No account configured: regd runs, exports an empty Accounts list; siprctl says so.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
regd_start_configd
regd_start
lab_wait_for 10 "regd synced" grep -q "Configuration synced" "$LAB_DIR/regd.log" || true
lab_assert_eq 0 "$(busctl --system --json=short get-property org.sipr.Registration1 /org/sipr/Registration1 org.sipr.Registration1 Accounts | jq '.data | length')" "Accounts"
lab_assert_eq "[]" "$(lab_siprctl status --json)" "siprctl status --json"
out=$(lab_siprctl status)
[[ "$out" == *"No accounts"* ]] || lab_fail "siprctl status: $out"
rc=0
lab_siprctl status 3 >/dev/null 2>&1 || rc=$?
lab_assert_eq 1 "$rc" "siprctl status of a missing account"
rc=0
lab_siprctl failover 3 >/dev/null 2>&1 || rc=$?
lab_assert_eq 1 "$rc" "siprctl failover of a missing account"
lab_service_stop regd
rc=0
lab_siprctl status >/dev/null 2>&1 || rc=$?
lab_assert_eq 3 "$rc" "siprctl status without regd"
echo ok
