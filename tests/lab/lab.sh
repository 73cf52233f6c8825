#!/usr/bin/env bash
# sipr test lab: real servers started and stopped by the test itself, by PID, on loopback only.
#
#   source tests/lab/lab.sh
#   lab_init                      # private temp dir + a unique loopback /24 (LAB_NET), cleanup on EXIT
#   lab_dbus_start                # private system bus with sipr's policy; exports DBUS_SYSTEM_BUS_ADDRESS
#   lab_service_start configd --config-dir=… # a built sipr daemon on that bus; waits for its bus name
#   lab_wait_for 20 "description" cmd args…  # polls cmd until it succeeds or the deadline passes
#   lab_registrar_start 1         # Kamailio at $(lab_registrar_addr 1):5060; kill/freeze/thaw/restart/mode
#   lab_bindings 1 1001           # observer: "<contact> <call-id> <expires>" per binding
#   lab_dns_start                 # dnsmasq for lab.test at $(lab_dns_addr)
#   lab_sipp_start NAME 503 3     # a misbehaving sipp server at registrar 3's address
# Everything is described in tests/lab/README.md.
#
# Every process the lab starts is recorded in $LAB_DIR/pids and killed (whole process group) by
# lab_cleanup, which runs on exit. Each lab takes its own 127.77.N.0/24 so tests run in parallel.

