#!/usr/bin/env bash
# Effective values across the realistic common file, the device file and local overrides, via
# busctl and siprctl; List shows known keys only; Sources/Mac/Generation; local.cfg is 0600.
source "$(dirname "$0")/configd-lib.sh"
cfg_setup
cfg_install_files
cfg_start

# From the device file (trailing spaces trimmed), over the common file.
cfg_expect_eq account.1.sip_server.1.address reg1.lab.test
lab_assert_eq reg1.lab.test "$(lab_siprctl get account.1.sip_server.1.address)" "siprctl get"
# From the common file only.
cfg_expect_eq account.1.sip_server.2.address reg2.lab.test
cfg_expect_eq account.2.sip_server.2.address reg2.lab.test
cfg_expect_eq network.primary_dns 127.0.0.53
cfg_expect_eq sip.timer_t1 0.5
# failback_timeout 30 in the device file is taken as 60.
cfg_expect_eq account.1.sip_server.2.failback_timeout 60
cfg_expect_eq account.1.sip_server.1.failback_timeout 3600
cfg_expect_eq account.1.label Alice
# Empty value in the device file = unset there: auth_name falls back to user_name.
cfg_expect_eq account.1.auth_name 1001
cfg_expect_eq account.2.auth_name 1002
# Secrets are masked; defaults apply to keys no file sets.
cfg_expect_eq account.1.password '********'
cfg_expect_eq account.1.sip_server.3.address ""
cfg_expect_eq account.1.sip_server.3.port 5060
cfg_expect_eq account.9.enable 0
cfg_expect_eq sipr.dns.serve_stale 86400
cfg_expect_eq network.secondary_dns ""

lab_assert_eq '"001565aabbcc"' "$(cfg_prop Mac)" "Mac"
lab_assert_eq "[\"$CFG_ETC/y000000000000.cfg\",\"$CFG_ETC/001565aabbcc.cfg\"]" "$(cfg_prop Sources)" "Sources"
gen0=$(cfg_prop Generation)

# List: globals and accounts 1 and 2 (the only ones any file mentions), nothing unknown.
list=$(cfg_call List s "" | jq -c '.data[0]')
lab_assert_eq 0 "$(jq '[keys[] | select(startswith("account.3."))] | length' <<<"$list")" "account 3 not listed"
lab_assert_eq 0 "$(jq '[keys[] | select(startswith("linekey") or (startswith("static.") and (startswith("static.auto_provision.") | not)) or contains("codec"))] | length' <<<"$list")" "unknown keys not listed"
# The provisioning keys sipr acts on are listed, the password masked.
lab_assert_eq '"https://prov.acme.example/yealink/"' "$(jq '."static.auto_provision.server.url"' <<<"$list")" "provisioning URL listed"
lab_assert_eq '"********"' "$(jq '."static.auto_provision.server.password"' <<<"$list")" "provisioning password masked"
lab_assert_eq '"********"' "$(jq '."account.2.password"' <<<"$list")" "List masks secrets"
lab_assert_eq '"reg2.lab.test"' "$(jq '."account.2.sip_server.2.address"' <<<"$list")" "List value"
n_acc=$(jq '[keys[] | select(startswith("account.1."))] | length' <<<"$list")
lab_assert_eq 70 "$n_acc" "all schema keys of account 1 (18 + 11×4 server + 2×4 proxy)"
lab_assert_eq '"options"' "$(jq '."sipr.health.method"' <<<"$list")" "global key"
# Prefix filter, and siprctl list prints the provisioning syntax.
lab_assert_eq 11 "$(cfg_call List s account.1.sip_server.1. | jq '.data[0] | length')" "List prefix"
lab_siprctl list account.1.sip_server.1. | grep -qx 'account.1.sip_server.1.address = reg1.lab.test' ||
        lab_fail "siprctl list output: $(lab_siprctl list account.1.sip_server.1.)"
