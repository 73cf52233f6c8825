#!/usr/bin/env bash
# shell-completion/bash/siprctl: commands ("siprctl st" → status), options, keys from a live
# sipr-configd for get/set ("siprctl get account.1.sip_" → account.1.sip_server.*), "=" after a
# key for set, account numbers for status.
source "$(dirname "$0")/docs-lib.sh"
docs_setup
docs_start_configd
PATH=$SIPR_BUILD_ROOT/tools/siprctl:$PATH
# shellcheck source=../../shell-completion/bash/siprctl
source "$SIPR_SOURCE_ROOT/shell-completion/bash/siprctl"

# complete_line WORD… — the completions bash would offer for the last word.
complete_line() {
        COMP_WORDS=("$@")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        _siprctl
        printf '%s\n' "${COMPREPLY[@]}" | sort
}

lab_assert_eq "$(printf '%s\n' stats status)" "$(complete_line siprctl st)" "siprctl st"
lab_assert_eq "status" "$(complete_line siprctl statu)" "siprctl statu"
lab_assert_eq "$(printf '%s\n' check | sort)" "$(complete_line siprctl ch)" "siprctl ch"
all=$(complete_line siprctl "")
for c in status monitor failover register unregister reregister get set reset list reload check keys resolve health stats; do
        grep -qx "$c" <<<"$all" || lab_fail "command $c not offered; got: $all"
done
lab_assert_eq "$(printf '%s\n' --json --json=)" "$(complete_line siprctl --j)" "siprctl --j"
lab_assert_eq "$(printf '%s\n' off pretty short)" "$(complete_line siprctl --json = "")" "siprctl --json="
lab_assert_eq "pretty" "$(complete_line siprctl --json = p)" "siprctl --json=p"
lab_assert_eq "status" "$(complete_line siprctl --json = pretty statu)" "siprctl --json=pretty statu"
lab_assert_eq "--prometheus" "$(complete_line siprctl stats --p)" "siprctl stats --p"
lab_assert_eq "$(printf '%s\n' --json --json=)" "$(complete_line siprctl status --)" "siprctl status --"
lab_assert_eq "$(printf '%s\n' session system)" "$(complete_line siprctl --bus = "")" "siprctl --bus="
lab_assert_eq "$(printf '%s\n' session system)" "$(complete_line siprctl --bus =)" "siprctl --bus= (cursor on the =)"
lab_assert_eq "session" "$(complete_line siprctl --bus = se)" "siprctl --bus=se"
lab_assert_eq "status" "$(complete_line siprctl --bus = system statu)" "siprctl --bus=system statu"

got=$(complete_line siprctl get account.1.sip_)
expected=$(lab_siprctl list account.1.sip_ | sed 's/ = .*//' | sort)
[[ $(wc -l <<<"$got") -ge 9 ]] || lab_fail "too few keys for 'get account.1.sip_': $got"
lab_assert_eq "$expected" "$got" "siprctl get account.1.sip_"
grep -qx account.1.sip_server.1.address <<<"$got" || lab_fail "account.1.sip_server.1.address not offered"
grep -v '^account\.1\.sip_' <<<"$got" && lab_fail "a key without the typed prefix was offered"
lab_assert_eq "account.1.enable=" "$(complete_line siprctl set account.1.ena)" "siprctl set account.1.ena"
lab_assert_eq "" "$(complete_line siprctl get account.1.sip_server.1.address "")" "a second argument to get"
lab_assert_eq "" "$(complete_line siprctl set account.1.enable = "")" "the value after set KEY="
lab_assert_eq "$DOCS_ETC/y000000000000.cfg" "$(complete_line siprctl check "$DOCS_ETC/y0")" "siprctl check FILE"
lab_assert_eq "udp" "$(complete_line siprctl resolve lab.test 0 u)" "siprctl resolve HOST PORT TRANSPORT"
# No regd: no account numbers, and no error text in the completions.
lab_assert_eq "" "$(complete_line siprctl status "")" "siprctl status without regd"
echo ok
