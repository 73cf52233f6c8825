#!/usr/bin/env bash
# SIPR_WRAPPER for the memcheck stage: execs the daemon under valgrind memcheck, so its PID stays
# the daemon's (tests that signal or kill it by PID still reach it). Errors and definite leaks
# make it exit 99 and leave "ERROR SUMMARY: N errors" (N > 0) in
# $LAB_DIR/valgrind-PROGRAM-PID.log, which lab_cleanup checks: such a daemon fails its test.
# A daemon killed with SIGKILL leaves no summary (nothing to check, nothing failed).
here=$(cd "$(dirname "$0")" && pwd)
exec valgrind --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
        --error-exitcode=99 --num-callers=30 --suppressions="$here/valgrind.supp" \
        --log-file="${LAB_DIR:-/tmp}/valgrind-$(basename "$1")-%p.log" "$@"
