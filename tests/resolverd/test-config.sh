#!/usr/bin/env bash
# DNS servers and serve-stale follow the configuration at run time: resolv.conf (and its
# changes) when nothing is configured, network.primary_dns/secondary_dns set through
# sipr-configd, back to resolv.conf on Reset, sipr.dns.serve_stale = 0 disables stale answers.
set -euo pipefail
source "$SIPR_LAB/lab.sh"
source "$(dirname "$0")/lib.sh"

lab_init
lab_dbus_start
lab_dns_start
mkdir -p "$LAB_DIR/etc" "$LAB_DIR/state"
lab_service_start configd --config-dir="$LAB_DIR/etc" --state-dir="$LAB_DIR/state" --mac=00:15:65:aa:bb:cc
DNS=$(lab_dns_addr)
R1=$(lab_registrar_addr 1)

set_keys() { busctl --system call org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 Set 'a{ss}' "$@" >/dev/null; }
servers_are() { [[ "$(rs_prop Servers)" == "$1" ]]; }

# Nothing configured: resolv.conf (here a private one pointing at an unused address).
echo "nameserver $LAB_NET.99" >"$LAB_DIR/resolv.conf"
lab_service_start resolverd --resolv-conf="$LAB_DIR/resolv.conf"
lab_wait_for 10 "Servers from resolv.conf" servers_are "1 \"$LAB_NET.99\"" || lab_fail "Servers: $(rs_prop Servers)"
rs_expect_error Timeout reg1.lab.test 5060 "" "reg1.lab.test"

# resolv.conf changes are picked up on the next lookup.
printf '# changed\nnameserver %s\n' "$DNS" >"$LAB_DIR/resolv.conf.new"
mv "$LAB_DIR/resolv.conf.new" "$LAB_DIR/resolv.conf"
lab_assert_eq "udp $R1 5060 0 0" "$(rs_targets reg1.lab.test 5060)" "resolve after resolv.conf changed"
lab_assert_eq "1 \"$DNS\"" "$(rs_prop Servers)" "Servers after resolv.conf changed"

# network.primary_dns / secondary_dns through configd, at run time.
echo "nameserver $LAB_NET.99" >"$LAB_DIR/resolv.conf"
set_keys 2 network.primary_dns "$DNS:53" network.secondary_dns "[::1]:5399"
lab_wait_for 10 "Servers from the configuration" servers_are "2 \"$DNS\" \"[::1]:5399\"" ||
        lab_fail "Servers after Set: $(rs_prop Servers)"
rs_flush
lab_assert_eq "udp $R1 5060 0 0" "$(rs_targets reg1.lab.test 5060)" "resolve through network.primary_dns"

# Primary unreachable → the secondary answers (c-ares moves on).
set_keys 2 network.primary_dns "$LAB_NET.99" network.secondary_dns "$DNS"
lab_wait_for 10 "primary/secondary swapped" servers_are "2 \"$LAB_NET.99\" \"$DNS\"" || lab_fail "Servers: $(rs_prop Servers)"
rs_flush
lab_assert_eq "udp $R1 5060 0 0" "$(rs_targets reg1.lab.test 5060)" "resolve through the secondary"

# A value configd accepts but that is no usable server keeps the servers in use (and says why).
if busctl --system call org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 Set 'a{ss}' 1 network.primary_dns "dns.example" >/dev/null 2>&1; then
        lab_wait_for 10 "the bad value reported" grep -q 'network.primary_dns: "dns.example" is not an IP' "$LAB_DIR/resolverd.log" ||
                lab_fail "bad network.primary_dns not reported"
        lab_assert_eq "2 \"$LAB_NET.99\" \"$DNS\"" "$(rs_prop Servers)" "Servers after a bad value"
else
        echo "configd refuses network.primary_dns=dns.example itself"
fi

# Reset → back to resolv.conf.
busctl --system call org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 Reset as 2 network.primary_dns network.secondary_dns >/dev/null
lab_wait_for 10 "Servers back to resolv.conf" servers_are "1 \"$LAB_NET.99\"" || lab_fail "Servers after Reset: $(rs_prop Servers)"

# sipr.dns.serve_stale = 0: no stale answers once DNS is gone.
set_keys 2 network.primary_dns "$DNS" sipr.dns.serve_stale 0
lab_wait_for 10 "Servers from the configuration" servers_are "1 \"$DNS\"" || lab_fail "Servers: $(rs_prop Servers)"
rs_flush
rs_targets reg1.lab.test 5060 >/dev/null
lab_dns_kill
sleep 1.2 # TTL 1 s runs out
rs_expect_error Timeout reg1.lab.test 5060 "" "reg1.lab.test"
lab_assert_eq 0 "$(rs_prop StaleAnswers)" "StaleAnswers with serve_stale 0"
# The expired entry leaves the cache at its expiry, and with nothing cached resolverd arms no
# timer at all (no periodic sweep: an idle resolverd does not wake up).
lab_wait_for 15 "the expired entry swept" rs_prop_is CacheEntries 0 || lab_fail "CacheEntries: $(rs_prop CacheEntries)"
no_timers() { [[ "$(lab_service_state resolverd timers)" == 0 ]] || { sleep 0.5; return 1; }; }
lab_wait_for 10 "no timer armed with an empty cache" no_timers || lab_fail "idle resolverd: $(lab_service_state resolverd)"

# resolverd survives configd going away and keeps its servers.
lab_service_stop configd
sleep 0.5
lab_assert_eq "1 \"$DNS\"" "$(rs_prop Servers)" "Servers after configd stopped"
rs_alive
echo "PASS"
