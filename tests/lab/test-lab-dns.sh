#!/usr/bin/env bash
# Lab self-test: dnsmasq serves the lab.test records, takes extra arguments, and dies on command.
set -eu -o pipefail
source "${SIPR_LAB:-$(dirname "$0")}/selftest-lib.sh"

lab_init
R1=$(lab_registrar_addr 1)
R2=$(lab_registrar_addr 2)
lab_dns_start

step "dnsmasq answers A/AAAA/SRV/NAPTR for lab.test with TTL 1"
lab_assert_eq "$R1" "$(lab_dig reg1.lab.test A)" "reg1.lab.test A"
lab_assert_eq "$R2" "$(lab_dig reg2.lab.test A)" "reg2.lab.test A"
lab_assert_eq "$(lab_registrar_addr 3)" "$(lab_dig reg3.lab.test A)" "reg3.lab.test A"
lab_assert_eq "::1" "$(lab_dig v6.lab.test AAAA)" "v6.lab.test AAAA"
for t in udp tcp; do
        lab_assert_eq "10 10 5060 reg1.lab.test.
20 10 5060 reg2.lab.test." "$(lab_dig _sip._$t.lab.test SRV | sort)" "_sip._$t.lab.test SRV"
done
lab_assert_eq '10 10 "S" "SIP+D2U" "" _sip._udp.lab.test.
20 10 "S" "SIP+D2T" "" _sip._tcp.lab.test.' "$(lab_dig lab.test NAPTR | sort)" "lab.test NAPTR"
lab_assert_eq "" "$(lab_dig nothing.lab.test A)" "unknown name in lab.test"
ttl=$(dig +noall +answer @"$(lab_dns_addr)" reg1.lab.test A | awk '{ print $2 }')
lab_assert_eq 1 "$ttl" "TTL of reg1.lab.test"
LAB_DNS_EXTRA=(--srv-host=_sip._udp.extra.lab.test,reg3.lab.test,5060,5,10)
lab_dns_restart
lab_assert_eq "5 10 5060 reg3.lab.test." "$(lab_dig _sip._udp.extra.lab.test SRV)" "SRV from LAB_DNS_EXTRA"

step "query counter, SIGSTOP (no answer) and SIGCONT, SIGKILL"
before=$(lab_dns_queries reg2.lab.test A)
lab_dig reg2.lab.test A >/dev/null
lab_dig reg2.lab.test A >/dev/null
lab_assert_eq $((before + 2)) "$(lab_dns_queries reg2.lab.test A)" "queries counted for reg2.lab.test A"
lab_dns_freeze
out=$(lab_dig reg1.lab.test A 2>&1) && lab_fail "frozen dnsmasq answered: $out"
[[ "$out" == *"timed out"* ]] || lab_fail "frozen dnsmasq: want a timeout, got '$out'"
lab_dns_thaw
lab_wait_for 10 "thawed dnsmasq answering" _lab_dns_ready || lab_fail "no answer after SIGCONT"
lab_dns_kill
out=$(lab_dig reg1.lab.test A 2>&1) && lab_fail "killed dnsmasq still answers: $out"
[[ "$out" == *"refused"* ]] || lab_fail "killed dnsmasq: want ICMP port unreachable (refused), got '$out'"

echo "lab self-test (dns): all checks passed"