LAB_SRC=${SIPR_LAB:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
SIPR_SOURCE_ROOT=${SIPR_SOURCE_ROOT:-$(cd "$LAB_SRC/../.." && pwd)}
SIPR_BUILD_ROOT=${SIPR_BUILD_ROOT:-$SIPR_SOURCE_ROOT/build}
LAB_SLOTS=${LAB_SLOTS:-/tmp/sipr-lab-slots}

lab_log() { echo "lab: $*" >&2; }
# In a script a fatal error ends it (and the EXIT trap cleans up). Sourced into an interactive
# shell, exiting would close the terminal: abort the command back to the prompt instead.
_lab_abort() {
        if [[ $- == *i* ]]; then
                kill -INT $$
                return 1
        fi
        exit 1
}
lab_die() {
        echo "lab: FATAL: $*" >&2
        _lab_abort
}

# Take the first free slot 1..250; a slot whose owner PID is gone is stale and reused, unless
# something still listens on its addresses (servers leaked by a killed test). A lock file keeps
# two labs from reclaiming the same stale slot at once.
_lab_slot_busy() { ss -Hltun "src 127.77.$1.0/24" 2>/dev/null | grep -q .; }

_lab_take_slot() {
        local s owner lock rc=1
        mkdir -p "$LAB_SLOTS"
        exec {lock}>>"$LAB_SLOTS/.lock"
        flock -w 30 "$lock" || lab_log "slot lock busy for 30 s; going on without it"
        for ((s = 1; s <= 250; s++)); do
                if [[ -d "$LAB_SLOTS/$s" ]]; then
                        owner=$(cat "$LAB_SLOTS/$s/pid" 2>/dev/null || true)
                        [[ -n "$owner" ]] && kill -0 "$owner" 2>/dev/null && continue
                        # Owner gone, or it has not written its PID yet (then it is mid-take:
                        # impossible under the lock, so the dir is stale).
                        rm -rf "${LAB_SLOTS:?}/$s"
                fi
                _lab_slot_busy "$s" && continue
                if mkdir "$LAB_SLOTS/$s" 2>/dev/null; then
                        echo $$ >"$LAB_SLOTS/$s/pid"
                        LAB_SLOT=$s
                        rc=0
                        break
                fi
        done
        exec {lock}>&-
        ((rc == 0)) || lab_die "no free lab slot in $LAB_SLOTS"
}

lab_init() {
        [[ -n "${LAB_DIR:-}" ]] && return 0
        LAB_DIR=$(mktemp -d /tmp/sipr-lab.XXXXXX)
        _lab_take_slot
        LAB_NET=127.77.$LAB_SLOT
        : >"$LAB_DIR/pids"
        export LAB_DIR LAB_NET LAB_SLOT
        trap lab_cleanup EXIT
        # Ctrl-C / SIGTERM end a test script (cleaning up); an interactive shell keeps its own.
        [[ $- == *i* ]] || trap 'exit 130' INT TERM
        lab_log "dir $LAB_DIR, network $LAB_NET.0/24"
}

# lab_spawn NAME LOGFILE cmd args… — starts cmd in its own process group, records NAME PID.
lab_spawn() {
        local name=$1 log=$2
        shift 2
        # With job control (an interactive shell) a background job leads its own group, so setsid
        # would fork and $! would not be the server; keep job control off while spawning.
        local had_m=0
        [[ $- == *m* ]] && had_m=1 && set +m
        setsid "$@" >>"$log" 2>&1 </dev/null &
        local pid=$!
        ((had_m)) && set -m
        # Lab processes are ours to kill; keep the shell from reporting "Killed"/"Done" for them.
        disown "$pid" 2>/dev/null || true
        echo "$name $pid" >>"$LAB_DIR/pids"
        eval "LAB_PID_${name//[^A-Za-z0-9_]/_}=$pid"
        echo "$pid"
}

lab_pid() { # NAME → PID of the newest process of that name
        awk -v n="$1" '$1 == n { p = $2 } END { if (p) print p }' "$LAB_DIR/pids"
}

# lab_signal NAME SIG — signals the whole process group (Kamailio forks workers).
lab_signal() {
        local pid
        pid=$(lab_pid "$1")
        [[ -n "$pid" ]] || lab_die "no process named $1"
        kill -s "$2" -- "-$pid" 2>/dev/null || kill -s "$2" "$pid" 2>/dev/null || true
}

lab_stop_process() { # NAME — SIGTERM, then SIGKILL after 5 s; waits until the group is gone
        local pid i tries=50
        pid=$(lab_pid "$1")
        [[ -n "$pid" ]] || return 0
        kill -CONT -- "-$pid" 2>/dev/null || true
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        # Under a wrapper (valgrind) exiting takes longer, and a SIGKILL would skip the leak check.
        [[ -n "${SIPR_WRAPPER:-}" ]] && tries=300
        for ((i = 0; i < tries; i++)); do
                kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null || return 0
                sleep 0.1
        done
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        sleep 0.1
}

lab_cleanup() {
        local name pid rc=0
        [[ -n "${LAB_DIR:-}" && -f "$LAB_DIR/pids" ]] || return 0
        # Newest first, so clients stop before the servers they talk to.
        tac "$LAB_DIR/pids" | while read -r name pid; do
                kill -CONT -- "-$pid" 2>/dev/null || true
                kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        done
        sleep 0.3
        [[ -n "${SIPR_WRAPPER:-}" ]] && _lab_wait_all_gone 300
        tac "$LAB_DIR/pids" | while read -r name pid; do
                kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        done
        _lab_wrapper_check || rc=1
        if [[ -n "${LAB_KEEP:-}" || "${LAB_FAILED:-0}" != 0 ]]; then
                lab_log "kept $LAB_DIR"
        else
                rm -rf "$LAB_DIR"
        fi
        [[ -n "${LAB_SLOT:-}" ]] && rm -rf "${LAB_SLOTS:?}/$LAB_SLOT"
        LAB_DIR=
        # A daemon that failed under the wrapper fails the test even if every check passed.
        ((rc == 0)) || exit 99
}

_lab_wait_all_gone() { # TENTHS — until no recorded process group is alive, or the deadline
        local i name pid alive
        for ((i = 0; i < $1; i++)); do
                alive=0
                while read -r name pid; do
                        kill -0 -- "-$pid" 2>/dev/null && alive=1 && break
                done <"$LAB_DIR/pids"
                ((alive)) || return 0
                sleep 0.1
        done
}

# A wrapper may append "PROGRAM EXIT-STATUS" lines to $LAB_DIR/wrapper-exit; 99 is memcheck's
# error exit code. tests/reliability/valgrind-wrap.sh execs valgrind (same PID, so tests that
# signal the daemon still reach it) with its report in $LAB_DIR/valgrind-PROGRAM-PID.log, whose
# "ERROR SUMMARY: N errors" (errors and definite leaks) is what exit status 99 stands for.
_lab_wrapper_check() {
        local f
        if ! grep -qs ' 99$' "$LAB_DIR/wrapper-exit" && ! grep -qs 'ERROR SUMMARY: [1-9]' "$LAB_DIR"/valgrind-*.log; then
                return 0
        fi
        LAB_FAILED=1
        echo "FAIL: a daemon exited with status 99 under SIPR_WRAPPER (memcheck errors or leaks): $(grep -s ' 99$' "$LAB_DIR/wrapper-exit" | tr '\n' ' ')$(grep -ls 'ERROR SUMMARY: [1-9]' "$LAB_DIR"/valgrind-*.log | tr '\n' ' ')" >&2
        for f in "$LAB_DIR"/valgrind-*.log; do
                [[ -f "$f" ]] && grep -q 'ERROR SUMMARY: [1-9]' "$f" && { echo "== $f" >&2; head -150 "$f" >&2; }
        done
        return 1
}

# lab_wait_for SECONDS DESCRIPTION cmd args… — polls every 0.1 s; fails loudly at the deadline.
lab_wait_for() {
        local secs=$1 what=$2
        shift 2
        local deadline=$((SECONDS + secs))
        while ! "$@" >/dev/null 2>&1; do
                if ((SECONDS >= deadline)); then
                        lab_log "timed out after ${secs}s waiting for: $what"
                        return 1
                fi
                sleep 0.1
        done
}

lab_dbus_start() {
        local sock=$LAB_DIR/system_bus_socket
        sed -e "s|@SOCKET@|$sock|" -e "s|@POLICYDIR@|$SIPR_SOURCE_ROOT/dbus/system.d|" \
                "$LAB_SRC/dbus-lab.conf.in" >"$LAB_DIR/dbus.conf"
        lab_spawn dbus "$LAB_DIR/dbus.log" dbus-daemon --nofork --nopidfile --config-file="$LAB_DIR/dbus.conf" >/dev/null
        lab_wait_for 10 "private dbus-daemon socket" test -S "$sock" || lab_die "dbus-daemon did not start: $(cat "$LAB_DIR/dbus.log")"
        export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$sock
        # Some tools look at the session bus; point it at the same private bus.
        export DBUS_SESSION_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS
}

# lab_has_name BUSNAME — true when the name has an owner on the lab bus.
lab_has_name() {
        busctl --system --no-pager status "$1" >/dev/null 2>&1
}

_lab_service_busname() {
        case $1 in
        configd) echo org.sipr.Config1 ;;
        resolverd) echo org.sipr.Resolver1 ;;
        healthd) echo org.sipr.Health1 ;;
        regd) echo org.sipr.Registration1 ;;
        *) lab_die "unknown service $1" ;;
        esac
}

