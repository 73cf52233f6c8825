#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# "meson install" into a DESTDIR puts every systemd/D-Bus file where systemd and dbus-daemon look
# for it (for the configured prefix), nothing outside DESTDIR, and the units' ExecStart= names the
# installed daemons.
set -euo pipefail
build=$SIPR_BUILD_ROOT
dest=$(mktemp -d /tmp/sipr-destdir.XXXXXX)
trap 'rm -rf "$dest"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

opt() { meson introspect "$build" --buildoptions | python3 -c "import json,sys; print(next(o['value'] for o in json.load(sys.stdin) if o['name']=='$1'))"; }
prefix=$(opt prefix)
bindir=$(opt bindir)
datadir=$(opt datadir)
[[ $bindir == /* ]] || bindir=$prefix/$bindir
[[ $datadir == /* ]] || datadir=$prefix/$datadir
if [[ $prefix == /usr ]]; then
        unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
        sysusersdir=$(pkg-config --variable=sysusersdir systemd)
        tmpfilesdir=$(pkg-config --variable=tmpfilesdir systemd)
        catalogdir=$(pkg-config --variable=catalogdir systemd)
        servicesdir=$(pkg-config --variable=system_bus_services_dir dbus-1 2>/dev/null || echo "$datadir/dbus-1/system-services")
else
        unitdir=$prefix/lib/systemd/system
        sysusersdir=$prefix/lib/sysusers.d
        tmpfilesdir=$prefix/lib/tmpfiles.d
        catalogdir=$prefix/lib/systemd/catalog
        servicesdir=$datadir/dbus-1/system-services
fi
echo "prefix $prefix: units in $unitdir"

# The whole project installs, so this also proves no other target writes outside DESTDIR.
DESTDIR=$dest meson install -C "$build" --no-rebuild --quiet >"$dest.log" 2>&1 ||
        fail "meson install failed: $(cat "$dest.log")"
rm -f "$dest.log"

expected=(
        "$unitdir/sipr-configd.service" "$unitdir/sipr-resolverd.service" "$unitdir/sipr-healthd.service"
        "$unitdir/sipr-regd.service" "$unitdir/sipr.target"
        "$sysusersdir/sipr.conf" "$tmpfilesdir/sipr.conf" "$catalogdir/sipr.catalog"
        "$bindir/siprctl"
        # for integrators: the API reference, siprctl's JSON, the example client's source
        "$datadir/doc/sipr/dbus-api.md" "$datadir/doc/sipr/siprctl-json.md" "$datadir/doc/sipr/examples/sipr-watch.c"
)
for n in Config1 Resolver1 Health1 Registration1; do
        expected+=("$datadir/dbus-1/system.d/org.sipr.$n.conf" "$servicesdir/org.sipr.$n.service")
done
for i in Config1 Resolver1 Health1 Health1.Target Registration1 Registration1.Account; do
        expected+=("$datadir/dbus-1/interfaces/org.sipr.$i.xml")
done
for f in "${expected[@]}"; do
        [[ -f "$dest$f" ]] || fail "not installed: $f (DESTDIR has: $(cd "$dest" && find . -type f | sort | tr '\n' ' '))"
done
echo "ok: ${#expected[@]} systemd/D-Bus/siprctl/documentation files installed"

# Nothing escaped DESTDIR: meson would have written to the real paths.
for f in "${expected[@]}"; do
        [[ $f == */siprctl ]] && continue
        if [[ -e "$f" && "$f" -nt "$dest" ]]; then
                fail "$f was written outside DESTDIR"
        fi
done

# Unit contents: substituted paths, and ExecStart= names the daemon installed by meson.
for s in configd resolverd healthd regd; do
        u=$dest$unitdir/sipr-$s.service
        grep -q '@[a-z_]*@' "$u" && fail "unsubstituted @…@ in sipr-$s.service: $(grep '@[a-z_]*@' "$u")"
        exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$u")
        [[ $exe == "$prefix"/*/sipr-$s ]] || fail "sipr-$s.service: ExecStart=$exe is not under $prefix"
        [[ -x "$dest$exe" ]] || fail "sipr-$s is not installed at $exe, the unit's ExecStart= (installed: $(cd "$dest" && find . -name "sipr-$s" | sed 's/^\.//'))"
        echo "ok: sipr-$s.service runs the installed $exe"
done
for n in Config1 Resolver1 Health1 Registration1; do
        a=$dest$servicesdir/org.sipr.$n.service
        unit=$(sed -n 's/^SystemdService=//p' "$a")
        [[ -f "$dest$unitdir/$unit" ]] || fail "org.sipr.$n.service activates $unit, which is not installed"
        grep -q "^BusName=org.sipr.$n\$" "$dest$unitdir/$unit" || fail "$unit does not declare BusName=org.sipr.$n"
done
echo "ok: activation files name installed units with the matching BusName="
echo PASS
