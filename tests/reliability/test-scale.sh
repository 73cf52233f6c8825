#!/usr/bin/env bash
# Scale: the most accounts the build allows (CONFIG.md: account.X for X in 1…256; CI also runs it
# in a build with -Daccounts_max=1000, as the issue asks), each on 4 servers in concurrent mode =
# 4 registrations per account on 4 Kamailio registrars. All must register
# (bounded wait), every registrar must hold exactly one contact per user, the daemons must keep
# answering (siprctl status of all accounts, Get, GetManagedObjects), and after a Reregister of
# everything the heap in use and open fds of every daemon must be where they were (no growth
# per registration cycle). Figures are printed for docs/reliability.md.
N=${SCALE_ACCOUNTS:-${SIPR_ACCOUNTS_MAX:-256}}
LAB_USERS=""
for ((u = 1001; u < 1001 + N; u++)); do LAB_USERS+="$u:secret$u "; done
LAB_USERS=${LAB_USERS% }
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../regd/regd-lib.sh
source "$here/../regd/regd-lib.sh"
[[ -x "$SIPR_BUILD_ROOT/services/regd/sipr-regd" ]] || { echo "SKIP: services/regd/sipr-regd is not built"; exit 77; }
regd_setup
for k in 1 2 3 4; do lab_registrar_start "$k"; done
for ((x = 1; x <= N; x++)); do
        u=$((1000 + x))
        # No keep-alives: spread over their period (test-keepalive), thousands of flows keep a
        # few OPTIONS transactions alive at every instant, and the heap is read with none alive.
        regd_cfg "account.$x.enable = 1" "account.$x.user_name = $u" "account.$x.password = secret$u" \
                "account.$x.nat.udp_update_enable = 0"
        for k in 1 2 3 4; do regd_cfg "account.$x.sip_server.$k.address = $(lab_registrar_addr $k)"; done
done
t0=$SECONDS
regd_start_configd
regd_start_healthd
regd_start

registered() { # → number of accounts registered
        lab_siprctl --json status 2>/dev/null | jq '[.[] | select(.state == "registered")] | length'
}
all_registered() { [[ "$(registered)" == "$N" ]]; }
regd_wait 600 "$N accounts registered" all_registered
echo "$N accounts × 4 servers registered $((SECONDS - t0)) s after start"

# NAME → its SIGUSR1 state line (RSS, heap in use, fds and its counters, all at one instant).
# regd's is taken when it has no SIP transaction alive: each holds about 4 kB until Timer K, and
# heap in use (malloc'd and not freed: fragmentation and trimming do not move it) is judged below.
state() {
        local line i
        for ((i = 0; i < 30; i++)); do
                line=$(lab_service_state "$1") || return 1
                [[ "$1" != regd || "$line" == *" client_transactions=0 "* ]] && break
                sleep 1
        done
        echo "$line"
}
field() { sed -E "s/.* $1=([0-9]+).*/\1/" <<<"$2"; } # KEY LINE
sample() {
        local s line r h f
        for s in configd regd healthd; do
                line=$(state $s) || lab_fail "$s gave no state line"
                r=$(field rss_kb "$line") h=$(field heap_kb "$line") f=$(field fds "$line")
                printf '%-16s %-8s rss=%6s kB heap=%6s kB fds=%4s\n' "$1" "$s" "$r" "$h" "$f"
                eval "RSS_$s=$r HEAP_$s=$h FDS_$s=$f"
        done
}
sample "registered"

# Every registrar: one contact per user (a stale duplicate would be a second contact; with as
# many users as contacts as accounts, each user has exactly one).
# An account is "registered" once its working server binds; in concurrent mode the other three
# REGISTERs may still be on their way (paced, 32 in flight per registrar), so wait for them.
for k in 1 2 3 4; do
        counts_are() { [[ "$(lab_registrar_counts "$1")" == "$N $N" ]]; }
        lab_wait_for 120 "registrar $k holding $N users with $N contacts" counts_are "$k" ||
                lab_fail "users and contacts on registrar $k: expected '$N $N', got '$(lab_registrar_counts "$k")'"
done
# And by name, for a sample spread over the whole range.
for ((x = 1; x <= N; x += N / 16 + 1)); do
        c=$(lab_binding_count 1 $((1000 + x)) 2>/dev/null || echo "?")
        [[ "$c" == 1 ]] || lab_fail "registrar 1 holds $c contacts of $((1000 + x))"
done

# Still answering, with everything loaded.
lab_wait_for 30 "configd answers" busctl --system call org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 Get s "account.$N.user_name" ||
        lab_fail "configd does not answer"
n=$(busctl --system --json=short call org.sipr.Registration1 /org/sipr/Registration1 org.freedesktop.DBus.ObjectManager GetManagedObjects |
        jq '.data[0] | keys | map(select(startswith("/org/sipr/Registration1/account/"))) | length')
lab_assert_eq "$N" "$n" "accounts in GetManagedObjects"

# Re-registration cycles must not leave memory or fds behind, judged between the end of the
# first and of the second cycle: a leak shows as growth in the second.
burst_over() {
        local line
        line=$(lab_service_state regd) || return 1
        [[ "$line" == *" unregisters_pending=0 registers_held=0 "* && "$line" == *" registers_in_flight=0 registers_waiting=0 "* ]]
}
cycle() {
        local t1=$SECONDS
        regd_reregister
        sleep 2
        regd_wait 600 "$N accounts registered again" all_registered
        echo "Reregister of $N × 4: all registered again after $((SECONDS - t1)) s"
        # "registered" needs only the working server: REGISTERs to the other three may still wait
        # for their removal (RFC 3261 10.2) or a slot. The heap is trimmed 10 s after the last.
        regd_wait 120 "every REGISTER of the cycle answered" burst_over
        sleep 12 # Timer K (T4 = 5 s) ends the transactions, then regd trims its heap (10 s)
        sample "after Reregister $1"
}
cycle 1
for s in configd regd healthd; do eval "H0_$s=\$HEAP_$s F0_$s=\$FDS_$s"; done
cycle 2
# Judged on the heap in use, not RSS: at 1000 accounts regd's RSS after a settled cycle moves by
# ±5 MB from one cycle to the next with heap fragmentation (88-99 MB over 5 cycles, no trend),
# while what malloc holds, with no transaction alive, comes back to within kilobytes. A leak of
# 100 bytes per REGISTER would be 800 kB per cycle of 1000 × 4.
for s in configd regd healthd; do
        a=$(eval echo "\$H0_$s") b=$(eval echo "\$HEAP_$s") fa=$(eval echo "\$F0_$s") fb=$(eval echo "\$FDS_$s")
        [[ "${SIPR_SANITIZE:-none}" != none ]] || ((b - a <= 512)) || lab_fail "$s heap in use grew from $a to $b kB over one re-registration cycle"
        ((fb <= fa + 4)) || lab_fail "$s fds grew from $fa to $fb over one re-registration cycle"
done
# Budget: once a cycle has settled regd holds at most 8 MB plus 128 KB per account (about
# 90-100 KB measured; without the heap trim after a burst it kept the burst's peak, 184 MB for 1000).
budget=$((8192 + 128 * N))
[[ "${SIPR_SANITIZE:-none}" != none ]] || ((RSS_regd <= budget)) ||
        lab_fail "regd holds $RSS_regd kB for $N accounts after a settled cycle (budget $budget kB)"
echo "regd: $(lab_service_state regd)"
echo PASS
