#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The D-Bus policy (dbus/system.d) on a private system bus: an unprivileged user (nobody) may read
# properties and call the read-only methods, but every mutating method (and GetSecret) is refused
# by the bus with org.freedesktop.DBus.Error.AccessDenied; root may call them; nobody may not own
# a sipr name; siprctl turns the refusal into a clear message; org.freedesktop.LogControl1 is
# read by anyone, written by root only. Services not built yet are skipped.
# (Members of sipr-admin are covered by the nspawn test, where sysusers creates the group.)
set -euo pipefail
source "$(dirname "$0")/systemd-lib.sh"

sd_missing_daemons '; the policy needs a live owner to be tested'
getent passwd nobody >/dev/null || { echo "SKIP: no user 'nobody' on this machine"; exit 77; }

lab_init
# The lab dir is 0700; nobody must reach the bus socket inside it.
chmod 0755 "$LAB_DIR"
# The lab bus lets only root connect; a stock system bus lets every user connect (<allow user="*"/>
# in system.conf), which is what this test needs: use the lab's config with that one rule added.
mkdir "$LAB_DIR/conf"
sed 's|^\( *\)<policy context="default">|&\n\1  <allow user="*"/>|' "$LAB_SRC/dbus-lab.conf.in" >"$LAB_DIR/conf/dbus-lab.conf.in"
grep -q '<allow user="\*"/>' "$LAB_DIR/conf/dbus-lab.conf.in" || lab_fail "could not add <allow user=\"*\"/> to the lab bus config"
lab_src=$LAB_SRC
LAB_SRC=$LAB_DIR/conf lab_dbus_start
LAB_SRC=$lab_src
mkdir -p "$LAB_DIR/etc" "$LAB_DIR/state"
cat >"$LAB_DIR/etc/y000000000000.cfg" <<CFG
account.1.enable = 1
account.1.user_name = 1001
account.1.password = secret1001
account.1.sip_server.1.address = $LAB_NET.2
CFG

as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
# call USER DEST PATH IFACE.MEMBER [args…] → dbus-send output (stdout+stderr), never fails
call() {
        local who=$1
        shift
        local dest=$1 path=$2 method=$3
        shift 3
        if [[ $who == nobody ]]; then
                as_nobody dbus-send --system --print-reply --reply-timeout=20000 --dest="$dest" "$path" "$method" "$@" 2>&1 || true
        else
                dbus-send --system --print-reply --reply-timeout=20000 --dest="$dest" "$path" "$method" "$@" 2>&1 || true
        fi
}
denied() { # DEST PATH IFACE.MEMBER [args…]: nobody is refused by the bus
        local out
        out=$(call nobody "$@")
        grep -q 'org.freedesktop.DBus.Error.AccessDenied' <<<"$out" ||
                lab_fail "nobody calling $3 on $1 was not refused with AccessDenied: $out"
        echo "ok: nobody may not call $3"
}
allowed() { # WHO DEST PATH IFACE.MEMBER [args…]: the call succeeds
        local out
        out=$(call "$@")
        grep -q '^method return' <<<"$out" || lab_fail "$1 calling $4 on $2 did not succeed: $out"
        echo "ok: $1 may call $4"
}
prop() { # WHO DEST PATH IFACE PROPERTY
        allowed "$1" "$2" "$3" org.freedesktop.DBus.Properties.Get string:"$4" string:"$5"
}

if sd_built configd; then
        lab_service_start configd --config-dir="$LAB_DIR/etc" --state-dir="$LAB_DIR/state" --mac=001565000001
        C=(org.sipr.Config1 /org/sipr/Config1)
        allowed nobody "${C[@]}" org.sipr.Config1.Get string:account.1.user_name
        allowed nobody "${C[@]}" org.sipr.Config1.List string:account.1.
        allowed nobody "${C[@]}" org.sipr.Config1.Check string:"$LAB_DIR/etc/y000000000000.cfg"
        allowed nobody "${C[@]}" org.sipr.Config1.CheckContents string:x.cfg array:byte:0x61,0x3d,0x31
        prop nobody "${C[@]}" org.sipr.Config1 Generation
        prop nobody "${C[@]}" org.sipr.Config1 LastProvisionResult
        allowed nobody "${C[@]}" org.freedesktop.DBus.Introspectable.Introspect
        denied "${C[@]}" org.sipr.Config1.Set dict:string:string:account.1.label,x
        denied "${C[@]}" org.sipr.Config1.Reset array:string:account.1.label
        denied "${C[@]}" org.sipr.Config1.Reload
        denied "${C[@]}" org.sipr.Config1.GetSecret string:account.1.password
        denied "${C[@]}" org.sipr.Config1.Provision
        # root may do all of it; the refusal above was the policy, not the method.
        allowed root "${C[@]}" org.sipr.Config1.Set dict:string:string:account.1.label,byroot
        out=$(call root "${C[@]}" org.sipr.Config1.Get string:account.1.label)
        grep -q '"byroot"' <<<"$out" || lab_fail "root's Set did not apply: $out"
        out=$(call root "${C[@]}" org.sipr.Config1.GetSecret string:account.1.password)
        grep -q '"secret1001"' <<<"$out" || lab_fail "root may call GetSecret, got: $out"
        echo "ok: root may call Set and GetSecret"
        allowed root "${C[@]}" org.sipr.Config1.Reload

        # siprctl: reads work for anyone; a refused write says why, exit 1.
        siprctl=$SIPR_BUILD_ROOT/tools/siprctl/siprctl
        out=$(as_nobody "$siprctl" get account.1.label 2>&1) || lab_fail "siprctl get as nobody failed: $out"
        lab_assert_eq byroot "$out" "siprctl get as nobody"
        rc=0
        out=$(as_nobody "$siprctl" set account.1.label=bynobody 2>&1) || rc=$?
        lab_assert_eq 1 "$rc" "exit status of siprctl set as nobody (output: $out)"
        grep -qi 'permission denied' <<<"$out" && grep -q 'sipr-admin' <<<"$out" ||
                lab_fail "siprctl set as nobody: message does not say permission denied / sipr-admin: $out"
        echo "ok: siprctl set as nobody: $out"
        out=$(call root "${C[@]}" org.sipr.Config1.Get string:account.1.label)
        grep -q '"byroot"' <<<"$out" || lab_fail "nobody's refused set changed the value: $out"

        # Only root and sipr may own the name.
        rc=0
        as_nobody timeout 20 "$SIPR_BUILD_ROOT/services/configd/sipr-configd" --config-dir="$LAB_DIR/etc" \
                --state-dir="$LAB_DIR/nobody-state" >"$LAB_DIR/nobody-configd.log" 2>&1 || rc=$?
        ((rc != 0 && rc != 124)) || lab_fail "sipr-configd as nobody did not fail to own its name (rc $rc): $(cat "$LAB_DIR/nobody-configd.log")"
        grep -qi 'denied\|not allowed\|org.sipr.Config1' "$LAB_DIR/nobody-configd.log" ||
                lab_fail "sipr-configd as nobody: no reason in its log: $(cat "$LAB_DIR/nobody-configd.log")"
        echo "ok: nobody may not own org.sipr.Config1: $(tail -1 "$LAB_DIR/nobody-configd.log")"
