#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs inside the systemd-nspawn container booted by test-nspawn.sh, as the unit
# sipr-nspawn-test.service. Writes "ok:/FAIL:/SKIP:" lines to /sipr-test/out/results and
# "DONE" last; the container powers off when this script ends (SuccessAction/FailureAction).
# /sipr-test/in/env gives BUILT (daemons installed), REGISTRAR and REGISTRAR2 (addresses or empty).
# `host registrar-kill 1` (nspawn-host.sh) asks the test outside for a lab action.
set -u
export PATH=/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin
OUT=/sipr-test/out/results
: >"$OUT"
source /sipr-test/in/env
source /sipr-test/in/nspawn-host.sh
ok() { echo "ok: $*" >>"$OUT"; }
fail() { echo "FAIL: $*" >>"$OUT"; }
skip() { echo "SKIP: $*" >>"$OUT"; }
built() { [[ " $BUILT " == *" $1 "* ]]; }
# wait_for SECS cmd… — bounded poll
wait_for() {
        local deadline=$((SECONDS + $1))
        shift
        until "$@" >/dev/null 2>&1; do
                ((SECONDS >= deadline)) && return 1
                sleep 0.2
        done
}
prop() { systemctl show -P "$2" "$1"; }
unitdir=/usr/local/lib/systemd/system

# 1. sysusers.d and tmpfiles.d did their job at boot.
if getent passwd sipr >/dev/null && getent group sipr-admin >/dev/null; then
        ok "sysusers created user sipr ($(getent passwd sipr | cut -d: -f3)) and group sipr-admin"
else
        fail "sysusers: user sipr or group sipr-admin missing: $(getent passwd sipr) $(getent group sipr-admin)"
fi
s=$(stat -c '%a %U %G' /etc/sipr 2>&1)
[[ $s == "750 root sipr" ]] && ok "/etc/sipr is $s" || fail "/etc/sipr: expected '750 root sipr', got '$s'"
s=$(stat -c '%a %U %G' /var/lib/sipr 2>&1)
[[ $s == "700 sipr sipr" ]] && ok "/var/lib/sipr is $s" || fail "/var/lib/sipr: expected '700 sipr sipr', got '$s'"

# 2. systemd-analyze verify: clean, except (while a daemon is not built) its missing binary.
out=$(cd "$unitdir" && systemd-analyze verify --man=no sipr.target sipr-configd.service sipr-resolverd.service \
        sipr-healthd.service sipr-regd.service 2>&1)
bad=$(grep -v -E '^sipr-(configd|resolverd|healthd|regd)\.service: Command /[^ ]*/sipr-[a-z]+ is not executable: No such file or directory$' <<<"$out" | grep -v '^$')
for s in configd resolverd healthd regd; do
        if grep -q "sipr-$s.service: Command" <<<"$out"; then
                built "$s" && bad+=$'\n'"sipr-$s is built but systemd cannot execute it"
                skip "systemd-analyze verify: sipr-$s is not built, its ExecStart= binary is missing"
        fi
done
[[ -z "$bad" ]] && ok "systemd-analyze verify of every unit: clean" || fail "systemd-analyze verify: $bad"
for u in sipr.target sipr-configd.service sipr-resolverd.service sipr-healthd.service sipr-regd.service; do
        [[ $(prop "$u" LoadState) == loaded ]] || fail "$u: LoadState $(prop "$u" LoadState)"
done
ok "all units load"
# [Install]: enabling the target hooks it into multi-user.target.
if out=$(systemctl enable sipr.target 2>&1) && [[ $(systemctl is-enabled sipr.target) == enabled ]] &&
        systemctl list-dependencies --plain multi-user.target | grep -q 'sipr.target'; then
        ok "systemctl enable sipr.target: wanted by multi-user.target"
else
        fail "systemctl enable sipr.target: $out; is-enabled $(systemctl is-enabled sipr.target 2>&1)"
fi

if [[ -z "$BUILT" ]]; then
        skip "no sipr daemon is built: start/kill/watchdog/policy cases not run"
        echo DONE >>"$OUT"
        exit 0
