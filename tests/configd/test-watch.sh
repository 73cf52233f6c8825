#!/usr/bin/env bash
# sipr.config.watch: off by default (a changed file waits for Reload); on, a device file renamed
# into place or rewritten in place is applied without SIGHUP, a broken one is refused as by
# SIGHUP (logged, the configuration stays), a file nobody watches (other names) is ignored; set
# back to 0, configd stops following.
source "$(dirname "$0")/configd-lib.sh"
cfg_setup
C=$CFG_ETC/y000000000000.cfg
D=$CFG_ETC/$CFG_MAC.cfg
publish() { # FILE LINE… — atomically, as a publisher should
        printf '%s\n' "${@:2}" >"$1.tmp"
        mv "$1.tmp" "$1"
}
publish "$C" '#!version:1.0.0.1' 'account.1.enable = 1' 'account.1.label = Common'
publish "$D" '#!version:1.0.0.1' 'account.1.label = Device 1'
cfg_start
cfg_expect_eq account.1.label "Device 1"

# Off by default: nothing happens until Reload.
publish "$D" '#!version:1.0.0.1' 'account.1.label = Device 2'
lab_wait_for 3 "a reload that must not come (timing out is the pass)" grep -q "changed: reloading" "$LAB_DIR/configd.log" && lab_fail "followed the files with sipr.config.watch off"
cfg_expect_eq account.1.label "Device 1"
lab_siprctl reload || lab_fail "reload"
cfg_expect_eq account.1.label "Device 2"

# On (set at run time): a rename into place, then an in-place write, each applied by itself.
lab_siprctl set sipr.config.watch=1 >/dev/null || lab_fail "set watch"
lab_wait_for 20 "following the config dir" grep -q "Following $CFG_ETC" "$LAB_DIR/configd.log" || lab_fail "not following"
gen=$(cfg_prop Generation)
publish "$D" '#!version:1.0.0.1' 'account.1.label = Device 3'
lab_wait_for 30 "the renamed device file applied" bash -c \
        "[[ \$(busctl --system --json=short call org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 Get s account.1.label | jq -r '.data[0]') == 'Device 3' ]]" ||
        lab_fail "a device file renamed into place was not applied: $(tail -3 "$LAB_DIR/configd.log")"
(($(cfg_prop Generation) > gen)) || lab_fail "Generation did not move"
printf '#!version:1.0.0.1\naccount.1.label = Common 2\naccount.1.enable = 1\n' >"$C"
lab_wait_for 30 "the rewritten common file applied" bash -c \
        "[[ \$(busctl --system --json=short call org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 Get s account.1.enable | jq -r '.data[0]') == 1 ]] && grep -c 'changed: reloading' '$LAB_DIR/configd.log' | grep -qx '[2-9]'" ||
        lab_fail "a common file written in place was not reloaded: $(tail -3 "$LAB_DIR/configd.log")"

# A broken file: refused as by SIGHUP, the configuration stays, configd keeps following.
gen=$(cfg_prop Generation)
publish "$D" '#!version:1.0.0.1' 'account.1.label = Broken' 'account.1.sip_server.1.expires = 10'
lab_wait_for 30 "the broken file refused" grep -q "Reload refused, the running configuration stays: $D:3: account.1.sip_server.1.expires" \
        "$LAB_DIR/configd.log" || lab_fail "no refusal logged: $(tail -3 "$LAB_DIR/configd.log")"
cfg_expect_eq account.1.label "Device 3"
lab_assert_eq "$gen" "$(cfg_prop Generation)" "Generation after a broken file"
publish "$D" '#!version:1.0.0.1' 'account.1.label = Fixed'
lab_wait_for 30 "the fixed file applied" bash -c \
        "[[ \$(busctl --system --json=short call org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 Get s account.1.label | jq -r '.data[0]') == Fixed ]]" ||
        lab_fail "the fixed file was not applied"

# Off again: no longer followed.
lab_siprctl set sipr.config.watch=0 >/dev/null || lab_fail "set watch 0"
lab_wait_for 20 "no longer following" grep -q "No longer following" "$LAB_DIR/configd.log" || lab_fail "still following"
n=$(grep -c "changed: reloading" "$LAB_DIR/configd.log")
publish "$D" '#!version:1.0.0.1' 'account.1.label = Unfollowed'
lab_wait_for 3 "a reload that must not come (timing out is the pass)" bash -c "(( \$(grep -c 'changed: reloading' '$LAB_DIR/configd.log') > $n ))" &&
        lab_fail "followed the files after sipr.config.watch = 0"
cfg_expect_eq account.1.label Fixed
echo ok
