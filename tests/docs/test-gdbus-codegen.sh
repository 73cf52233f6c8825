#!/usr/bin/env bash
# A GLib client built on gdbus-codegen proxies (tests/docs/gdbus-client.c) reads the live
# account's State ("registered", on Kamailio registrar 1) and receives the PropertiesChanged
# that Unregister causes.
source "$(dirname "$0")/docs-lib.sh"
docs_skip_without_regd
docs_setup
lab_registrar_start 1
docs_start_configd
docs_start_regd
lab_wait_for 30 "account 1 registered" docs_state_is registered ||
        lab_fail "account 1 not registered: $(lab_siprctl status 1 2>&1)"

out=$LAB_DIR/gdbus-client.out
lab_spawn gdbus-client "$out" "$SIPR_BUILD_ROOT/tests/docs/gdbus-client" /org/sipr/Registration1/account/1 >/dev/null
lab_wait_for 20 "gdbus-client ready" docs_grep "$out" "^ready$" ||
        lab_fail "gdbus-client did not get ready: $(cat "$out")"
lab_assert_eq "accounts 1" "$(sed -n 1p "$out")" "Accounts read through the generated root proxy"
lab_assert_eq "state registered" "$(sed -n 2p "$out")" "State read through the generated account proxy"

docs_account_call Unregister
lab_wait_for 20 "gdbus-client received PropertiesChanged" docs_grep "$out" "^changed State=" ||
        lab_fail "no PropertiesChanged received: $(cat "$out")"
lab_assert_eq "changed State=unregistered (getter: unregistered)" "$(grep '^changed' "$out")" \
        "PropertiesChanged seen by the generated proxy"
pid=$(lab_pid gdbus-client)
lab_wait_for 10 "gdbus-client exits" bash -c "! kill -0 $pid 2>/dev/null" || lab_fail "gdbus-client still running"
cat "$out"
echo ok
