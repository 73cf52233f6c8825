#!/usr/bin/env bash
# Every error path: error name AND message content; nothing applied; the running config and
# Generation stay when a file is broken; the daemon survives every bad input.
source "$(dirname "$0")/configd-lib.sh"
cfg_setup
cfg_install_files
cfg_start
C=$CFG_ETC/y000000000000.cfg
D=$CFG_ETC/001565aabbcc.cfg

# --- Set: all or nothing ---
cfg_expect_error org.sipr.Error.InvalidValue "account.1.sip_server.1.port: invalid value '70000': permitted 0…65535" \
        Set dict:string:string:account.1.label,Zed,account.1.sip_server.1.port,70000
cfg_expect_eq account.1.label Alice
[[ ! -e $CFG_STATE/local.cfg ]] || lab_fail "a refused Set wrote local.cfg"
cfg_expect_error org.sipr.Error.UnknownKey "account.1.sip_server.1.prt: unknown key" \
        Set dict:string:string:account.1.label,Zed,account.1.sip_server.1.prt,5060
cfg_expect_error org.sipr.Error.UnknownKey "account index out of range 1…${SIPR_ACCOUNTS_MAX:-256}" \
        Set dict:string:string:account.$((${SIPR_ACCOUNTS_MAX:-256} + 1)).enable,1
cfg_expect_error org.sipr.Error.UnknownKey "server index out of range 1…4" \
        Set dict:string:string:account.1.sip_server.5.address,x.lab.test
cfg_expect_error org.sipr.Error.InvalidValue "permitted 0 or 1" Set dict:string:string:account.1.enable,2
cfg_expect_error org.sipr.Error.InvalidValue "permitted 0 UDP, 1 TCP, 2 TLS, 3 DNS-NAPTR" \
        Set dict:string:string:account.1.sip_server.1.transport_type,5
cfg_expect_error org.sipr.Error.InvalidValue "'icmp': permitted options, crlf, connect, none" \
        Set dict:string:string:sipr.health.method,icmp
cfg_expect_error org.sipr.Error.InvalidValue "a host name or an IP address" \
        Set dict:string:string:account.1.sip_server.1.address,'bad host!'
cfg_expect_error org.sipr.Error.InvalidValue "network.primary_dns: invalid value '127.0.0.1:99999'" \
        Set dict:string:string:network.primary_dns,127.0.0.1:99999
cfg_expect_error org.sipr.Error.InvalidValue "permitted 30…2147483647" \
        Set dict:string:string:account.1.sip_server.1.expires,29
cfg_expect_error org.sipr.Error.InvalidValue "sip.timer_t1: invalid value '0.0001'" \
        Set dict:string:string:sip.timer_t1,0.0001
# A bad secret is refused without echoing it.
out=$(cfg_dbus_send Set dict:string:string:account.1.password,$'sec\x01ret-XYZ')
[[ "$out" == *"Error org.sipr.Error.InvalidValue: account.1.password: invalid value '********'"* ]] || lab_fail "password error: $out"
[[ "$out" != *"ret-XYZ"* ]] || lab_fail "the refused password is echoed: $out"
cfg_expect_error org.sipr.Error.UnknownKey "no.such.key: unknown key" Get string:no.such.key
cfg_expect_error org.sipr.Error.UnknownKey "account.0.enable: unknown key" Reset array:string:account.0.enable
cfg_expect_error org.sipr.Error.InvalidArgs "not a secret key" GetSecret string:account.1.label
cfg_expect_eq account.1.label Alice
[[ ! -e $CFG_STATE/local.cfg ]] || lab_fail "refused Sets wrote local.cfg"

# --- siprctl exit codes and messages ---
out=$(lab_siprctl get no.such.key 2>&1) && lab_fail "siprctl get unknown succeeded"
rc=$(lab_siprctl get no.such.key >/dev/null 2>&1; echo $?)
lab_assert_eq 1 "$rc" "siprctl get unknown exit code"
lab_assert_eq "siprctl: sipr-configd: no.such.key: unknown key (siprctl keys lists the keys sipr uses)" "$out" \
        "siprctl get unknown: one line naming the key"
