#!/usr/bin/env bash
# siprctl checks its arguments before it connects to the bus: every usage error exits 2 with a
# message even when no bus (and no sipr service) is there, while a well-formed command then
# exits 3; --json=pretty and --json=short print the same JSON (the offline "keys" command).
set -euo pipefail
siprctl=$SIPR_BUILD_ROOT/tools/siprctl/siprctl
# no bus at all: a socket path that does not exist
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/sipr-no-bus
fail() { echo "FAIL: $*"; exit 1; }

usage_errors=(
        "" "frobnicate" "status x" "status 0" "status 1 2" "failover" "failover abc" "register" "register 0"
        "unregister -1" "unregister 1 2" "reregister 1" "monitor 1" "get" "set" "set novalue" "set =x"
        "reset" "check" "resolve" "resolve host 70000" "resolve host 5060 sctp" "resolve host 1 udp extra"
        "health 1" "stats --bogus" "stats 1 2" "--json=yaml status" "status --json=" "--bus=other status"
        "--no-such-option status"
)
for args in "${usage_errors[@]}"; do
        rc=0
        # shellcheck disable=SC2086
        out=$("$siprctl" $args 2>&1) || rc=$?
        [[ $rc == 2 ]] || fail "siprctl $args: exit $rc, not 2 (usage), without a bus: $out"
        [[ -n "$out" ]] || fail "siprctl $args: exit 2 but no message"
        echo "ok: siprctl $args → 2: $out"
done

for args in "status" "status 1" "register 1" "unregister 1" "reregister" "failover 1" "resolve host 5060 tcp" \
        "stats" "stats --prometheus" "--json=pretty health" "get account.1.enable" "set account.1.label=x"; do
        rc=0
        # shellcheck disable=SC2086
        out=$("$siprctl" $args 2>&1) || rc=$?
        [[ $rc == 3 ]] || fail "siprctl $args without a bus: exit $rc, not 3: $out"
        echo "ok: siprctl $args → 3"
done

short=$("$siprctl" --json keys failback)
pretty=$("$siprctl" keys failback --json=pretty)
[[ $("$siprctl" --json=short keys failback) == "$short" ]] || fail "--json=short differs from --json"
[[ $(wc -l <<<"$short") == 1 ]] || fail "--json prints more than one line"
(($(wc -l <<<"$pretty") > 3)) || fail "--json=pretty is not indented: $pretty"
[[ "$(jq -cS . <<<"$pretty")" == "$(jq -cS . <<<"$short")" ]] || fail "--json=pretty is not the same JSON: $pretty"
empty=$("$siprctl" --json=pretty keys no-such-word)
[[ $empty == "[]" ]] || fail "--json=pretty of an empty array: $empty"
[[ $("$siprctl" --json=pretty --json=off keys failback | head -1) == account.X.* ]] || fail "--json=off"
echo "ok: --json=pretty, --json=short, --json=off"
echo PASS
