#!/usr/bin/env bash
# Runs the config parser fuzz target under libFuzzer + ASan/UBSan for a bounded time
# (FUZZ_SECONDS, default 30), starting from the seed corpus. The regular build uses gcc, so the
# target is compiled here with clang; without clang the test is skipped (exit 77).
set -euo pipefail
root=${SIPR_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SIPR_BUILD_ROOT:-$root/build}
command -v clang >/dev/null || { echo "SKIP: clang not installed"; exit 77; }
work=$(mktemp -d /tmp/sipr-fuzz-config.XXXXXX)
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2046
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE \
        -DSIPR_VERSION='"fuzz"' -I"$root/common" -I"$build" $(pkg-config --cflags glib-2.0 libsystemd) \
        "$root/fuzz/fuzz-config-parser.c" "$root"/common/{config-parser,config-schema,config-types,cidr,status-list,config-client,util,log,bus-util,sipr-error,timer}.c \
        $(pkg-config --libs glib-2.0 libsystemd) -o "$work/fuzz" 2>"$work/cc.log" ||
        { cat "$work/cc.log" >&2; echo "FAIL: cannot build the fuzz target with clang" >&2; exit 1; }
mkdir "$work/corpus"
cp "$root"/fuzz/corpus/fuzz-config-parser/* "$work/corpus/"
cd "$work"
if ! ./fuzz -max_total_time="${FUZZ_SECONDS:-30}" -max_len=8192 -timeout=10 -rss_limit_mb=1024 \
        -print_final_stats=1 corpus >"$work/fuzz.log" 2>&1; then
        tail -60 "$work/fuzz.log" >&2
        for c in crash-* leak-* timeout-* oom-*; do
                [[ -e "$c" ]] && { echo "reproducer $c (base64):" >&2; base64 "$c" >&2; }
        done
        echo "FAIL: the fuzzer found a problem" >&2
        exit 1
fi
grep -E "^stat::number_of_executed_units|^Done" "$work/fuzz.log" || true
echo PASS