lab_assert_eq reg1.lab.test "$(lab_siprctl --json list account.1.sip_server.1. | jq -r '."account.1.sip_server.1.address"')" "siprctl --json list"
lab_assert_eq '{"key":"account.1.label","value":"Alice"}' "$(lab_siprctl get --json account.1.label)" "siprctl get --json"

# Local overrides over both files, persisted 0600, listed in Sources; Generation moves.
lab_siprctl set account.1.sip_server.1.address=127.0.0.2 account.1.sip_server.1.port=5062 || lab_fail "siprctl set"
cfg_expect_eq account.1.sip_server.1.address 127.0.0.2
cfg_expect_eq account.1.sip_server.1.port 5062
cfg_expect_eq account.2.sip_server.1.address reg1.lab.test
lab_assert_eq 600 "$(stat -c %a "$CFG_STATE/local.cfg")" "local.cfg mode"
grep -qx 'account.1.sip_server.1.address = 127.0.0.2' "$CFG_STATE/local.cfg" || lab_fail "local.cfg content: $(cat "$CFG_STATE/local.cfg")"
lab_assert_eq "[\"$CFG_ETC/y000000000000.cfg\",\"$CFG_ETC/001565aabbcc.cfg\",\"$CFG_STATE/local.cfg\"]" "$(cfg_prop Sources)" "Sources with local"
gen1=$(cfg_prop Generation)
((gen1 == gen0 + 1)) || lab_fail "Generation $gen0 → $gen1 after one Set"
# A Set that changes nothing does not move Generation.
lab_siprctl set account.1.sip_server.1.port=5062
lab_assert_eq "$gen1" "$(cfg_prop Generation)" "no-op Set keeps Generation"

# An account a file mentions only through keys sipr does not use is listed too (with defaults).
printf 'account.5.codec.pcmu.enable = 1\naccount.6.codec.pcmu.enable =\n' >>"$CFG_ETC/001565aabbcc.cfg"
lab_siprctl reload
lab_assert_eq 70 "$(cfg_call List s account.5. | jq '.data[0] | length')" "account 5 listed through an unused key"
lab_assert_eq '"0"' "$(cfg_call List s account.5. | jq '.data[0]."account.5.enable"')" "account 5 defaults"
lab_assert_eq 0 "$(cfg_call List s account.6. | jq '.data[0] | length')" "an empty value does not count"

# %NULL% (Yealink's explicit empty) hides the common file's value; empty does not.
printf 'account.2.sip_server.2.address = %%NULL%%\naccount.2.sip_server.2.port = %%NULL%%\n' >>"$CFG_ETC/001565aabbcc.cfg"
sed -i 's/^account.2.sip_server.2.port = 5060/account.2.sip_server.2.port = 5070/' "$CFG_ETC/y000000000000.cfg"
lab_siprctl reload
cfg_expect_eq account.2.sip_server.2.address ""
cfg_expect_eq account.2.sip_server.2.port 5060
lab_siprctl set account.1.sip_server.2.address=%NULL%
cfg_expect_eq account.1.sip_server.2.address ""
grep -qx 'account.1.sip_server.2.address = %NULL%' "$CFG_STATE/local.cfg" || lab_fail "%NULL% in local.cfg"
lab_siprctl set account.1.sip_server.2.address=
cfg_expect_eq account.1.sip_server.2.address reg2.lab.test

# A new account appears in List once a key of it is set.
lab_siprctl set account.7.user_name=1007
lab_assert_eq '"1007"' "$(cfg_call List s account.7. | jq '.data[0]."account.7.auth_name"')" "account 7 listed"

