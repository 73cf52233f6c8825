#!/usr/bin/env bash
# docs/siprctl-json.md is what siprctl --json prints: for each read command, the field names in
# its section's tables are exactly the fields of the real output (live lab: Kamailio registrar 1,
# dnsmasq, all four services), every output is valid JSON, and monitor prints JSON Lines.
source "$(dirname "$0")/docs-lib.sh"
docs_skip_without_regd
docs_setup
set +e
docs_start_stack
lab_wait_for 30 "a health target" bash -c "$SIPR_BUILD_ROOT/tools/siprctl/siprctl --json health | grep -q path" ||
        lab_fail "healthd watches nothing"

DOC=$SIPR_SOURCE_ROOT/docs/siprctl-json.md

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
        jq -e . "$2" >/dev/null 2>&1 || jq -es . "$2" >/dev/null 2>&1 || docs_err "$1: not JSON: $(head -c 300 "$2")"
        doc=$(doc_fields "$1")
        real=$(json_fields <"$2" | grep -vE "${3:-^$}")
        [[ -n "$real" ]] || docs_err "$1: no fields in the output: $(head -c 300 "$2")"
        for f in $real; do grep -qxF "$f" <<<"$doc" || docs_err "$1: siprctl prints '$f', docs/siprctl-json.md does not describe it"; done
        for f in $doc; do grep -qxF "$f" <<<"$real" || docs_err "$1: docs/siprctl-json.md describes '$f', siprctl does not print it"; done
}

o=$LAB_DIR/out.json
lab_siprctl --json status 1 >"$o" || docs_err "status 1 failed"
check "status" "$o"
lab_siprctl --json status >"$o" || docs_err "status failed"
jq -e 'type == "array" and length == 1' "$o" >/dev/null || docs_err "status without X is not an array of 1: $(cat "$o")"
check "status" "$o"
lab_siprctl --json get account.1.user_name >"$o" || docs_err "get failed"
check "get" "$o"
lab_siprctl --json keys failback >"$o" || docs_err "keys failed"
check "keys" "$o"
lab_siprctl --json resolve lab.test >"$o" || docs_err "resolve failed"
check "resolve" "$o"
lab_siprctl --json resolve 127.0.0.1 5060 tcp >"$o" || docs_err "resolve literal failed"
lab_assert_eq null "$(jq -r '.[0].ttl_seconds' "$o")" "ttl_seconds of an IP literal"
lab_siprctl --json health >"$o" || docs_err "health failed"
check "health" "$o"
printf 'account.1.sip_server.1.port = 70000\n' >"$LAB_DIR/bad.cfg"
chmod 644 "$LAB_DIR/bad.cfg"
rc=0
lab_siprctl --json check "$LAB_DIR/bad.cfg" >"$o" 2>/dev/null || rc=$?
lab_assert_eq 1 "$rc" "check of a bad file exits 1"
check "check" "$o"
lab_siprctl --json list account.1.sip_server.1.p >"$o" || docs_err "list failed"
lab_assert_eq '{"account.1.sip_server.1.port":"5060"}' "$(cat "$o")" "list --json"
lab_assert_eq '{}' "$(lab_siprctl --json list no.such.prefix)" "list --json of an unmatched prefix"

lab_siprctl --json stats >"$o" || docs_err "stats failed"
check "stats" "$o"
jq -e '.regd.running and .healthd.running and .resolverd.running' "$o" >/dev/null || docs_err "stats: a service not running: $(cat "$o")"

# --json=pretty is the same JSON as --json, indented (for outputs that do not move on their own).
for cmd in "get account.1.user_name" "keys failback" "list account.1.sip_server.1" "resolve 127.0.0.1 5060 tcp"; do
        # shellcheck disable=SC2086
        short=$(lab_siprctl --json $cmd) && pretty=$(lab_siprctl $cmd --json=pretty) || docs_err "$cmd --json=pretty failed"
        [[ "$(jq -cS . <<<"$pretty")" == "$(jq -cS . <<<"$short")" ]] || docs_err "$cmd: --json=pretty is not --json's JSON: $pretty"
        [[ "$pretty" == *$'\n  '* || "$short" == "[]" || "$short" == "{}" ]] || docs_err "$cmd: --json=pretty is not indented: $pretty"
done
lab_siprctl --json=pretty status >"$o" || docs_err "status --json=pretty failed"
check "status" "$o"

# monitor: JSON Lines, "now" first, then one "changed" line for Unregister.
lab_spawn monitor "$LAB_DIR/monitor.json" "$SIPR_BUILD_ROOT/tools/siprctl/siprctl" --json monitor >/dev/null
lab_wait_for 10 "monitor's first line" docs_grep "$LAB_DIR/monitor.json" '"event":"now"' || docs_err "monitor printed no 'now' line"
docs_account_call Unregister >/dev/null
lab_wait_for 20 "monitor shows unregistered" docs_grep "$LAB_DIR/monitor.json" '"state":"unregistered"' ||
        docs_err "monitor printed no transition: $(cat "$LAB_DIR/monitor.json")"
lab_service_stop monitor
jq -c . "$LAB_DIR/monitor.json" >/dev/null || docs_err "monitor output is not JSON Lines"
check "monitor" "$LAB_DIR/monitor.json" '^account\.'
# The account inside a monitor line is the status object.
jq -c '.account' "$LAB_DIR/monitor.json" | head -1 >"$o"
check "status" "$o"

((DOCS_ERRORS == 0)) || lab_fail "$DOCS_ERRORS difference(s) between siprctl --json and docs/siprctl-json.md"
echo ok