rc=$(lab_siprctl set account.1.sip_server.1.port=70000 2>"$LAB_DIR/err"; echo $?)
lab_assert_eq 1 "$rc" "siprctl set invalid exit code"
grep -q "account.1.sip_server.1.port: invalid value '70000': permitted 0…65535" "$LAB_DIR/err" || lab_fail "siprctl set message: $(cat "$LAB_DIR/err")"
rc=$(lab_siprctl set account.1.label 2>/dev/null; echo $?)
lab_assert_eq 2 "$rc" "siprctl set without '=' is a usage error"

# --- Reload with broken files keeps the running config and Generation ---
gen=$(cfg_prop Generation)
cp "$C" "$LAB_DIR/common.good"
cp "$D" "$LAB_DIR/device.good"
printf 'this line has no equals sign\r\n' >>"$C"
n=$(wc -l <"$C")
cfg_expect_error org.sipr.Error.InvalidFile "$C:$n: 'this line has no equals sign': not a comment and has no '='" Reload
cp "$LAB_DIR/common.good" "$C"
sed -i 's/^account.1.sip_server.2.failback_timeout = 30$/account.1.sip_server.1.expires = 10/' "$D"
line=$(grep -n 'expires = 10' "$D" | cut -d: -f1)
cfg_expect_error org.sipr.Error.InvalidFile "$D:$line: account.1.sip_server.1.expires: invalid value '10': permitted 30…2147483647" Reload
rc=$(lab_siprctl reload 2>"$LAB_DIR/err"; echo $?)
lab_assert_eq 1 "$rc" "siprctl reload with a broken file"
grep -q "$D:$line: account.1.sip_server.1.expires" "$LAB_DIR/err" || lab_fail "siprctl reload message: $(cat "$LAB_DIR/err")"
# The broken device file also carries a new label: none of it may leak in.
sed -i 's/^account.1.label = Alice$/account.1.label = Mallory/' "$D"
cfg_expect_error org.sipr.Error.InvalidFile "expires" Reload
cfg_expect_eq account.1.label Alice
cfg_expect_eq account.1.sip_server.2.failback_timeout 60
# SIGHUP with the broken file: same outcome, daemon still serving.
lab_signal configd HUP
lab_wait_for 10 "SIGHUP handled" grep -q "SIGHUP: reloading" "$LAB_DIR/configd.log" || lab_fail "no SIGHUP reload"
cfg_expect_eq account.1.label Alice
lab_assert_eq "$gen" "$(cfg_prop Generation)" "Generation unchanged by refused reloads"

# Hostile files: a directory, NUL bytes, invalid UTF-8, a huge line, 100 000 lines.
rm "$D" && mkdir "$D"
cfg_expect_error org.sipr.Error.InvalidFile "$D: is a directory" Reload
rmdir "$D" && cp "$LAB_DIR/device.good" "$D"
printf 'account.1.label = a\0b\n' >>"$D"
cfg_expect_error org.sipr.Error.InvalidFile "contains a NUL byte" Reload
cp "$LAB_DIR/device.good" "$D" && printf 'account.1.label = \xff\xfe\n' >>"$D"
cfg_expect_error org.sipr.Error.InvalidFile "account.1.label: value is not valid UTF-8" Reload
cp "$LAB_DIR/device.good" "$D" && { printf 'account.1.label = '; head -c 200000 /dev/zero | tr '\0' a; echo; } >>"$D"
cfg_expect_error org.sipr.Error.InvalidFile "line is longer than 8192 bytes" Reload
cp "$LAB_DIR/device.good" "$D"
python3 -c '
import sys
with open(sys.argv[1], "a") as f:
    for i in range(100000):
        f.write(f"features.custom.{i} = value {i}\n")
    f.write("account.1.sip_server.1.port = 65536\n")' "$D"
cfg_expect_error org.sipr.Error.InvalidFile "$D:$(wc -l <"$D"): account.1.sip_server.1.port: invalid value '65536'" Reload
sed -i '$d' "$D"
lab_siprctl reload || lab_fail "a valid 100 000-line file must load"
cfg_expect_eq account.1.label Alice
cp "$LAB_DIR/device.good" "$D"
lab_siprctl reload || lab_fail "reload of the fixed files"
cfg_expect_eq account.1.sip_server.2.failback_timeout 60
lab_has_name org.sipr.Config1 || lab_fail "configd died"

