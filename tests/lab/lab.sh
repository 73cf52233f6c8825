#!/usr/bin/env bash
# sipr test lab: real servers started and stopped by the test itself, by PID, on loopback only.
#
#   source tests/lab/lab.sh
#   lab_init                      # private temp dir + a unique loopback /24 (LAB_NET), cleanup on EXIT
#   lab_dbus_start                # private system bus with sipr's policy; exports DBUS_SYSTEM_BUS_ADDRESS
#   lab_service_start configd --config-dir=… # a built sipr daemon on that bus; waits for its bus name
#   lab_wait_for 20 "description" cmd args…  # polls cmd until it succeeds or the deadline passes
#
# Every process the lab starts is recorded in $LAB_DIR/pids and killed (whole process group) by
# lab_cleanup, which runs on exit. Each lab takes its own 127.77.N.0/24 so tests run in parallel.

LAB_SRC=${SIPR_LAB:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
SIPR_SOURCE_ROOT=${SIPR_SOURCE_ROOT:-$(cd "$LAB_SRC/../.." && pwd)}
SIPR_BUILD_ROOT=${SIPR_BUILD_ROOT:-$SIPR_SOURCE_ROOT/build}
LAB_SLOTS=${LAB_SLOTS:-/tmp/sipr-lab-slots}

lab_log() { echo "lab: $*" >&2; }
lab_die() {
        echo "lab: FATAL: $*" >&2
        exit 1
}

# Take the first free slot 1..250; a slot whose owner PID is gone is stale and reused.
_lab_take_slot() {
        local s owner
        mkdir -p "$LAB_SLOTS"
        for ((s = 1; s <= 250; s++)); do
                if mkdir "$LAB_SLOTS/$s" 2>/dev/null; then
                        echo $$ >"$LAB_SLOTS/$s/pid"
                        LAB_SLOT=$s
                        return 0
                fi
                owner=$(cat "$LAB_SLOTS/$s/pid" 2>/dev/null || true)
                if [[ -n "$owner" ]] && ! kill -0 "$owner" 2>/dev/null; then
                        rm -rf "$LAB_SLOTS/$s"
                        if mkdir "$LAB_SLOTS/$s" 2>/dev/null; then
                                echo $$ >"$LAB_SLOTS/$s/pid"
                                LAB_SLOT=$s
                                return 0
                        fi
                fi
        done
        lab_die "no free lab slot in $LAB_SLOTS"
}

lab_init() {
        [[ -n "${LAB_DIR:-}" ]] && return 0
        LAB_DIR=$(mktemp -d /tmp/sipr-lab.XXXXXX)
        _lab_take_slot
        LAB_NET=127.77.$LAB_SLOT
        : >"$LAB_DIR/pids"
        export LAB_DIR LAB_NET LAB_SLOT
        trap lab_cleanup EXIT
        trap 'exit 130' INT TERM
        lab_log "dir $LAB_DIR, network $LAB_NET.0/24"
}

# lab_spawn NAME LOGFILE cmd args… — starts cmd in its own process group, records NAME PID.
lab_spawn() {
        local name=$1 log=$2
        shift 2
        setsid "$@" >>"$log" 2>&1 </dev/null &
        local pid=$!
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
        local pid i
        pid=$(lab_pid "$1")
        [[ -n "$pid" ]] || return 0
        kill -CONT -- "-$pid" 2>/dev/null || true
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
                kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null || return 0
                sleep 0.1
        done
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        sleep 0.1
}

lab_cleanup() {
        local name pid
        [[ -n "${LAB_DIR:-}" && -f "$LAB_DIR/pids" ]] || return 0
        # Newest first, so clients stop before the servers they talk to.
        tac "$LAB_DIR/pids" | while read -r name pid; do
                kill -CONT -- "-$pid" 2>/dev/null || true
                kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        done
        sleep 0.3
        tac "$LAB_DIR/pids" | while read -r name pid; do
                kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        done
        if [[ -n "${LAB_KEEP:-}" || "${LAB_FAILED:-0}" != 0 ]]; then
                lab_log "kept $LAB_DIR"
        else
                rm -rf "$LAB_DIR"
        fi
        [[ -n "${LAB_SLOT:-}" ]] && rm -rf "$LAB_SLOTS/$LAB_SLOT"
        LAB_DIR=
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

lab_siprctl() { "$SIPR_BUILD_ROOT/tools/siprctl/siprctl" "$@"; }

# Test helpers: a failed check prints what was expected and keeps the lab dir for a post-mortem.
lab_fail() {
        LAB_FAILED=1
        echo "FAIL: $*" >&2
        exit 1
}
lab_assert_eq() { # EXPECTED ACTUAL MESSAGE
        [[ "$1" == "$2" ]] || lab_fail "$3: expected '$1', got '$2'"
}