# lab_service_start NAME [args…] — starts build/services/NAME/sipr-NAME on the lab bus (log in
# $LAB_DIR/NAME.log, debug level) and waits until it owns its bus name. SIPR_WRAPPER (e.g.
# "valgrind --error-exitcode=99") is put in front of the binary when set.
lab_service_start() {
        local name=$1
        shift
        local bin=$SIPR_BUILD_ROOT/services/$name/sipr-$name
        [[ -x "$bin" ]] || lab_die "not built: $bin"
        # shellcheck disable=SC2086
        lab_spawn "$name" "$LAB_DIR/$name.log" ${SIPR_WRAPPER:-} "$bin" --log-level=debug "$@" >/dev/null
        lab_wait_for 30 "sipr-$name on the bus" lab_has_name "$(_lab_service_busname "$name")" ||
                lab_die "sipr-$name did not take its bus name; log: $(tail -20 "$LAB_DIR/$name.log")"
}

lab_service_stop() { lab_stop_process "$1"; }

# lab_service_state NAME [KEY] — asks sipr-NAME for its SIGUSR1 state line ("State dump N:
# timers=… fds=… rss_kb=… …") and prints it, or only KEY's value. Waits for the new line.
lab_service_state() {
        local name=$1 key=${2:-} log=$LAB_DIR/$1.log pid before line i
        pid=$(lab_pid "$name")
        [[ -n "$pid" ]] || lab_die "no process named $name"
        before=$(grep -c "State dump " "$log" || true)
        kill -USR1 "$pid" 2>/dev/null || return 1
        for ((i = 0; i < 200; i++)); do
                (($(grep -c "State dump " "$log" || true) > before)) && break
                sleep 0.05
        done
        line=$(grep "State dump " "$log" | tail -1)
        (($(grep -c "State dump " "$log" || true) > before)) || return 1
        if [[ -n "$key" ]]; then
                sed -E "s/.* $key=([^ ]*).*/\1/; t; s/.*//" <<<"$line"
        else
                echo "${line#*State dump }"
        fi
}

lab_siprctl() { "$SIPR_BUILD_ROOT/tools/siprctl/siprctl" "$@"; }

# Test helpers: a failed check prints what was expected and keeps the lab dir for a post-mortem.
lab_fail() {
        LAB_FAILED=1
        echo "FAIL: $*" >&2
        _lab_abort
}
lab_assert_eq() { # EXPECTED ACTUAL MESSAGE
        [[ "$1" == "$2" ]] || lab_fail "$3: expected '$1', got '$2'"
}

# ---------------------------------------------------------------------------------------------
# Kamailio registrars 1..9 at $LAB_NET.(N+1):5060 (UDP and TCP), realm lab.test, in-memory usrloc.

# Users as "user:password …" (a string or an array); default 1001:secret1001 … 1016:secret1016.
if [[ -z "${LAB_USERS+x}" ]]; then
        LAB_USERS=""
        for ((_lab_u = 1001; _lab_u <= 1016; _lab_u++)); do
                LAB_USERS+="$_lab_u:secret$_lab_u "
        done
        LAB_USERS=${LAB_USERS% }
        unset _lab_u
fi

lab_registrar_addr() { # N → IPv4 address of registrar N
        [[ "$1" =~ ^[1-9]$ ]] || lab_die "registrar number must be 1..9, got '$1'"
        echo "$LAB_NET.$(($1 + 1))"
}

_lab_registrar_dir() { echo "$LAB_DIR/registrar$1"; }
_lab_running() { # NAME — true while the newest process of that name (its group) is alive
        local pid
        pid=$(lab_pid "$1")
        [[ -n "$pid" ]] && _lab_group_alive "$pid"
}
lab_registrar_ctl() { echo "$(_lab_registrar_dir "$1")/ctl.sock"; } # N → kamcmd socket

