#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs inside the container booted by test-deb.sh (unit sipr-package-test.service): installs the
# package with dpkg as an admin would, checks what its maintainer scripts did, provisions an
# account, sees it register, removes the package. "ok:/FAIL:" lines to /sipr-test/out/results,
# "DONE" last; the container powers off when this script ends.
set -u
export PATH=/usr/bin:/usr/sbin:/bin:/sbin
OUT=/sipr-test/out/results
: >"$OUT"
source /sipr-test/in/env
ok() { echo "ok: $*" >>"$OUT"; }
fail() { echo "FAIL: $*" >>"$OUT"; }
wait_for() { # SECS cmd… — bounded poll
        local deadline=$((SECONDS + $1))
        shift
        until "$@" >/dev/null 2>&1; do
                ((SECONDS >= deadline)) && return 1
                sleep 0.2
        done
}
prop() { systemctl show -P "$2" "$1"; }
finish() {
        journalctl -q -b --no-pager -u 'sipr*' -u dbus.service >/sipr-test/out/journal.txt 2>&1
        echo DONE >>"$OUT"
        exit 0
}
services=(sipr-configd.service sipr-resolverd.service sipr-healthd.service sipr-regd.service)

# 1. dpkg -i: no prompt, no network; man-db's trigger is skipped (it only rebuilds an index).
echo "man-db man-db/auto-update boolean false" | debconf-set-selections 2>/dev/null
# A build container's policy-rc.d (Docker's "exit 101") would keep the postinst from starting the
# units; the host's OS is ours to change in here (an overlay), and a device has none.
if [[ -e /usr/sbin/policy-rc.d ]]; then
        rm -f /usr/sbin/policy-rc.d
        echo "note: removed the host's /usr/sbin/policy-rc.d in the container" >>"$OUT"
fi
getent passwd sipr >/dev/null && fail "user sipr exists before the package is installed"
if out=$(DEBIAN_FRONTEND=noninteractive dpkg -i /sipr-test/in/sipr.deb 2>&1); then
        ok "dpkg -i sipr.deb: $(grep -c . <<<"$out") lines, $(dpkg-query -W -f='${Package} ${Version} ${Status}' sipr)"
else
        fail "dpkg -i sipr.deb: $out"
        finish
fi

# 2. The postinst: systemd-sysusers and systemd-tmpfiles …
if getent passwd sipr >/dev/null && getent group sipr-admin >/dev/null; then
        ok "sysusers.d applied on install: user sipr ($(getent passwd sipr | cut -d: -f3,7)), group sipr-admin"
else
        fail "user sipr or group sipr-admin missing after install"
fi
s=$(stat -c '%a %U %G' /etc/sipr 2>&1)
[[ $s == "750 root sipr" ]] && ok "tmpfiles.d applied on install: /etc/sipr is $s" || fail "/etc/sipr: expected '750 root sipr', got '$s'"
s=$(stat -c '%a %U %G' /var/lib/sipr 2>&1)
[[ $s == "700 sipr sipr" ]] && ok "/var/lib/sipr is $s" || fail "/var/lib/sipr: expected '700 sipr sipr', got '$s'"

# … then the units enabled (dh_installsystemd) and started.
st=$(systemctl is-enabled sipr.target 2>&1)
[[ $st == enabled ]] && systemctl list-dependencies --plain multi-user.target | grep -q sipr.target &&
        ok "sipr.target enabled, wanted by multi-user.target" || fail "sipr.target is-enabled: $st"
for u in "${services[@]}"; do
        st=$(systemctl is-enabled "$u" 2>&1)
        [[ $st == enabled ]] || fail "$u is-enabled: $st"
        if wait_for 60 test "$(prop "$u" ActiveState)" = active; then
                f=$(prop "$u" FragmentPath)
                [[ $f == /lib/systemd/system/$u || $f == /usr/lib/systemd/system/$u ]] || fail "$u loaded from $f"
                ok "$u enabled and active after install (PID $(prop "$u" MainPID), user $(prop "$u" User), $f)"
        else
                fail "$u not active after install: $(prop "$u" ActiveState)/$(prop "$u" Result); $(journalctl -q -b -u "$u" --no-pager | tail -5)"
        fi
done

# systemd's trigger read the journal catalog: journalctl -x explains sipr's MESSAGE_IDs
c=$(journalctl --list-catalog 2>/dev/null | grep -c ' sipr: ')
((c >= 6)) && ok "journal catalog installed: $c sipr entries in journalctl --list-catalog" ||
        fail "journalctl --list-catalog has $c sipr entries after install"

# 3. Provision an account as the integration guide says; configd picks it up on reload.
install -m 0640 -o root -g sipr /sipr-test/in/y000000000000.cfg /etc/sipr/
out=$(systemctl reload sipr-configd.service 2>&1) && ok "systemctl reload sipr-configd" || fail "reload: $out"
registered() { [[ $(siprctl --json status 1 2>/dev/null | jq -r .state) == registered ]]; }
if wait_for 60 registered; then
        ok "account 1 registered at $REGISTRAR: $(siprctl status 1 | head -2 | tr -s ' ' | tr '\n' ' ')"
else
        fail "account 1 not registered: $(siprctl status 1 2>&1 | tr '\n' ' ')"
fi
p=$(siprctl stats --prometheus 2>&1)
grep -qx 'sipr_account_registered{account="1"} 1' <<<"$p" && ok "siprctl stats --prometheus: account 1 registered" ||
        fail "siprctl stats --prometheus: $p"
[[ -f /usr/share/man/man1/siprctl.1.gz && -f /usr/share/doc/sipr/examples/sipr-watch.c ]] &&
        ok "man page and example installed" || fail "siprctl.1.gz or examples/sipr-watch.c missing"

# 4. dpkg -r stops the services (prerm), and nothing of sipr runs afterwards.
if out=$(DEBIAN_FRONTEND=noninteractive dpkg -r sipr 2>&1); then
        ok "dpkg -r sipr"
else
        fail "dpkg -r sipr: $out"
fi
gone() { ! pgrep -u sipr >/dev/null; }
wait_for 30 gone && ok "no process of user sipr after dpkg -r" || fail "still running after dpkg -r: $(pgrep -a -u sipr)"
[[ ! -e /usr/libexec/sipr-regd && ! -e /lib/systemd/system/sipr-regd.service ]] && ok "binaries and units removed" ||
        fail "files left after dpkg -r"
out=$(DEBIAN_FRONTEND=noninteractive dpkg --purge sipr 2>&1) && ok "dpkg --purge sipr" || fail "dpkg --purge sipr: $out"
finish