fi

if sd_built resolverd; then
        lab_service_start resolverd
        R=(org.sipr.Resolver1 /org/sipr/Resolver1)
        allowed nobody "${R[@]}" org.sipr.Resolver1.Resolve string:127.0.0.1 uint16:5060 string:udp
        prop nobody "${R[@]}" org.sipr.Resolver1 Queries
        denied "${R[@]}" org.sipr.Resolver1.Flush
        allowed root "${R[@]}" org.sipr.Resolver1.Flush
fi

if sd_built healthd; then
        lab_service_start healthd
        H=(org.sipr.Health1 /org/sipr/Health1)
        allowed nobody "${H[@]}" org.freedesktop.DBus.Introspectable.Introspect
        # The bus refuses before the service sees the call, so no arguments are needed.
        denied "${H[@]}" org.sipr.Health1.Watch
        denied "${H[@]}" org.sipr.Health1.Unwatch objpath:/org/sipr/Health1/target/1
        denied "${H[@]}" org.sipr.Health1.Report objpath:/org/sipr/Health1/target/1 string:ok
        out=$(busctl --system call org.sipr.Health1 /org/sipr/Health1 org.sipr.Health1 Watch 'ssqa{sv}' udp "$LAB_NET.2" 5060 0 2>&1) ||
                lab_fail "root may not call Watch: $out"
        echo "ok: root may call Watch ($out)"
fi

if sd_built regd; then
        lab_service_start regd
        G=(org.sipr.Registration1 /org/sipr/Registration1)
        prop nobody "${G[@]}" org.sipr.Registration1 Accounts
        denied "${G[@]}" org.sipr.Registration1.Reregister
        acct=/org/sipr/Registration1/account/1
        if sd_built configd; then
                has_account() { busctl --system get-property org.sipr.Registration1 /org/sipr/Registration1 org.sipr.Registration1 Accounts | grep -q '^ao [1-9]'; }
                lab_wait_for 30 "regd exports account 1" has_account || lab_fail "regd exports no account"
                acct=$(busctl --system get-property org.sipr.Registration1 /org/sipr/Registration1 org.sipr.Registration1 Accounts |
                        sed -n 's/^ao [0-9]* "\([^"]*\)".*/\1/p')
                prop nobody org.sipr.Registration1 "$acct" org.sipr.Registration1.Account State
        fi
        for m in Register Unregister Failover; do
                denied org.sipr.Registration1 "$acct" org.sipr.Registration1.Account.$m
        done
        allowed root "${G[@]}" org.sipr.Registration1.Reregister
fi

# org.freedesktop.LogControl1 (systemctl service-log-level): anyone reads, only root writes.
for s in configd resolverd healthd regd; do
        sd_built "$s" || continue
        L=("$(_lab_service_busname "$s")" /org/freedesktop/LogControl1)
        prop nobody "${L[@]}" org.freedesktop.LogControl1 LogLevel
        denied "${L[@]}" org.freedesktop.DBus.Properties.Set string:org.freedesktop.LogControl1 string:LogLevel variant:string:debug
        allowed root "${L[@]}" org.freedesktop.DBus.Properties.Set string:org.freedesktop.LogControl1 string:LogLevel variant:string:debug
        out=$(call nobody "${L[@]}" org.freedesktop.DBus.Properties.Get string:org.freedesktop.LogControl1 string:LogLevel)
        grep -q '"debug"' <<<"$out" || lab_fail "sipr-$s: LogLevel after root set it to debug: $out"
        allowed root "${L[@]}" org.freedesktop.DBus.Properties.Set string:org.freedesktop.LogControl1 string:LogLevel variant:string:info
        echo "ok: sipr-$s: LogLevel readable by nobody, written by root only"
done

echo PASS