fi

# 3. Provisioning, then systemctl start sipr.target.
cp /sipr-test/in/y000000000000.cfg /etc/sipr/
chgrp sipr /etc/sipr/y000000000000.cfg
chmod 0640 /etc/sipr/y000000000000.cfg
# A daemon not built yet is masked, so it does not sit in a restart loop on a missing binary.
for s in configd resolverd healthd regd; do
        built "$s" || systemctl mask --runtime "sipr-$s.service" 2>/dev/null
done
systemctl start sipr.target
for s in configd resolverd healthd regd; do
        u=sipr-$s.service
        if ! built "$s"; then
                skip "$u: sipr-$s not built"
                continue
        fi
        if wait_for 30 test "$(prop "$u" ActiveState)" = active; then
                pid=$(prop "$u" MainPID)
                user=$(ps -o user= -p "$pid" 2>/dev/null | tr -d ' ')
                [[ $user == sipr ]] && ok "$u active after systemctl start sipr.target, PID $pid runs as $user" ||
                        fail "$u runs as '$user', not sipr"
        else
                fail "$u not active after systemctl start sipr.target: $(prop "$u" ActiveState)/$(prop "$u" Result); $(journalctl -q -b -u "$u" --no-pager | tail -5)"
        fi
done
[[ $(prop sipr.target ActiveState) == active ]] && ok "sipr.target active" || fail "sipr.target: $(prop sipr.target ActiveState)"
# The supervision settings of the running units as systemd parsed them (the watchdog case below
# shortens WatchdogSec=; WatchdogUSec is only filled in once a service runs).
declare -A busname=([configd]=org.sipr.Config1 [resolverd]=org.sipr.Resolver1 [healthd]=org.sipr.Health1 [regd]=org.sipr.Registration1)
for s in configd resolverd healthd regd; do
        u=sipr-$s.service
        built "$s" || continue
        got="$(prop "$u" Type) $(prop "$u" Restart) $(prop "$u" User) $(prop "$u" BusName) $(prop "$u" WatchdogUSec) $(prop "$u" PartOf)"
        want="notify on-failure sipr ${busname[$s]} 20s sipr.target"
        [[ $got == "$want" ]] && ok "$u: Type/Restart/User/BusName/WatchdogSec/PartOf = $got" || fail "$u: expected '$want', got '$got'"
done

acct_state() { # → State of account 1 ("" when regd has none)
        local p
        p=$(busctl get-property org.sipr.Registration1 /org/sipr/Registration1 org.sipr.Registration1 Accounts 2>/dev/null |
                sed -n 's/^ao [0-9]* "\([^"]*\)".*/\1/p')
        [[ -n "$p" ]] && busctl get-property org.sipr.Registration1 "$p" org.sipr.Registration1.Account State 2>/dev/null |
                sed -n 's/^s "\(.*\)"$/\1/p'
}
registered() { [[ $(acct_state) == registered ]]; }
check_registered() { # WHEN
        if [[ -z "$REGISTRAR" ]]; then
                fail "registration $1: no lab registrar was started"
        elif wait_for 60 registered; then
                ok "account 1 registered at $REGISTRAR $1"
                echo "registered $1" >>/sipr-test/out/events
        else
                fail "account 1 not registered $1: State '$(acct_state)'"
        fi
}
check_registered "after systemctl start sipr.target"

# systemctl reload sipr-configd: a broken provisioning file makes it fail (with the reason in the
# journal) and the running configuration stays; a good one reloads.
if built configd; then
        gen0=$(busctl get-property org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 Generation)
        cp /etc/sipr/y000000000000.cfg /tmp/good.cfg
        echo "this line has no equals sign" >>/etc/sipr/y000000000000.cfg
        if systemctl reload sipr-configd.service 2>/tmp/reload.err; then
                fail "systemctl reload sipr-configd succeeded with a broken file"
        else
                ok "systemctl reload sipr-configd fails on a broken file: $(journalctl -q -b -u sipr-configd.service --no-pager | grep -m1 -o 'y000000000000.cfg:[0-9]*.*')"
        fi
        gen1=$(busctl get-property org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 Generation)
        [[ $gen1 == "$gen0" && $(prop sipr-configd.service ActiveState) == active ]] &&
                ok "configd still active with its configuration ($gen1)" || fail "after a failed reload: Generation $gen0 → $gen1, $(prop sipr-configd.service ActiveState)"
        cp /tmp/good.cfg /etc/sipr/y000000000000.cfg
        out=$(systemctl reload sipr-configd.service 2>&1) && ok "systemctl reload sipr-configd with a good file" || fail "reload with a good file: $out"
