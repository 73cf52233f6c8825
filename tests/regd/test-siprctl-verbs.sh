#!/usr/bin/env bash
# siprctl covers org.sipr.Registration1: unregister X removes the binding at the registrar and
# leaves the account unregistered, register X binds it again, reregister makes a new binding for
# every account; siprctl stats reads the daemons' counters (failovers after a manual failover,
# health round trips, the resolver's queries) as text, --json and the Prometheus text format, and
# says which service does not run.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
lab_registrar_start 2
regd_start_dns
regd_health_cfg
regd_account 1 1001 lab.test
regd_cfg "account.1.sip_server.1.port = 0" "account.1.sip_server.1.register_on_enable = 1" \
        "account.1.sip_server.1.failback_mode = 2"
regd_start_configd
regd_start_healthd
regd_start
regd_wait 30 "registered on registrar 1" regd_working_is 1 "$(regd_uri 1)"

# unregister / register
out=$(lab_siprctl unregister 1) || lab_fail "siprctl unregister 1: $out"
lab_assert_eq "account 1: removing its bindings." "$out" "siprctl unregister 1 output"
regd_wait 20 "account 1 unregistered" regd_is 1 unregistered
regd_wait 20 "registrar 1 binding removed" lab_has_no_binding 1 1001
out=$(lab_siprctl --json register 1) || lab_fail "siprctl --json register 1: $out"
lab_assert_eq "" "$out" "siprctl --json register prints nothing"
regd_wait 30 "account 1 registered again" regd_is 1 registered
regd_wait 20 "registrar 1 holds the binding again" lab_has_binding 1 1001
echo "ok: unregister 1 / register 1"

# reregister: every account makes a new binding (a new registered-since time)
since0=$(regd_prop 1 RegisteredSinceUsec)
out=$(lab_siprctl reregister) || lab_fail "siprctl reregister: $out"
lab_assert_eq "every account: registering again." "$out" "siprctl reregister output"
newer() { local s; s=$(regd_prop 1 RegisteredSinceUsec) && ((s > since0)) && regd_is 1 registered; }
regd_wait 30 "account 1 registered anew after reregister" newer
echo "ok: reregister"

for cmd in "register 9" "unregister 9"; do
        rc=0
        # shellcheck disable=SC2086
        out=$(lab_siprctl $cmd 2>&1) || rc=$?
        lab_assert_eq 1 "$rc" "siprctl $cmd (no such account)"
        lab_assert_eq "siprctl: no account 9 (account.9.* not configured)" "$out" "siprctl $cmd message"
done

# stats after one manual failover
lab_siprctl failover 1 >/dev/null
regd_wait 20 "working on registrar 2" regd_working_is 1 "$(regd_uri 2)"
up() { lab_siprctl --json health | jq -e 'map(select(.state == "up" and .rtt_usec > 0)) | length > 0' >/dev/null; }
regd_wait 30 "a health target up with a round trip" up
j=$(lab_siprctl --json stats) || lab_fail "siprctl --json stats: $j"
jq -e . <<<"$j" >/dev/null || lab_fail "stats --json is not JSON: $j"
lab_assert_eq "$(regd_prop 1 Failovers)" "$(jq -r '.regd.accounts[0].failovers' <<<"$j")" "stats: account 1 failovers"
lab_assert_eq 1 "$(jq -r '.regd.failovers' <<<"$j")" "stats: failovers of all accounts"
jq -e '.healthd.running and (.healthd.targets | map(select(.state == "up" and .rtt_usec > 0)) | length > 0)' <<<"$j" >/dev/null ||
        lab_fail "stats: no up health target with a round trip: $j"
jq -e '.resolverd.running and .resolverd.queries > 0' <<<"$j" >/dev/null || lab_fail "stats: resolver queries: $j"
text=$(lab_siprctl stats) || lab_fail "siprctl stats: $text"
grep -Eq '^  account 1 +registered +failovers 1 ' <<<"$text" || lab_fail "stats text: account 1 line: $text"
grep -Eq '^sipr-resolverd: queries [1-9]' <<<"$text" || lab_fail "stats text: resolver line: $text"
echo "ok: stats (text and JSON): $(tr '\n' ' ' <<<"$text")"

# The Prometheus text format: every sample line is "name{labels} value", each family announced
# by HELP and TYPE before its samples.
p=$(lab_siprctl stats --prometheus) || lab_fail "siprctl stats --prometheus: $p"
awk '
        /^# HELP / { help[$3] = 1; next }
        /^# TYPE / { if (!help[$3]) { print "TYPE before HELP: " $0; bad = 1 } type[$3] = $4; next }
        /^#/ { next }
        {
                if ($0 !~ /^[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)+\})? -?[0-9]+(\.[0-9]+)?$/) { print "bad line: " $0; bad = 1 }
                name = $0; sub(/[{ ].*/, "", name)
                if (!type[name]) { print "no TYPE for " name; bad = 1 }
        }
        END { exit bad }
' <<<"$p" || lab_fail "stats --prometheus is not the text format: $p"
grep -qx 'sipr_account_failovers_total{account="1"} 1' <<<"$p" || lab_fail "prometheus: failovers of account 1: $p"
grep -qx 'sipr_account_registered{account="1"} 1' <<<"$p" || lab_fail "prometheus: account 1 registered: $p"
grep -Eq '^sipr_health_target_rtt_seconds\{transport="udp",address="[0-9.]+",port="5060"\} 0\.[0-9]*[1-9]' <<<"$p" ||
        lab_fail "prometheus: no health round trip: $p"
grep -Eq '^sipr_resolver_queries_total [1-9]' <<<"$p" || lab_fail "prometheus: resolver queries: $p"
for s in regd healthd resolverd; do
        grep -qx "sipr_service_up{service=\"sipr-$s\"} 1" <<<"$p" || lab_fail "prometheus: sipr-$s not up: $p"
done
echo "ok: stats --prometheus"

# A service that does not run: its part says so, the rest is there, exit 0.
lab_service_stop resolverd
j=$(lab_siprctl --json stats) || lab_fail "siprctl --json stats without resolverd: $j"
lab_assert_eq false "$(jq -r .resolverd.running <<<"$j")" "stats: resolverd.running without resolverd"
lab_assert_eq true "$(jq -r .regd.running <<<"$j")" "stats: regd.running"
p=$(lab_siprctl stats --prometheus)
grep -qx 'sipr_service_up{service="sipr-resolverd"} 0' <<<"$p" || lab_fail "prometheus without resolverd: $p"
grep -q '^sipr_resolver_' <<<"$p" && lab_fail "prometheus: resolver samples without resolverd: $p"
lab_siprctl stats | grep -qx 'sipr-resolverd: not running' || lab_fail "stats text without resolverd"
lab_service_stop healthd
lab_service_stop regd
rc=0
out=$(lab_siprctl stats 2>&1) || rc=$?
lab_assert_eq 3 "$rc" "siprctl stats with no sipr service running (output: $out)"
echo "ok: stats with services missing"
echo ok
