#!/usr/bin/env bash
# Provisioning over https from a real lighttpd whose certificate comes from a CA made here with
# openssl: the system's CA store does not know it (refused), the right CA in
# sipr.provision.ca_file is trusted (applied, with basic auth inside TLS), another CA is refused,
# and so is a certificate of the right CA for another address. A refusal changes nothing.
source "$(dirname "$0")/provision-lib.sh"
prov_setup
prov_ca lab
prov_ca other
prov_server_cert lab
prov_http_start
lab_wait_for 10 "lighttpd on $PROV_ADDR:8443" _lab_listening tcp "$PROV_ADDR" 8443 || lab_fail "no https listener"
URL=$(prov_url basic https)
prov_publish basic y000000000000.cfg '#!version:1.0.0.1' 'account.1.enable = 1' 'account.1.user_name = 1001' \
        'account.1.label = Over TLS'
prov_etc "static.auto_provision.server.url = $URL" "static.auto_provision.server.username = $PROV_USER" \
        "static.auto_provision.server.password = $PROV_PASS"
cfg_start

# The system's CA store does not know the lab CA.
lab_wait_for 30 "the first round refused the certificate" prov_result_is "failed:" ||
        lab_fail "first round: $(prov_result)"
[[ "$(prov_result)" == *"${URL}y000000000000.cfg: the server's TLS certificate is not trusted (refused)"* ]] ||
        lab_fail "unknown CA: $(prov_result)"
cfg_expect_eq account.1.label ""

# The right CA: trusted, basic auth inside TLS.
lab_siprctl set "sipr.provision.ca_file=$LAB_DIR/tls/lab.crt" >/dev/null || lab_fail "set ca_file"
out=$(prov_provision) || lab_fail "provision with the lab CA: $out"
[[ "$out" == applied:* ]] || lab_fail "provision with the lab CA: $out"
cfg_expect_eq account.1.label "Over TLS"

# Another CA: refused, the configuration stays.
gen=$(cfg_prop Generation)
prov_publish basic y000000000000.cfg '#!version:1.0.0.1' 'account.1.enable = 1' 'account.1.label = Changed'
lab_siprctl set "sipr.provision.ca_file=$LAB_DIR/tls/other.crt" >/dev/null || lab_fail "set ca_file"
gen=$(cfg_prop Generation)
rc=0
out=$(prov_provision) || rc=$?
lab_assert_eq 1 "$rc" "siprctl provision with another CA"
[[ "$out" == *"TLS certificate is not trusted (refused)"* ]] || lab_fail "another CA: $out"
cfg_expect_eq account.1.label "Over TLS"
lab_assert_eq "$gen" "$(cfg_prop Generation)" "Generation after a refused certificate"

# The right CA, but a certificate for another address: refused.
lab_siprctl set "sipr.provision.ca_file=$LAB_DIR/tls/lab.crt" >/dev/null || lab_fail "set ca_file"
prov_http_stop
PROV_ADDR_REAL=$PROV_ADDR
PROV_ADDR=$LAB_NET.81 prov_server_cert lab
PROV_ADDR=$PROV_ADDR_REAL
prov_http_start
lab_wait_for 10 "lighttpd on $PROV_ADDR:8443" _lab_listening tcp "$PROV_ADDR" 8443 || lab_fail "no https listener"
rc=0
out=$(prov_provision) || rc=$?
lab_assert_eq 1 "$rc" "siprctl provision with a certificate for another address"
[[ "$out" == *"TLS certificate is not trusted (refused)"* ]] || lab_fail "certificate for another address: $out"
cfg_expect_eq account.1.label "Over TLS"

# A missing CA file is named.
lab_siprctl set "sipr.provision.ca_file=$LAB_DIR/tls/missing.crt" >/dev/null || lab_fail "set ca_file"
rc=0
out=$(prov_provision) || rc=$?
lab_assert_eq 1 "$rc" "siprctl provision with a missing CA file"
[[ "$out" == *"sipr.provision.ca_file"* || "$out" == *"not trusted"* ]] || lab_fail "missing CA file: $out"
lab_has_name org.sipr.Config1 || lab_fail "configd is gone"
echo ok
