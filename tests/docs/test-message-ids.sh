#!/usr/bin/env bash
# The journal's MESSAGE_IDs (common/sipr-messages.h) are 128-bit, distinct, explained in the
# journal catalog (systemd/sipr.catalog, read by journalctl), documented in
# docs/dbus-api.md; every ID the docs, man pages and the nspawn test name is one of them (a typo
# in a doc would send "journalctl MESSAGE_ID=…" to nothing).
set -euo pipefail
src=$SIPR_SOURCE_ROOT
fail() { echo "FAIL: $*"; exit 1; }
mapfile -t ids < <(sed -n 's/^#define SIPR_MESSAGE_[A-Z_]* *"\([^"]*\)"$/\1/p' "$src/common/sipr-messages.h")
((${#ids[@]} >= 4)) || fail "fewer than 4 MESSAGE_IDs in common/sipr-messages.h: ${ids[*]}"
for id in "${ids[@]}"; do
        [[ $id =~ ^[0-9a-f]{32}$ ]] || fail "MESSAGE_ID '$id' is not 32 lower-case hex digits"
        grep -q "\`$id\`" "$src/docs/dbus-api.md" || fail "MESSAGE_ID $id is not in docs/dbus-api.md"
done
[[ $(printf '%s\n' "${ids[@]}" | sort -u | wc -l) == "${#ids[@]}" ]] || fail "a MESSAGE_ID is defined twice"
used=$(grep -ohE '\b[0-9a-f]{32}\b' "$src/docs/dbus-api.md" "$src"/man/*.scd "$src/tests/systemd/nspawn-inside.sh" | sort -u)
for id in $used; do
        grep -qx "$id" <<<"$(printf '%s\n' "${ids[@]}")" || fail "$id is named in the docs or tests but is no MESSAGE_ID of common/sipr-messages.h"
done
echo "ok: ${#ids[@]} MESSAGE_IDs, $(wc -w <<<"$used") named in docs, man pages and the nspawn test"

# systemd/sipr.catalog explains each of them for journalctl -x, and journalctl can read it.
cat=$src/systemd/sipr.catalog
for id in "${ids[@]}"; do
        grep -qx -- "-- $id" "$cat" || fail "MESSAGE_ID $id has no entry in systemd/sipr.catalog"
done
if command -v journalctl >/dev/null; then
        root=$(mktemp -d /tmp/sipr-catalog.XXXXXX)
        trap 'rm -rf "$root"' EXIT
        mkdir -p "$root/usr/lib/systemd/catalog"
        cp "$cat" "$root/usr/lib/systemd/catalog/"
        journalctl --root="$root" --update-catalog || fail "journalctl --update-catalog cannot read systemd/sipr.catalog"
        listed=$(journalctl --root="$root" --list-catalog | awk '{ print $1 }' | sort)
        [[ "$listed" == "$(printf '%s\n' "${ids[@]}" | sort)" ]] || fail "journalctl --list-catalog lists: $listed"
        echo "ok: journalctl reads systemd/sipr.catalog: an entry for each MESSAGE_ID"
fi
