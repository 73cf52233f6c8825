#!/usr/bin/env bash
# Provisioning from a real lighttpd with digest auth: the first fetch applies and regd registers
# the fetched account at a lab Kamailio; an unchanged server costs one 304 per file and reapplies
# nothing; no device file (404) means the common file alone, and a device file that appears is
# applied over it; a bad file is refused whole with file:line: key: reason (property, journal,
# siprctl) and the last good configuration stays; a wrong password is a clear error; a device that
# boots with the server down starts with the last good files from its state directory.
source "$(dirname "$0")/provision-lib.sh"
source "$(dirname "$0")/../regd/regd-lib.sh"
prov_setup
lab_registrar_start 1
REG=$(lab_registrar_addr 1)
prov_http_start
URL=$(prov_url digest)
COMMON=$PROV_WWW/digest/y000000000000.cfg

prov_publish digest y000000000000.cfg '#!version:1.0.0.1' "sipr.edge.address = $LAB_NET.10" \
        'account.1.enable = 1' 'account.1.user_name = 1001' "account.1.password = $(lab_user_password 1001)" \
        "account.1.sip_server.1.address = $REG" 'account.1.label = From the server'
prov_etc "static.auto_provision.server.url = $URL" "static.auto_provision.server.username = $PROV_USER" \
        "static.auto_provision.server.password = $PROV_PASS" "sipr.edge.address = $LAB_NET.10"
cfg_start

# --- first fetch: applied, regd follows ---
lab_wait_for 30 "the first round applied" prov_result_is "applied:" ||
        lab_fail "first round: $(prov_result); log: $(tail -5 "$LAB_DIR/configd.log")"
cfg_expect_eq account.1.label "From the server"
lab_assert_eq "[\"$CFG_ETC/y000000000000.cfg\",\"$CFG_STATE/provisioned/y000000000000.cfg\"]" "$(cfg_prop Sources)" \
        "Sources: the bootstrap file and the provisioned common file (no device file: 404)"
[[ ! -e $CFG_STATE/provisioned/$CFG_MAC.cfg ]] || lab_fail "a device file was stored after a 404"
lab_wait_for 20 "lighttpd logged the 404 of the device file" \
        bash -c "(( \$(source '$(dirname "$0")/provision-lib.sh'; prov_requests /digest/$CFG_MAC.cfg 404) >= 1 ))" ||
        lab_fail "no 404 for the device file: $(cat "$LAB_DIR/http-access.log")"
