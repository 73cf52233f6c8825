#!/usr/bin/env bash
# Issue 16, item 2: Config1.Check in the hands of an unprivileged user (nobody), on the lab bus with
# sipr's real policy. configd reads the file with its own rights, so nothing nobody names may
# block it, grow it, or show what nobody could not read:
#  - a FIFO (configd once opened it blocking and hung for good), a character device, a socket, a
#    directory: refused by their type, at once;
#  - a file over the size bound (64 MiB, sparse): refused by its size;
#  - a symbolic link to configd's private local.cfg, a readable file in a directory nobody cannot
#    search, a loop of links: refused;
#  - a link swapped between a public and a private file while nobody checks it 300 times (the old
#    stat-then-open race): no answer ever shows a line of the private file;
#  - three Checks of a file just under the bound: configd's RSS comes back (heap trimmed).
# After each, configd answers nobody and root. Bounded calls and generous deadlines; no timing
# asserts (durations are printed).
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../configd/configd-lib.sh
source "$here/../configd/configd-lib.sh"
command -v setpriv >/dev/null || { echo "SKIP: no setpriv"; exit 77; }

cfg_setup
cfg_install_files
cfg_start
# nobody must reach the bus socket in the lab dir; the lab bus lets every user connect.
chmod 711 "$LAB_DIR"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
as_nobody busctl --system status org.freedesktop.DBus >/dev/null 2>&1 || lab_fail "nobody cannot reach the lab bus"
N=$LAB_DIR/nobody
mkdir "$N" && chown 65534:65534 "$N"

# check_as_nobody PATH → the reply (JSON) or the error; fails the test when no answer comes
check_as_nobody() {
        local out rc=0
        out=$(as_nobody busctl --system --json=short --timeout=30 call org.sipr.Config1 /org/sipr/Config1 \
                org.sipr.Config1 Check s "$1" 2>&1) || rc=$?
        [[ $rc == 0 || "$out" != *"timed out"* ]] || lab_fail "Check of $1 was not answered within 30 s: configd is stuck"
        printf '%s\n' "$out"
}
answering() { # WHAT — configd answers nobody and root after WHAT
        local v
        v=$(as_nobody busctl --system --json=short --timeout=30 call org.sipr.Config1 /org/sipr/Config1 \
                org.sipr.Config1 Get s account.1.label | jq -r '.data[0]') || lab_fail "after $1: configd does not answer nobody"
        lab_assert_eq Alice "$v" "Get as nobody after $1"
        cfg_expect_eq account.1.label Alice
}
expect_problem() { # PATH TEXT — Check answers with one problem containing TEXT
        local out t0=$SECONDS
        out=$(check_as_nobody "$1")
        [[ "$out" == *"$2"* ]] || lab_fail "Check of $1: expected a problem '$2', got: $out"
        echo "ok: Check of $1 → $2 ($((SECONDS - t0)) s)"
        answering "$1"
}
expect_denied() { # PATH TEXT — Check is refused with AccessDenied, TEXT in the message
        local out
        out=$(as_nobody dbus-send --system --print-reply --reply-timeout=30000 --dest=org.sipr.Config1 /org/sipr/Config1 \
                org.sipr.Config1.Check string:"$1" 2>&1 || true)
        [[ "$out" == *"org.freedesktop.DBus.Error.AccessDenied"*"$2"* ]] || lab_fail "Check of $1: expected AccessDenied '$2', got: $out"
        echo "ok: Check of $1 → AccessDenied: ${out#*AccessDenied: }"
        answering "$1"
}

# Files of other types.
as_nobody mkfifo "$N/fifo.cfg"
expect_problem "$N/fifo.cfg" "is a FIFO (named pipe), not a regular file"
expect_problem /dev/zero "is a character device, not a regular file"
as_nobody /usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$N/sock.cfg"
expect_problem "$N/sock.cfg" "is a socket, not a regular file"
expect_problem "$N" "is a directory"

# Too large: refused by size, never read.
as_nobody truncate -s 64M "$N/huge.cfg"
expect_problem "$N/huge.cfg" "KiB, the most sipr reads"

