/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where an account's servers are: the engine's RESOLVE action for server Y through
 * resolver-client.c (IP literals at once, names through sipr-resolverd), or, with outbound
 * proxies, the proxies one after the other as server 1's address list. The answer goes to the
 * engine and to healthd's watches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "health-client.h"
#include "log.h"
#include "macro.h"
#include "resolver-client.h"
#include "util.h"

static uint64_t mono(void) {
        return now_usec(CLOCK_MONOTONIC);
}

const char *account_bound_uri(Account *a, unsigned server, char *buf, size_t size) {
        RedAction bound[RED_SERVER_MAX];
        size_t n = redundancy_bindings(a->red, bound, ELEMENTSOF(bound));

        for (size_t i = 0; i < n; i++)
                if (bound[i].server == server) {
                        snprintf(buf, size, "%s", bound[i].uri);
                        return buf;
                }
        return NULL;
}

/* The answer for server (the proxies' collected list in proxy mode): to the engine and to healthd. */
static void account_resolved(Account *a, unsigned server, const RedAddress *addrs, size_t n) {
        char bound[RED_URI_MAX];

        redundancy_set_addresses(a->red, server, addrs, n, mono());
        if (a->manager->health)
                health_client_watch_set(a->manager->health, a, server, addrs, n,
                                        account_bound_uri(a, server, bound, sizeof(bound)));
}

static void on_resolved(int error, const char *reason, const RedAddress *addrs, size_t n, void *userdata);

void account_resolve(Account *a, unsigned server) {
        const SiprServerConfig *s = &a->cfg.server[server];
        AccountResolve *ctx = &a->resolve[server];
        const char *host = s->address;
        uint16_t port = s->port;
        int r;

        if (a->proxy_mode) {
                /* one proxy after the other; on_resolved() collects their addresses */
                while (a->proxy_step < SIPR_SERVER_MAX && isempty(a->cfg.outbound_proxy[a->proxy_step].address))
                        a->proxy_step++;
                if (a->proxy_step >= SIPR_SERVER_MAX)
                        return;
                host = a->cfg.outbound_proxy[a->proxy_step].address;
                port = a->cfg.outbound_proxy[a->proxy_step].port;
        }
        ctx->account = a;
        ctx->server = server;
        ctx->request = resolve_request_free(ctx->request);
        r = resolve_server(a->manager->bus, host, port, s->transport, on_resolved, ctx, &ctx->request);
        if (r < 0) {
                char reason[300];
                snprintf(reason, sizeof(reason), "%s: cannot resolve: %s", s->address, strerror(-r));
                redundancy_resolve_failed(a->red, server, reason, mono());
        }
}

static void on_proxy_resolved(Account *a, unsigned server, int error, const char *reason, const RedAddress *addrs,
                              size_t n) {
        if (error < 0)
                snprintf(a->proxy->reason, sizeof(a->proxy->reason), "account.%u.outbound_proxy.%u.address %s",
                         a->index, a->proxy_step + 1, reason);
        for (size_t i = 0; error >= 0 && i < n && a->proxy->n_addrs < RED_ADDR_MAX; i++) {
                a->proxy->of[a->proxy->n_addrs] = a->proxy_step;
                a->proxy->addrs[a->proxy->n_addrs++] = addrs[i];
        }
        a->proxy_step++;
        while (a->proxy_step < SIPR_SERVER_MAX && isempty(a->cfg.outbound_proxy[a->proxy_step].address))
                a->proxy_step++;
        if (a->proxy_step < SIPR_SERVER_MAX) {
                account_resolve(a, server);
                return;
        }
        a->proxy_step = 0;
        if (a->proxy->n_addrs == 0)
                redundancy_resolve_failed(a->red, server, a->proxy->reason, mono());
        else {
                memcpy(a->proxy->map, a->proxy->addrs, sizeof(a->proxy->map));
                memcpy(a->proxy->map_of, a->proxy->of, sizeof(a->proxy->map_of));
                a->proxy->n_map = a->proxy->n_addrs;
                account_resolved(a, server, a->proxy->addrs, a->proxy->n_addrs);
        }
        a->proxy->n_addrs = 0;
        account_process(a);
}

static void on_resolved(int error, const char *reason, const RedAddress *addrs, size_t n, void *userdata) {
        AccountResolve *ctx = userdata;
        Account *a = ctx->account;
        unsigned server = ctx->server;

        ctx->request = resolve_request_free(ctx->request);
        if (a->proxy_mode) {
                on_proxy_resolved(a, server, error, reason, addrs, n);
                return;
        }
        if (error < 0) {
                char buf[600];
                snprintf(buf, sizeof(buf), "account.%u.sip_server.%u.address %s", a->index, server + 1, reason);
                log_account_warning(a, "%s", buf);
                redundancy_resolve_failed(a->red, server, buf, mono());
        } else {
                for (size_t i = 0; i < n; i++)
                        log_account_debug(a, "server %u address %zu: %s (ttl %u)", server + 1, i, addrs[i].uri,
                                          addrs[i].ttl);
                account_resolved(a, server, addrs, n);
        }
        account_process(a);
}

void account_resolve_cancel(Account *a) {
        for (unsigned i = 0; i < SIPR_SERVER_MAX; i++)
                a->resolve[i].request = resolve_request_free(a->resolve[i].request);
}