# --- Check: problems listed, nothing applied ---
printf 'account.1.enable = yes\nfoo\naccount.1.label = Eve\n' >"$LAB_DIR/bad.cfg"
out=$(cfg_call Check s "$LAB_DIR/bad.cfg" | jq -c '.data[0]')
lab_assert_eq "[[\"$LAB_DIR/bad.cfg\",1,\"account.1.enable: invalid value 'yes': permitted 0 or 1\"],[\"$LAB_DIR/bad.cfg\",2,\"'foo': not a comment and has no '=' (expected key = value)\"]]" "$out" "Check problems"
cfg_expect_eq account.1.label Alice
rc=$(cd "$LAB_DIR" && lab_siprctl check bad.cfg >"$LAB_DIR/out" 2>&1; echo $?)
lab_assert_eq 1 "$rc" "siprctl check of a bad file"
grep -q "^$LAB_DIR/bad.cfg:2: 'foo'" "$LAB_DIR/out" || lab_fail "siprctl check output: $(cat "$LAB_DIR/out")"
lab_siprctl check y000000000000.cfg | grep -q ": OK$" || lab_fail "siprctl check of a good file in the config dir"
lab_assert_eq 1 "$(lab_siprctl --json check "$LAB_DIR/bad.cfg" 2>/dev/null | jq '.[0].line')" "check --json"
out=$(cfg_call Check s "$LAB_DIR/missing.cfg" | jq -r '.data[0][0][2]')
lab_assert_eq "No such file" "$out" "Check of a missing file"
# A FIFO: refused by its type, at once (configd once opened it blocking and hung for good; the
# bounded call fails on that instead of waiting for meson's timeout). configd answers after it.
mkfifo "$LAB_DIR/fifo.cfg"
out=$(busctl --system --no-pager --json=short --timeout=30 call org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 \
        Check s "$LAB_DIR/fifo.cfg" 2>&1) || lab_fail "Check of a FIFO: $out"
lab_assert_eq "is a FIFO (named pipe), not a regular file" "$(jq -r '.data[0][0][2]' <<<"$out")" "Check of a FIFO"
cfg_expect_eq account.1.label Alice
# Too large: refused by its size with the bound named, and the heap given back afterwards.
truncate -s 64M "$LAB_DIR/huge.cfg"
out=$(cfg_call Check s "$LAB_DIR/huge.cfg" | jq -r '.data[0][0][2]')
[[ "$out" == "file is larger than "*" KiB, the most sipr reads" ]] || lab_fail "Check of a 64 MiB file: $out"

# --- a broken local.cfg at start: ignored, and never overwritten by a Set ---
lab_service_stop configd
printf '#!version:1.0.0.1\naccount.1.label = Hand edited\naccount.1.expires = oops\naccount.1.sip_server.1.port = 99999\n' >"$CFG_STATE/local.cfg"
cp "$CFG_STATE/local.cfg" "$LAB_DIR/local.broken"
cfg_start
cfg_expect_eq account.1.label Alice
cfg_expect_error org.sipr.Error.InvalidFile "The local overrides file is broken ($CFG_STATE/local.cfg:4: account.1.sip_server.1.port: invalid value '99999'" \
        Set dict:string:string:account.1.label,New
cmp -s "$CFG_STATE/local.cfg" "$LAB_DIR/local.broken" || lab_fail "the broken local.cfg was overwritten"
sed -i '$d' "$CFG_STATE/local.cfg"
lab_siprctl reload || lab_fail "reload after fixing local.cfg"
cfg_expect_eq account.1.label "Hand edited"
lab_siprctl set account.1.label=New || lab_fail "Set after the fix"
cfg_expect_eq account.1.label New

# --- configd not running: exit 3 naming the service ---
lab_service_stop configd
rc=$(lab_siprctl get account.1.label 2>"$LAB_DIR/err"; echo $?)
lab_assert_eq 3 "$rc" "siprctl get without configd"
grep -q "sipr-configd is not running" "$LAB_DIR/err" || lab_fail "not-running message: $(cat "$LAB_DIR/err")"
echo PASS
