#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boots systemd 252 in a container (systemd-nspawn, host /usr read-only, fresh tmpfs root, host
# network) with sipr installed from a DESTDIR, and runs nspawn-inside.sh there as a unit: sysusers/
# tmpfiles, systemd-analyze verify, systemctl start sipr.target, SIGKILL → restart, SIGSTOP →
# watchdog → restart, the bus policy for users in and outside sipr-admin, registration at a lab
# registrar across all of it; an outage (registrar 1 killed and started again, outside, on the
# container's request) and the journal entries that tell it, read back with journalctl -o json;
# the log level changed at run time with systemctl service-log-level. Daemons not built yet are
# skipped with a printed reason.
set -euo pipefail
source "$(dirname "$0")/nspawn-lib.sh"

[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to run systemd-nspawn"; exit 77; }
command -v systemd-nspawn >/dev/null || { echo "SKIP: systemd-nspawn not installed (Debian package systemd-container)"; exit 77; }
build=$SIPR_BUILD_ROOT
prefix=$(meson introspect "$build" --buildoptions | python3 -c "import json,sys; print(next(o['value'] for o in json.load(sys.stdin) if o['name']=='prefix'))")
case $prefix in
/usr | / | /etc* | /var* | /run*)
        echo "SKIP: prefix $prefix cannot be bound over the host's in the container; configure a build with the default prefix /usr/local"
        exit 77 ;;
esac

lab_init
T=$LAB_DIR/nspawn
mkdir -p "$T/in" "$T/out" "$T/units" "$T/dest"
DESTDIR=$T/dest meson install -C "$build" --no-rebuild --quiet >"$T/install.log" 2>&1 ||
        lab_fail "meson install into DESTDIR failed: $(cat "$T/install.log")"

built=()
for s in configd resolverd healthd regd; do
        exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$T/dest$prefix/lib/systemd/system/sipr-$s.service")
        # meson builds every daemon before this test: one missing is a broken install, not a skip
        [[ -x "$T/dest$exe" ]] || lab_fail "sipr-$s is not installed at $exe: the install is incomplete"
        built+=("$s")
done

registrar= registrar2=
if [[ " ${built[*]} " == *" regd "* && " ${built[*]} " == *" configd "* ]]; then
        lab_registrar_start 1
        lab_registrar_start 2
        registrar=$(lab_registrar_addr 1)
        registrar2=$(lab_registrar_addr 2)
fi
# A provisioning server on the host (the container shares its network): configd fetches from it
# under the real unit's hardening (address families, system-call filter, read-only system).
prov_url=
if command -v lighttpd >/dev/null; then
        source "$SIPR_SOURCE_ROOT/tests/configd/provision-lib.sh"
        PROV_WWW=$LAB_DIR/www
        PROV_ADDR=$LAB_NET.80
        mkdir -p "$PROV_WWW/open"
        prov_publish open y000000000000.cfg '#!version:1.0.0.1' 'account.1.label = From the provisioning server'
        prov_http_start
        prov_url=$(prov_url open)
fi
user=1001
password=$(lab_user_password "$user" 2>/dev/null || echo "secret$user")
cat >"$T/in/y000000000000.cfg" <<CFG
#!version:1.0.0.1
account.1.enable = 1
account.1.user_name = $user
account.1.password = $password
account.1.sip_server.1.address = ${registrar:-$LAB_NET.2}
account.1.sip_server.1.port = 5060
account.1.sip_server.1.expires = 300
account.1.reg_fail_retry_interval = 2
# the outage: account 2 registers at both registrars (concurrent); healthd probes quickly
account.2.enable = 1
account.2.user_name = 1002
account.2.password = $(lab_user_password 1002 2>/dev/null || echo secret1002)
account.2.sip_server.1.address = ${registrar:-$LAB_NET.2}
account.2.sip_server.2.address = ${registrar2:-$LAB_NET.3}
account.2.reg_fail_retry_interval = 2
sipr.health.interval = 500
sipr.health.down_after = 2
sipr.health.up_after = 1
sipr.failback.hold_down = 1
CFG
cat >"$T/in/env" <<ENV
BUILT="${built[*]}"
REGISTRAR="$registrar"
PROV_URL="$prov_url"
REGISTRAR2="$registrar2"
ENV
cp "$SIPR_SOURCE_ROOT/tests/systemd/nspawn-inside.sh" "$SIPR_SOURCE_ROOT/tests/systemd/nspawn-host.sh" "$T/in/"
cat >"$T/units/sipr-nspawn-test.service" <<'UNIT'
[Unit]
Description=sipr integration test inside the container
After=basic.target
SuccessAction=poweroff-force
FailureAction=poweroff-force
[Service]
Type=oneshot
ExecStart=/sipr-test/in/nspawn-inside.sh
TimeoutStartSec=600
UNIT

# Installed tree over /usr/local (binaries, units, sysusers.d, tmpfiles.d, activation files);
# dbus-daemon reads policy from /etc/dbus-1/system.d, as an integrator with this prefix sets up.
args=(-q -D / --volatile=yes --register=no --keep-unit -M "sipr-test-$LAB_SLOT"
        --bind-ro="$T/dest$prefix:$prefix"
        --bind-ro="$T/dest$prefix/share/dbus-1/system.d:/etc/dbus-1/system.d"
        --bind="$T/units:/etc/systemd/system"
        --bind-ro="$T/in:/sipr-test/in"
        --bind="$T/out:/sipr-test/out")
echo "booting: systemd-nspawn ${args[*]} -b -- systemd.unit=sipr-nspawn-test.service"
rc=0
# in the background, answering the container's requests to kill and start registrar 1
nspawn_run_serving "$T/out" 700 "$T/console.log" "${args[@]}" -b -- systemd.unit=sipr-nspawn-test.service \
        systemd.firstboot=off || rc=$?
if [[ ! -s "$T/out/results" ]]; then
        if grep -q -i 'operation not permitted\|not supported\|failed to' "$T/console.log" && ((rc != 0 && rc != 124)); then
                echo "SKIP: systemd-nspawn cannot boot a container here (exit $rc): $(grep -i -m3 'operation not permitted\|not supported\|failed to' "$T/console.log")"
                exit 77
        fi
        lab_fail "the container produced no results (nspawn exit $rc); console: $(tail -30 "$T/console.log")"
fi
cat "$T/out/results"
grep -q '^DONE$' "$T/out/results" || lab_fail "the test inside the container did not finish (nspawn exit $rc); console: $(tail -30 "$T/console.log")"

# The registrar's view: one binding for the user (restarts reused the contact, no stale second one).
if [[ -n "$registrar" ]] && grep -q '^registered' "$T/out/events" 2>/dev/null; then
        n=$(lab_binding_count 1 "$user")
        [[ $n == 1 ]] && echo "ok: registrar 1 holds exactly one binding for $user after all restarts" ||
                { echo "FAIL: registrar 1 holds $n bindings for $user: $(lab_bindings 1 "$user")"; echo FAIL >>"$T/out/results"; }
fi
if grep -q '^FAIL' "$T/out/results"; then
        cp "$T/out/journal.txt" "$LAB_DIR/" 2>/dev/null || true
        lab_fail "$(grep -c '^FAIL' "$T/out/results") check(s) failed in the container (journal: $LAB_DIR/journal.txt)"
fi
echo "PASS ($(grep -c '^ok' "$T/out/results") checks, $(grep -c '^SKIP' "$T/out/results") skipped)"
