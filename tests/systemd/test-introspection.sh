#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Each dbus/org.sipr.*.xml file equals what the running service exports on the lab bus.
# A service that is not built yet is skipped with its reason; with none built the test is skipped.
set -euo pipefail
source "$(dirname "$0")/systemd-lib.sh"

check=$SIPR_SOURCE_ROOT/tests/systemd/check-introspection.py
xml=$SIPR_SOURCE_ROOT/dbus

sd_missing_daemons " (looked for $SIPR_BUILD_ROOT/services/*/sipr-*)"

lab_init
lab_dbus_start
mkdir -p "$LAB_DIR/etc" "$LAB_DIR/state"
# One enabled account, so regd exports an account object; its server is a lab address nobody
# listens on (the registration state does not matter here).
cat >"$LAB_DIR/etc/y000000000000.cfg" <<CFG
#!version:1.0.0.1
account.1.enable = 1
account.1.user_name = 1001
account.1.password = secret1001
account.1.sip_server.1.address = $LAB_NET.2
account.1.sip_server.1.port = 5060
CFG

failed=0
compare() { # XML BUSNAME PATH
        if ! python3 "$check" "$xml/$1.xml" "$2" "$3"; then
                failed=1
        fi
}

if sd_built configd; then
        lab_service_start configd --config-dir="$LAB_DIR/etc" --state-dir="$LAB_DIR/state" --mac=001565000001
        compare org.sipr.Config1 org.sipr.Config1 /org/sipr/Config1
fi
if sd_built resolverd; then
        lab_service_start resolverd
        compare org.sipr.Resolver1 org.sipr.Resolver1 /org/sipr/Resolver1
fi
if sd_built healthd; then
        lab_service_start healthd
        compare org.sipr.Health1 org.sipr.Health1 /org/sipr/Health1
        # Watch(s transport, s address, q port, a{sv} options) → o
fi
if sd_built regd; then
        lab_service_start regd
        compare org.sipr.Registration1 org.sipr.Registration1 /org/sipr/Registration1
        if sd_built configd; then
                accounts() { busctl --system get-property org.sipr.Registration1 /org/sipr/Registration1 \
                        org.sipr.Registration1 Accounts; }
                has_account() { accounts | grep -q '^ao [1-9]'; }
                lab_wait_for 30 "regd exports account 1" has_account ||
                        lab_fail "regd has no account object: $(accounts 2>&1)"
                path=$(accounts | sed -n 's/^ao [0-9]* "\([^"]*\)".*/\1/p')
                compare org.sipr.Registration1.Account org.sipr.Registration1 "$path"
        fi
fi

# A Health1.Target lives as long as its watcher: regd watches the servers of its accounts.
if sd_built healthd && sd_built regd && sd_built configd; then
        targets() { busctl --system --list tree org.sipr.Health1 2>/dev/null | grep '^/org/sipr/Health1/target/.' | head -1; }
        lab_wait_for 30 "regd watches a target on healthd" targets ||
                lab_fail "no Health1 target object although regd runs with an account: $(busctl --system --list tree org.sipr.Health1 2>&1)"
        compare org.sipr.Health1.Target org.sipr.Health1 "$(targets)"
fi
((failed == 0)) || lab_fail "introspection differs from dbus/*.xml (see MISMATCH lines above)"
echo "PASS: every built service exports exactly its dbus/*.xml"