# _lab_users_cfg — the htable init lines for kamailio.cfg, from $LAB_USERS.
_lab_users_cfg() {
        local entry user pass
        # shellcheck disable=SC2068
        for entry in ${LAB_USERS[@]}; do
                user=${entry%%:*}
                pass=${entry#*:}
                [[ "$user" =~ ^[A-Za-z0-9._+-]+$ && "$entry" == *:* ]] || lab_die "bad LAB_USERS entry '$entry' (want user:password)"
                [[ "$pass" != *'"'* && "$pass" != *'\'* ]] || lab_die "password of $user contains a quote or backslash"
                printf '        $sht(users=>%s) = "%s";\n' "$user" "$pass"
        done
}

# _lab_sip_probe ADDR PORT udp|tcp [TIMEOUT [METHOD [HEADER]]] — see sip-probe.py.
# Exit: 0 answered, 1 no answer within TIMEOUT, 2 refused (ICMP port unreachable / RST).
_lab_sip_probe() {
        python3 "$LAB_SRC/sip-probe.py" "$@"
}
lab_sip_options() { # ADDR udp|tcp [TIMEOUT] — prints the status code of an OPTIONS answer
        _lab_sip_probe "$1" 5060 "$2" "${3:-2}"
}

# lab_registrar_start N — starts registrar N and waits until it answers OPTIONS on UDP and TCP
# and its control socket answers. Read at start: LAB_USERS, LAB_REGISTRAR_MIN_EXPIRES (10),
# LAB_REGISTRAR_MAX_EXPIRES (3600: longer requests are granted this), LAB_REGISTRAR_423 (0: a
# too short expiry is raised to the minimum; 1: 423 Interval Too Brief), LAB_REGISTRAR_STALE,
# LAB_REGISTRAR_CHILDREN (2 UDP workers).
lab_registrar_start() {
        local n=$1 addr dir cfg
        addr=$(lab_registrar_addr "$n")
        dir=$(_lab_registrar_dir "$n")
        _lab_running "registrar$n" && lab_die "registrar $n is already running (kill or stop it first)"
        mkdir -p "$dir"
        rm -f "$dir/ctl.sock" "$dir/kamailio.pid"
        cfg=$dir/kamailio.cfg
        # The user lines are the only multi-line substitution; do it with awk to keep it literal.
        _lab_users_cfg >"$dir/users.cfg"
        # Stale nonces are challenged with stale=true (flag 16) unless LAB_REGISTRAR_STALE=0,
        # which mimics stock Kamailio configs (a plain 401, as for a wrong password).
        local stale=16
        [[ "${LAB_REGISTRAR_STALE:-1}" == 0 ]] && stale=0
        [[ -s "$dir/secret" ]] || od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$dir/secret"
        chmod 600 "$dir/secret"
        local min=${LAB_REGISTRAR_MIN_EXPIRES:-10} max=${LAB_REGISTRAR_MAX_EXPIRES:-3600}
        local min_mode=${LAB_REGISTRAR_423:-0} children=${LAB_REGISTRAR_CHILDREN:-2}
        [[ "$min" =~ ^[0-9]+$ && "$max" =~ ^[0-9]+$ && "$min_mode" =~ ^[01]$ ]] ||
                lab_die "LAB_REGISTRAR_MIN_EXPIRES/MAX_EXPIRES must be numbers, LAB_REGISTRAR_423 0 or 1"
        [[ "$children" =~ ^[1-9][0-9]?$ ]] || lab_die "LAB_REGISTRAR_CHILDREN must be 1…99 (UDP workers)"
        sed -e "s|@ADDR@|$addr|g" -e "s|@CTL@|$dir/ctl.sock|g" -e "s|@STALE_FLAGS@|$stale|g" \
                -e "s|@SECRET@|$(cat "$dir/secret")|g" -e "s|@MIN_EXPIRES@|$min|g" \
                -e "s|@MAX_EXPIRES@|$max|g" -e "s|@MIN_EXPIRES_MODE@|$min_mode|g" -e "s|@CHILDREN@|$children|g" \
                "$LAB_SRC/kamailio.cfg.in" |
                awk -v f="$dir/users.cfg" '/^@USERS@$/ { while ((getline l < f) > 0) print l; next } { print }' >"$cfg"
        chmod 600 "$cfg" "$dir/users.cfg"
        # Private (pkg) memory holds the parsed config, users included: 4 MiB, plus 1 MiB per
        # 128 users (1000 users do not fit in 4).
        local pkg_mb=$((4 + $(wc -l <"$dir/users.cfg") / 128))
        lab_spawn "registrar$n" "$LAB_DIR/registrar$n.log" \
                kamailio -f "$cfg" -P "$dir/kamailio.pid" -Y "$dir" -m 32 -M "$pkg_mb" -DD -E >/dev/null
        lab_wait_for 20 "registrar $n answering OPTIONS on $addr:5060 (UDP and TCP)" \
                _lab_registrar_ready "$n" ||
                lab_die "registrar $n did not start; log: $(tail -20 "$LAB_DIR/registrar$n.log")"
}

_lab_registrar_ready() {
        local addr
        addr=$(lab_registrar_addr "$1")
        _lab_sip_probe "$addr" 5060 udp 1 >/dev/null &&
                _lab_sip_probe "$addr" 5060 tcp 1 >/dev/null &&
                timeout 5 kamcmd -s "unix:$(lab_registrar_ctl "$1")" core.version >/dev/null 2>&1
}

# lab_registrar_kill N — SIGKILL to the whole process group: UDP to it then gets ICMP port
# unreachable and TCP connects get RST. Waits until every worker is gone.
lab_registrar_kill() {
        local pid i
        pid=$(lab_pid "registrar$1")
        [[ -n "$pid" ]] || lab_die "registrar $1 was never started"
        kill -KILL -- "-$pid" 2>/dev/null || true
        # Dead workers may stay zombies until someone reaps them; their sockets are closed already.
        for ((i = 0; i < 100; i++)); do
                _lab_group_alive "$pid" || break
                sleep 0.02
        done
        rm -f "$(lab_registrar_ctl "$1")"
}

_lab_group_alive() { # PGID — true while a process of that group is still running (not a zombie)
        ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'
}
lab_registrar_freeze() { lab_signal "registrar$1" STOP; } # SIGSTOP: packets are queued, never answered
lab_registrar_thaw() { lab_signal "registrar$1" CONT; }   # SIGCONT: answers again (queued requests too)

# lab_registrar_mode N MODE — a fault injected into a running registrar (it keeps its bindings
# and its control socket, so the observer still works):
#   normal           answer as usual
#   drop             receive every request, answer none (like SIGSTOP, but the observer answers)
#   drop-register    answer OPTIONS, drop REGISTER (health probes see it up; registrations time out)
#   drop-from:USER   drop every request from USER, answer everyone else (alive, but loses some)
#   CODE[:S]         answer every request (OPTIONS too) with CODE (e.g. 503), Retry-After: S if given
#   CODE-register[:S]  answer REGISTER with CODE, OPTIONS as usual
#   slow-remove:MS   hold each authenticated removal (Expires: 0) MS ms before applying it
lab_registrar_mode() {
        local n=$1 mode=$2 out
        [[ "$mode" =~ ^(normal|drop|drop-register|drop-from:[A-Za-z0-9._+-]+|slow-remove:[0-9]+|[3-6][0-9][0-9](-register)?(:[0-9]+)?)$ ]] ||
                lab_die "lab_registrar_mode: bad mode '$mode' (normal, drop, drop-register, drop-from:USER, slow-remove:MS, CODE[-register][:RETRY-AFTER])"
        if [[ "$mode" == normal ]]; then
                out=$(timeout 5 kamcmd -s "unix:$(lab_registrar_ctl "$n")" htable.delete ctl mode 2>&1)
        else
                out=$(timeout 5 kamcmd -s "unix:$(lab_registrar_ctl "$n")" htable.sets ctl mode "s:$mode" 2>&1)
        fi
        [[ $? == 0 && ( "$out" != error* || "$out" == *"Key not found"* ) ]] || {
                lab_log "registrar $n: cannot set mode $mode: $out"
                return 1
        }
}

# lab_registrar_callee N URI — where registrar N sends new requests (calls) from its users for
# numbers not registered with it: the far side, typically a sipp UAS (lab_uas_start). "" = none
# (404).
lab_registrar_callee() {
        local out
        out=$(timeout 5 kamcmd -s "unix:$(lab_registrar_ctl "$1")" htable.sets ctl callee "s:$2" 2>&1) || {
                lab_log "registrar $1: cannot set the callee $2: $out"
                return 1
        }
}

# lab_registrar_stop N — orderly shutdown (SIGTERM to the group).
lab_registrar_stop() {
        lab_stop_process "registrar$1"
        rm -f "$(lab_registrar_ctl "$1")"
}

# lab_registrar_restart N — kill and start again: every binding is gone (usrloc is in memory).
lab_registrar_restart() {
        lab_registrar_kill "$1"
        lab_registrar_start "$1"
}

# ---------------------------------------------------------------------------------------------
# Observer: what registrar N has bound, read over its control socket (never through SIP).

# lab_bindings N USER — one line per contact: "<contact-uri> <call-id> <expires-s>". Empty when
# nothing is bound. Fails (non-zero, message on stderr) when the registrar does not answer within
# 5 s: killed, frozen or not started.
lab_bindings() {
        local n=$1 user=$2 out rc
        out=$(timeout 5 kamcmd -s "unix:$(lab_registrar_ctl "$n")" ul.lookup location "s:$user" 2>&1)
        rc=$?
        if ((rc != 0)); then
                lab_log "registrar $n did not answer the binding lookup (rc $rc): $out"
                return 1
        fi
        case $out in
        *"AOR not found"*) return 0 ;;
        error:*)
                lab_log "registrar $n: binding lookup for $user failed: $out"
                return 1
                ;;
        esac
        awk '
                $1 == "Address:" { uri = $2 }
                $1 == "Expires:" { ex = $2 }
                $1 == "Call-ID:" { cid = $2 }
                $1 == "Contact:" && $2 == "{" { uri = ""; ex = ""; cid = "" }
                $1 == "}" && uri != "" { print uri, cid, ex; uri = "" }
        ' <<<"$out"
}

# lab_bindings_full N USER — every field Kamailio keeps per contact, one contact a line, as
# tab-separated KEY=VALUE (Address, Expires, Q, Call-ID, CSeq, User-Agent, Received, Path, State,
# Flags, CFlags, Socket, Methods, Ruid, Instance, Reg-Id, …); "[not set]" for absent values.
lab_bindings_full() {
        local out
        out=$(timeout 5 kamcmd -s "unix:$(lab_registrar_ctl "$1")" ul.lookup location "s:$2" 2>&1) || {
                lab_log "registrar $1 did not answer the binding lookup: $out"
                return 1
        }
        case $out in
        *"AOR not found"*) return 0 ;;
        error:*)
                lab_log "registrar $1: binding lookup for $2 failed: $out"
                return 1
                ;;
        esac
        awk '
                $1 == "Contact:" && $2 == "{" { line = ""; inc = 1; next }
                inc && $1 == "}" { print line; inc = 0; next }
                inc {
                        key = $1; sub(/:$/, "", key)
                        val = $0; sub(/^[ \t]*[^:]+:[ \t]*/, "", val)
                        line = line (line == "" ? "" : "\t") key "=" val
                }
        ' <<<"$out"
}

