#!/usr/bin/env bash
# Every branch of RFC 3263 §4 against the lab's dnsmasq, the CLI's table and JSON, and argument
# errors. Done-condition: `siprctl resolve lab.test` lists the lab registrars in the RFC's order.
set -euo pipefail
source "$SIPR_LAB/lab.sh"
source "$(dirname "$0")/lib.sh"

lab_init
# Extra records: SRV without NAPTR (nonaptr), priorities given out of order (prio), TLS SRV (secure).
LAB_DNS_EXTRA=(
        --srv-host=_sip._tcp.nonaptr.lab.test,reg3.lab.test,5062,10,10
        --srv-host=_sip._udp.prio.lab.test,reg3.lab.test,5063,30,0
        --srv-host=_sip._udp.prio.lab.test,reg1.lab.test,5061,10,0
        --srv-host=_sip._udp.prio.lab.test,reg2.lab.test,5062,20,0
        --srv-host=_sips._tcp.secure.lab.test,reg2.lab.test,5071,10,10
        --host-record=secure.lab.test,"$LAB_NET.9"
        --host-record=plain.lab.test,"$LAB_NET.8"
        --host-record=both.lab.test,"$LAB_NET.7",::1
)
lab_dns_start
rs_start --dns="$(lab_dns_addr)"
R1=$(lab_registrar_addr 1) R2=$(lab_registrar_addr 2) R3=$(lab_registrar_addr 3)

# Servers property reflects --dns.
lab_assert_eq "1 \"$(lab_dns_addr)\"" "$(rs_prop Servers)" "Servers"

# NAPTR (SIP+D2U order 10, SIP+D2T order 20) → SRV (reg1 prio 10, reg2 prio 20) → A.
lab_assert_eq "udp $R1 5060 10 10
udp $R2 5060 20 10
tcp $R1 5060 10 10
tcp $R2 5060 20 10" "$(rs_targets lab.test)" "NAPTR → SRV → A for lab.test"
lab_siprctl resolve lab.test
lab_siprctl resolve lab.test | awk 'NR > 1 { print $2, $3, $4 }' >"$LAB_DIR/table"
lab_assert_eq "udp $R1 5060
udp $R2 5060
tcp $R1 5060
tcp $R2 5060" "$(cat "$LAB_DIR/table")" "siprctl resolve lab.test table"
lab_siprctl resolve lab.test | head -1 | grep -q "TRANSPORT.*ADDRESS.*PORT.*PRIORITY.*WEIGHT.*TTL" ||
        lab_fail "table header"

# Port 0 + transport → SRV of that transport only.
lab_assert_eq "tcp $R1 5060 10 10
tcp $R2 5060 20 10" "$(rs_targets lab.test 0 tcp)" "SRV _sip._tcp"
lab_assert_eq "udp $R1 5060 10 10
udp $R2 5060 20 10" "$(rs_targets lab.test 0 udp)" "SRV _sip._udp"
lab_assert_eq "tcp $R1 5060 10 10" "$(lab_siprctl --json resolve lab.test tcp | jq -r '.[0] | "\(.transport) \(.address) \(.port) \(.priority) \(.weight)"')" \
        "siprctl resolve HOST TRANSPORT"
# TLS: _sips._tcp SRV.
lab_assert_eq "tls $R2 5071 10 10" "$(rs_targets secure.lab.test 0 tls)" "SRV _sips._tcp"

# Priorities answered in any order come back ascending.
lab_assert_eq "udp $R1 5061 10 0
udp $R2 5062 20 0
udp $R3 5063 30 0" "$(rs_targets prio.lab.test 0 udp)" "SRV ascending priority"

# No NAPTR → SRV per transport (only _sip._tcp exists here).
lab_assert_eq "tcp $R3 5062 10 10" "$(rs_targets nonaptr.lab.test)" "no NAPTR → SRV"

# No NAPTR, no SRV → A/AAAA on 5060 UDP; TLS asked → 5061.
lab_assert_eq "udp $LAB_NET.8 5060 0 0" "$(rs_targets plain.lab.test)" "no NAPTR/SRV → A on 5060"
lab_assert_eq "tls $LAB_NET.8 5061 0 0" "$(rs_targets plain.lab.test 0 tls)" "no SRV, TLS → A on 5061"
lab_assert_eq "tcp $LAB_NET.8 5060 0 0" "$(rs_targets plain.lab.test 0 tcp)" "no SRV, TCP → A on 5060"

