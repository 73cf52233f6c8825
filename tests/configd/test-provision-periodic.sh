#!/usr/bin/env bash
# static.auto_provision.repeat: with repeat.minutes = 1 and nobody asking, configd fetches again
# by itself and applies what changed on the server; power_on = 0 leaves the start alone.
source "$(dirname "$0")/provision-lib.sh"
prov_setup
prov_http_start
prov_publish open y000000000000.cfg '#!version:1.0.0.1' 'account.1.enable = 1' 'account.1.label = First'
prov_etc "static.auto_provision.server.url = $(prov_url open)" "static.auto_provision.power_on = 0" \
        "static.auto_provision.repeat.enable = 1" "static.auto_provision.repeat.minutes = 1"
cfg_start
lab_assert_eq "" "$(prov_result)" "LastProvisionResult with power_on = 0, before the first period"
lab_assert_eq 0 "$(prov_usec)" "LastProvisionUsec before any round"
cfg_expect_eq account.1.label ""

# The first period: the file as it is.
lab_wait_for 150 "the first periodic round" prov_result_is "applied:" || lab_fail "no periodic round: $(prov_result)"
cfg_expect_eq account.1.label First
first=$(prov_usec)

# A change on the server, and nothing else: the next period picks it up.
prov_publish open y000000000000.cfg '#!version:1.0.0.1' 'account.1.enable = 1' 'account.1.label = Second (changed)'
lab_wait_for 150 "the change applied by a periodic round" bash -c \
        "[[ \$(busctl --system --json=short call org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 Get s account.1.label | jq -r '.data[0]') == 'Second (changed)' ]]" ||
        lab_fail "the periodic round did not pick up the change: $(prov_result)"
(($(prov_usec) > first)) || lab_fail "LastProvisionUsec did not move"
grep -q "Periodic provisioning" "$LAB_DIR/configd.log" || lab_fail "no periodic round in the log"
grep -q "Provision of 0 key(s) requested by" "$LAB_DIR/configd.log" && lab_fail "someone called Provision: not periodic"
echo ok
