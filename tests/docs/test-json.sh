#!/usr/bin/env bash
# docs/siprctl-json.md is what siprctl --json prints: for each read command, the field names in
# its section's tables are exactly the fields of the real output (live lab: Kamailio registrar 1,
# dnsmasq, all four services), every output is valid JSON, and monitor prints JSON Lines.
source "$(dirname "$0")/docs-lib.sh"
docs_skip_without_regd
docs_setup
set +e
lab_registrar_start 1
lab_dns_start
lab_service_start resolverd --dns="$(lab_dns_addr)"
lab_service_start healthd
docs_start_configd
docs_start_regd
lab_wait_for 30 "account 1 registered" docs_state_is registered || lab_fail "account 1 not registered"
lab_wait_for 30 "a health target" bash -c "$SIPR_BUILD_ROOT/tools/siprctl/siprctl --json health | grep -q path" ||
        lab_fail "healthd watches nothing"

DOC=$SIPR_SOURCE_ROOT/docs/siprctl-json.md
errors=0
err() {
        echo "FAIL: $*" >&2
        errors=$((errors + 1))
}

# doc_fields HEADING-WORD — backticked names in the first column of that section's tables,
# "a`, `b" cells split, "x[].y" kept.
doc_fields() {
        awk -v h="## $1" 'index($0, h) == 1 { on = 1; next } /^## / { on = 0 } on && /^\| `/' "$DOC" |
                cut -d'|' -f2 | grep -oE '`[][a-z_.]+`' | tr -d '`' | sort -u
}
# json_fields — every member path of the document on stdin (array elements as "[]"; a top-level
# array of objects is looked through; a top-level object of a map (list) gives nothing).
json_fields() {
        jq -r '(if type == "array" then .[] else . end) | paths(type != "object" and type != "array" or true)
                | map(if type == "number" then "[]" else . end) | join(".")' |
                sed -e 's/\.\[\]/[]/g' -e 's/^\[\]\.\{0,1\}//' | grep -v '\[\]$' | grep . | sort -u
}
check() { # SECTION OUTPUT-FILE [EXTRA-EXCLUDE-REGEX]
        local doc real
        jq -e . "$2" >/dev/null 2>&1 || jq -es . "$2" >/dev/null 2>&1 || err "$1: not JSON: $(head -c 300 "$2")"
        doc=$(doc_fields "$1")
        real=$(json_fields <"$2" | grep -vE "${3:-^$}")
        [[ -n "$real" ]] || err "$1: no fields in the output: $(head -c 300 "$2")"
        for f in $real; do grep -qxF "$f" <<<"$doc" || err "$1: siprctl prints '$f', docs/siprctl-json.md does not describe it"; done
        for f in $doc; do grep -qxF "$f" <<<"$real" || err "$1: docs/siprctl-json.md describes '$f', siprctl does not print it"; done
}

o=$LAB_DIR/out.json
lab_siprctl --json status 1 >"$o" || err "status 1 failed"
check "status" "$o"
lab_siprctl --json status >"$o" || err "status failed"
jq -e 'type == "array" and length == 1' "$o" >/dev/null || err "status without X is not an array of 1: $(cat "$o")"
check "status" "$o"
lab_siprctl --json get account.1.user_name >"$o" || err "get failed"
check "get" "$o"
lab_siprctl --json keys failback >"$o" || err "keys failed"
check "keys" "$o"
lab_siprctl --json resolve lab.test >"$o" || err "resolve failed"
check "resolve" "$o"
lab_siprctl --json resolve 127.0.0.1 5060 tcp >"$o" || err "resolve literal failed"
lab_assert_eq null "$(jq -r '.[0].ttl_seconds' "$o")" "ttl_seconds of an IP literal"
lab_siprctl --json health >"$o" || err "health failed"
check "health" "$o"
printf 'account.1.sip_server.1.port = 70000\n' >"$LAB_DIR/bad.cfg"
chmod 644 "$LAB_DIR/bad.cfg"
rc=0
lab_siprctl --json check "$LAB_DIR/bad.cfg" >"$o" 2>/dev/null || rc=$?
lab_assert_eq 1 "$rc" "check of a bad file exits 1"
check "check" "$o"
lab_siprctl --json list account.1.sip_server.1.p >"$o" || err "list failed"
lab_assert_eq '{"account.1.sip_server.1.port":"5060"}' "$(cat "$o")" "list --json"
lab_assert_eq '{}' "$(lab_siprctl --json list no.such.prefix)" "list --json of an unmatched prefix"

# monitor: JSON Lines, "now" first, then one "changed" line for Unregister.
lab_spawn monitor "$LAB_DIR/monitor.json" "$SIPR_BUILD_ROOT/tools/siprctl/siprctl" --json monitor >/dev/null
lab_wait_for 10 "monitor's first line" docs_grep "$LAB_DIR/monitor.json" '"event":"now"' || err "monitor printed no 'now' line"
docs_account_call Unregister >/dev/null
lab_wait_for 20 "monitor shows unregistered" docs_grep "$LAB_DIR/monitor.json" '"state":"unregistered"' ||
        err "monitor printed no transition: $(cat "$LAB_DIR/monitor.json")"
lab_service_stop monitor
jq -c . "$LAB_DIR/monitor.json" >/dev/null || err "monitor output is not JSON Lines"
check "monitor" "$LAB_DIR/monitor.json" '^account\.'
# The account inside a monitor line is the status object.
jq -c '.account' "$LAB_DIR/monitor.json" | head -1 >"$o"
check "status" "$o"

((errors == 0)) || lab_fail "$errors difference(s) between siprctl --json and docs/siprctl-json.md"
echo ok
