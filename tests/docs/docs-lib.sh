#!/usr/bin/env bash
# Helpers for the docs lab tests: configd with one account on registrar 1 (an IP literal, so no
# DNS is needed), regd on its own address. Uses only tests/lab/lab.sh.
# shellcheck source=../lab/lab.sh
source "${SIPR_LAB:-$(dirname "${BASH_SOURCE[0]}")/../lab}/lab.sh"

# docs_skip_without_regd — exit 77 (meson: skipped) with a reason when regd is not built.
docs_skip_without_regd() {
        if [[ ! -x "$SIPR_BUILD_ROOT/services/regd/sipr-regd" ]]; then
                echo "SKIP: $SIPR_BUILD_ROOT/services/regd/sipr-regd is not built"
                exit 77
        fi
}

docs_setup() {
        set -euo pipefail
        lab_init
        lab_dbus_start
        DOCS_ETC=$LAB_DIR/etc
        mkdir -p "$DOCS_ETC" "$LAB_DIR/configd-state" "$LAB_DIR/regd-state"
}

# docs_err MESSAGE — a failed check that lets the test go on, so one run lists every difference;
# the test fails at its end when DOCS_ERRORS > 0.
DOCS_ERRORS=0
docs_err() {
        echo "FAIL: $*" >&2
        DOCS_ERRORS=$((DOCS_ERRORS + 1))
}

# docs_start_configd — account 1 (user 1001) on registrar 1.
docs_start_configd() {
        cat >"$DOCS_ETC/y000000000000.cfg" <<CFG
#!version:1.0.0.1
account.1.enable = 1
account.1.user_name = 1001
account.1.password = $(lab_user_password 1001)
account.1.sip_server.1.address = $(lab_registrar_addr 1)
account.1.sip_server.1.expires = 60
CFG
        lab_service_start configd --config-dir="$DOCS_ETC" --state-dir="$LAB_DIR/configd-state" --mac=001565aabbcc
}

docs_start_regd() {
        lab_service_start regd --state-dir="$LAB_DIR/regd-state" --sip-address="$LAB_NET.10"
}

# docs_start_stack — registrar 1, dnsmasq and all four services; returns once account 1 is
# registered.
docs_start_stack() {
        lab_registrar_start 1
        lab_dns_start
        lab_service_start resolverd --dns="$(lab_dns_addr)"
        lab_service_start healthd
        docs_start_configd
        docs_start_regd
        lab_wait_for 30 "account 1 registered" docs_state_is registered || lab_fail "account 1 not registered"
}

docs_account_call() { # METHOD — an Account method on account 1
        busctl --system call org.sipr.Registration1 /org/sipr/Registration1/account/1 \
                org.sipr.Registration1.Account "$1"
}

docs_state() {
        busctl --system --no-pager --json=short get-property org.sipr.Registration1 \
                /org/sipr/Registration1/account/1 org.sipr.Registration1.Account State | jq -r .data
}
docs_state_is() { [[ "$(docs_state 2>/dev/null)" == "$1" ]]; }

# docs_grep FILE REGEX — true when a line of FILE matches (for lab_wait_for).
docs_grep() { grep -Eq -- "$2" "$1"; }
