#!/usr/bin/env bash
# Passwords never appear in Get/List/siprctl output or logs; GetSecret gives the real value to
# root only (not to an unprivileged user: D-Bus policy), local.cfg holding them is 0600.
source "$(dirname "$0")/configd-lib.sh"
cfg_setup
cfg_install_files
cfg_start
PW='Sup3r-S3cret=XYZ#1'

lab_siprctl set "account.1.password=$PW" "account.3.password=$PW" account.3.user_name=1003 || lab_fail "set password"
# The audit line names the caller: uid and pid from the bus, the command from /proc (was "?").
grep -Eq "Set of 3 key\(s\) requested by :[0-9.]+ \(uid 0, pid [1-9][0-9]*, siprctl\)" "$LAB_DIR/configd.log" ||
        lab_fail "audit line of the Set: $(grep 'requested by' "$LAB_DIR/configd.log")"
cfg_expect_eq account.1.password '********'
cfg_expect_eq account.2.password '********'
cfg_expect_eq account.4.password ''
lab_assert_eq '********' "$(lab_siprctl get account.3.password)" "siprctl get masks"
all=$(cfg_call List s "")
[[ "$all" != *"$PW"* && "$all" != *secret100* ]] || lab_fail "List leaks a password"
[[ "$(lab_siprctl list) $(lab_siprctl --json list)" != *"$PW"* ]] || lab_fail "siprctl list leaks"
lab_assert_eq '"********"' "$(jq '.data[0]."account.3.password"' <<<"$all")" "List masks"

lab_assert_eq "$PW" "$(cfg_call GetSecret s account.1.password | jq -r '.data[0]')" "GetSecret as root"
lab_assert_eq "secret1002" "$(cfg_call GetSecret s account.2.password | jq -r '.data[0]')" "GetSecret from the device file"
lab_assert_eq 600 "$(stat -c %a "$CFG_STATE/local.cfg")" "local.cfg mode"

# An unprivileged user may read the configuration but not the secrets, nor change anything. The
# lab bus admits root only; like the stock system bus, this second one admits every user, with
# sipr's real policy files.
chmod 711 "$LAB_DIR"
sock2=$LAB_DIR/open_bus_socket
sed -e "s|@SOCKET@|$sock2|" -e "s|@POLICYDIR@|$SIPR_SOURCE_ROOT/dbus/system.d|" \
        -e 's|<policy context="default">|<policy context="default">\n    <allow user="*"/>|' \
        "$LAB_SRC/dbus-lab.conf.in" >"$LAB_DIR/dbus-open.conf"
lab_spawn dbus-open "$LAB_DIR/dbus-open.log" dbus-daemon --nofork --nopidfile --config-file="$LAB_DIR/dbus-open.conf" >/dev/null
lab_wait_for 10 "second bus" test -S "$sock2" || lab_fail "second dbus-daemon: $(cat "$LAB_DIR/dbus-open.log")"
open_bus=unix:path=$sock2
DBUS_SYSTEM_BUS_ADDRESS=$open_bus lab_spawn configd2 "$LAB_DIR/configd2.log" "$SIPR_BUILD_ROOT/services/configd/sipr-configd" \
        --config-dir="$CFG_ETC" --state-dir="$CFG_STATE" --mac=001565aabbcc >/dev/null
lab_wait_for 20 "configd on the second bus" env DBUS_SYSTEM_BUS_ADDRESS=$open_bus busctl --system status org.sipr.Config1 ||
        lab_fail "configd2: $(cat "$LAB_DIR/configd2.log")"
as_nobody() { DBUS_SYSTEM_BUS_ADDRESS=$open_bus setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
v=$(as_nobody busctl --system --json=short call org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 Get s account.1.label | jq -r '.data[0]')
lab_assert_eq Alice "$v" "Get as nobody"
out=$(as_nobody dbus-send --system --print-reply --dest=org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1.GetSecret string:account.1.password 2>&1 || true)
[[ "$out" == *"org.freedesktop.DBus.Error.AccessDenied"* && "$out" != *"$PW"* ]] || lab_fail "GetSecret as nobody: $out"
out=$(as_nobody dbus-send --system --print-reply --dest=org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1.Set dict:string:string:account.1.label,Eve 2>&1 || true)
[[ "$out" == *"AccessDenied"* ]] || lab_fail "Set as nobody: $out"
# Check reads files with configd's rights: not a private file for an unprivileged caller.
out=$(as_nobody dbus-send --system --print-reply --dest=org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1.Check string:"$CFG_STATE/local.cfg" 2>&1 || true)
[[ "$out" == *"AccessDenied"*"not readable by uid 65534"* ]] || lab_fail "Check of local.cfg as nobody: $out"
cp "$CFG_ETC/001565aabbcc.cfg" "$LAB_DIR/public.cfg" && chmod 644 "$LAB_DIR/public.cfg"
out=$(as_nobody busctl --system --json=short call org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 Check s "$LAB_DIR/public.cfg")
lab_assert_eq '{"type":"a(sus)","data":[[]]}' "$out" "Check of a readable file as nobody"
lab_stop_process configd2
cfg_expect_eq account.1.label Alice

# Change, reload and a failed Set with the password around: still nothing in the log.
cfg_dbus_send Set dict:string:string:account.1.password,"bad$(printf '\x02')$PW" >/dev/null
lab_siprctl reload
lab_signal configd HUP
lab_siprctl reset account.1.password
lab_service_stop configd
for s in "$PW" secret1001 secret1002 Pr0vPass Adm1nPass; do
        if grep -qF -- "$s" "$LAB_DIR/configd.log" "$LAB_DIR/configd2.log"; then lab_fail "'$s' appears in a configd log"; fi
done
grep -q "account.1.password = \*\*\*\*\*\*\*\*" "$LAB_DIR/configd.log" || lab_fail "password changes should be logged masked"
echo PASS
