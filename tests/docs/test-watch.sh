#!/usr/bin/env bash
# tools/examples/sipr-watch prints every registration transition: started before sipr-regd, it
# sees regd appear (NameOwnerChanged, InterfacesAdded) and account 1 become registered on
# registrar 1; Unregister and Register (PropertiesChanged) each give one more line.
source "$(dirname "$0")/docs-lib.sh"
docs_skip_without_regd
docs_setup
lab_registrar_start 1
docs_start_configd

out=$LAB_DIR/watch.out
lab_spawn watch "$out" "$SIPR_BUILD_ROOT/tools/examples/sipr-watch" >/dev/null
lab_wait_for 10 "sipr-watch waiting for regd" docs_grep "$out" "waiting for it" ||
        lab_fail "sipr-watch did not start: $(cat "$out")"
docs_start_regd
uri="sip:$(lab_registrar_addr 1):5060;transport=udp"
re_uri=${uri//./\\.}
lab_wait_for 30 "sipr-watch prints registered" docs_grep "$out" "^account 1: .*registered via $re_uri\$" ||
        lab_fail "no transition to registered; sipr-watch printed: $(cat "$out"); regd: $(tail -5 "$LAB_DIR/regd.log")"
lab_has_binding 1 1001 || lab_fail "registrar 1 has no binding although sipr-watch says registered"

docs_account_call Unregister
lab_wait_for 20 "sipr-watch prints registered -> unregistered" \
        docs_grep "$out" "^account 1: registered -> unregistered\$" ||
        lab_fail "no line for Unregister; sipr-watch printed: $(cat "$out")"
docs_account_call Register
lab_wait_for 30 "sipr-watch prints -> registered again" \
        docs_grep "$out" "^account 1: (unregistered|registering) -> registered via $re_uri\$" ||
        lab_fail "no line for Register; sipr-watch printed: $(cat "$out")"

# One line per transition: never the same line twice in a row.
dups=$(uniq -d "$out" | grep '^account' || true)
[[ -z "$dups" ]] || lab_fail "repeated lines (not a transition): $dups"
grep -q secret1001 "$out" && lab_fail "password in sipr-watch output"
cat "$out"
echo ok
