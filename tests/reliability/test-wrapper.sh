#!/usr/bin/env bash
# The memcheck stage can fail: valgrind-wrap.sh turns a definite leak into exit 99 and records it,
# and a lab test whose daemon exited 99 under SIPR_WRAPPER fails (exit 99) even when all its own
# checks passed; a clean daemon under memcheck passes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${SIPR_SOURCE_ROOT:-$(cd "$here/../.." && pwd)}
build=${SIPR_BUILD_ROOT:-$root/build}
command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed"; exit 77; }
[[ "${SIPR_SANITIZE:-none}" == none ]] || { echo "SKIP: valgrind cannot run a binary built with -Db_sanitize=$SIPR_SANITIZE"; exit 77; }
work=$(mktemp -d /tmp/sipr-wrapper-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. A definite leak → 99, with the report and its error summary.
rc=0
LAB_DIR=$work "$here/valgrind-wrap.sh" "$build/tests/reliability/leak-me" >/dev/null || rc=$?
[[ $rc == 99 ]] || fail "leak-me under valgrind-wrap.sh exited $rc, expected 99"
grep -q "definitely lost" "$work"/valgrind-leak-me-*.log || fail "no leak report in $(ls "$work")"
grep -q "ERROR SUMMARY: [1-9]" "$work"/valgrind-leak-me-*.log || fail "no error summary in the report"
# 2. No leak → 0 and a clean summary.
rm -f "$work"/valgrind-*.log
LAB_DIR=$work "$here/valgrind-wrap.sh" "$build/tests/reliability/leak-me" --clean >/dev/null ||
        fail "leak-me --clean under valgrind-wrap.sh exited $?"
grep -q "ERROR SUMMARY: 0 errors" "$work"/valgrind-leak-me-*.log || fail "leak-me --clean: $(cat "$work"/valgrind-*.log)"

# 3. A lab test whose checks pass; first with configd under real memcheck, then with wrappers
# that report a failure as memcheck would: an exit status 99, or a report with errors.
cat >"$work/inner.sh" <<'INNER'
#!/usr/bin/env bash
source "$SIPR_LAB/lab.sh"
set -euo pipefail
lab_init
lab_dbus_start
mkdir -p "$LAB_DIR/etc" "$LAB_DIR/state"
echo "account.1.user_name = 1001" >"$LAB_DIR/etc/y000000000000.cfg"
lab_service_start configd --config-dir="$LAB_DIR/etc" --state-dir="$LAB_DIR/state" --mac=001565aabbcc
[[ "$(lab_siprctl get account.1.user_name)" == 1001 ]] || lab_fail "get"
lab_siprctl set account.1.label=x >/dev/null
exit 0
INNER
chmod +x "$work/inner.sh"
cat >"$work/fake99.sh" <<'FAKE'
#!/usr/bin/env bash
trap ':' TERM INT
"$@" &
c=$!
while kill -0 "$c" 2>/dev/null; do wait "$c" || true; done
echo "$(basename "$1") 99" >>"$LAB_DIR/wrapper-exit"
exit 99
FAKE
chmod +x "$work/fake99.sh"
cat >"$work/fakereport.sh" <<'FAKE'
#!/usr/bin/env bash
printf '==1== ERROR SUMMARY: 2 errors from 2 contexts (suppressed: 0 from 0)\n' >"$LAB_DIR/valgrind-$(basename "$1")-1.log"
exec "$@"
FAKE
chmod +x "$work/fakereport.sh"
export SIPR_LAB=${SIPR_LAB:-$root/tests/lab} SIPR_BUILD_ROOT=$build SIPR_SOURCE_ROOT=$root

rc=0
SIPR_WRAPPER=$here/valgrind-wrap.sh "$work/inner.sh" >"$work/inner-valgrind.log" 2>&1 || rc=$?
[[ $rc == 0 ]] || { cat "$work/inner-valgrind.log" >&2; fail "configd under memcheck: test exited $rc"; }
rc=0
SIPR_WRAPPER=$work/fake99.sh LAB_KEEP='' "$work/inner.sh" >"$work/inner-fake.log" 2>&1 || rc=$?
[[ $rc == 99 ]] || { cat "$work/inner-fake.log" >&2; fail "a daemon exiting 99 did not fail the lab test (exit $rc)"; }
grep -q "exited with status 99 under SIPR_WRAPPER" "$work/inner-fake.log" || fail "no explanation printed"
rc=0
SIPR_WRAPPER=$work/fakereport.sh LAB_KEEP='' "$work/inner.sh" >"$work/inner-report.log" 2>&1 || rc=$?
[[ $rc == 99 ]] || { cat "$work/inner-report.log" >&2; fail "a memcheck report with errors did not fail the lab test (exit $rc)"; }
# The failed labs keep their directories for a post-mortem; remove them here.
for kept in $(sed -n 's/^lab: kept //p' "$work/inner-fake.log" "$work/inner-report.log"); do
        [[ -d "$kept" && "$kept" == /tmp/sipr-lab.* ]] && rm -rf "$kept"
done
echo PASS
