/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An account's configuration as the rest of regd reads it: its AOR, whether it can work at all,
 * and the redundancy engine's view of it (RedConfig). */
#include <stdio.h>
#include <stdlib.h>

#include "account.h"
#include "status-list.h"
#include "macro.h"

bool account_config_equal(const SiprAccountConfig *x, const SiprAccountConfig *y) {
        /* Keys only shown to users (the label) are not regd's business: a new label must not
         * cost the account a re-registration. */
        return !sipr_account_config_differs_except(x, y, SIPR_CONFIG_COSMETIC);
}

const char *account_domain(const Account *a) {
        for (unsigned i = 0; i < SIPR_SERVER_MAX; i++)
                if (!isempty(a->cfg.server[i].address))
                        return a->cfg.server[i].address;
        return "";
}

const char *account_server_domain(const Account *a, unsigned server) {
        /* Each server registers in its own domain: Yealink's example has the fallback server in
         * another domain (an on-site gateway), and the phones send REGISTER sip:<server Y>,
         * To/From user@<server Y>. Outbound proxies keep server 1's (proxy_mode: server 0). */
        if (server < SIPR_SERVER_MAX && !a->proxy_mode && !isempty(a->cfg.server[server].address))
                return a->cfg.server[server].address;
        return account_domain(a);
}

const char *account_aor(Account *a, char *buf, size_t size) {
        if (isempty(a->cfg.user_name) || isempty(account_domain(a)))
                return "";
        snprintf(buf, size, "sip:%s@%s", a->cfg.user_name, account_domain(a));
        return buf;
}

char *account_config_problem(const SiprAccountConfig *c) {
        if (!c->enable)
                return NULL;
        if (isempty(c->user_name))
                return g_strdup_printf("account.%u.user_name is empty", c->index);
        for (unsigned i = 0; i < SIPR_SERVER_MAX; i++)
                if (!isempty(c->server[i].address))
                        return NULL;
        return g_strdup_printf("no account.%u.sip_server.1.address configured", c->index);
}

void account_red_config(Account *a, RedConfig *c) {
        const SiprGlobalConfig *g = &a->manager->global;

        *c = (RedConfig){
                .enabled = a->cfg.enable && !a->problem,
                .redundancy_type = a->cfg.redundancy_type,
                .fallback_timeout = a->cfg.fallback_timeout,
                .reg_fail_retry_interval = a->cfg.reg_fail_retry_interval,
                .reg_failed_retry_min = a->cfg.reg_failed_retry_min_time,
                .reg_failed_retry_max = a->cfg.reg_failed_retry_max_time,
                .reg_rejected_retry_interval = a->cfg.reg_rejected_retry_interval,
                .register_expires_overlap = a->cfg.register_expires_overlap,
                .surge_prevention = g->reg_surge_prevention,
                .random_seed = ((uint64_t) g_random_int() << 32) | g_random_int(),
                .t1_usec = g->timer_t1_usec ?: 500 * USEC_PER_MSEC,
                .t2_usec = g->timer_t2_usec ?: 4 * USEC_PER_SEC,
                .hold_down = g->failback_hold_down,
                .proactive_failover = g->health_proactive_failover,
        };
        for (unsigned i = 0; i < SIPR_SERVER_MAX && i < RED_SERVER_MAX; i++) {
                const SiprServerConfig *s = &a->cfg.server[i];
                c->server[i] = (RedServerConfig){
                        .set = !isempty(s->address),
                        .expires = s->expires ?: 3600,
                        .retry_counts = s->retry_counts,
                        .invite_retry_counts = s->invite_retry_counts,
                        .failback_mode = s->failback_mode,
                        .failback_timeout = s->failback_timeout,
                        .register_on_enable = s->register_on_enable,
                        .only_signal_with_registered = s->only_signal_with_registered,
                };
                /* validated by the schema; "" or unparsable leaves the list empty: 408, 503 */
                (void) status_list_parse(strempty(s->failover_codes), &c->server[i].failover_codes, NULL,
                                         NULL);
        }
        if (a->proxy_mode) {
                /* Registration through outbound proxies: never concurrent; the proxies are the
                 * address list of server 1 and the preferred one is tried again every
                 * outbound_proxy_fallback_interval (failback by duration). */
                for (unsigned i = 1; i < RED_SERVER_MAX; i++)
                        c->server[i].set = false;
                c->server[0].register_on_enable = true;
                c->server[0].failback_mode = SIPR_FAILBACK_DURATION;
                c->server[0].failback_timeout = MAX(a->cfg.outbound_proxy_fallback_interval, 1u);
        }
}
