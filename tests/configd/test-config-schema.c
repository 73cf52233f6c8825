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

static void test_new_types(void) {
        expect_ok("sipr.edge.address", "127.0.0.1", "127.0.0.1");
        expect_ok("sipr.edge.address", "::1", "::1");
        expect_bad("sipr.edge.address", "", "an IPv4 or IPv6 address");
        expect_bad("sipr.edge.address", "[::1]", "an IPv4 or IPv6 address");
        expect_bad("sipr.edge.address", "localhost", "an IPv4 or IPv6 address");
        expect_bad("sipr.edge.address", "127.0.0.1:5060", "an IPv4 or IPv6 address");
        expect_ok("sipr.edge.port", "5060", "5060");
        expect_bad("sipr.edge.port", "0", "1…65535");
        expect_ok("sipr.edge.allow", "127.0.0.0/8,::1/128", "127.0.0.0/8,::1/128");
        expect_ok("sipr.edge.allow", "192.168.1.20", "192.168.1.20");
        /* the message names the faulty entry and why */
        expect_bad("sipr.edge.allow", "127.0.0.0/8,10.0.0.0/40", "entry 2: prefix length too long");
        expect_bad("sipr.edge.allow", "127.0.0.0/8,lan", "entry 2: not an IP address");
        expect_bad("sipr.edge.allow", "", "'': empty list; permitted");
        expect_ok("account.2.edge.contact", "", "");
        expect_ok("account.2.edge.contact", "sip:1001@127.0.0.1:5062", "sip:1001@127.0.0.1:5062");
        expect_ok("account.2.edge.contact", "sip:[::1]:5062;transport=tcp", "sip:[::1]:5062;transport=tcp");
        expect_ok("account.2.edge.contact", "sips:ua.local", "sips:ua.local");
        expect_bad("account.2.edge.contact", "http://x", "sip: or sips: URI");
        expect_bad("account.2.edge.contact", "sip:", "sip: or sips: URI");
        expect_bad("account.2.edge.contact", "sip:a@b c", "sip: or sips: URI");
        expect_bad("account.2.edge.contact", "sip:1001@127.0.0.1:0", "sip: or sips: URI");
        expect_bad("account.2.edge.contact", "sip:1001@127.0.0.1:70000", "sip: or sips: URI");
        expect_bad("account.2.edge.contact", "<sip:1001@127.0.0.1>", "sip: or sips: URI");
        expect_ok("account.2.sip_server.1.invite_retry_counts", "10", "10");
        expect_bad("account.2.sip_server.1.invite_retry_counts", "0", "1…10");
}

/* Every key says where its value lives, with a kind that fits its type: the typed view is
 * derived from the table, so a wrong entry would store a value into the wrong bytes. */
static void test_every_slot(void) {
        SiprGlobalConfig g = {};
        SiprAccountConfig a = {}, b = {};
        SiprProvisionConfig pv = {};

        for (size_t i = 0; i < sipr_config_n_keys; i++) {
                const SiprConfigKey *k = &sipr_config_keys[i];
                SiprConfigScope scope = sipr_config_key_scope(k);
                void *slot;

                if (scope == SIPR_CONFIG_GLOBAL)
                        /* configd's provisioning keys: global, but never in the daemons' view */
                        assert_se(k->in == (strneq(k->pattern, "static.auto_provision.", 22) ||
                                                            strneq(k->pattern, "sipr.provision.", 15) ||
                                                            streq(k->pattern, "sipr.config.watch")
                                                    ? SIPR_CONFIG_IN_PROVISION
                                                    : SIPR_CONFIG_IN_GLOBAL));
                else if (scope == SIPR_CONFIG_ACCOUNT)
                        assert_se(k->in == SIPR_CONFIG_IN_ACCOUNT);
                else
                        assert_se(k->in == (strstr(k->pattern, "outbound_proxy.Y.") ? SIPR_CONFIG_IN_PROXY :
                                                                                     SIPR_CONFIG_IN_SERVER));
                switch (k->type) {
                case SIPR_CONFIG_BOOL:
                        assert_se(k->field == SIPR_FIELD_BOOL);
                        break;
                case SIPR_CONFIG_UINT:
                        assert_se(k->field == SIPR_FIELD_U32 || (k->field == SIPR_FIELD_U16 && k->max <= 65535));
                        break;
                case SIPR_CONFIG_SECONDS:
                        assert_se(k->field == SIPR_FIELD_USEC);
                        break;
                default:
                        assert_se(k->field == SIPR_FIELD_STRING);
                        break;
                }
                if (k->in == SIPR_CONFIG_IN_PROVISION) {
                        assert_se(!sipr_config_slot(k, &g, &a, 2));
                        slot = (char *) &pv + k->offset;
                } else
                        slot = sipr_config_slot(k, &g, &a, 2);
                assert_se(slot);
                assert_se(sipr_config_slot_set(k, slot, !isempty(k->def) ? k->def : "1") == 0);
        }
        /* the values landed where the names say */
        assert_se(g.edge_enable && streq(g.edge_address, "127.0.0.1") && g.edge_port == 5060);
        assert_se(streq(g.edge_allow, "127.0.0.0/8,::1/128") && g.timer_t1_usec == 500000);
        assert_se(a.server[1].invite_retry_counts == 3 && a.server[1].port == 5060 && a.server[1].expires == 3600);
        assert_se(a.outbound_proxy[1].port == 5060 && a.server[0].port == 0);
        assert_se(a.udp_update_enable && a.udp_update_time == 30 && streq(a.edge_contact, "1"));
        assert_se(pv.power_on && pv.repeat_minutes == 1440 && pv.timeout_sec == 120 && streq(pv.password, "1"));
        sipr_provision_config_done(&pv);
        assert_se(!pv.password && !pv.url);

        /* derived copy, compare, free */
        assert_se(sipr_account_config_copy(&b, &a) == 0);
        assert_se(!sipr_account_config_differs(&a, &b, 0));
        assert_se(b.edge_contact != a.edge_contact && streq(b.edge_contact, a.edge_contact));
        b.server[1].invite_retry_counts = 4;
        assert_se(sipr_account_config_differs(&a, &b, 0));
        assert_se(!sipr_account_config_differs(&a, &b, SIPR_CONFIG_REBINDS));
        b.server[1].port = 5062;
        assert_se(sipr_account_config_differs(&a, &b, SIPR_CONFIG_REBINDS));
        sipr_account_config_done(&b);
        assert_se(!b.edge_contact && !b.server[1].address);
        sipr_account_config_done(&a);

        SiprGlobalConfig d = {}, e = {};
        assert_se(sipr_global_config_defaults(&d) == 0);
        assert_se(sipr_global_config_copy(&e, &d) == 0);
        assert_se(!sipr_global_config_differs(&d, &e, NULL));
        e.edge_port = 5070;
        assert_se(sipr_global_config_differs(&d, &e, NULL) && sipr_global_config_differs(&d, &e, "sipr.edge."));
        assert_se(!sipr_global_config_differs(&d, &e, "sipr.health."));
        sipr_global_config_done(&d);
        sipr_global_config_done(&e);
        sipr_global_config_done(&g);
}

