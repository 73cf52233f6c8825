#!/usr/bin/env bash
# siprctl check parses the file itself: it works with no daemon and no bus at all, for a user the
# hardened service could not read for (nobody, a file in a private 0700 directory), with exactly
# the problems and messages of configd's Check. configd's CheckContents checks the bytes a caller
# sends (nothing for configd to open, so nothing to block on), with the same messages too; the
# path form Check still works.
source "$(dirname "$0")/configd-lib.sh"
cfg_setup
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
SIPRCTL=$SIPR_BUILD_ROOT/tools/siprctl/siprctl
PRIV=$LAB_DIR/nobody-home
mkdir -p "$PRIV"
printf '#!version:1.0.0.1\naccount.1.enable = yes\nfoo\naccount.1.password = hunter2\x01\naccount.1.label = Eve\n' >"$PRIV/bad.cfg"
printf '#!version:1.0.0.1\naccount.1.enable = 1\n' >"$PRIV/good.cfg"
chown -R 65534:65534 "$PRIV"
chmod 0700 "$PRIV"
chmod 0600 "$PRIV"/*.cfg
chmod 0755 "$LAB_DIR" # nobody walks to its directory

# No bus at all: siprctl check needs none.
rc=0
out=$(DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent as_nobody "$SIPRCTL" check "$PRIV/bad.cfg" 2>&1) || rc=$?
lab_assert_eq 1 "$rc" "siprctl check of a bad file, offline, as nobody"
expected="$PRIV/bad.cfg:2: account.1.enable: invalid value 'yes': permitted 0 or 1
$PRIV/bad.cfg:3: 'foo': not a comment and has no '=' (expected key = value)
$PRIV/bad.cfg:4: account.1.password: value is not valid UTF-8 text (or contains control characters)"
lab_assert_eq "$expected" "$(grep -v '^siprctl:' <<<"$out")" "offline problems"
[[ "$out" != *hunter2* ]] || lab_fail "the secret is quoted: $out"
out=$(DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent as_nobody "$SIPRCTL" check "$PRIV/good.cfg" 2>&1) ||
        lab_fail "siprctl check of a good file offline: $out"
lab_assert_eq "$PRIV/good.cfg: OK" "$out" "a good file, offline"
rc=0
out=$(DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent as_nobody "$SIPRCTL" --json check "$PRIV/bad.cfg" 2>/dev/null) || rc=$?
lab_assert_eq 1 "$rc" "siprctl --json check exit status"
lab_assert_eq 3 "$(jq length <<<"$out")" "siprctl --json check: three problems"
mkfifo "$LAB_DIR/fifo.cfg"
out=$(timeout 20 "$SIPRCTL" check "$LAB_DIR/fifo.cfg" 2>&1) && lab_fail "a FIFO passed"
[[ "$out" == *"is a FIFO (named pipe), not a regular file"* ]] || lab_fail "siprctl check of a FIFO: $out"

# The same file through the daemon: CheckContents with the bytes nobody read, and Check by path
# as root; the same problems, word for word.
cfg_start
contents() { # FILE NAME → CheckContents's answer as JSON, called as nobody with the file's bytes
        as_nobody /usr/bin/python3 - "$1" "$2" <<'PY'
import dbus, json, sys
data = open(sys.argv[1], 'rb').read()
cfg = dbus.SystemBus().get_object('org.sipr.Config1', '/org/sipr/Config1')
out = cfg.CheckContents(sys.argv[2], dbus.ByteArray(data), dbus_interface='org.sipr.Config1', timeout=30)
print(json.dumps([[str(f), int(l), str(m)] for f, l, m in out]))
PY
}
out=$(contents "$PRIV/bad.cfg" "$PRIV/bad.cfg") || lab_fail "CheckContents as nobody: $out"
lab_assert_eq "$expected" "$(jq -r '.[] | "\(.[0]):\(.[1]): \(.[2])"' <<<"$out")" "CheckContents problems"
lab_assert_eq "[]" "$(contents "$PRIV/good.cfg" good.cfg)" "CheckContents of a good file"
out=$(cfg_call Check s "$PRIV/bad.cfg" | jq -c '.data[0]')
lab_assert_eq "$expected" "$(jq -r '.[] | "\(.[0]):\(.[1]): \(.[2])"' <<<"$out")" "Check by path (root)"
cfg_call Set 'a{ss}' 1 account.1.label Local >/dev/null || lab_fail "Set"
# Check by path as nobody still refuses what configd would read with its own rights only.
out=$(as_nobody busctl --system call org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 Check s "$CFG_STATE/local.cfg" 2>&1) &&
        lab_fail "nobody checked configd's local.cfg by path: $out"
# Larger than the bound: one problem, configd fine.
head -c $((7 * 1024 * 1024)) /dev/zero | tr '\0' '#' >"$LAB_DIR/huge.cfg"
chmod 0644 "$LAB_DIR/huge.cfg"
out=$(contents "$LAB_DIR/huge.cfg" huge.cfg) || lab_fail "CheckContents of 7 MiB: $out"
[[ "$out" == *"file is larger than"*"KiB, the most sipr reads"* ]] || lab_fail "CheckContents of 7 MiB: $out"
rc=0
out=$("$SIPRCTL" check "$LAB_DIR/huge.cfg" 2>&1) || rc=$?
lab_assert_eq 1 "$rc" "siprctl check of 7 MiB"
[[ "$out" == *"file is larger than"* ]] || lab_fail "siprctl check of 7 MiB: $out"
cfg_expect_eq account.1.enable 0
cfg_expect_eq account.1.label Local
lab_has_name org.sipr.Config1 || lab_fail "configd died"
echo ok
