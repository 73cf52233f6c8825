/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cidr.h"
#include "status-list.h"
#include "config-schema.h"
#include "macro.h"

#define U32MAX_S 2147483647ULL

static const char *const transport_names[] = {"UDP", "TCP", "TLS", "DNS-NAPTR", NULL};
static const char *const failback_names[] = {"newRequests", "DNSTTL", "registration", "duration", NULL};
static const char *const redundancy_names[] = {"concurrent", "successive", NULL};
static const char *const method_names[] = {"options", "crlf", "connect", "none", NULL};

/* Where each value lands: the struct, the field's kind and its offset (config-types.h). */
#define AT_G(f, kind)  SIPR_CONFIG_IN_GLOBAL, kind, offsetof(SiprGlobalConfig, f)
#define AT_A(f, kind)  SIPR_CONFIG_IN_ACCOUNT, kind, offsetof(SiprAccountConfig, f)
#define AT_S(f, kind)  SIPR_CONFIG_IN_SERVER, kind, offsetof(SiprServerConfig, f)
#define AT_P(f, kind)  SIPR_CONFIG_IN_PROXY, kind, offsetof(SiprProxyConfig, f)
#define AT_PV(f, kind) SIPR_CONFIG_IN_PROVISION, kind, offsetof(SiprProvisionConfig, f)

#define BOOL(p, d, f, desc, at)                                                                             \
        { p, SIPR_CONFIG_BOOL, 0, 1, NULL, d, f, desc, at }
#define UINT(p, lo, hi, d, desc, at)                                                                        \
        { p, SIPR_CONFIG_UINT, lo, hi, NULL, d, 0, desc, at }
#define TEXT(p, d, f, desc, at)                                                                             \
        { p, SIPR_CONFIG_TEXT, 0, SIPR_CONFIG_TEXT_MAX, NULL, d, f, desc, at }

_Static_assert(sizeof(SiprTransport) == sizeof(uint32_t), "enums are stored as uint32_t");
_Static_assert(sizeof(SiprFailbackMode) == sizeof(uint32_t), "enums are stored as uint32_t");
_Static_assert(sizeof(unsigned) == sizeof(uint32_t), "unsigned is stored as uint32_t");