static void test_every_key(void) {
        size_t n_secret = 0;

        assert_se(sipr_config_n_keys == 59);
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
        assert_se(n_secret == 2); /* account.X.password, static.auto_provision.server.password */
}

static void test_for_log(void) {
        assert_se(streq(sipr_config_value_for_log("account.1.password", "hunter2"), "********"));
        assert_se(streq(sipr_config_value_for_log("account.1.password", ""), ""));
        assert_se(streq(sipr_config_value_for_log("account.1.password", NULL), ""));
        assert_se(streq(sipr_config_value_for_log("account.1.label", "Alice"), "Alice"));
        /* The provisioning password, a key sipr uses now (it was one of the phones' own before). */
        assert_se(streq(sipr_config_value_for_log("static.auto_provision.server.password", "x"), "********"));
        assert_se(sipr_config_key_is_secret("account.16.password"));
        assert_se(!sipr_config_key_is_secret("account.16.user_name"));
}

static const char *provision_get(const char *key, void *userdata) {
        char **kv = userdata;

        for (size_t i = 0; kv[i]; i += 2)
                if (streq(kv[i], key))
                        return kv[i + 1];
        return NULL;
}

static void test_provision(void) {
        const SiprConfigKey *k = sipr_config_lookup("static.auto_provision.server.url", NULL, NULL, NULL);
        char *kv[] = { "static.auto_provision.server.url", "https://prov.example.com/sipr/",
                       "static.auto_provision.server.password", "pw",
                       "static.auto_provision.power_on", "",
                       "static.auto_provision.repeat.minutes", "%NULL%",
                       NULL };
        const char *why = NULL;
        char *e = NULL;
        SiprProvisionConfig p;

        /* The phones' URL forms, any scheme (only http/https are fetched), no password. */
        assert_se(k && k->in == SIPR_CONFIG_IN_PROVISION);
        assert_se(sipr_url_valid("http://192.0.2.1/", NULL));
        assert_se(sipr_url_valid("https://prov.example.com:8443/dir/sub", NULL));
        assert_se(sipr_url_valid("https://device@prov.example.com/", NULL));
        assert_se(sipr_url_valid("http://[2001:db8::1]:8080/p", NULL));
        assert_se(sipr_url_valid("tftp://192.0.2.1", NULL));
        assert_se(!sipr_url_valid("prov.example.com/dir", &why) && strstr(why, "no scheme"));
        assert_se(!sipr_url_valid("http://", &why) && strstr(why, "no host"));
        assert_se(!sipr_url_valid("http://host:99999/", &why) && strstr(why, "port"));
        assert_se(!sipr_url_valid("http://a b/", &why) && strstr(why, "blanks"));
        assert_se(!sipr_url_valid("http://bad_host!/", &why));
        assert_se(!sipr_url_valid("http://user:hunter2@prov.example.com/", &why) && strstr(why, "password"));
        /* The refusal does not quote a password-bearing URL. */
        assert_se(sipr_config_validate(k, "static.auto_provision.server.url", "http://u:hunter2@h/", NULL, &e) ==
                  -EINVAL);
        assert_se(strstr(e, "static.auto_provision.server.password") && !strstr(e, "hunter2"));
        free(e);

        assert_se(sipr_provision_config_load(&p, provision_get, kv) == 0);
        assert_se(streq(p.url, "https://prov.example.com/sipr/"));
        assert_se(streq(p.password, "pw") && streq(p.username, "") && streq(p.ca_file, ""));
        assert_se(p.power_on);                /* empty: the default */
        assert_se(p.repeat_minutes == 1440); /* %NULL%: the default */
        assert_se(!p.repeat_enable && p.timeout_sec == 120);
        sipr_provision_config_done(&p);
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
        test_new_types();
        test_every_key();
        test_every_slot();
        test_for_log();
        test_seconds();
        test_provision();
        printf("ok\n");
        return 0;
}