lab_binding_count() { # N USER → number of contacts bound
        local out
        out=$(lab_bindings "$1" "$2") || return 1
        if [[ -z "$out" ]]; then echo 0; else wc -l <<<"$out" | tr -d ' '; fi
}

# lab_has_binding N USER [CALL-ID] — true when USER has a binding (with that Call-ID) on N.
# lab_registrar_counts N — "USERS CONTACTS" registrar N holds (usrloc statistics): with USERS
# = CONTACTS = the number of accounts, every user has exactly one contact. One call for any
# number of users (a dump of 1000 AORs is too big for kamcmd).
lab_registrar_counts() {
        local out
        out=$(timeout 5 kamcmd -s "unix:$(lab_registrar_ctl "$1")" stats.get_statistics usrloc: 2>&1) || {
                lab_log "registrar $1 did not answer: $out"
                return 1
        }
        awk '$1 == "usrloc:location_users" { u = $3 } $1 == "usrloc:location_contacts" { c = $3 }
             END { if (u == "" || c == "") exit 1; print u, c }' <<<"$out"
}

# lab_registrar_requests N METHOD — how many METHOD requests (lower case: options, register…)
# registrar N has received since it started, retransmissions included (Kamailio's core
# statistics; the readiness check of lab_registrar_start sent 2 OPTIONS).
lab_registrar_requests() {
        timeout 5 kamcmd -s "unix:$(lab_registrar_ctl "$1")" stats.get_statistics core: 2>/dev/null |
                awk -v k="core:rcv_requests_$2" '$1 == k { print $3; f = 1 } END { exit !f }'
}