const SiprConfigKey sipr_config_keys[] = {
        BOOL("account.X.enable", "0", SIPR_CONFIG_REBINDS, "account active", AT_A(enable, SIPR_FIELD_BOOL)),
        TEXT("account.X.label", "", SIPR_CONFIG_COSMETIC,
             "label shown to users (a change never re-registers)", AT_A(label, SIPR_FIELD_STRING)),
        TEXT("account.X.display_name", "", 0, "display name shown to users",
             AT_A(display_name, SIPR_FIELD_STRING)),
        TEXT("account.X.user_name", "", SIPR_CONFIG_REBINDS, "user part of the AOR",
             AT_A(user_name, SIPR_FIELD_STRING)),
        TEXT("account.X.auth_name", "", SIPR_CONFIG_DEFAULT_USER_NAME,
             "digest user name (default: user_name)", AT_A(auth_name, SIPR_FIELD_STRING)),
        TEXT("account.X.password", "", SIPR_CONFIG_SECRET, "digest password",
             AT_A(password, SIPR_FIELD_STRING)),
        {"account.X.sip_server.Y.address", SIPR_CONFIG_HOST, 0, 0, NULL, "", SIPR_CONFIG_REBINDS,
         "server Y (host name or IP); its domain is the AOR domain for Y=1",
         AT_S(address, SIPR_FIELD_STRING)},
        {"account.X.sip_server.Y.port", SIPR_CONFIG_UINT, 0, 65535, NULL, "5060", SIPR_CONFIG_REBINDS,
         "server port; 0 = take the port from SRV", AT_S(port, SIPR_FIELD_U16)},
        {"account.X.sip_server.Y.transport_type", SIPR_CONFIG_UINT, 0, 3, transport_names, "0",
         SIPR_CONFIG_REBINDS, "transport; 3 = choose by NAPTR/SRV (RFC 3263)",
         AT_S(transport, SIPR_FIELD_U32)},
        UINT("account.X.sip_server.Y.expires", 30, U32MAX_S, "3600", "requested registration lifetime (s)",
             AT_S(expires, SIPR_FIELD_U32)),
        UINT("account.X.sip_server.Y.retry_counts", 0, 20, "3",
             "retransmissions on a server that is not the last before moving on",
             AT_S(retry_counts, SIPR_FIELD_U32)),
        UINT("account.X.sip_server.Y.invite_retry_counts", 1, 10, "3",
             "INVITE retransmissions through the edge on a server that is not the last before moving on",
             AT_S(invite_retry_counts, SIPR_FIELD_U32)),
        {"account.X.sip_server.Y.failback_mode", SIPR_CONFIG_UINT, 0, 3, failback_names, "0", 0,
         "when to go back to the primary server", AT_S(failback_mode, SIPR_FIELD_U32)},
        {"account.X.sip_server.Y.failback_timeout", SIPR_CONFIG_UINT, 0, 65535, NULL, "3600",
         SIPR_CONFIG_ROUND_UP_TO_60,
         "failback_mode 3: seconds before failback (1…59 become 60); 0 = only when the current server fails",
         AT_S(failback_timeout, SIPR_FIELD_U32)},
        {"account.X.sip_server.Y.failover_response_codes", SIPR_CONFIG_STATUS_LIST, 0, 0, NULL, "408,503", 0,
         "final answers that mean \"try the next address\" (besides local failures: timeout, ICMP, refused)",
         AT_S(failover_codes, SIPR_FIELD_STRING)},
        BOOL("account.X.sip_server.Y.register_on_enable", "0", 0,
             "in failover, also REGISTER with the secondary server it sends to",
             AT_S(register_on_enable, SIPR_FIELD_BOOL)),
        BOOL("account.X.sip_server.Y.only_signal_with_registered", "0", 0,
             "with register_on_enable = 1 and failback mode 1–3: send requests only to an address holding a "
             "binding (Yealink; no effect otherwise)",
             AT_S(only_signal_with_registered, SIPR_FIELD_BOOL)),
        {"account.X.fallback.redundancy_type", SIPR_CONFIG_UINT, 0, 1, redundancy_names, "0", 0,
         "fallback registration method", AT_A(redundancy_type, SIPR_FIELD_U32)},
        UINT("account.X.fallback.timeout", 10, U32MAX_S, "120",
             "successive mode: how often to REGISTER to the working server to see if it is back (s); with "
             "health probing also sipr.failback.hold_down s after it is seen up",
             AT_A(fallback_timeout, SIPR_FIELD_U32)),
        BOOL("account.X.outbound_proxy_enable", "0", 0, "route requests through an outbound proxy",
             AT_A(outbound_proxy_enable, SIPR_FIELD_BOOL)),
        {"account.X.outbound_proxy.Y.address", SIPR_CONFIG_HOST, 0, 0, NULL, "", 0,
         "outbound proxy Y (Y=1 preferred)", AT_P(address, SIPR_FIELD_STRING)},
        UINT("account.X.outbound_proxy.Y.port", 0, 65535, "5060", "outbound proxy port",
             AT_P(port, SIPR_FIELD_U16)),
        UINT("account.X.outbound_proxy_fallback_interval", 30, U32MAX_S, "3600",
             "how often to try the preferred proxy again after falling back (s)",
             AT_A(outbound_proxy_fallback_interval, SIPR_FIELD_U32)),
        UINT("account.X.reg_fail_retry_interval", 0, 1800, "30",
             "wait before re-registering after all servers failed (s)",
             AT_A(reg_fail_retry_interval, SIPR_FIELD_U32)),
        UINT("account.X.reg_failed_retry_min_time", 0, 86400, "0",
             "RFC 5626 back-off base: after the n-th failed round wait a random 50…100 % of min(max_time, "
             "min_time·2ⁿ) (s); 0 = reg_fail_retry_interval",
             AT_A(reg_failed_retry_min_time, SIPR_FIELD_U32)),
        UINT("account.X.reg_failed_retry_max_time", 0, 86400, "60",
             "RFC 5626 back-off ceiling (s), with reg_failed_retry_min_time",
             AT_A(reg_failed_retry_max_time, SIPR_FIELD_U32)),
        UINT("account.X.reg_rejected_retry_interval", 0, 86400, "1800",
             "wait before trying again a server that refused the registration (403, 404, failed "
             "authentication…) (s); 0 = only on Register() or a configuration change",
             AT_A(reg_rejected_retry_interval, SIPR_FIELD_U32)),
        {"account.X.register_expires_overlap", SIPR_CONFIG_UINT, 0, 86400, NULL, "-1", SIPR_CONFIG_MINUS_ONE,
         "refresh this many seconds before the granted lifetime ends; -1 = the earlier of 60 s before and "
         "90 %",
         AT_A(register_expires_overlap, SIPR_FIELD_U32)},
        BOOL("account.X.nat.udp_update_enable", "1", 0, "send keep-alives on the registration flow",
             AT_A(udp_update_enable, SIPR_FIELD_BOOL)),
        UINT("account.X.nat.udp_update_time", 15, U32MAX_S, "30", "keep-alive period (s)",
             AT_A(udp_update_time, SIPR_FIELD_U32)),
        {"account.X.edge.contact", SIPR_CONFIG_SIP_URI, 0, 0, NULL, "", 0,
         "a fixed local UA for this account (one that does not REGISTER with the edge)",
         AT_A(edge_contact, SIPR_FIELD_STRING)},
        {"sip.timer_t1", SIPR_CONFIG_SECONDS, 10, 600000, NULL, "0.5", 0, "RFC 3261 timer T1 (s)",
         AT_G(timer_t1_usec, SIPR_FIELD_USEC)},
        {"sip.timer_t2", SIPR_CONFIG_SECONDS, 10, 600000, NULL, "4", 0, "RFC 3261 timer T2 (s)",
         AT_G(timer_t2_usec, SIPR_FIELD_USEC)},
        {"sip.timer_t4", SIPR_CONFIG_SECONDS, 10, 600000, NULL, "5", 0, "RFC 3261 timer T4 (s)",
         AT_G(timer_t4_usec, SIPR_FIELD_USEC)},
        {"network.primary_dns", SIPR_CONFIG_ADDRESS, 0, 0, NULL, "", 0,
         "DNS server (IP or IP:port); empty = /etc/resolv.conf", AT_G(primary_dns, SIPR_FIELD_STRING)},
        {"network.secondary_dns", SIPR_CONFIG_ADDRESS, 0, 0, NULL, "", 0,
         "second DNS server (IP or IP:port)", AT_G(secondary_dns, SIPR_FIELD_STRING)},
        UINT("sipr.health.interval", 200, 3600000, "5000",
             "probe period (ms) for every server a registration depends on",
             AT_G(health_interval_ms, SIPR_FIELD_U32)),
        UINT("sipr.health.standby_interval", 200, 3600000, "30000",
             "probe period (ms) for a server address that holds no binding and takes no new requests (never "
             "shorter than sipr.health.interval)",
             AT_G(health_standby_interval_ms, SIPR_FIELD_U32)),
        {"sipr.health.method", SIPR_CONFIG_ENUM, 0, 3, method_names, "options", 0,
         "how healthd probes (crlf needs TCP/TLS)", AT_G(health_method, SIPR_FIELD_STRING)},
        UINT("sipr.health.down_after", 1, 100, "2", "consecutive failed probes before a target is down",
             AT_G(health_down_after, SIPR_FIELD_U32)),
        UINT("sipr.health.up_after", 1, 100, "2", "consecutive good probes before a target is up",
             AT_G(health_up_after, SIPR_FIELD_U32)),
        BOOL("sipr.health.proactive_failover", "1", 0,
             "a target that goes down makes regd fail over at once",
             AT_G(health_proactive_failover, SIPR_FIELD_BOOL)),
        UINT("sipr.dns.serve_stale", 0, 604800, "86400",
             "how long an expired DNS answer may be used when no DNS server answers (s)",
             AT_G(dns_serve_stale, SIPR_FIELD_U32)),
        UINT("sip.reg_surge_prevention", 0, 600, "0",
             "random delay of up to this many seconds before the first REGISTER after start, before each "
             "retry of a failed server and before returning to a recovered one (s)",
             AT_G(reg_surge_prevention, SIPR_FIELD_U32)),
        UINT("sipr.failback.hold_down", 0, 3600, "30",
             "a recovered primary must stay up this long before failback (s)",
             AT_G(failback_hold_down, SIPR_FIELD_U32)),
        BOOL("sipr.unregister_on_stop", "0", 0, "send REGISTER Expires: 0 on clean stop",
             AT_G(unregister_on_stop, SIPR_FIELD_BOOL)),
        BOOL("sipr.edge.enable", "1", 0, "listen for local user agents (the SIP edge, docs/edge.md)",
             AT_G(edge_enable, SIPR_FIELD_BOOL)),
        {"sipr.edge.address", SIPR_CONFIG_IP, 0, 0, NULL, "127.0.0.1", 0,
         "edge socket address (UDP and TCP)", AT_G(edge_address, SIPR_FIELD_STRING)},
        UINT("sipr.edge.port", 1, 65535, "5060", "edge socket port", AT_G(edge_port, SIPR_FIELD_U16)),
        {"sipr.edge.allow", SIPR_CONFIG_CIDR_LIST, 0, 0, NULL, "127.0.0.0/8,::1/128", 0,
         "sources allowed on the edge (comma list of IP/prefix); others get 403",
         AT_G(edge_allow, SIPR_FIELD_STRING)},
        {"static.auto_provision.server.url", SIPR_CONFIG_URL, 0, 0, NULL, "", 0,
         "provisioning server: the directory holding the common and the device file; empty = none",
         AT_PV(url, SIPR_FIELD_STRING)},
        TEXT("static.auto_provision.server.username", "", 0,
             "user name for the provisioning server (basic or digest)", AT_PV(username, SIPR_FIELD_STRING)),
        TEXT("static.auto_provision.server.password", "", SIPR_CONFIG_SECRET,
             "password for the provisioning server", AT_PV(password, SIPR_FIELD_STRING)),
        BOOL("static.auto_provision.power_on", "1", 0, "fetch from the provisioning server at start",
             AT_PV(power_on, SIPR_FIELD_BOOL)),
        BOOL("static.auto_provision.repeat.enable", "0", 0,
             "fetch from the provisioning server periodically", AT_PV(repeat_enable, SIPR_FIELD_BOOL)),
        UINT("static.auto_provision.repeat.minutes", 1, 43200, "1440", "period of the periodic fetch (min)",
             AT_PV(repeat_minutes, SIPR_FIELD_U32)),
        TEXT("sipr.provision.ca_file", "", 0,
             "PEM file of the CAs trusted for an https provisioning server; empty = the system's CA store",
             AT_PV(ca_file, SIPR_FIELD_STRING)),
        UINT("sipr.provision.timeout", 5, 3600, "120", "longest one provisioning download may take (s)",
             AT_PV(timeout_sec, SIPR_FIELD_U32)),
        BOOL("sipr.config.watch", "0", 0,
             "reload when the common or device file in the config directory changes, without SIGHUP",
             AT_PV(watch, SIPR_FIELD_BOOL)),
};

