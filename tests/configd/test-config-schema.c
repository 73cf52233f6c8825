/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-schema.h"
#include "macro.h"

#define assert_se(x) do { if (!(x)) { fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #x); abort(); } } while (0)

static void test_lookup(void) {
        const SiprConfigKey *k;
        const char *reason;
        unsigned x, y;

        k = sipr_config_lookup("account.3.sip_server.2.port", &x, &y, &reason);
        assert_se(k && streq(k->pattern, "account.X.sip_server.Y.port") && x == 3 && y == 2 && !reason);
        k = sipr_config_lookup("account." STRINGIFY(SIPR_ACCOUNTS_MAX) ".outbound_proxy.4.address", &x, &y,
                               NULL);
        assert_se(k && x == SIPR_ACCOUNTS_MAX && y == 4);
        k = sipr_config_lookup("sip.timer_t1", &x, &y, NULL);
        assert_se(k && x == 0 && y == 0 && k->type == SIPR_CONFIG_SECONDS);
        assert_se(sipr_config_lookup("account.1.outbound_proxy_enable", NULL, NULL, NULL));

        char key[64];
        snprintf(key, sizeof(key), "account.%d.enable", SIPR_ACCOUNTS_MAX + 1);
        assert_se(!sipr_config_lookup(key, NULL, NULL, &reason));
        assert_se(reason && strstr(reason, "1…" STRINGIFY(SIPR_ACCOUNTS_MAX)));
        assert_se(!sipr_config_lookup("account.1.sip_server.5.port", NULL, NULL, &reason));
        assert_se(reason && strstr(reason, "1…4"));
        assert_se(!sipr_config_lookup("account.0.enable", NULL, NULL, NULL));
        assert_se(!sipr_config_lookup("account.01.enable", NULL, NULL, NULL));
        assert_se(!sipr_config_lookup("account.+1.enable", NULL, NULL, NULL));
        assert_se(!sipr_config_lookup("account.X.enable", NULL, NULL, NULL));
        assert_se(!sipr_config_lookup("account.1.enable.x", NULL, NULL, NULL));
        assert_se(!sipr_config_lookup("account.1.enabl", NULL, NULL, &reason) && !reason);
        assert_se(!sipr_config_lookup("account.99999999999.enable", NULL, NULL, NULL));
        assert_se(!sipr_config_lookup("", NULL, NULL, NULL));
        assert_se(!sipr_config_lookup(NULL, NULL, NULL, NULL));
}

static void expect_ok(const char *key, const char *value, const char *normalized) {
        const SiprConfigKey *k = sipr_config_lookup(key, NULL, NULL, NULL);
        char *n = NULL, *e = NULL;

        assert_se(k);
        if (sipr_config_validate(k, key, value, &n, &e) != 0) {
                fprintf(stderr, "%s=%s refused: %s\n", key, value, e);
                abort();
        }
        if (!streq(n, normalized)) {
                fprintf(stderr, "%s=%s normalized to %s, expected %s\n", key, value, n, normalized);
                abort();
        }
        free(n);
        assert_se(!e);
}

static void expect_bad(const char *key, const char *value, const char *message) {
        const SiprConfigKey *k = sipr_config_lookup(key, NULL, NULL, NULL);
        char *n = NULL, *e = NULL;

        assert_se(k);
        assert_se(sipr_config_validate(k, key, value, &n, &e) == -EINVAL);
        assert_se(!n);
        if (!e || !strstr(e, message)) {
                fprintf(stderr, "%s=%s: message '%s' lacks '%s'\n", key, value, e, message);
                abort();
        }
        free(e);
}

