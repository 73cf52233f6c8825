#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Debian package as an integrator gets it: dpkg-buildpackage -us -uc -b on a copy of the
# source tree, lintian clean (errors and warnings; the overrides say why), the files where Debian
# wants them; then installed with dpkg into a booted systemd container (the host's OS under a
# throw-away overlay on a tmpfs, booted with systemd-nspawn): sysusers and tmpfiles applied by the
# postinst, the units enabled and started by it, an account provisioned in /etc/sipr registers at
# a lab Kamailio, and dpkg -r stops every service.
set -euo pipefail
source "$SIPR_SOURCE_ROOT/tests/systemd/nspawn-lib.sh"

[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to boot a container and install a package in it"; exit 77; }
command -v systemd-nspawn >/dev/null || { echo "SKIP: systemd-nspawn not installed (Debian package systemd-container)"; exit 77; }
for tool in dpkg-buildpackage dh lintian; do
        command -v "$tool" >/dev/null ||
                { echo "SKIP: $tool not installed (tools/debian-packages.txt: dpkg-dev, debhelper, lintian)"; exit 77; }
done

lab_init
T=$LAB_DIR/package
mkdir -p "$T/src" "$T/in" "$T/out" "$T/units"
src=$SIPR_SOURCE_ROOT
version=$(cd "$src" && dpkg-parsechangelog -S Version)
tree=$T/src/sipr-${version%-*}

# 1. Build. A copy of the tree (what git knows, plus new files not ignored), so the build's files
# and the .debs, which dpkg-buildpackage writes next to the tree, stay out of the source.
t0=$SECONDS
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        mkdir -p "$tree"
        (cd "$src" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$tree")
else
        cp -a "$src" "$tree"
        rm -rf "$tree"/build*
fi
(cd "$tree" && dpkg-checkbuilddeps) >"$T/builddeps.log" 2>&1 ||
        lab_fail "build dependencies missing (tools/bootstrap deps installs them): $(cat "$T/builddeps.log")"
(cd "$tree" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" nice dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1 ||
        lab_fail "dpkg-buildpackage failed: $(tail -30 "$T/build.log")"
deb=$(ls "$T/src"/sipr_"$version"_*.deb)
changes=$(ls "$T/src"/sipr_"$version"_*.changes)
echo "ok: dpkg-buildpackage -us -uc -b built $(basename "$deb") in $((SECONDS - t0)) s"

# 2. lintian: no error or warning (the overrides in debian/sipr.lintian-overrides say why)
if ! lintian --fail-on error,warning -I "$changes" >"$T/lintian.log" 2>&1; then
        lab_fail "lintian: $(cat "$T/lintian.log")"
fi
echo "ok: lintian clean (errors and warnings)$(grep -q '^[IPX]:' "$T/lintian.log" && echo "; notes: $(grep -c '^[IPX]:' "$T/lintian.log")")"

# 3. What it installs, and how: units in Debian's unit directory, postinst applying sysusers and
#    tmpfiles before enabling and starting the units.
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$T/contents"
for f in /lib/systemd/system/sipr-configd.service /lib/systemd/system/sipr-resolverd.service \
        /lib/systemd/system/sipr-healthd.service /lib/systemd/system/sipr-regd.service /lib/systemd/system/sipr.target \
        /usr/lib/sysusers.d/sipr.conf /usr/lib/tmpfiles.d/sipr.conf /usr/lib/systemd/catalog/sipr.catalog /usr/bin/siprctl /usr/libexec/sipr-regd \
        /usr/share/dbus-1/system.d/org.sipr.Registration1.conf /usr/share/dbus-1/system-services/org.sipr.Config1.service \
        /usr/share/dbus-1/interfaces/org.sipr.Registration1.Account.xml /usr/share/man/man1/siprctl.1.gz \
        /usr/share/man/man8/sipr-regd.8.gz /usr/share/bash-completion/completions/siprctl \
        /usr/share/doc/sipr/dbus-api.md.gz /usr/share/doc/sipr/examples/sipr-watch.c /usr/share/doc/sipr/copyright; do
        grep -qxF "$f" "$T/contents" || lab_fail "the package lacks $f: $(tr '\n' ' ' <"$T/contents")"
done
dpkg-deb -e "$deb" "$T/control"
awk '/systemd-sysusers/ { s = NR } /systemd-tmpfiles/ { t = NR } /deb-systemd-helper enable .sipr.target/ { e = NR }
     /deb-systemd-invoke/ { i = NR } END { exit !(s && t && e && i && s < t && t < i) }' "$T/control/postinst" ||
        lab_fail "postinst does not run sysusers, then tmpfiles, then enable and start the units: $(cat "$T/control/postinst")"
echo "ok: $(wc -l <"$T/contents") paths; postinst: systemd-sysusers, systemd-tmpfiles, enable, start"

# 4. Installed in a booted container, registering at a lab registrar.
lab_registrar_start 1
registrar=$(lab_registrar_addr 1)
user=1001
cp "$deb" "$T/in/sipr.deb"
cp "$SIPR_SOURCE_ROOT/tests/package/deb-inside.sh" "$T/in/"
cat >"$T/in/y000000000000.cfg" <<CFG
#!version:1.0.0.1
account.1.enable = 1
account.1.user_name = $user
account.1.password = $(lab_user_password "$user")
account.1.sip_server.1.address = $registrar
account.1.sip_server.1.expires = 300
CFG
echo "REGISTRAR=$registrar" >"$T/in/env"
cat >"$T/units/sipr-package-test.service" <<'UNIT'
[Unit]
Description=sipr package test inside the container
After=basic.target dbus.socket
Wants=dbus.socket
SuccessAction=poweroff-force
FailureAction=poweroff-force
[Service]
Type=oneshot
ExecStart=/sipr-test/in/deb-inside.sh
TimeoutStartSec=400
UNIT
# The host's root file system under an overlay whose upper layer is a tmpfs: dpkg may write /usr,
# /etc and /var, and all of it is thrown away. (nspawn's own --volatile=overlay refuses the host's
# root directory.) /etc/systemd/system is replaced by the test's unit, so nothing the host enabled
# starts in there.
ovl=$T/overlay
mkdir -p "$ovl"
mount -t tmpfs -o size=2g,mode=0755 sipr-package-test "$ovl"
trap 'umount -l "$ovl/root" 2>/dev/null; umount -l "$ovl" 2>/dev/null; lab_cleanup' EXIT
mkdir -p "$ovl/upper" "$ovl/work" "$ovl/root"
mount -t overlay sipr-package-root -o lowerdir=/,upperdir="$ovl/upper",workdir="$ovl/work" "$ovl/root" ||
        { echo "SKIP: cannot mount an overlay of / here"; exit 77; }
args=(-q -D "$ovl/root" --register=no --keep-unit -M "sipr-pkg-$LAB_SLOT"
        --tmpfs=/var/log/journal
        --bind="$T/units:/etc/systemd/system"
        --bind-ro="$T/in:/sipr-test/in"
        --bind="$T/out:/sipr-test/out")
echo "booting: systemd-nspawn ${args[*]} -b -- systemd.unit=sipr-package-test.service"
rc=0
t0=$SECONDS
nspawn_run_serving "$T/out" 500 "$T/console.log" "${args[@]}" -b -- systemd.unit=sipr-package-test.service \
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
echo "container: $((SECONDS - t0)) s"
# The registrar's view: the installed package's regd made exactly one binding.
n=$(lab_binding_count 1 "$user")
[[ $n == 1 ]] && echo "ok: registrar 1 holds one binding for $user, made by the installed package" ||
        echo "FAIL: registrar 1 holds $n bindings for $user: $(lab_bindings 1 "$user")" >>"$T/out/results"
if grep -q '^FAIL' "$T/out/results"; then
        cp "$T/out/journal.txt" "$LAB_DIR/" 2>/dev/null || true
        lab_fail "$(grep -c '^FAIL' "$T/out/results") check(s) failed (journal: $LAB_DIR/journal.txt)"
fi
echo "PASS ($(grep -c '^ok' "$T/out/results") checks in the container)"