lab_service_start regd --state-dir="$LAB_DIR/regd-state" --sip-address="$LAB_NET.10"
regd_wait 30 "the provisioned account registered at Kamailio" regd_is 1 registered
regd_wait 10 "Kamailio holds the binding" lab_has_binding 1 1001
# The provisioning password reaches no other daemon: regd never asked for it.
grep -q "static.auto_provision.server.password" "$LAB_DIR/regd.log" && lab_fail "regd's log names the provisioning password key"
grep -qF -- "$PROV_PASS" "$LAB_DIR"/*.log && lab_fail "the provisioning password is in a log"

# --- unchanged: one 304 per file, nothing reapplied ---
gen=$(cfg_prop Generation)
out=$(prov_provision) || lab_fail "siprctl provision (unchanged): $out"
[[ "$out" == unchanged:* ]] || lab_fail "an unchanged server: $out"
lab_assert_eq "$gen" "$(cfg_prop Generation)" "Generation after an unchanged round"
lab_wait_for 20 "lighttpd logged the 304" \
        bash -c "(( \$(source '$(dirname "$0")/provision-lib.sh'; prov_requests /digest/y000000000000.cfg 304) >= 1 ))" ||
        lab_fail "no 304 for the common file: $(cat "$LAB_DIR/http-access.log")"
grep -q "Provisioned: " <(tail -n +"$(grep -n 'round 2)' "$LAB_DIR/configd.log" | cut -d: -f1)" "$LAB_DIR/configd.log") &&
        lab_fail "round 2 reapplied keys"

# --- the device file appears: applied over the common file ---
prov_publish digest "$CFG_MAC.cfg" '#!version:1.0.0.1' 'account.1.label = Device file'
out=$(prov_provision) || lab_fail "siprctl provision (device file): $out"
[[ "$out" == applied:* ]] || lab_fail "a new device file: $out"
cfg_expect_eq account.1.label "Device file"
[[ -f $CFG_STATE/provisioned/$CFG_MAC.cfg ]] || lab_fail "the device file was not stored"

# --- a bad file: refused whole, last good stays, reason everywhere ---
gen=$(cfg_prop Generation)
prov_publish digest y000000000000.cfg '#!version:1.0.0.1' "sipr.edge.address = $LAB_NET.10" \
        'account.1.enable = 1' 'account.1.user_name = 1001' "account.1.password = $(lab_user_password 1001)" \
        "account.1.sip_server.1.address = $REG" 'account.1.display_name = Mallory' \
        'account.1.sip_server.1.expires = 10'
rc=0
out=$(prov_provision) || rc=$?
lab_assert_eq 1 "$rc" "siprctl provision with a bad file on the server"
want="${URL}y000000000000.cfg:8: account.1.sip_server.1.expires: invalid value '10': permitted 30…2147483647"
[[ "$out" == *"$want"* ]] || lab_fail "siprctl provision does not name file:line: key: reason: $out"
[[ "$(prov_result)" == "refused: $want"* ]] || lab_fail "LastProvisionResult: $(prov_result)"
grep -qF "$want" "$LAB_DIR/configd.log" || lab_fail "the journal does not name the problem"
cfg_expect_eq account.1.display_name ""
cfg_expect_eq account.1.label "Device file"
lab_assert_eq "$gen" "$(cfg_prop Generation)" "Generation after a refused file"
grep -q "Mallory" "$CFG_STATE/provisioned/y000000000000.cfg" && lab_fail "the refused file was stored"
regd_is 1 registered || lab_fail "regd lost its registration over a refused file"

# --- a wrong password: a clear error, nothing changes ---
busctl --system call org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 Set 'a{ss}' 1 \
        static.auto_provision.server.password wrong-password >/dev/null || lab_fail "Set password"
rc=0
out=$(prov_provision) || rc=$?
lab_assert_eq 1 "$rc" "siprctl provision with a wrong password"
[[ "$out" == *"${URL}y000000000000.cfg: the server refused the user name and password (HTTP 401)"* ]] ||
        lab_fail "wrong password: $out"
[[ "$out" != *wrong-password* ]] || lab_fail "the password is quoted: $out"
cfg_expect_eq account.1.label "Device file"
busctl --system call org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 Reset as 1 \
        static.auto_provision.server.password >/dev/null || lab_fail "Reset password"

# --- server down at boot: the last good files ---
prov_http_stop
lab_service_stop configd
cfg_start
lab_wait_for 60 "the boot round failed" prov_result_is "failed:" || lab_fail "boot round: $(prov_result)"
[[ "$(prov_result)" == *"cannot connect to the server"* ]] || lab_fail "server down: $(prov_result)"
cfg_expect_eq account.1.label "Device file"
cfg_expect_eq account.1.user_name 1001
lab_assert_eq "[\"$CFG_ETC/y000000000000.cfg\",\"$CFG_STATE/provisioned/y000000000000.cfg\",\"$CFG_STATE/provisioned/$CFG_MAC.cfg\",\"$CFG_STATE/local.cfg\"]" \
        "$(cfg_prop Sources)" "Sources at a boot without the server (local.cfg: the Set and Reset above)"
regd_is 1 registered || lab_fail "regd lost its registration while configd restarted without the server"

# The server back: the good file of before is fetched and applied again; nothing lost.
prov_publish digest y000000000000.cfg '#!version:1.0.0.1' "sipr.edge.address = $LAB_NET.10" \
        'account.1.enable = 1' 'account.1.user_name = 1001' "account.1.password = $(lab_user_password 1001)" \
        "account.1.sip_server.1.address = $REG" 'account.1.label = Back again'
prov_http_start
rm -f "$PROV_WWW/digest/$CFG_MAC.cfg"
out=$(prov_provision) || lab_fail "siprctl provision after the server returned: $out"
cfg_expect_eq account.1.label "Back again"
[[ ! -e $CFG_STATE/provisioned/$CFG_MAC.cfg ]] || lab_fail "a device file gone from the server (404) stayed in effect"
echo ok
