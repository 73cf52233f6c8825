/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-client.h"
#include "log.h"
#include "macro.h"

#define assert_se(x) do { if (!(x)) { fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #x); abort(); } } while (0)

static void test_defaults(void) {
        SiprConfig *c = NULL;
        char *none[] = { NULL };

        assert_se(sipr_config_from_pairs(none, &c) == 0);
        assert_se(c->n_accounts == 0 && !c->accounts);
        assert_se(c->global.timer_t1_usec == 500000 && c->global.timer_t2_usec == 4000000 &&
                  c->global.timer_t4_usec == 5000000);
        assert_se(streq(c->global.primary_dns, "") && streq(c->global.secondary_dns, ""));
        assert_se(c->global.health_interval_ms == 5000 && streq(c->global.health_method, "options"));
        assert_se(c->global.health_down_after == 2 && c->global.health_up_after == 2);
        assert_se(c->global.health_proactive_failover && !c->global.unregister_on_stop);
        assert_se(c->global.dns_serve_stale == 86400 && c->global.failback_hold_down == 30);
        assert_se(!sipr_config_find_account(c, 1));
        sipr_config_free(c);
}

static void test_accounts(void) {
        SiprConfig *c = NULL;
        const SiprAccountConfig *a;
        char *pairs[] = {
                "account.12.user_name", "1012",
                "account.3.enable", "1",
                "account.3.user_name", "1003",
                "account.3.password", "pw3",
                "account.3.sip_server.1.address", "reg1.lab.test",
                "account.3.sip_server.1.port", "0",
                "account.3.sip_server.1.transport_type", "3",
                "account.3.sip_server.2.address", "127.77.1.3",
                "account.3.sip_server.2.failback_mode", "3",
                "account.3.sip_server.2.failback_timeout", "30",
                "account.3.sip_server.4.register_on_enable", "1",
                "account.3.fallback.redundancy_type", "1",
                "account.3.outbound_proxy.2.address", "proxy.lab.test",
                "account.3.outbound_proxy.2.port", "5070",
                "account.3.nat.udp_update_enable", "0",
                "account.12.auth_name", "auth12",
                "sip.timer_t1", "0.25",
                "network.primary_dns", "127.77.1.53:53",
                "sipr.health.method", "crlf",
                "sipr.health.interval", "200",
                "some.unknown.key", "ignored",
                "account.3.sip_server.1.expires", "10", /* invalid: the default stays */
                NULL,
        };

        assert_se(sipr_config_from_pairs(pairs, &c) == 0);
        assert_se(c->n_accounts == 2);
        /* Ascending X. */
        assert_se(c->accounts[0].index == 3 && c->accounts[1].index == 12);
        a = sipr_config_find_account(c, 3);
        assert_se(a && a->enable && streq(a->user_name, "1003") && streq(a->password, "pw3"));
        assert_se(streq(a->auth_name, "1003")); /* defaults to user_name */
        assert_se(streq(a->label, "") && streq(a->display_name, ""));
        assert_se(streq(a->server[0].address, "reg1.lab.test") && a->server[0].port == 0);
        assert_se(a->server[0].transport == SIPR_TRANSPORT_NAPTR);
        assert_se(a->server[0].expires == 3600 && a->server[0].retry_counts == 3);
        assert_se(streq(a->server[1].address, "127.77.1.3") && a->server[1].port == 5060);
        assert_se(a->server[1].failback_mode == SIPR_FAILBACK_DURATION && a->server[1].failback_timeout == 60);
        assert_se(a->server[0].failback_timeout == 3600);
        assert_se(streq(a->server[2].address, "") && !a->server[2].register_on_enable);
        assert_se(a->server[3].register_on_enable);
        assert_se(a->redundancy_type == 1 && a->fallback_timeout == 120);
        assert_se(!a->outbound_proxy_enable && streq(a->outbound_proxy[1].address, "proxy.lab.test"));
        assert_se(a->outbound_proxy[1].port == 5070 && a->outbound_proxy[0].port == 5060);
        assert_se(a->outbound_proxy_fallback_interval == 3600 && a->reg_fail_retry_interval == 30);
        assert_se(!a->udp_update_enable && a->udp_update_time == 30);
        a = sipr_config_find_account(c, 12);
        assert_se(a && !a->enable && streq(a->auth_name, "auth12") && streq(a->password, ""));
        assert_se(c->global.timer_t1_usec == 250000);
        assert_se(streq(c->global.primary_dns, "127.77.1.53:53"));
        assert_se(streq(c->global.health_method, "crlf") && c->global.health_interval_ms == 200);
        assert_se(!sipr_config_find_account(c, 4));
        sipr_config_free(c);
}

int main(void) {
        log_set_max_level(LOG_ERR); /* the invalid value above warns on purpose */
        test_defaults();
        test_accounts();
        printf("ok\n");
        return 0;
}