static void test_validate(void) {
        expect_ok("account.1.enable", "1", "1");
        expect_ok("account.1.enable", "%NULL%", "%NULL%");
        expect_ok("account.1.sip_server.1.address", "%NULL%", "%NULL%");
        expect_bad("account.1.sip_server.1.address", "%null%", "permitted");
        expect_bad("account.1.enable", "yes", "account.1.enable: invalid value 'yes': permitted 0 or 1");
        expect_bad("account.1.enable", "", "permitted 0 or 1");
        expect_ok("account.1.sip_server.1.port", "0", "0");
        expect_ok("account.1.sip_server.1.port", "065535", "65535");
        expect_bad("account.1.sip_server.1.port", "65536", "account.1.sip_server.1.port: invalid value '65536': permitted 0…65535");
        expect_bad("account.1.sip_server.1.port", "-1", "permitted 0…65535");
        expect_bad("account.1.sip_server.1.port", "5060 ", "leading or trailing blanks");
        expect_bad("account.1.sip_server.1.port", "99999999999999999999999", "permitted");
        expect_ok("account.2.sip_server.1.expires", "30", "30");
        expect_ok("account.2.sip_server.1.expires", "2147483647", "2147483647");
        expect_bad("account.2.sip_server.1.expires", "2147483648", "permitted 30…2147483647");
        /* failback_timeout: 1…59 are taken as 60, 0 stays 0. */
        expect_ok("account.1.sip_server.1.failback_timeout", "0", "0");
        expect_ok("account.1.sip_server.1.failback_timeout", "1", "60");
        expect_ok("account.1.sip_server.1.failback_timeout", "59", "60");
        expect_ok("account.1.sip_server.1.failback_timeout", "61", "61");
        expect_bad("account.1.sip_server.1.failback_timeout", "65536", "permitted 0 or 60…65535 (1…59 are taken as 60)");
        expect_ok("account.1.sip_server.2.transport_type", "3", "3");
        expect_bad("account.1.sip_server.2.transport_type", "4", "permitted 0 UDP, 1 TCP, 2 TLS, 3 DNS-NAPTR");
        expect_bad("account.1.sip_server.2.failback_mode", "9", "0 newRequests, 1 DNSTTL, 2 registration, 3 duration");
        expect_bad("account.1.fallback.redundancy_type", "2", "0 concurrent, 1 successive");
        expect_ok("sipr.health.method", "crlf", "crlf");
        expect_bad("sipr.health.method", "OPTIONS", "permitted options, crlf, connect, none");
        expect_ok("sip.timer_t1", "0.5", "0.5");
        expect_ok("sip.timer_t1", "0.50", "0.5");
        expect_ok("sip.timer_t2", "4.000", "4");
        expect_ok("sip.timer_t4", "0.125", "0.125");
        expect_ok("sip.timer_t4", "600", "600");
        expect_bad("sip.timer_t1", "0.0005", "permitted 0.01…600 seconds");
        expect_bad("sip.timer_t1", "0", "permitted 0.01…600");
        expect_bad("sip.timer_t1", "1.", "permitted");
        expect_bad("sip.timer_t1", ".5", "permitted");
        expect_bad("sip.timer_t1", "601", "permitted");
        expect_bad("sip.timer_t1", "1e3", "permitted");
        expect_ok("account.1.sip_server.1.address", "reg1.lab.test", "reg1.lab.test");
        expect_ok("account.1.sip_server.1.address", "sip.example.com.", "sip.example.com.");
        expect_ok("account.1.sip_server.1.address", "127.0.0.2", "127.0.0.2");
        expect_ok("account.1.sip_server.1.address", "::1", "::1");
        expect_ok("account.1.sip_server.1.address", "[2001:db8::1]", "[2001:db8::1]");
        expect_ok("account.1.sip_server.1.address", "", "");
        expect_bad("account.1.sip_server.1.address", "bad host", "permitted a host name or an IP address");
        expect_bad("account.1.sip_server.1.address", "reg1..lab", "permitted");
        expect_bad("account.1.sip_server.1.address", "sip:reg1.lab.test", "permitted");
        expect_ok("network.primary_dns", "127.0.0.53", "127.0.0.53");
        expect_ok("network.primary_dns", "127.77.1.53:5353", "127.77.1.53:5353");
        expect_ok("network.primary_dns", "[::1]:53", "[::1]:53");
        expect_ok("network.secondary_dns", "::1", "::1");
        expect_bad("network.primary_dns", "dns.example.com", "permitted an IP address, IP:port");
        expect_bad("network.primary_dns", "1.2.3.4:0", "permitted");
        expect_bad("network.primary_dns", "1.2.3.4:65536", "permitted");
        expect_bad("network.primary_dns", "::1:53x", "permitted");
        expect_ok("account.1.label", "Büro 3 – Empfang", "Büro 3 – Empfang");
        expect_bad("account.1.label", "a\x01z", "account.1.label: invalid value '(not valid UTF-8 text)'");
        expect_bad("account.1.label", "\xc3\x28", "not valid UTF-8");
        expect_bad("account.1.label", "\xc0\xaf", "not valid UTF-8"); /* overlong '/' */
        expect_bad("account.1.label", "\xed\xa0\x80", "not valid UTF-8"); /* surrogate */
        /* A secret is never echoed, not even when it is the problem. */
        expect_bad("account.4.password", "pw\nwith newline", "account.4.password: invalid value '********'");
        expect_ok("account.4.password", "s3cr3t with spaces", "s3cr3t with spaces");
        expect_bad("account.4.password", " lead", "account.4.password: invalid value '********': leading or trailing blanks");
        expect_bad("account.1.label", "Alice ", "account.1.label: invalid value 'Alice ': leading or trailing blanks");
        expect_bad("account.1.sip_server.1.address", "\treg1", "leading or trailing blanks");
        {
                char big[SIPR_CONFIG_TEXT_MAX + 2];

                memset(big, 'a', sizeof(big) - 1);
                big[sizeof(big) - 1] = 0;
                expect_bad("account.1.display_name", big, "(1025 bytes)");
        }
}