# What nobody may not read, however it is named.
timeout --foreground 30 "$SIPR_BUILD_ROOT/tools/siprctl/siprctl" set account.1.auth_name=hostile-check >/dev/null || lab_fail "Set"
[[ -f "$CFG_STATE/local.cfg" ]] || lab_fail "no local.cfg after a Set"
chmod 711 "$CFG_STATE"
as_nobody ln -s "$CFG_STATE/local.cfg" "$N/link-local.cfg"
expect_denied "$N/link-local.cfg" "is not readable by uid 65534"
mkdir -m 700 "$LAB_DIR/closed" && cp "$CFG_FILES/y000000000000.cfg" "$LAB_DIR/closed/public.cfg" && chmod 644 "$LAB_DIR/closed/public.cfg"
expect_denied "$LAB_DIR/closed/public.cfg" "is not searchable by uid 65534"
as_nobody ln -s loop2 "$N/loop1" && as_nobody ln -s loop1 "$N/loop2"
expect_problem "$N/loop1" "symbolic links"

# The race: a link nobody swaps between a public file and a private one whose only line would be
# quoted in a problem ("'…': not a comment"). Not one answer may carry it.
printf 'PRIVATE-LINE-%s\n' "$RANDOM$RANDOM" >"$LAB_DIR/private.cfg" && chmod 600 "$LAB_DIR/private.cfg"
secret_line=$(cat "$LAB_DIR/private.cfg")
printf '#!version:1.0.0.1\naccount.1.label = Public\n' >"$N/public.cfg" && chmod 644 "$N/public.cfg"
lab_spawn swapper "$LAB_DIR/swapper.log" setpriv --reuid=65534 --regid=65534 --clear-groups -- bash -c \
        "cd '$N' && while :; do ln -sfn public.cfg swap.cfg; ln -sfn '$LAB_DIR/private.cfg' swap.cfg; done" >/dev/null
lab_wait_for 10 "the swapper runs" test -L "$N/swap.cfg" || lab_fail "swapper: $(cat "$LAB_DIR/swapper.log")"
denied=0 clean=0
for ((i = 0; i < 300; i++)); do
        out=$(as_nobody dbus-send --system --print-reply --reply-timeout=30000 --dest=org.sipr.Config1 /org/sipr/Config1 \
                org.sipr.Config1.Check string:"$N/swap.cfg" 2>&1 || true)
        [[ "$out" != *"$secret_line"* ]] || lab_fail "round $i: Check showed a line of a file nobody cannot read: $out"
        case $out in
        *AccessDenied*) denied=$((denied + 1)) ;;
        "method return"*) clean=$((clean + 1)) ;;
        *) lab_fail "round $i: unexpected answer: $out" ;;
        esac
done
lab_stop_process swapper
echo "ok: 300 Checks of a swapped link: $denied refused, $clean of the public file (or a swap seen mid-way), none leaked"
answering "the swapped link"

# Memory: a Check of a file just under the bound costs a peak, which is given back.
max_kib=$((4096 + ${SIPR_ACCOUNTS_MAX:-256} * 8))
python3 - "$N/big.cfg" "$((max_kib * 1024 - 4096))" <<'EOF'
import sys
path, size = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    n, i = 0, 0
    while True:
        line = f"features.custom.{i} = value {i}\n"
        if n + len(line) > size:
            break
        f.write(line)
        n += len(line)
        i += 1
EOF
chown 65534:65534 "$N/big.cfg" && chmod 644 "$N/big.cfg"
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$(lab_pid configd)/status"; }
rss0=$(rss) heap0=$(lab_service_state configd heap_kb)
for k in 1 2 3; do
        t0=$SECONDS
        out=$(check_as_nobody "$N/big.cfg")
        lab_assert_eq '{"type":"a(sus)","data":[[]]}' "$out" "Check $k of a $max_kib KiB file"
        echo "Check $k of $(stat -c %s "$N/big.cfg") bytes: $((SECONDS - t0)) s"
done
rss1=$(rss) heap1=$(lab_service_state configd heap_kb)
echo "configd RSS ${rss0} → ${rss1} kB, heap in use ${heap0} → ${heap1} kB after 3 Checks of a ${max_kib} KiB file"
if [[ "${SIPR_SANITIZE:-none}" == none ]]; then
        # glibc would keep the parse's peak (about 4× the file) mapped without the trim.
        ((rss1 - rss0 <= 8192)) || lab_fail "configd kept $((rss1 - rss0)) kB after the Checks (bound 8192 kB)"
        ((heap1 - heap0 <= 1024)) || lab_fail "configd's heap in use grew by $((heap1 - heap0)) kB"
fi
answering "the big files"
echo PASS