fi

# Provisioning from the host's lighttpd under the unit's hardening, and sipr.config.watch (inotify
# on the read-only /etc/sipr).
get() { busctl call org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 Get s "$1" 2>/dev/null | sed -n 's/^s "\(.*\)"$/\1/p'; }
if built configd && [[ -z "${PROV_URL:-}" ]]; then
        skip "provisioning under the unit: no lighttpd on the host"
elif built configd; then
        siprctl set "static.auto_provision.server.url=$PROV_URL" >/dev/null 2>&1
        out=$(siprctl provision 2>&1)
        if [[ $out == applied:* && $(get account.1.label) == "From the provisioning server" ]]; then
                ok "siprctl provision under the unit: $out"
        else
                fail "siprctl provision under the unit: $out; label '$(get account.1.label)'; $(journalctl -q -b -u sipr-configd.service --no-pager | tail -3)"
        fi
        s=$(stat -c '%U %a' /var/lib/sipr/provisioned/y000000000000.cfg 2>&1)
        [[ $s == "sipr 600" ]] && ok "the provisioned file is stored by sipr, mode 600" || fail "provisioned file: expected 'sipr 600', got '$s'"
        siprctl set sipr.config.watch=1 >/dev/null 2>&1
        cp -p /etc/sipr/y000000000000.cfg /etc/sipr/.next
        echo "account.1.display_name = Watched" >>/etc/sipr/.next
        mv /etc/sipr/.next /etc/sipr/y000000000000.cfg
        watched() { [[ $(get account.1.display_name) == Watched ]]; }
        if wait_for 30 watched; then
                ok "sipr.config.watch under the unit: a file renamed into /etc/sipr was reloaded by itself"
        else
                fail "sipr.config.watch under the unit: not reloaded; $(journalctl -q -b -u sipr-configd.service --no-pager | tail -3)"
        fi
        siprctl set sipr.config.watch=0 >/dev/null 2>&1
fi

# D-Bus activation: a call to a stopped service starts its unit (SystemdService=).
if built resolverd; then
        systemctl stop sipr-resolverd.service
        out=$(busctl call org.sipr.Resolver1 /org/sipr/Resolver1 org.sipr.Resolver1 Resolve sqs 127.0.0.1 5060 udp 2>&1)
        st=$(prop sipr-resolverd.service ActiveState)
        [[ $st == active ]] && ok "a call to org.sipr.Resolver1 activated sipr-resolverd.service ($out)" ||
                fail "bus activation of sipr-resolverd.service: $st, call: $out"
fi

# 4. systemctl kill -s KILL → restarted by systemd (Restart=on-failure).
for s in configd resolverd healthd regd; do
        u=sipr-$s.service
        built "$s" || continue
        n0=$(prop "$u" NRestarts)
        pid0=$(prop "$u" MainPID)
        if [[ $pid0 == 0 || -z $pid0 ]]; then
                fail "$u is not running before the SIGKILL case"
                continue
        fi
        systemctl kill -s KILL "$u"
        restarted() { [[ $(prop "$u" NRestarts) -gt $n0 && $(prop "$u" ActiveState) == active && $(prop "$u" MainPID) != "$pid0" ]]; }
        if wait_for 60 restarted; then
                ok "$u SIGKILLed (PID $pid0) → restarted by systemd as PID $(prop "$u" MainPID)"
        else
                fail "$u not restarted after SIGKILL: $(prop "$u" ActiveState)/$(prop "$u" SubState), NRestarts $(prop "$u" NRestarts)"
        fi