const size_t sipr_config_n_keys = ELEMENTSOF(sipr_config_keys);

SiprConfigScope sipr_config_key_scope(const SiprConfigKey *k) {
        if (strstr(k->pattern, ".Y."))
                return SIPR_CONFIG_SERVER;
        if (strneq(k->pattern, "account.X.", 10))
                return SIPR_CONFIG_ACCOUNT;
        return SIPR_CONFIG_GLOBAL;
}

/* A strict index: decimal, no sign, no leading zero. Returns the length consumed, 0 if none. */
static size_t parse_index(const char *s, unsigned *ret) {
        size_t n = 0;
        unsigned long v = 0;

        if (s[0] < '1' || s[0] > '9')
                return 0;
        while (s[n] >= '0' && s[n] <= '9') {
                if (n >= 6)
                        return 0;
                v = v * 10 + (unsigned long) (s[n] - '0');
                n++;
        }
        *ret = (unsigned) v;
        return n;
}

/* Matches key against pattern; X/Y placeholders take any index, range checked by the caller. */
static bool pattern_match(const char *pattern, const char *key, unsigned *x, unsigned *y) {
        const char *p = pattern, *k = key;

        *x = *y = 0;
        while (*p) {
                if ((*p == 'X' || *p == 'Y') && (p[1] == '.' || p[1] == 0) && p > pattern && p[-1] == '.') {
                        unsigned v;
                        size_t n = parse_index(k, &v);

                        if (n == 0)
                                return false;
                        if (*p == 'X')
                                *x = v;
                        else
                                *y = v;
                        p++;
                        k += n;
                        continue;
                }
                if (*p != *k)
                        return false;
                p++;
                k++;
        }
        return *k == 0;
}

