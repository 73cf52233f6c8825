#!/usr/bin/env bash
# A read-only state directory: Set fails with a clear org.sipr.Error.IO naming local.cfg, and
# nothing changes (effective values, Generation, local.cfg on disk).
source "$(dirname "$0")/configd-lib.sh"
cfg_setup
unshare --mount true 2>/dev/null || { echo "SKIP: no mount namespaces here"; exit 77; }
cfg_install_files
printf '#!version:1.0.0.1\naccount.1.label = Local\n' >"$CFG_STATE/local.cfg"
chmod 600 "$CFG_STATE/local.cfg"
cp "$CFG_STATE/local.cfg" "$LAB_DIR/local.before"
export CFG_RO_DIR=$CFG_STATE
SIPR_WRAPPER=$(dirname "$0")/ro-state-wrapper.sh cfg_start
cfg_expect_eq account.1.label Local
gen=$(cfg_prop Generation)

cfg_expect_error org.sipr.Error.IO "Cannot save local overrides to $CFG_STATE/local.cfg: Read-only file system; nothing was changed" \
        Set dict:string:string:account.1.label,Other,account.1.sip_server.1.port,5070
cfg_expect_eq account.1.label Local
cfg_expect_eq account.1.sip_server.1.port 5060
cfg_expect_error org.sipr.Error.IO "Read-only file system" Reset array:string:account.1.label
cfg_expect_eq account.1.label Local
lab_assert_eq "$gen" "$(cfg_prop Generation)" "Generation after failed Set/Reset"
cmp -s "$LAB_DIR/local.before" "$CFG_STATE/local.cfg" || lab_fail "local.cfg changed"
lab_assert_eq "local.cfg" "$(ls "$CFG_STATE")" "no temp files left"
rc=$(lab_siprctl set account.1.label=Other 2>"$LAB_DIR/err"; echo $?)
lab_assert_eq 1 "$rc" "siprctl set on a read-only state dir"
grep -q "Read-only file system" "$LAB_DIR/err" || lab_fail "siprctl message: $(cat "$LAB_DIR/err")"
lab_has_name org.sipr.Config1 || lab_fail "configd died"
echo PASS