done
check_registered "after every service was SIGKILLed and restarted"

# 5. SIGSTOP → the watchdog fires and systemd restarts the service. The shipped WatchdogSec=20s is
#    shortened to 6 s (and no core dump) so the test does not wait; the mechanism is the same.
for s in configd resolverd healthd regd; do
        u=sipr-$s.service
        built "$s" || continue
        mkdir -p "/run/systemd/system/$u.d"
        printf '[Service]\nWatchdogSec=6s\nTimeoutAbortSec=5s\nLimitCORE=0\n' >"/run/systemd/system/$u.d/watchdog-test.conf"
        systemctl daemon-reload
        systemctl restart "$u"
        wait_for 30 test "$(prop "$u" ActiveState)" = active || fail "$u did not restart with the test watchdog"
        n0=$(prop "$u" NRestarts)
        pid0=$(prop "$u" MainPID)
        # Alive with the short watchdog for longer than one period: the daemon does send WATCHDOG=1.
        sleep 8
        if [[ $(prop "$u" MainPID) != "$pid0" || $(prop "$u" NRestarts) != "$n0" ]]; then
                fail "$u was restarted although it was running: it does not send WATCHDOG=1 in time"
        fi
        if [[ $pid0 == 0 || -z $pid0 ]]; then
                fail "$u is not running before the SIGSTOP case"
                rm -rf "/run/systemd/system/$u.d"
                continue
        fi
        kill -STOP "$pid0"
        restarted() { [[ $(prop "$u" NRestarts) -gt $n0 && $(prop "$u" ActiveState) == active && $(prop "$u" MainPID) != "$pid0" ]]; }
        if wait_for 60 restarted; then
                if journalctl -q -b -u "$u" --no-pager | grep -qi 'watchdog timeout'; then
                        ok "$u SIGSTOPped → watchdog timeout → restarted as PID $(prop "$u" MainPID)"
                else
                        fail "$u restarted after SIGSTOP but the journal shows no watchdog timeout"
                fi
        else
                fail "$u not restarted after SIGSTOP: $(prop "$u" ActiveState)/$(prop "$u" SubState) Result=$(prop "$u" Result)"
                kill -CONT "$pid0" 2>/dev/null
        fi
        rm -rf "/run/systemd/system/$u.d"
        systemctl daemon-reload
done
check_registered "after the watchdog restarts"