const SiprConfigKey *sipr_config_lookup(const char *key, unsigned *ret_x, unsigned *ret_y,
                                        const char **ret_reason) {
        const char *reason = NULL;

        if (!key)
                return NULL;
        for (size_t i = 0; i < sipr_config_n_keys; i++) {
                const SiprConfigKey *k = &sipr_config_keys[i];
                unsigned x, y;

                if (!pattern_match(k->pattern, key, &x, &y))
                        continue;
                if (strchr(k->pattern, 'X') && (x < 1 || x > SIPR_CONFIG_ACCOUNT_MAX)) {
                        reason = "account index out of range 1…" STRINGIFY(SIPR_ACCOUNTS_MAX);
                        continue;
                }
                if (strstr(k->pattern, ".Y.") && (y < 1 || y > SIPR_CONFIG_SERVER_MAX)) {
                        reason = "server index out of range 1…4";
                        continue;
                }
                if (ret_x)
                        *ret_x = x;
                if (ret_y)
                        *ret_y = y;
                if (ret_reason)
                        *ret_reason = NULL;
                return k;
        }
        if (ret_reason)
                *ret_reason = reason;
        return NULL;
}

char *sipr_config_key_format(const SiprConfigKey *k, unsigned x, unsigned y) {
        char buf[256];
        size_t n = 0;

        for (const char *p = k->pattern; *p && n < sizeof(buf) - 16; p++) {
                if ((*p == 'X' || *p == 'Y') && p > k->pattern && p[-1] == '.' && (p[1] == '.' || p[1] == 0))
                        n += (size_t) snprintf(buf + n, sizeof(buf) - n, "%u", *p == 'X' ? x : y);
                else
                        buf[n++] = *p;
        }
        buf[n] = 0;
        return strdup(buf);
}

