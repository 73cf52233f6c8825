#!/usr/bin/env bash
# SIPR_WRAPPER for the memcheck stage: runs the daemon under valgrind (errors and definite leaks
# → exit 99, report in $LAB_DIR/valgrind-PROGRAM-PID.log) and appends "PROGRAM STATUS" to
# $LAB_DIR/wrapper-exit, which lab_cleanup checks, so a daemon failing memcheck fails its test.
# SIGTERM/SIGINT reach valgrind through the process group; this script waits for its exit.
set -u
prog=$(basename "$1")
dir=${LAB_DIR:-/tmp}
here=$(cd "$(dirname "$0")" && pwd)
trap ':' TERM INT HUP
valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
        --error-exitcode=99 --track-fds=no --num-callers=30 \
        --suppressions="$here/valgrind.supp" \
        --log-file="$dir/valgrind-$prog-%p.log" "$@" &
child=$!
# wait returns early when a trapped signal arrives; wait again until the child is gone.
while kill -0 "$child" 2>/dev/null; do
        wait "$child"
done
wait "$child"
rc=$?
echo "$prog $rc" >>"$dir/wrapper-exit"
exit "$rc"
