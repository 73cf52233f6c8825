#!/usr/bin/env bash
# Cache and serve-stale (RFC 8767) against dnsmasq: hits within the TTL, a new query after it,
# stale answers while DNS is dead (refused) or frozen (time-outs), Timeout for names never
# cached, and fresh answers again once DNS is back.
set -euo pipefail
source "$SIPR_LAB/lab.sh"
source "$(dirname "$0")/lib.sh"

lab_init
lab_dns_start
rs_start --dns="$(lab_dns_addr)"
R1=$(lab_registrar_addr 1)

lab_assert_eq "udp $R1 5060 0 0" "$(rs_targets reg1.lab.test 5060)" "first resolve"
q1=$(rs_prop Queries)
((q1 == 2)) || lab_fail "first resolve of a name with a port: expected 2 queries (AAAA, A), got $q1"

# Within the 1 s TTL a repeat is a cache hit (retried, as a slow machine may cross the TTL).
hit() {
        local h0 q0
        h0=$(rs_prop CacheHits)
        rs_targets reg1.lab.test 5060 >/dev/null
        rs_targets reg1.lab.test 5060 >/dev/null
        (($(rs_prop CacheHits) > h0))
}
lab_wait_for 20 "a cache hit" hit || lab_fail "no cache hit within the TTL"

# After the TTL, resolving queries DNS again.
q1=$(rs_prop Queries)
requeried() {
        rs_targets reg1.lab.test 5060 >/dev/null
        (($(rs_prop Queries) > q1))
}
lab_wait_for 20 "Queries to increase after the TTL" requeried || lab_fail "TTL expiry never caused a new query"

# Concurrent identical Resolves share one lookup: 10 at once → at most 2 queries (AAAA + A).
rs_flush
q0=$(rs_prop Queries)
for ((i = 0; i < 10; i++)); do rs_targets reg2.lab.test 5060 >"$LAB_DIR/par.$i" & done
wait
for ((i = 0; i < 10; i++)); do
        lab_assert_eq "udp $(lab_registrar_addr 2) 5060 0 0" "$(cat "$LAB_DIR/par.$i")" "parallel resolve $i"
done
dq=$(($(rs_prop Queries) - q0))
((dq <= 4)) || lab_fail "10 concurrent identical resolves sent $dq queries (shared lookup expected)"

# PropertiesChanged: announced, and coalesced (100 cache hits → far fewer signals).
lab_spawn monitor "$LAB_DIR/monitor.log" dbus-monitor --system \
        "type='signal',sender='org.sipr.Resolver1',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'" >/dev/null
lab_wait_for 10 "dbus-monitor" grep -q NameAcquired "$LAB_DIR/monitor.log" || lab_fail "dbus-monitor did not start"
rs_targets reg2.lab.test 5060 >/dev/null
h0=$(rs_prop CacheHits)
for ((i = 0; i < 100; i++)); do
        busctl --system call org.sipr.Resolver1 /org/sipr/Resolver1 org.sipr.Resolver1 Resolve sqs reg2.lab.test 5060 "" >/dev/null
done
(($(rs_prop CacheHits) > h0)) || lab_fail "no cache hits"
lab_wait_for 5 "PropertiesChanged with CacheHits" grep -q '"CacheHits"' "$LAB_DIR/monitor.log" || lab_fail "CacheHits change not announced"
nsig=$(grep -c "member=PropertiesChanged" "$LAB_DIR/monitor.log")
echo "100 resolutions → $nsig PropertiesChanged signals"
((nsig >= 1 && nsig < 50)) || lab_fail "$nsig PropertiesChanged signals for 100 resolutions (not coalesced)"
lab_stop_process monitor

# --- DNS dead (SIGKILL → ICMP port unreachable): serve stale. ---
rs_targets lab.test >/dev/null
rs_targets reg1.lab.test 5060 >/dev/null
lab_dns_kill
s0=$(rs_prop StaleAnswers)
stale() {
        local out
        # Every answer must succeed: fresh from the cache first, stale once the TTL ran out.
        out=$(rs_resolve reg1.lab.test 5060 2>&1) || {
                echo "Resolve failed although a stale answer exists: $out" >"$LAB_DIR/why"
                return 1
        }
        [[ "$(jq -r '.[0].address' <<<"$out")" == "$R1" ]] || { echo "stale answer wrong: $out" >"$LAB_DIR/why"; return 1; }
        (($(rs_prop StaleAnswers) > s0)) || return 1
        [[ "$(jq '.[0].ttl_seconds' <<<"$out")" == 30 ]] || { echo "stale TTL not 30: $out" >"$LAB_DIR/why"; return 1; }
}
lab_wait_for 20 "a stale answer after dnsmasq died" stale || lab_fail "no stale answer: $(cat "$LAB_DIR/why" 2>/dev/null)"
# The NAPTR path is served stale as well.
lab_assert_eq 4 "$(rs_resolve lab.test | jq length)" "stale lab.test"
# Never cached → Timeout with a message naming the query.
rs_expect_error Timeout never.lab.test 5060 "" "no DNS server (gave an answer|answered)"
rs_alive

# --- DNS back: fresh answers again (TTL ≤ 1 again, not the stale 30). ---
lab_dns_start
fresh() {
        local out
        out=$(rs_resolve reg1.lab.test 5060) || return 1
        (($(jq '.[0].ttl_seconds' <<<"$out") <= 1))
}
lab_wait_for 20 "fresh answers after dnsmasq returned" fresh || lab_fail "no recovery after dnsmasq returned"
rs_targets never.lab.test 5060 >/dev/null 2>&1 && lab_fail "never.lab.test does not exist, yet it resolved"
rs_expect_error NotFound never.lab.test 5060 "" "never.lab.test"

# --- DNS frozen (no answers at all): stale within ~1.8 s, uncached → Timeout within the bound. ---
rs_targets reg1.lab.test 5060 >/dev/null
sleep 1.2 # let the 1 s TTL run out
lab_dns_freeze
s0=$(rs_prop StaleAnswers)
start=$SECONDS
out=$(rs_resolve reg1.lab.test 5060) || lab_fail "no stale answer while DNS is frozen"
lab_assert_eq "$R1" "$(jq -r '.[0].address' <<<"$out")" "stale answer while frozen"
(($(rs_prop StaleAnswers) > s0)) || lab_fail "StaleAnswers did not count the frozen-DNS answer"
echo "stale answer while frozen after $((SECONDS - start)) s"
# After a failed refresh, stale answers come at once (RFC 8767 stale-refresh) — all succeed.
s1=$(rs_prop StaleAnswers)
for i in 1 2 3 4 5; do
        out=$(rs_resolve reg1.lab.test 5060) || lab_fail "stale answer $i while frozen failed"
        lab_assert_eq "$R1" "$(jq -r '.[0].address' <<<"$out")" "stale answer $i while frozen"
done
(($(rs_prop StaleAnswers) >= s1 + 5)) || lab_fail "StaleAnswers did not count 5 more stale answers"
echo "5 more stale answers after $((SECONDS - start)) s"
start=$SECONDS
rs_expect_error Timeout other.lab.test 5060 "" "no DNS server answered|within"
elapsed=$((SECONDS - start))
((elapsed <= 20)) || lab_fail "Timeout took ${elapsed}s (bound 10 s + slack)"
lab_dns_thaw
lab_wait_for 30 "fresh answers after dnsmasq thawed" fresh || lab_fail "no recovery after dnsmasq thawed"
rs_alive
echo "PASS"