static char *format_ms(uint64_t ms) {
        char *s = NULL;

        if (ms % 1000 == 0)
                return asprintf(&s, "%" PRIu64, ms / 1000) < 0 ? NULL : s;
        if (ms % 100 == 0)
                return asprintf(&s, "%" PRIu64 ".%01" PRIu64, ms / 1000, (ms % 1000) / 100) < 0 ? NULL : s;
        if (ms % 10 == 0)
                return asprintf(&s, "%" PRIu64 ".%02" PRIu64, ms / 1000, (ms % 1000) / 10) < 0 ? NULL : s;
        return asprintf(&s, "%" PRIu64 ".%03" PRIu64, ms / 1000, ms % 1000) < 0 ? NULL : s;
}

char *sipr_config_range_string(const SiprConfigKey *k) {
        _cleanup_free_ char *lo = NULL, *hi = NULL;
        char *s = NULL;
        size_t len = 0;
        FILE *f;

        switch (k->type) {
        case SIPR_CONFIG_BOOL:
                return strdup("0 or 1");
        case SIPR_CONFIG_UINT:
                if (k->flags & SIPR_CONFIG_MINUS_ONE)
                        return asprintf(&s, "-1 (automatic) or %" PRIu64 "…%" PRIu64, k->min, k->max) < 0
                                       ? NULL
                                       : s;
                if (!k->names) {
                        if (k->flags & SIPR_CONFIG_ROUND_UP_TO_60)
                                return asprintf(&s, "0 or 60…%" PRIu64 " (1…59 are taken as 60)", k->max) < 0
                                               ? NULL
                                               : s;
                        return asprintf(&s, "%" PRIu64 "…%" PRIu64, k->min, k->max) < 0 ? NULL : s;
                }
                f = open_memstream(&s, &len);
                if (!f)
                        return NULL;
                for (uint64_t v = k->min; v <= k->max && k->names[v - k->min]; v++)
                        fprintf(f, "%s%" PRIu64 " %s", v > k->min ? ", " : "", v, k->names[v - k->min]);
                fclose(f);
                return s;
        case SIPR_CONFIG_ENUM:
                f = open_memstream(&s, &len);
                if (!f)
                        return NULL;
                for (size_t i = 0; k->names[i]; i++)
                        fprintf(f, "%s%s", i > 0 ? ", " : "", k->names[i]);
                fclose(f);
                return s;
        case SIPR_CONFIG_TEXT:
                return asprintf(&s, "UTF-8 text without control characters, at most %d bytes",
                                SIPR_CONFIG_TEXT_MAX) < 0
                               ? NULL
                               : s;
        case SIPR_CONFIG_HOST:
                return strdup("a host name or an IP address, or empty");
        case SIPR_CONFIG_ADDRESS:
                return strdup("an IP address, IP:port or [IPv6]:port, or empty");
        case SIPR_CONFIG_IP:
                return strdup("an IPv4 or IPv6 address");
        case SIPR_CONFIG_CIDR_LIST:
                return strdup(
                        "a comma-separated list of IP addresses or IP/prefix (e.g. 127.0.0.0/8,::1/128)");
        case SIPR_CONFIG_SIP_URI:
                return strdup("a sip: or sips: URI (e.g. sip:1001@127.0.0.1:5062), or empty");
        case SIPR_CONFIG_URL:
                return strdup("a URL, http[s]://[user@]host[:port][/path] (no password in it), or empty");
        case SIPR_CONFIG_STATUS_LIST:
                return strdup("a comma-separated list of SIP response codes 300…699 (e.g. 408,503,500)");
        case SIPR_CONFIG_SECONDS:
                lo = format_ms(k->min);
                hi = format_ms(k->max);
                if (!lo || !hi)
                        return NULL;
                return asprintf(&s, "%s…%s seconds (at most 3 decimals)", lo, hi) < 0 ? NULL : s;
        default:
                return NULL;
        }
}

size_t sipr_utf8_prefix_len(const char *s, size_t max) {
        size_t n = strnlen(s, max + 1);

        if (n <= max)
                return n;
        n = max;
        /* Step back over continuation bytes to the start of the cut sequence. */
        while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
                n--;
        return n;
}

bool sipr_config_text_valid(const char *s, size_t max) {
        const unsigned char *p = (const unsigned char *) s;
        size_t len = strlen(s);

        if (len > max)
                return false;
        while (*p) {
                unsigned c = *p, n;
                uint32_t cp;

                if (c < 0x80) {
                        if ((c < 0x20 && c != '\t') || c == 0x7f)
                                return false;
                        p++;
                        continue;
                }
                if ((c & 0xe0) == 0xc0) {
                        n = 1;
                        cp = c & 0x1f;
                } else if ((c & 0xf0) == 0xe0) {
                        n = 2;
                        cp = c & 0x0f;
                } else if ((c & 0xf8) == 0xf0) {
                        n = 3;
                        cp = c & 0x07;
                } else
                        return false;
                for (unsigned i = 1; i <= n; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (p[i] & 0x3f);
                }
                /* Overlong forms, surrogates and beyond U+10FFFF are not UTF-8. */
                if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
                    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                        return false;
                p += n + 1;
        }
        return true;
}