lab_has_binding() {
        local out
        out=$(lab_bindings "$1" "$2") || return 1
        if [[ -n "${3:-}" ]]; then
                awk -v c="$3" '$2 == c { f = 1 } END { exit !f }' <<<"$out"
        else
                [[ -n "$out" ]]
        fi
}
lab_has_no_binding() { # N USER — true when the registrar answers and USER has nothing bound
        local out
        out=$(lab_bindings "$1" "$2") || return 1
        [[ -z "$out" ]]
}

lab_user_password() { # USER → its password from $LAB_USERS
        local entry
        # shellcheck disable=SC2068
        for entry in ${LAB_USERS[@]}; do
                [[ "${entry%%:*}" == "$1" ]] && {
                        echo "${entry#*:}"
                        return 0
                }
        done
        lab_log "no user $1 in LAB_USERS"
        return 1
}

# lab_register N USER [EXPIRES [CALL-ID [udp|tcp]]] — one REGISTER with digest auth from a sipp
# UAC at $LAB_NET.200 (LAB_UAC_ADDR) to registrar N. True when the registrar answered 200.
# Expires 0 removes the binding. Log in $LAB_DIR/uac.log, messages in $LAB_DIR/uac-CALLID.msg.
lab_register() {
        local n=$1 user=$2 expires=${3:-60} callid=${4:-lab-$2-$RANDOM$RANDOM} transport=${5:-udp}
        local pass t=u1
        pass=$(lab_user_password "$user") || return 1
        [[ "$transport" == tcp ]] && t=t1
        # A refresh or removal reuses the Call-ID, so its CSeq must grow (else it is ignored).
        local cfile=$LAB_DIR/cseq.${callid//[^A-Za-z0-9._-]/_} cseq=1
        [[ -f "$cfile" ]] && cseq=$(($(cat "$cfile") + 2))
        echo "$cseq" >"$cfile"
        echo "== register $user at registrar $n ($transport, expires $expires, call-id $callid)" >>"$LAB_DIR/uac.log"
        timeout 20 sipp -sf "$LAB_SRC/sipp/uac-register.xml" -t "$t" -i "${LAB_UAC_ADDR:-$LAB_NET.200}" \
                -s "$user" -au "$user" -ap "$pass" -key expires "$expires" -key cseq "$cseq" -key cseq2 "$((cseq + 1))" -cid_str "$callid" \
                -m 1 -nostdin -recv_timeout 5s -timeout 15s -timeout_error \
                -trace_msg -message_file "$LAB_DIR/uac-${callid//[^A-Za-z0-9._-]/_}.msg" \
                "$(lab_registrar_addr "$n"):5060" >>"$LAB_DIR/uac.log" 2>&1 </dev/null
}

# ---------------------------------------------------------------------------------------------
# dnsmasq at $LAB_NET.53:53, authoritative-ish for lab.test (everything else is refused/NXDOMAIN).
#   reg1/reg2/reg3.lab.test  A    → registrar 1/2/3
#   v6.lab.test              AAAA ::1, A → registrar 1
#   _sip._udp/_sip._tcp.lab.test SRV 10 10 5060 reg1, 20 10 5060 reg2
#   lab.test NAPTR 10 10 "S" "SIP+D2U" _sip._udp.lab.test; 20 10 "S" "SIP+D2T" _sip._tcp.lab.test
# TTL 1 s. Extra dnsmasq arguments from $LAB_DNS_EXTRA (array, or a string split on spaces).

lab_dns_addr() { echo "$LAB_NET.53"; }

lab_dns_start() {
        local addr extra=()
        addr=$(lab_dns_addr)
        if [[ "$(declare -p LAB_DNS_EXTRA 2>/dev/null)" == "declare -a"* ]]; then
                extra=("${LAB_DNS_EXTRA[@]}")
        elif [[ -n "${LAB_DNS_EXTRA:-}" ]]; then
                read -ra extra <<<"$LAB_DNS_EXTRA"
        fi
        lab_spawn dns "$LAB_DIR/dns.log" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
                --no-poll --pid-file= --conf-file=/dev/null --user=root --group=root \
                --listen-address="$addr" --bind-interfaces --port=53 \
                --local=/lab.test/ --local-ttl=1 --auth-ttl=1 --neg-ttl=1 \
                --log-queries --log-facility=- \
                --host-record="reg1.lab.test,$(lab_registrar_addr 1)" \
                --host-record="reg2.lab.test,$(lab_registrar_addr 2)" \
                --host-record="reg3.lab.test,$(lab_registrar_addr 3)" \
                --host-record="v6.lab.test,$(lab_registrar_addr 1),::1" \
                --srv-host=_sip._udp.lab.test,reg1.lab.test,5060,10,10 \
                --srv-host=_sip._udp.lab.test,reg2.lab.test,5060,20,10 \
                --srv-host=_sip._tcp.lab.test,reg1.lab.test,5060,10,10 \
                --srv-host=_sip._tcp.lab.test,reg2.lab.test,5060,20,10 \
                --naptr-record=lab.test,10,10,S,SIP+D2U,,_sip._udp.lab.test \
                --naptr-record=lab.test,20,10,S,SIP+D2T,,_sip._tcp.lab.test \
                "${extra[@]}" >/dev/null
        lab_wait_for 10 "dnsmasq answering on $addr" _lab_dns_ready ||
                lab_die "dnsmasq did not start; log: $(tail -20 "$LAB_DIR/dns.log")"
}

_lab_dns_ready() { lab_dig reg1.lab.test A | grep -q .; }

# lab_dig NAME TYPE — short answer from the lab DNS (one record a line); needs bind9-dnsutils.
lab_dig() {
        dig +short +tries=1 +time=1 @"$(lab_dns_addr)" -p 53 "$1" "${2:-A}"
}

lab_dns_kill() { # SIGKILL: queries then get ICMP port unreachable
        local pid
        pid=$(lab_pid dns)
        [[ -n "$pid" ]] || lab_die "dnsmasq was never started"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        local i
        for ((i = 0; i < 100; i++)); do
                _lab_group_alive "$pid" || return 0
                sleep 0.02
        done
}
lab_dns_freeze() { lab_signal dns STOP; } # queries go unanswered (time out)
lab_dns_thaw() { lab_signal dns CONT; }
lab_dns_restart() { # picks up a changed $LAB_DNS_EXTRA
        lab_dns_kill
        lab_dns_start
}

lab_dns_queries() { # NAME [TYPE] → how many queries for it dnsmasq has logged
        local pat="query\\[${2:-[A-Z]*}\\] $1 from"
        grep -c -- "$pat" "$LAB_DIR/dns.log" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# sipp misbehaving servers, at registrar N's address port 5060 (instead of Kamailio there).
# Scenarios (tests/lab/sipp/SCENARIO.xml; each answers every request, OPTIONS included):
#   200 (accepts, echoes Contact/Expires), 503, 503-retry-after (Retry-After: $LAB_SIPP_RETRY_AFTER,
#   default 30), 401-loop (401 with a fresh nonce, always), 403, silent (never answers),
#   garbage (a malformed response a parser must drop).

# lab_sipp_start NAME SCENARIO N [extra sipp args, e.g. -t t1 for TCP] — waits until it listens.
lab_sipp_start() {
        local name=$1 scenario=$2 n=$3 addr sf
        shift 3
        addr=$(lab_registrar_addr "$n")
        sf=$LAB_SRC/sipp/$scenario.xml
        [[ -f "$sf" ]] || lab_die "no sipp scenario '$scenario' ($sf)"
        : >"$LAB_DIR/sipp-$name.msg"
        # sipp paints its statistics screen on stdout; only stderr goes to the log.
        lab_spawn "sipp-$name" "$LAB_DIR/sipp-$name.log" bash -c 'exec "$@" >/dev/null' sipp \
                sipp -sf "$sf" -i "$addr" -p 5060 -mi "$addr" -nostdin \
                -key retry_after "${LAB_SIPP_RETRY_AFTER:-30}" \
                -trace_msg -message_file "$LAB_DIR/sipp-$name.msg" \
                -trace_err -error_file "$LAB_DIR/sipp-$name.err" "$@" >/dev/null
        local proto=udp
        [[ " $* " == *" -t t1 "* || " $* " == *" -t tn "* ]] && proto=tcp
        lab_wait_for 10 "sipp $name listening on $addr:5060/$proto" _lab_listening "$proto" "$addr" 5060 ||
                lab_die "sipp $name did not start; log: $(tail -20 "$LAB_DIR/sipp-$name.log")"
}

# ---- calls: a real UA on the device side, sipp on the far side --------------------------------

# lab_uas_start NAME ADDR [SCENARIO [extra sipp args]] — a sipp UAS (the far side of calls) on
# ADDR:5060; SCENARIO uas-call (default: every INVITE 180, 200, and BYE 200) or uas-ring (180,
# then CANCEL 200 + 487); messages in $LAB_DIR/sipp-NAME.msg.
lab_uas_start() {
        local name=$1 addr=$2 scenario=${3:-uas-call}
        shift 2
        (($#)) && shift
        : >"$LAB_DIR/sipp-$name.msg"
        lab_spawn "sipp-$name" "$LAB_DIR/sipp-$name.log" bash -c 'exec "$@" >/dev/null' sipp \
                sipp -sf "$LAB_SRC/sipp/$scenario.xml" -i "$addr" -p 5060 -mi "$addr" -nostdin \
                -trace_msg -message_file "$LAB_DIR/sipp-$name.msg" \
                -trace_err -error_file "$LAB_DIR/sipp-$name.err" "$@" >/dev/null
        lab_wait_for 10 "sipp UAS $name listening on $addr:5060" _lab_listening udp "$addr" 5060 ||
                lab_die "sipp UAS $name did not start; log: $(tail -20 "$LAB_DIR/sipp-$name.log")"
}

# lab_uac_call NAME FROM_ADDR REGISTRAR_N USER [extra sipp args] — one call from a sipp UAC at
# FROM_ADDR through registrar N to USER (INVITE, ACK, 1 s of call, BYE). Exit 0 when the call
# was answered and ended cleanly; messages in $LAB_DIR/sipp-NAME.msg.
lab_uac_call() {
        local name=$1 from=$2 reg
        reg=$(lab_registrar_addr "$3")
        local user=$4
        shift 4
        : >"$LAB_DIR/sipp-$name.msg"
        timeout 60 sipp -sf "$LAB_SRC/sipp/uac-call.xml" "$reg:5060" -s "$user" -i "$from" -p 0 -m 1 \
                -nostdin -timeout 45s -trace_msg -message_file "$LAB_DIR/sipp-$name.msg" \
                -trace_err -error_file "$LAB_DIR/sipp-$name.err" "$@" >>"$LAB_DIR/sipp-$name.log" 2>&1
}

# lab_ua_start NAME ADDR ACCOUNT — a baresip UA at ADDR:5060 (UDP and TCP) with one account (a
# line of baresip's accounts file), controlled through ctrl_tcp (lab_ua NAME COMMAND); every event
# and answer it gives is appended to $LAB_DIR/ua-NAME.events (one JSON object a line).
lab_ua_start() {
        local name=$1 addr=$2 dir=$LAB_DIR/ua-$1
        mkdir -p "$dir"
        cat >"$dir/config" <<EOF
poll_method		epoll
sip_listen		$addr:5060
module_path		/usr/lib/baresip/modules
module			g711.so
module			ausine.so
module			aubridge.so
audio_source		ausine,440
audio_player		aubridge,sink
audio_alert		aubridge,alert
ausrc_srate		48000
ausrc_channels		2
module_app		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		$addr:4444
EOF
        printf '%s\n' "$3" >"$dir/accounts"
        chmod 600 "$dir/accounts"
        : >"$LAB_DIR/ua-$name.events"
        rm -f "$dir/cmd"
        mkfifo "$dir/cmd"
        lab_spawn "ua-$name" "$LAB_DIR/ua-$name.log" baresip -f "$dir" >/dev/null
        lab_wait_for 10 "baresip $name listening on $addr:4444" _lab_listening tcp "$addr" 4444 ||
                lab_die "baresip $name did not start; log: $(tail -20 "$LAB_DIR/ua-$name.log")"
        # ctrl_tcp serves one connection at a time: one process holds it (tests/lab/ua-ctl.py)
        lab_spawn "ua-$name-ctl" "$LAB_DIR/ua-$name-ctl.log" \
                python3 "$LAB_SRC/ua-ctl.py" daemon "$addr:4444" "$LAB_DIR/ua-$name.events" "$dir/cmd" >/dev/null
        lab_wait_for 10 "baresip $name's controller ready" grep -q '"ready": true' "$LAB_DIR/ua-$name.events" ||
                lab_die "baresip $name's controller did not start: $(tail -5 "$LAB_DIR/ua-$name-ctl.log")"
}

# lab_ua NAME COMMAND… — one ctrl_tcp command ("dial sip:2000@lab.test", "hangup", "accept");
# prints baresip's answer; exit 0 when it said ok.
lab_ua() {
        local name=$1
        shift
        python3 "$LAB_SRC/ua-ctl.py" command "$LAB_DIR/ua-$name.events" "$LAB_DIR/ua-$name/cmd" "$*"
}

# lab_ua_events NAME TYPE — how many events of TYPE (CALL_ESTABLISHED, CALL_CLOSED…) the UA reported.
lab_ua_events() {
        local n
        n=$(grep -c "\"type\": \"$2\"" "$LAB_DIR/ua-$1.events" 2>/dev/null) || true
        echo "${n:-0}"
}

_lab_listening() { # udp|tcp ADDR PORT
        local opt=-uln
        [[ "$1" == tcp ]] && opt=-tln
        ss -H "$opt" "src $2:$3" 2>/dev/null | grep -q .
}

lab_sipp_stop() { lab_stop_process "sipp-$1"; }

# lab_sipp_received NAME METHOD — how many requests (transactions: distinct Call-ID + CSeq) of
# METHOD the sipp server has received; retransmissions count once.
lab_sipp_received() {
        awk -v m="$2" '
                /message received/ { inmsg = 1; req = 0; cid = ""; cseq = ""; next }
                /message sent/ { inmsg = 0; next }
                inmsg && req == 0 && NF > 0 { req = ($1 == m) ? 1 : -1; next }
                inmsg && req == 1 && tolower($1) ~ /^(call-id|i):$/ { cid = $2 }
                inmsg && req == 1 && tolower($1) == "cseq:" { cseq = $2 }
                inmsg && req == 1 && cid != "" && cseq != "" { seen[cid " " cseq] = 1; req = 2 }
                END { n = 0; for (k in seen) n++; print n }
        ' "$LAB_DIR/sipp-$1.msg"
}

lab_sipp_messages() { # NAME METHOD — every received message of METHOD, retransmissions included
        awk -v m="$2" '
                /message received/ { want = 1; next }
                want && NF > 0 { if ($1 == m) n++; want = 0 }
                END { print n + 0 }
        ' "$LAB_DIR/sipp-$1.msg"
}

# lab_sip_request ADDR udp|tcp METHOD [HEADER] — one request to ADDR:5060 (2 s timeout); prints
# the final status code ("timeout", "refused", "garbage" otherwise) and with HEADER its value.
# Exit 0 answered, 1 no answer, 2 refused (ICMP port unreachable / RST), 3 malformed answer.
lab_sip_request() {
        python3 "$LAB_SRC/sip-probe.py" "$1" 5060 "$2" 2 "$3" ${4:+"$4"}
}