# 6. Bus policy on the real system bus, with users made here: tester (not in sipr-admin), admin1.
useradd -M -N -s /usr/sbin/nologin tester
useradd -M -N -G sipr-admin -s /usr/sbin/nologin admin1
# setpriv, not runuser/su: the volatile /etc has no PAM configuration.
as() { local u=$1; shift; setpriv --reuid="$u" --regid=users --init-groups -- "$@"; }
if built configd; then
        C=(org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1)
        out=$(as tester busctl call "${C[@]}" Get s account.1.user_name 2>&1) &&
                ok "tester may call Get: $out" || fail "tester Get refused: $out"
        out=$(as tester busctl call "${C[@]}" Set 'a{ss}' 1 account.1.label bytester 2>&1) &&
                fail "tester may call Set: $out" ||
                { grep -qi 'access denied\|rejected send' <<<"$out" && ok "tester Set refused by the bus: $out" || fail "tester Set failed for another reason: $out"; }
        out=$(as admin1 busctl call "${C[@]}" Set 'a{ss}' 1 account.1.label byadmin 2>&1) &&
                ok "admin1 (sipr-admin) may call Set" || fail "admin1 (sipr-admin) Set refused: $out"
        out=$(as admin1 busctl call "${C[@]}" GetSecret s account.1.password 2>&1) &&
                fail "admin1 may call GetSecret: $out" ||
                { grep -qi 'access denied\|rejected send' <<<"$out" && ok "admin1 GetSecret refused by the bus" || fail "admin1 GetSecret failed for another reason: $out"; }
        out=$(busctl call "${C[@]}" Set 'a{ss}' 1 account.1.label byroot 2>&1) &&
                ok "root may call Set" || fail "root Set refused: $out"
        # The configuration written by Set is the service user's: /var/lib/sipr stays private.
        s=$(stat -c '%U %a' /var/lib/sipr/local.cfg 2>&1)
        [[ $s == "sipr 600" ]] && ok "local.cfg written by sipr-configd as sipr, mode 600" || fail "local.cfg: expected 'sipr 600', got '$s'"
        # regd's persisted registration state (port, +sip.instance, Call-ID/CSeq) likewise.
        if built regd; then
                for f in /var/lib/sipr/regd-port /var/lib/sipr/account-1; do
                        s=$(stat -c '%U %a' "$f" 2>&1)
                        [[ $s == "sipr 600" ]] && ok "$f written by sipr-regd as sipr, mode 600" || fail "$f: expected 'sipr 600', got '$s'"
                done
        fi
        # The configuration directory is read-only to the services' user.
        out=$(as sipr touch /etc/sipr/written-by-sipr 2>&1) && fail "user sipr can write /etc/sipr" ||
                { grep -q 'Permission denied' <<<"$out" && ok "user sipr cannot write /etc/sipr" || fail "sipr writing /etc/sipr: $out"; }
        for f in /var/lib/sipr/local.cfg /etc/sipr/y000000000000.cfg; do
                out=$(as tester cat "$f" 2>&1) && fail "tester can read $f (passwords)" ||
                        { grep -q 'Permission denied' <<<"$out" && ok "tester cannot read $f" || fail "tester reading $f: $out"; }
        done
        # siprctl: status for anyone, set refused with a clear message, root can.
        rc=0; out=$(as tester siprctl set account.1.label=x 2>&1) || rc=$?
        if [[ $rc == 1 ]] && grep -qi 'permission denied' <<<"$out" && grep -q sipr-admin <<<"$out"; then
                ok "tester: siprctl set refused: $out"
        else
                fail "tester: siprctl set: exit $rc, '$out' (expected exit 1, permission denied, sipr-admin)"
        fi
        out=$(as admin1 siprctl set account.1.label=byadmin 2>&1) && ok "admin1: siprctl set works" || fail "admin1: siprctl set: $out"
        out=$(siprctl set account.1.label=byroot 2>&1) && ok "root: siprctl set works" || fail "root: siprctl set: $out"
        out=$(as tester siprctl status 2>&1) && ok "tester: siprctl status works" || fail "tester: siprctl status: $out"
fi