int sipr_config_parse_seconds_ms(const char *s, uint64_t *ret_ms) {
        uint64_t whole = 0, frac = 0;
        const char *p = s;
        int digits = 0, fd = 0;

        if (!s || !*s)
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++, digits++) {
                if (digits >= 9)
                        return -ERANGE;
                whole = whole * 10 + (uint64_t) (*p - '0');
        }
        if (*p == '.') {
                p++;
                for (; *p >= '0' && *p <= '9'; p++, fd++) {
                        if (fd >= 3)
                                return -EINVAL;
                        frac = frac * 10 + (uint64_t) (*p - '0');
                }
                if (fd == 0)
                        return -EINVAL;
        }
        if (*p || digits == 0)
                return -EINVAL;
        for (; fd < 3; fd++)
                frac *= 10;
        *ret_ms = whole * 1000 + frac;
        return 0;
}

static bool host_name_valid(const char *s) {
        size_t len = strlen(s), label = 0;

        if (len == 0 || len > 253 + 1)
                return false;
        for (const char *p = s; *p; p++) {
                if (*p == '.') {
                        if (label == 0)
                                return false;
                        label = 0;
                        continue;
                }
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '-' || *p == '_'))
                        return false;
                if (++label > 63)
                        return false;
        }
        return true;
}

static bool ip_valid(const char *s, bool allow_brackets) {
        unsigned char buf[16];
        char tmp[64];
        size_t len = strlen(s);

        if (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1)
                return true;
        if (allow_brackets && len > 2 && len < sizeof(tmp) && s[0] == '[' && s[len - 1] == ']') {
                memcpy(tmp, s + 1, len - 2);
                tmp[len - 2] = 0;
                return inet_pton(AF_INET6, tmp, buf) == 1;
        }
        return false;
}

static bool address_valid(const char *s) {
        const char *colon;
        char host[64];
        uint64_t port;
        size_t hl;

        if (ip_valid(s, true))
                return true;
        /* IPv4:port or [IPv6]:port */
        colon = strrchr(s, ':');
        if (!colon)
                return false;
        hl = (size_t) (colon - s);
        if (hl == 0 || hl >= sizeof(host))
                return false;
        memcpy(host, s, hl);
        host[hl] = 0;
        if (host[0] == '[' ? !ip_valid(host, true) : (strchr(host, ':') || !ip_valid(host, false)))
                return false;
        if (colon[1] < '1' || colon[1] > '9' || strlen(colon + 1) > 5)
                return false;
        port = strtoull(colon + 1, NULL, 10);
        for (const char *p = colon + 1; *p; p++)
                if (*p < '0' || *p > '9')
                        return false;
        return port >= 1 && port <= 65535;
}

/* sip:[user[:password]@]host[:port][;params][?headers], enough to refuse what no SIP stack would
 * parse: the scheme, a host (name, IPv4 or [IPv6]), a port in range, no blanks or controls. */
bool sipr_sip_uri_valid(const char *s) {
        const char *p, *host, *end;
        char buf[256];
        size_t hl;

        if (!s || strlen(s) > 255 || !sipr_config_text_valid(s, 255))
                return false;
        for (p = s; *p; p++)
                if (*p == ' ' || *p == '\t' || *p == '<' || *p == '>' || *p == '"')
                        return false;
        if (strncasecmp(s, "sip:", 4) == 0)
                p = s + 4;
        else if (strncasecmp(s, "sips:", 5) == 0)
                p = s + 5;
        else
                return false;
        host = strchr(p, '@');
        host = host ? host + 1 : p;
        if (host[0] == '[') {
                end = strchr(host, ']');
                if (!end)
                        return false;
                end++;
        } else
                end = host + strcspn(host, ":;?");
        hl = (size_t) (end - host);
        if (hl == 0 || hl >= sizeof(buf))
                return false;
        memcpy(buf, host, hl);
        buf[hl] = 0;
        if (!ip_valid(buf, true) && !host_name_valid(buf))
                return false;
        if (*end == ':') {
                uint64_t port = 0;
                size_t n = 0;
                for (p = end + 1; *p >= '0' && *p <= '9'; p++, n++)
                        port = port * 10 + (uint64_t) (*p - '0');
                if (n == 0 || n > 5 || port < 1 || port > 65535 || (*p && *p != ';' && *p != '?'))
                        return false;
        } else if (*end && *end != ';' && *end != '?')
                return false;
        return true;
}

/* scheme://[user@]host[:port][/path…]: the phones' URL forms. The scheme is checked when
 * fetching (only http and https are), so a phone's file naming a tftp:// server still loads. A
 * password in the URL is refused: the URL is shown by Get, List and the logs, so the password
 * goes in static.auto_provision.server.password. */