# Overrides survive a restart; Reset drops them back to the files' values.
lab_service_stop configd
cfg_start
cfg_expect_eq account.1.sip_server.1.address 127.0.0.2
lab_siprctl reset account.1.sip_server.1.address account.1.sip_server.1.port account.7.user_name || lab_fail "siprctl reset"
cfg_expect_eq account.1.sip_server.1.address reg1.lab.test
cfg_expect_eq account.1.sip_server.1.port 5060
lab_assert_eq 0 "$(cfg_call List s account.7. | jq '.data[0] | length')" "account 7 gone after reset"
# Empty value over Set = drop the override (files' "unset here").
lab_siprctl set account.1.label=Bob
cfg_expect_eq account.1.label Bob
lab_siprctl set account.1.label=
cfg_expect_eq account.1.label Alice

# The upper-case device file name is accepted too.
mv "$CFG_ETC/001565aabbcc.cfg" "$CFG_ETC/001565AABBCC.cfg"
lab_siprctl reload || lab_fail "reload with upper-case device file"
cfg_expect_eq account.1.label Alice
# The unknown keys were reported once, at info level, without their values.
grep -q "y000000000000.cfg: [0-9]* keys that sipr does not use" "$LAB_DIR/configd.log" || lab_fail "unknown keys not reported"
if grep -q "Pr0vPass\|Adm1nPass" "$LAB_DIR/configd.log"; then lab_fail "values of unknown secret keys in the log"; fi
# SIGHUP = Reload: a fixed value in the device file takes effect, Changed and PropertiesChanged
# (Generation) are emitted.
lab_spawn monitor "$LAB_DIR/monitor.log" dbus-monitor --system \
        "type='signal',sender='org.sipr.Config1',path='/org/sipr/Config1'" >/dev/null
# The monitor is listening once it sees a Changed of ours (bounded warm-up).
for ((w = 0; w < 50; w++)); do
        lab_siprctl set account.1.display_name="warm-up $w"
        grep -q "member=Changed" "$LAB_DIR/monitor.log" && break
        sleep 0.2
done
grep -q "member=Changed" "$LAB_DIR/monitor.log" || lab_fail "dbus-monitor never saw a Changed"
lab_siprctl reset account.1.display_name
: >"$LAB_DIR/monitor.log"
gen=$(cfg_prop Generation)
sed -i 's/^account.1.label = Alice$/account.1.label = Alice Cooper/' "$CFG_ETC/001565AABBCC.cfg"
lab_signal configd HUP
lab_wait_for 10 "label reloaded by SIGHUP" test "$(cfg_get account.1.label)" = "Alice Cooper" || lab_fail "SIGHUP did not reload"
lab_assert_eq $((gen + 1)) "$(cfg_prop Generation)" "Generation after SIGHUP reload"
lab_wait_for 10 "Changed signal" grep -q "member=Changed" "$LAB_DIR/monitor.log" || lab_fail "no Changed: $(cat "$LAB_DIR/monitor.log")"
lab_wait_for 10 "PropertiesChanged(Generation)" grep -q '"Generation"' "$LAB_DIR/monitor.log" || lab_fail "no PropertiesChanged for Generation"
grep -A3 "member=Changed" "$LAB_DIR/monitor.log" | grep -q '"account.1.label"' || lab_fail "Changed does not name account.1.label"

# siprctl keys: the schema, for whoever writes provisioning files.
lab_siprctl keys failback_timeout | grep -q "values: 0 or 60…65535 (1…59 are taken as 60); default: 3600" ||
        lab_fail "siprctl keys: $(lab_siprctl keys failback_timeout)"
lab_assert_eq true "$(lab_siprctl keys --json password | jq '.[0].secret')" "siprctl keys --json"

# A bad --mac is refused at start with a clear message.
lab_service_stop configd
if "$SIPR_BUILD_ROOT/services/configd/sipr-configd" --mac=00:15:65 --config-dir="$CFG_ETC" 2>"$LAB_DIR/err"; then
        lab_fail "--mac=00:15:65 accepted"
fi
grep -q "Invalid --mac '00:15:65'" "$LAB_DIR/err" || lab_fail "--mac message: $(cat "$LAB_DIR/err")"
echo PASS
