#!/usr/bin/env bash
# The typed config client against a live configd: first sync (with the real password via
# GetSecret), a Set seen as a change, and a configd restart seen as a full re-sync.
source "$(dirname "$0")/configd-lib.sh"
cfg_setup
cfg_install_files
cfg_start
probe=$SIPR_BUILD_ROOT/tests/configd/config-client-probe
out=$LAB_DIR/probe.out
lab_spawn probe "$out" "$probe" account.1.sip_server.1.address sipr.health.method >/dev/null

lab_wait_for 20 "first sync" grep -q "^sync first=1" "$out" || lab_fail "no first sync: $(cat "$out")"
line=$(grep "^sync first=1" "$out")
[[ "$line" == *"a1.server1=reg1.lab.test "* ]] || lab_fail "server 1: $line"
[[ "$line" == *"a1.password=secret1001 "* ]] || lab_fail "the client must get the real password: $line"
[[ "$line" == *"a1.auth=1001 "* ]] || lab_fail "auth_name defaults to user_name: $line"
[[ "$line" == *"a1.failback_timeout=3600 "* ]] || lab_fail "failback_timeout: $line"
[[ "$line" == *"t1_usec=500000 "* ]] || lab_fail "timer T1 0.5 s: $line"
[[ "$line" == *"accounts=2 "* ]] || lab_fail "two accounts: $line"

cfg_call Set 'a{ss}' 2 account.1.sip_server.1.address 127.0.0.9 account.1.sip_server.1.port 5080 >/dev/null
lab_wait_for 20 "sync after Set" grep -q "a1.server1=127.0.0.9 a1.port1=5080" "$out" || lab_fail "Set not seen: $(cat "$out")"
line=$(grep "a1.server1=127.0.0.9" "$out" | head -1)
[[ "$line" == *"first=0"*"changed=2 "* ]] || lab_fail "exactly the two changed keys: $line"
[[ "$line" == *"changed:account.1.sip_server.1.address"* ]] || lab_fail "changed key listed: $line"

n_before=$(grep -c '^sync' "$out")
lab_service_stop configd
cfg_start
lab_wait_for 20 "re-sync after configd restart" test "$(grep -c '^sync' "$out")" -gt "$n_before" ||
        lab_fail "no re-sync after restart: $(cat "$out")"
line=$(tail -1 "$out")
[[ "$line" == *"a1.server1=127.0.0.9"* ]] || lab_fail "re-sync must carry the local override: $line"
# A re-sync after configd returns reports every key (the callback cannot know what it missed).
changed=$(sed -n 's/.* changed=\([0-9]*\) .*/\1/p' <<<"$line")
((changed > 50)) || lab_fail "re-sync should report all keys as changed: $line"
echo "PASS"