bool sipr_url_valid(const char *s, const char **ret_reason) {
        const char *p, *auth, *at, *host, *end;
        char buf[256];
        size_t hl;

#define URL_FAIL(why)                                                                                       \
        do {                                                                                                \
                if (ret_reason)                                                                             \
                        *ret_reason = why;                                                                  \
                return false;                                                                               \
        } while (0)

        if (!s || !sipr_config_text_valid(s, SIPR_CONFIG_TEXT_MAX))
                URL_FAIL("not valid UTF-8 text (or contains control characters)");
        for (p = s; *p; p++)
                if (*p == ' ' || *p == '\t' || *p == '"' || *p == '<' || *p == '>')
                        URL_FAIL("a URL contains no blanks, quotes or angle brackets");
        p = strstr(s, "://");
        if (!p || p == s)
                URL_FAIL("no scheme (write http://… or https://…)");
        for (const char *q = s; q < p; q++)
                if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
                      (q > s && ((*q >= '0' && *q <= '9') || *q == '+' || *q == '-' || *q == '.'))))
                        URL_FAIL("the scheme is not a word (write http://… or https://…)");
        auth = p + 3;
        end = auth + strcspn(auth, "/?#");
        at = memrchr(auth, '@', (size_t) (end - auth));
        if (at && memchr(auth, ':', (size_t) (at - auth)))
                URL_FAIL("a password in the URL would be shown wherever the URL is (Get, List, logs); "
                         "put it in static.auto_provision.server.password");
        host = at ? at + 1 : auth;
        if (host[0] == '[') {
                const char *rb = memchr(host, ']', (size_t) (end - host));
                if (!rb)
                        URL_FAIL("an IPv6 address without its closing ']'");
                hl = (size_t) (rb + 1 - host);
        } else
                hl = strcspn(host, ":/?#");
        if (hl == 0 || hl >= sizeof(buf))
                URL_FAIL("no host name");
        memcpy(buf, host, hl);
        buf[hl] = 0;
        if (!ip_valid(buf, true) && !host_name_valid(buf))
                URL_FAIL("the host is neither a host name nor an IP address");
        p = host + hl;
        if (*p == ':') {
                uint64_t port = 0;
                size_t n = 0;

                for (p++; *p >= '0' && *p <= '9'; p++, n++)
                        port = port * 10 + (uint64_t) (*p - '0');
                if (n == 0 || n > 5 || port < 1 || port > 65535)
                        URL_FAIL("the port is not a number 1…65535");
        }
        if (*p && *p != '/' && *p != '?' && *p != '#')
                URL_FAIL("garbage after the host");
        return true;
#undef URL_FAIL
}