# 7. An outage, as the journal tells it. Registrar 1 dies (killed outside, on our request) and
#    comes back: healthd logs it down and up, account 2 (registered at both registrars) fails over
#    to registrar 2 and back, account 1 (registrar 1 only) fails and registers again. Each of these
#    is one entry with a fixed MESSAGE_ID and SIPR_* fields, read back with journalctl -o json.
#    Meanwhile sipr-regd logs at debug, switched on at run time with systemctl service-log-level.
ID_FAILOVER=f485754ba75842239ded9a7bd7567c74
ID_FAILBACK=f332e1682f7541cdab6531fa6db05cd6
ID_DOWN=9d81269b604d4c50ad9d88384d2a7ac7
ID_UP=58e77e5a53714483a201a5ed2651cacb
ID_FAILED=21f5fa855baa4e7eb917e56782ded9bb
ID_REGISTERED=ed454c0b55bb41ff82832aa630589af3
aprop() { # X PROPERTY → the value (strings unquoted)
        busctl --json=short get-property org.sipr.Registration1 "/org/sipr/Registration1/account/$1" \
                org.sipr.Registration1.Account "$2" 2>/dev/null | jq -r .data
}
aprop_is() { [[ $(aprop "$1" "$2") == "$3" ]]; }
# entry ID JQ-FILTER — the first journal entry of this boot with MESSAGE_ID=ID that matches, as JSON
# (logged since OUTAGE, CLOCK_REALTIME µs when the outage started)
entry() {
        journalctl -b -o json --no-pager "MESSAGE_ID=$1" |
                jq -c --argjson t "$OUTAGE" "select(((._SOURCE_REALTIME_TIMESTAMP // .__REALTIME_TIMESTAMP) | tonumber) >= \$t and ($2))" | head -1
}
# check_entry WHAT ID JQ-SELECT JQ-CHECK — an entry exists and has the fields JQ-CHECK wants
check_entry() {
        local e
        if ! wait_for 60 test -n "$(entry "$2" "$3")"; then
                fail "journal: no $1 entry (MESSAGE_ID=$2, $3): $(journalctl -b -o json --no-pager "MESSAGE_ID=$2" | head -c 600)"
                return
        fi
        e=$(entry "$2" "$3")
        if jq -e "$4" <<<"$e" >/dev/null; then
                ok "journal: $1: $(jq -r '"\(.MESSAGE) [PRIORITY=\(.PRIORITY) \(._SYSTEMD_UNIT) SIPR_ACCOUNT=\(.SIPR_ACCOUNT // "-") SIPR_SERVER=\(.SIPR_SERVER) SIPR_REASON=\(.SIPR_REASON // "-")]"' <<<"$e")"
        else
                fail "journal: $1 entry lacks $4: $e"
        fi
}
if [[ -n "$REGISTRAR" && -n "$REGISTRAR2" ]] && built regd && built healthd && built configd; then
        uri1="sip:$REGISTRAR:5060;transport=udp"
        uri2="sip:$REGISTRAR2:5060;transport=udp"
        out=$(systemctl service-log-level sipr-regd debug 2>&1) || fail "systemctl service-log-level sipr-regd debug: $out"
        lvl=$(systemctl service-log-level sipr-regd 2>&1)
        [[ $lvl == debug ]] && ok "systemctl service-log-level sipr-regd debug: now '$lvl', without a restart (PID $(prop sipr-regd.service MainPID))" ||
                fail "systemctl service-log-level sipr-regd reads '$lvl' after setting debug"
        if wait_for 60 aprop_is 2 WorkingServer "$uri1" && wait_for 60 aprop_is 2 State registered; then
                OUTAGE=$(date +%s%6N)
                host registrar-kill 1 || fail "registrar 1 could not be killed outside"
                wait_for 90 aprop_is 2 WorkingServer "$uri2" && ok "account 2 failed over to $uri2" ||
                        fail "account 2 did not fail over: WorkingServer '$(aprop 2 WorkingServer)'"
                wait_for 90 aprop_is 1 State failed && ok "account 1 (registrar 1 only) failed" ||
                        fail "account 1 did not fail: State '$(aprop 1 State)'"
                host registrar-start 1 || fail "registrar 1 could not be started again outside"
                wait_for 90 aprop_is 2 WorkingServer "$uri1" && ok "account 2 failed back to $uri1" ||
                        fail "account 2 did not fail back: WorkingServer '$(aprop 2 WorkingServer)'"
                wait_for 90 aprop_is 1 State registered && ok "account 1 registered again" ||
                        fail "account 1 not registered again: State '$(aprop 1 State)'"
                echo "registered after the outage" >>/sipr-test/out/events

                check_entry "server down" "$ID_DOWN" ".SIPR_SERVER == \"$uri1\"" \
                        '.PRIORITY == "4" and ._SYSTEMD_UNIT == "sipr-healthd.service" and .SYSLOG_IDENTIFIER == "sipr-healthd" and (.SIPR_REASON | length > 0)'
                check_entry "failover" "$ID_FAILOVER" '.SIPR_ACCOUNT == "2"' \
                        ".PRIORITY == \"4\" and ._SYSTEMD_UNIT == \"sipr-regd.service\" and .SIPR_SERVER == \"$uri2\" and .SIPR_SERVER_FROM == \"$uri1\" and (.SIPR_REASON | length > 0)"
                check_entry "account failed" "$ID_FAILED" '.SIPR_ACCOUNT == "1"' \
                        '.PRIORITY == "4" and ._SYSTEMD_UNIT == "sipr-regd.service" and (.SIPR_REASON | test("^[0-9]{3} "))'
                check_entry "server up" "$ID_UP" ".SIPR_SERVER == \"$uri1\"" '.PRIORITY == "5" and ._SYSTEMD_UNIT == "sipr-healthd.service"'
                check_entry "failback" "$ID_FAILBACK" '.SIPR_ACCOUNT == "2"' \
                        ".PRIORITY == \"5\" and .SIPR_SERVER == \"$uri1\" and .SIPR_SERVER_FROM == \"$uri2\""
                check_entry "account registered again" "$ID_REGISTERED" '.SIPR_ACCOUNT == "1"' \
                        ".PRIORITY == \"5\" and .SIPR_SERVER == \"$uri1\""
                # journalctl MESSAGE_ID=… lists every failover; -p warning tells the outage
                n=$(journalctl -b -o json --no-pager "MESSAGE_ID=$ID_FAILOVER" SIPR_ACCOUNT=2 | wc -l)
                ((n >= 1)) && ok "journalctl MESSAGE_ID=$ID_FAILOVER SIPR_ACCOUNT=2: $n failover(s)" || fail "no failover of account 2 by MESSAGE_ID"
                w=$(journalctl -b -q --no-pager -p warning -u sipr-regd -u sipr-healthd -o cat)
                for want in "is down" "failover from $uri1" "Account 1: failed"; do
                        grep -qF "$want" <<<"$w" && ok "journalctl -p warning shows '$want'" || fail "journalctl -p warning lacks '$want': $w"
                done
                # debug, as set at run time: the engine's steps, each with SIPR_ACCOUNT=
                n=$(journalctl -b -o json --no-pager -u sipr-regd PRIORITY=7 SIPR_ACCOUNT=2 | wc -l)
                ((n > 0)) && ok "sipr-regd logged $n debug entries with SIPR_ACCOUNT=2 after service-log-level debug" ||
                        fail "no debug entry from sipr-regd after service-log-level debug"
        else
                fail "account 2 not registered on $uri1 before the outage: $(aprop 2 State) $(aprop 2 WorkingServer)"
        fi
        out=$(systemctl service-log-level sipr-regd info 2>&1) && [[ $(systemctl service-log-level sipr-regd) == info ]] &&
                ok "systemctl service-log-level sipr-regd info" || fail "service-log-level back to info: $out"
        # and nothing at debug after it: a reregister makes the engine step again, logged no more
        mark=$(date +%s%6N)
        since0=$(aprop 1 RegisteredSinceUsec)
        busctl call org.sipr.Registration1 /org/sipr/Registration1 org.sipr.Registration1 Reregister
        anew() { [[ $(aprop 1 State) == registered && $(aprop 1 RegisteredSinceUsec) -gt $since0 ]]; }
        wait_for 60 anew || fail "account 1 not registered anew after Reregister"
        n=$(journalctl -b -u sipr-regd -o json --no-pager PRIORITY=7 |
                jq -c --argjson t "$mark" 'select(((._SOURCE_REALTIME_TIMESTAMP // .__REALTIME_TIMESTAMP) | tonumber) >= $t)' | wc -l)
        [[ $n == 0 ]] && ok "at info again: no debug entries while the accounts registered anew" || fail "$n debug entries after service-log-level info"
else
        skip "the outage and journal case needs regd, healthd, configd and two registrars"
fi

# 8. systemctl stop sipr.target stops every service (PartOf=).
systemctl stop sipr.target
for s in configd resolverd healthd regd; do
        built "$s" || continue
        wait_for 30 test "$(prop "sipr-$s.service" ActiveState)" = inactive
        st=$(prop "sipr-$s.service" ActiveState)
        [[ $st == inactive ]] && ok "sipr-$s.service stopped with sipr.target" || fail "sipr-$s.service is $st after stopping sipr.target"
done
journalctl -q -b --no-pager -u 'sipr-*' >/sipr-test/out/journal.txt 2>&1
echo DONE >>"$OUT"
