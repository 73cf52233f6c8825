#!/usr/bin/env bash
# Hostile provisioning answers from a real lighttpd: a 50 MB file, an endless fast answer (a CGI)
# and an endless slow one are each cut off with an error (bounded size, bounded time); configd
# stays up and answering, keeps its configuration, holds no download afterwards and has given
# the memory back.
source "$(dirname "$0")/provision-lib.sh"
prov_setup
mkdir -p "$PROV_WWW/big" "$PROV_WWW/good"
head -c 50M < <(yes '# padding line of a provisioning file that never ends ..........') >"$PROV_WWW/big/y000000000000.cfg"
prov_cgi endless y000000000000.cfg \
        'printf "Content-Type: text/plain\r\n\r\n"; while :; do echo "# endless ................................................"; done'
prov_cgi slow y000000000000.cfg \
        'printf "Content-Type: text/plain\r\n\r\n"; while :; do echo "# slow"; sleep 1; done'
prov_publish good y000000000000.cfg '#!version:1.0.0.1' 'account.1.enable = 1' 'account.1.label = Good'
prov_http_start
prov_etc "static.auto_provision.server.url = $(prov_url good)" "sipr.provision.timeout = 5"
cfg_start
lab_wait_for 30 "the good file applied" prov_result_is "applied:" || lab_fail "first round: $(prov_result)"
cfg_expect_eq account.1.label Good
limit_kib=$(($(lab_service_state configd rss_kb) + 0))

expect_cut() { # DIR WHAT SUBSTRING
        local out rc=0 gen
        gen=$(cfg_prop Generation)
        lab_siprctl set "static.auto_provision.server.url=$(prov_url "$1")" >/dev/null || lab_fail "set url"
        out=$(prov_provision) || rc=$?
        lab_assert_eq 1 "$rc" "siprctl provision, $2"
        [[ "$out" == *"$(prov_url "$1")y000000000000.cfg: "*"$3"* ]] || lab_fail "$2: $out"
        [[ "$(prov_result)" == failed:* ]] || lab_fail "$2: LastProvisionResult $(prov_result)"
        lab_has_name org.sipr.Config1 || lab_fail "configd is gone after $2"
        cfg_expect_eq account.1.label Good
        # Set changed the URL (one generation); the cut download changed nothing more.
        lab_assert_eq "$((gen + 1))" "$(cfg_prop Generation)" "Generation after $2"
        lab_assert_eq 0 "$(lab_service_state configd downloads)" "downloads in flight after $2"
        echo "ok: $2 → $out" >&2
}
expect_cut big "a 50 MB file" "the answer is larger than $((${SIPR_CONFIG_FILE_MAX_KIB:-6144})) KiB, the most sipr reads; cut off"
expect_cut endless "an endless answer" "the answer is larger than"
expect_cut slow "an endless slow answer" "no complete answer within 5 s (sipr.provision.timeout); cut off"

# Nothing of it stays in memory: configd trims its heap as after a large Check.
rss=$(lab_service_state configd rss_kb)
[[ "${SIPR_SANITIZE:-none}" != none ]] || ((rss < limit_kib + 20000)) ||
        lab_fail "configd's RSS grew from $limit_kib to $rss kB"
# And it still provisions.
lab_siprctl set "static.auto_provision.server.url=$(prov_url good)" >/dev/null || lab_fail "set url"
out=$(prov_provision) || lab_fail "provision after the bad answers: $out"
echo ok