static int parse_uint(const char *s, uint64_t *ret) {
        uint64_t v = 0;
        size_t n = 0;

        if (!*s)
                return -EINVAL;
        for (; s[n]; n++) {
                if (s[n] < '0' || s[n] > '9')
                        return -EINVAL;
                if (v > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (s[n] - '0');
        }
        *ret = v;
        return 0;
}

int sipr_config_validate(const SiprConfigKey *k, const char *key, const char *value, char **ret_normalized,
                         char **ret_error) {
        _cleanup_free_ char *norm = NULL;
        const char *url_reason = NULL;
        uint64_t v;
        bool ok = false;

        if (!value)
                value = "";
        if (streq(value, SIPR_CONFIG_NULL)) {
                if (ret_normalized) {
                        *ret_normalized = strdup(SIPR_CONFIG_NULL);
                        if (!*ret_normalized)
                                return -ENOMEM;
                }
                return 0;
        }
        /* The file format trims blanks around a value, so such a value could not survive a
         * restart: refuse it rather than let the running and the stored value differ. */
        if (*value && (strchr(" \t", value[0]) || strchr(" \t", value[strlen(value) - 1]))) {
                if (ret_error &&
                    asprintf(ret_error,
                             "%s: invalid value '%s': leading or trailing blanks cannot be "
                             "stored in a provisioning file",
                             key, (k->flags & SIPR_CONFIG_SECRET) ? SIPR_CONFIG_SECRET_MASK : value) < 0)
                        return -ENOMEM;
                return -EINVAL;
        }
        switch (k->type) {
        case SIPR_CONFIG_BOOL:
                ok = streq(value, "0") || streq(value, "1");
                if (ok)
                        norm = strdup(value);
                break;
        case SIPR_CONFIG_UINT:
                if ((k->flags & SIPR_CONFIG_MINUS_ONE) && streq(value, "-1")) {
                        ok = true;
                        norm = strdup(value);
                } else if (parse_uint(value, &v) >= 0 && v >= k->min && v <= k->max) {
                        ok = true;
                        if ((k->flags & SIPR_CONFIG_ROUND_UP_TO_60) && v >= 1 && v < 60)
                                v = 60;
                        if (asprintf(&norm, "%" PRIu64, v) < 0)
                                return -ENOMEM;
                }
                break;
        case SIPR_CONFIG_ENUM:
                for (size_t i = 0; k->names[i]; i++)
                        if (streq(value, k->names[i]))
                                ok = true;
                if (ok)
                        norm = strdup(value);
                break;
        case SIPR_CONFIG_TEXT:
                ok = sipr_config_text_valid(value, (size_t) k->max);
                if (ok)
                        norm = strdup(value);
                break;
        case SIPR_CONFIG_HOST:
                ok = isempty(value) || ip_valid(value, true) || host_name_valid(value);
                if (ok)
                        norm = strdup(value);
                break;
        case SIPR_CONFIG_ADDRESS:
                ok = isempty(value) || address_valid(value);
                if (ok)
                        norm = strdup(value);
                break;
        case SIPR_CONFIG_IP:
                ok = ip_valid(value, false);
                if (ok)
                        norm = strdup(value);
                break;
        case SIPR_CONFIG_CIDR_LIST: {
                CidrList l;
                ok = cidr_list_parse(value, &l, NULL, NULL) >= 0;
                if (ok)
                        norm = strdup(value);
                break;
        }
        case SIPR_CONFIG_STATUS_LIST: {
                StatusList l;
                ok = status_list_parse(value, &l, NULL, NULL) >= 0;
                if (ok)
                        norm = strdup(value);
                break;
        }
        case SIPR_CONFIG_SIP_URI:
                ok = isempty(value) || sipr_sip_uri_valid(value);
                if (ok)
                        norm = strdup(value);
                break;
        case SIPR_CONFIG_URL:
                ok = isempty(value) || sipr_url_valid(value, &url_reason);
                if (ok)
                        norm = strdup(value);
                break;
        case SIPR_CONFIG_SECONDS:
                if (sipr_config_parse_seconds_ms(value, &v) >= 0 && v >= k->min && v <= k->max) {
                        ok = true;
                        norm = format_ms(v);
                }
                break;
        default:
                break;
        }

        if (ok) {
                if (!norm)
                        return -ENOMEM;
                if (ret_normalized)
                        *ret_normalized = TAKE_PTR(norm);
                return 0;
        }

        if (ret_error) {
                _cleanup_free_ char *range = sipr_config_range_string(k);
                char shown[80];
                const char *v_log;

                /* Never echo a secret, and keep a huge or binary value from flooding the message. */
                if (k->flags & SIPR_CONFIG_SECRET)
                        v_log = SIPR_CONFIG_SECRET_MASK;
                else if (!sipr_config_text_valid(value, SIZE_MAX))
                        v_log = "(not valid UTF-8 text)";
                else if (strlen(value) > 64) {
                        snprintf(shown, sizeof(shown), "%.*s… (%zu bytes)",
                                 (int) sipr_utf8_prefix_len(value, 48), value, strlen(value));
                        v_log = shown;
                } else
                        v_log = value;
                if (k->type == SIPR_CONFIG_CIDR_LIST || k->type == SIPR_CONFIG_STATUS_LIST) {
                        /* say which entry is wrong, and why: lists get long */
                        CidrList l;
                        StatusList sl;
                        const char *why = NULL;
                        size_t pos = 0;
                        if (k->type == SIPR_CONFIG_CIDR_LIST)
                                (void) cidr_list_parse(value, &l, &why, &pos);
                        else
                                (void) status_list_parse(value, &sl, &why, &pos);
                        char where[32] = "";
                        if (pos > 0)
                                snprintf(where, sizeof(where), "entry %zu: ", pos);
                        if (asprintf(ret_error, "%s: invalid value '%s': %s%s; permitted %s", key, v_log,
                                     where, strempty(why), strempty(range)) < 0)
                                return -ENOMEM;
                } else if (url_reason) {
                        /* A URL refused for a password in it is not quoted: that would show it. */
                        if (asprintf(ret_error, "%s: invalid value: %s; permitted %s", key, url_reason,
                                     strempty(range)) < 0)
                                return -ENOMEM;
                } else if (asprintf(ret_error, "%s: invalid value '%s': permitted %s", key, v_log,
                                    strempty(range)) < 0)
                        return -ENOMEM;
        }
        return -EINVAL;
}

bool sipr_config_key_is_secret(const char *key) {
        const SiprConfigKey *k = sipr_config_lookup(key, NULL, NULL, NULL);

        if (k)
                return k->flags & SIPR_CONFIG_SECRET;
        /* Unknown keys that look like passwords (Yealink has many) are masked as well. */
        return key && (strstr(key, "password") || strstr(key, "passwd") || strstr(key, "secret") ||
                       strstr(key, "pin"));
}

const char *sipr_config_value_for_log(const char *key, const char *value) {
        if (sipr_config_key_is_secret(key))
                return isempty(value) ? "" : SIPR_CONFIG_SECRET_MASK;
        return strempty(value);
}
