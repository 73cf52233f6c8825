#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The comparison tool itself: every dbus/*.xml matches itself, also in the form sd-bus prints
# (EmitsChangedSignal=true left implicit), and each kind of difference is caught.
set -euo pipefail
check=$SIPR_SOURCE_ROOT/tests/systemd/check-introspection.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

n=0
for f in "$SIPR_SOURCE_ROOT"/dbus/org.sipr.*.xml; do
        xmllint --noout --nonet "$f" 2>/dev/null || python3 -c 'import sys,xml.dom.minidom as m; m.parse(sys.argv[1])' "$f" ||
                fail "$f is not well-formed XML"
        python3 "$check" --live "$f" "$f" >/dev/null || fail "$f does not match itself"
        # sd-bus leaves the default annotation value (true) out.
        sed '/EmitsChangedSignal" value="true"/d' "$f" >"$tmp/live.xml"
        python3 "$check" --live "$tmp/live.xml" "$f" >/dev/null || fail "$f: implicit EmitsChangedSignal=true not accepted"
        n=$((n + 1))
done
((n == 6)) || fail "expected 6 interface files in dbus/, found $n"

f=$SIPR_SOURCE_ROOT/dbus/org.sipr.Config1.xml
expect_mismatch() { # WHAT SED-EXPRESSION
        sed "$2" "$f" >"$tmp/live.xml"
        cmp -s "$tmp/live.xml" "$f" && fail "mutation '$1' changed nothing (test is broken)"
        local out rc=0
        out=$(python3 "$check" --live "$tmp/live.xml" "$f") || rc=$?
        ((rc == 1)) || fail "$1: expected exit 1, got $rc: $out"
        grep -q MISMATCH <<<"$out" || fail "$1: no MISMATCH line: $out"
        echo "ok: $1 → $(grep -m1 MISMATCH <<<"$out")"
}
expect_mismatch "argument type" 's/name="key" type="s" direction="in"/name="key" type="u" direction="in"/'
expect_mismatch "argument direction" '0,/direction="out"/s//direction="in"/'
expect_mismatch "missing method" '/<method name="Reload"\/>/d'
expect_mismatch "extra method" 's|<method name="Reload"/>|<method name="Reload"/><method name="Extra"/>|'
expect_mismatch "property type" 's/name="Generation" type="t"/name="Generation" type="u"/'
expect_mismatch "EmitsChangedSignal" 's/value="const"/value="false"/'
expect_mismatch "signal argument" 's/<arg name="keys" type="as"\/>/<arg name="keys" type="s"\/>/'
expect_mismatch "interface missing" 's/interface name="org.sipr.Config1"/interface name="org.sipr.Other1"/'

# Argument names are only a warning.
sed 's/name="prefix"/name="p"/' "$f" >"$tmp/live.xml"
out=$(python3 "$check" --live "$tmp/live.xml" "$f") || fail "a different argument name must not fail: $out"
grep -q '^warning: .*argument names differ' <<<"$out" || fail "no warning for a different argument name: $out"
echo "PASS"