static void test_every_key(void) {
        size_t n_secret = 0;

        assert_se(sipr_config_n_keys == 37);
        for (size_t i = 0; i < sipr_config_n_keys; i++) {
                const SiprConfigKey *k = &sipr_config_keys[i];
                char *key = sipr_config_key_format(k, 7, 3), *norm = NULL, *range;
                const SiprConfigKey *back;
                unsigned x, y;

                /* The pattern round-trips through a concrete key. */
                back = sipr_config_lookup(key, &x, &y, NULL);
                assert_se(back == k);
                assert_se(x == (strchr(k->pattern, 'X') ? 7u : 0u));
                assert_se(y == (strstr(k->pattern, ".Y.") ? 3u : 0u));
                /* Every default is itself valid (empty is "unset" for text and hosts). */
                if (!isempty(k->def)) {
                        assert_se(sipr_config_validate(k, key, k->def, &norm, NULL) == 0);
                        assert_se(streq(norm, k->def));
                        free(norm);
                }
                range = sipr_config_range_string(k);
                assert_se(range && *range);
                assert_se(k->description && *k->description);
                if (k->flags & SIPR_CONFIG_SECRET)
                        n_secret++;
                free(range);
                free(key);
        }
        assert_se(n_secret == 1);
}

static void test_for_log(void) {
        assert_se(streq(sipr_config_value_for_log("account.1.password", "hunter2"), "********"));
        assert_se(streq(sipr_config_value_for_log("account.1.password", ""), ""));
        assert_se(streq(sipr_config_value_for_log("account.1.password", NULL), ""));
        assert_se(streq(sipr_config_value_for_log("account.1.label", "Alice"), "Alice"));
        /* Phones' own secrets that sipr does not use are masked too. */
        assert_se(streq(sipr_config_value_for_log("static.auto_provision.server.password", "x"), "********"));
        assert_se(sipr_config_key_is_secret("account.16.password"));
        assert_se(!sipr_config_key_is_secret("account.16.user_name"));
}

static void test_seconds(void) {
        uint64_t ms;

        assert_se(sipr_config_parse_seconds_ms("0.5", &ms) == 0 && ms == 500);
        assert_se(sipr_config_parse_seconds_ms("12", &ms) == 0 && ms == 12000);
        assert_se(sipr_config_parse_seconds_ms("0.001", &ms) == 0 && ms == 1);
        assert_se(sipr_config_parse_seconds_ms("0.0001", &ms) < 0);
        assert_se(sipr_config_parse_seconds_ms("", &ms) < 0);
        assert_se(sipr_config_parse_seconds_ms("1234567890", &ms) == -ERANGE);
}

int main(void) {
        test_lookup();
        test_validate();
        test_every_key();
        test_for_log();
        test_seconds();
        printf("ok\n");
        return 0;
}