# Port given → A/AAAA only, transport as given or UDP; AAAA and A both, AAAA first.
lab_assert_eq "udp $R1 5070 0 0" "$(rs_targets reg1.lab.test 5070)" "port given → A"
lab_assert_eq "tcp ::1 5080 0 0
tcp $LAB_NET.7 5080 0 0" "$(rs_targets both.lab.test 5080 tcp)" "AAAA and A together"
lab_assert_eq "udp ::1 5060 0 0
udp $R1 5060 0 0" "$(rs_targets v6.lab.test 5060)" "v6.lab.test AAAA + A"
# A port given skips SRV even where SRV exists.
lab_assert_eq "udp $LAB_NET.9 5099 0 0" "$(rs_targets secure.lab.test 5099)" "port given → no SRV"

# TTLs come from DNS (lab TTL 1 s): never above 1.
ttl=$(rs_resolve lab.test | jq '[.[].ttl_seconds] | max')
((ttl <= 1)) || lab_fail "TTL $ttl > the zone's 1 s"

# IP literals: themselves, no query, TTL "never".
q0=$(rs_prop Queries)
lab_assert_eq "udp 127.0.0.9 5060 0 0" "$(rs_targets 127.0.0.9)" "IPv4 literal"
lab_assert_eq "tls ::1 5061 0 0" "$(rs_targets '[::1]' 0 tls)" "IPv6 literal in brackets"
lab_assert_eq "tcp 2001:db8::1 5070 0 0" "$(rs_targets 2001:DB8::1 5070 tcp)" "IPv6 literal"
lab_assert_eq "null" "$(rs_resolve 127.0.0.9 | jq '.[0].ttl_seconds')" "literal TTL"
lab_assert_eq "$q0" "$(rs_prop Queries)" "IP literals must not query DNS"

# Errors: NotFound, InvalidArgs; siprctl exits 1 with the message.
rs_expect_error NotFound nx.lab.test 0 "" "nx.lab.test has no SIP server records"
rs_expect_error NotFound lab.test 0 tls "lab.test"
rs_expect_error InvalidArgs bad_name.lab.test 0 "" "invalid character '_' at position 4"
rs_expect_error InvalidArgs "a..b" 0 "" "label 2"
rs_expect_error InvalidArgs "" 0 "" "empty"
rs_expect_error InvalidArgs lab.test 0 sctp 'Transport "sctp" is not supported'
set +e
lab_siprctl resolve nx.lab.test >"$LAB_DIR/out" 2>&1
rc=$?
set -e
lab_assert_eq 1 "$rc" "siprctl exit code on NotFound"
grep -q "sipr-resolverd: nx.lab.test has no SIP server records" "$LAB_DIR/out" || lab_fail "siprctl message: $(cat "$LAB_DIR/out")"
set +e
lab_siprctl resolve lab.test notaport >/dev/null 2>&1
rc=$?
set -e
lab_assert_eq 2 "$rc" "siprctl exit code on a bad PORT"

# Flush empties the cache.
(($(rs_prop CacheEntries) > 0)) || lab_fail "cache empty after resolutions"
rs_flush
lab_assert_eq 0 "$(rs_prop CacheEntries)" "CacheEntries after Flush"

# A bad --dns is refused at start with a message naming it.
set +e
"$SIPR_BUILD_ROOT/services/resolverd/sipr-resolverd" --dns=not-an-ip >"$LAB_DIR/baddns.log" 2>&1
rc=$?
set -e
((rc != 0)) || lab_fail "sipr-resolverd started with --dns=not-an-ip"
grep -q -- '--dns: "not-an-ip" is not an IP address' "$LAB_DIR/baddns.log" || lab_fail "bad --dns message: $(cat "$LAB_DIR/baddns.log")"

# Not running → exit 3.
lab_service_stop resolverd
set +e
lab_siprctl resolve lab.test >/dev/null 2>&1
rc=$?
set -e
lab_assert_eq 3 "$rc" "siprctl exit code when resolverd is not running"
echo "PASS"
