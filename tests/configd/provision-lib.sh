#!/usr/bin/env bash
# Helpers for the provisioning lab tests: a real lighttpd (Debian's) that the test starts on its
# lab address, serving $PROV_WWW over http (port 8080) and https (8443, a certificate from a test
# CA made here with openssl), with basic auth under /basic/ and digest auth under /digest/ (users
# in $PROV_USERS), and configd pointed at it. lighttpd's access log (status per request) is
# $LAB_DIR/http-access.log.
# shellcheck source=configd-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/configd-lib.sh"

PROV_USER=prov
PROV_PASS='s3cret-Prov!'

prov_setup() {
        cfg_setup
        PROV_WWW=$LAB_DIR/www
        PROV_ADDR=$LAB_NET.80
        mkdir -p "$PROV_WWW/open" "$PROV_WWW/basic" "$PROV_WWW/digest"
        export PROV_WWW PROV_ADDR
}

# prov_ca NAME — a CA (NAME.crt/NAME.key) in $LAB_DIR/tls.
prov_ca() {
        local d=$LAB_DIR/tls
        mkdir -p "$d"
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=sipr lab $1" \
                -keyout "$d/$1.key" -out "$d/$1.crt" >/dev/null 2>&1 || lab_fail "openssl: cannot make CA $1"
}

# prov_server_cert CA — the server's certificate for $PROV_ADDR, signed by CA; server.pem.
prov_server_cert() {
        local d=$LAB_DIR/tls
        openssl req -newkey rsa:2048 -nodes -subj "/CN=$PROV_ADDR" -keyout "$d/server.key" \
                -out "$d/server.csr" >/dev/null 2>&1 || lab_fail "openssl: server key"
        printf 'subjectAltName=IP:%s\n' "$PROV_ADDR" >"$d/server.ext"
        openssl x509 -req -in "$d/server.csr" -CA "$d/$1.crt" -CAkey "$d/$1.key" -CAcreateserial \
                -days 2 -extfile "$d/server.ext" -out "$d/server.crt" >/dev/null 2>&1 || lab_fail "openssl: server cert"
        cat "$d/server.crt" "$d/server.key" >"$d/server.pem"
}

# prov_http_start — lighttpd on $PROV_ADDR:8080 (and :8443 when $LAB_DIR/tls/server.pem exists).
prov_http_start() {
        local conf=$LAB_DIR/lighttpd.conf tls=""
        printf '%s:%s\n' "$PROV_USER" "$PROV_PASS" >"$LAB_DIR/http-users"
        if [[ -f $LAB_DIR/tls/server.pem ]]; then
                tls="\$SERVER[\"socket\"] == \"$PROV_ADDR:8443\" {
        ssl.engine = \"enable\"
        ssl.pemfile = \"$LAB_DIR/tls/server.pem\"
}"
        fi
        cat >"$conf" <<EOF
server.modules = ("mod_access", "mod_auth", "mod_authn_file", "mod_accesslog", "mod_openssl", "mod_cgi")
server.document-root = "$PROV_WWW"
server.bind = "$PROV_ADDR"
server.port = 8080
server.errorlog = "$LAB_DIR/http-error.log"
server.stream-response-body = 2
server.max-keep-alive-requests = 0
# A file the test replaces must show a new ETag at once, not after the stat cache expires.
server.stat-cache-engine = "disable"
accesslog.filename = "$LAB_DIR/http-access.log"
accesslog.format = "%h %u \"%r\" %>s %b"
mimetype.assign = (".cfg" => "text/plain")
cgi.assign = (".sh" => "/bin/sh")
auth.backend = "plain"
auth.backend.plain.userfile = "$LAB_DIR/http-users"
auth.require = (
        "/basic/" => ("method" => "basic", "realm" => "sipr lab", "require" => "valid-user"),
        "/digest/" => ("method" => "digest", "realm" => "sipr lab", "require" => "valid-user"),
)
\$HTTP["url"] =~ "^/(endless|slow)/" {
        cgi.assign = (".cfg" => "/bin/sh")
}
$tls
EOF
        : >"$LAB_DIR/http-access.log"
        lab_spawn http "$LAB_DIR/http.log" lighttpd -D -f "$conf" >/dev/null
        lab_wait_for 10 "lighttpd on $PROV_ADDR:8080" _lab_listening tcp "$PROV_ADDR" 8080 ||
                lab_die "lighttpd did not start: $(cat "$LAB_DIR/http.log" "$LAB_DIR/http-error.log" 2>/dev/null | tail -5)"
}
prov_http_stop() { lab_stop_process http; }

# prov_cgi DIR FILE SCRIPT — FILE under $PROV_WWW/DIR is a shell CGI (only in endless/ and slow/).
prov_cgi() {
        mkdir -p "$PROV_WWW/$1"
        printf '%s\n' "$3" >"$PROV_WWW/$1/$2"
}

# prov_publish DIR FILE [CONTENT…] — writes FILE under $PROV_WWW/DIR atomically (lines as given).
prov_publish() {
        local dir=$PROV_WWW/$1 name=$2
        shift 2
        printf '%s\n' "$@" >"$dir/.$name.tmp"
        mv "$dir/.$name.tmp" "$dir/$name"
}

# prov_url DIR [https] — the provisioning URL of a directory.
prov_url() {
        if [[ "${2:-}" == https ]]; then echo "https://$PROV_ADDR:8443/$1/"; else echo "http://$PROV_ADDR:8080/$1/"; fi
}

# prov_etc "key = value"… — the bootstrap configuration in /etc/sipr's place (before configd starts).
prov_etc() { printf '%s\n' '#!version:1.0.0.1' "$@" >"$CFG_ETC/y000000000000.cfg"; }

prov_result() { cfg_prop LastProvisionResult | jq -r .; }
prov_usec() { cfg_prop LastProvisionUsec; }
prov_result_is() { [[ "$(prov_result)" == "$1"* ]]; } # PREFIX
# prov_wait_round USEC — waits until a round ends after the one that ended at USEC.
prov_wait_round() {
        lab_wait_for "${2:-60}" "a provisioning round after $1" bash -c \
                "[[ \$(busctl --system --json=short get-property org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 LastProvisionUsec | jq .data) != $1 ]]" ||
                lab_fail "no provisioning round ended (configd log: $(tail -5 "$LAB_DIR/configd.log"))"
}

# prov_requests PATH STATUS — how many requests for PATH lighttpd answered with STATUS.
prov_requests() {
        awk -v p="$1" -v s="$2" '$0 ~ ("\"GET " p " ") && $(NF - 1) == s { n++ } END { print n + 0 }' "$LAB_DIR/http-access.log"
}

# prov_provision — siprctl provision; prints its output (stdout and stderr), returns its status.
prov_provision() { lab_siprctl provision 2>&1; }
