/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account-bus.h"
#include "account.h"
#include "edge.h"
#include "health-client.h"
#include "log.h"
#include "macro.h"
#include "persist.h"
#include "resolver-client.h"
#include "timer.h"
#include "util.h"

/* One SIP registration flow: (server, next-hop URI) with its transaction state. */
typedef struct Bind {
        Manager *m;
        Account *account; /* NULL once orphaned: only removing its binding */
        unsigned index;   /* the account's, kept when orphaned */
        unsigned server;
        char *uri;
        SipReg *reg;
        bool unregistering, unreg_authed;
        bool register_waiting; /* a REGISTER waits for a removal on this Call-ID to be answered */
        uint32_t waiting_expires;
        uint64_t sent_usec; /* CLOCK_MONOTONIC when its current transaction started */
} Bind;

static uint64_t mono(void) {
        return now_usec(CLOCK_MONOTONIC);
}

static void bind_free(gpointer p) {
        Bind *b = p;
        if (!b)
                return;
        if (b->unregistering) {
                b->unregistering = false;
                manager_unregister_done(b->m);
        }
        sip_reg_free(b->reg);
        free(b->uri);
        free(b);
}

bool account_config_equal(const SiprAccountConfig *x, const SiprAccountConfig *y) {
        return !sipr_account_config_differs(x, y, 0);
}

const char *account_domain(const Account *a) {
        for (unsigned i = 0; i < SIPR_SERVER_MAX; i++)
                if (!isempty(a->cfg.server[i].address))
                        return a->cfg.server[i].address;
        return "";
}

const char *account_aor(Account *a, char *buf, size_t size) {
        if (isempty(a->cfg.user_name) || isempty(account_domain(a)))
                return "";
        snprintf(buf, size, "sip:%s@%s", a->cfg.user_name, account_domain(a));
        return buf;
}

static void red_config_fill(Account *a, RedConfig *c) {
        const SiprGlobalConfig *g = &a->manager->global;

        *c = (RedConfig) {
                .enabled = a->cfg.enable && !a->problem,
                .redundancy_type = a->cfg.redundancy_type,
                .fallback_timeout = a->cfg.fallback_timeout,
                .reg_fail_retry_interval = a->cfg.reg_fail_retry_interval,
                .t1_usec = g->timer_t1_usec ?: 500 * USEC_PER_MSEC,
                .t2_usec = g->timer_t2_usec ?: 4 * USEC_PER_SEC,
                .hold_down = g->failback_hold_down,
                .proactive_failover = g->health_proactive_failover,
        };
        for (unsigned i = 0; i < SIPR_SERVER_MAX && i < RED_SERVER_MAX; i++) {
                const SiprServerConfig *s = &a->cfg.server[i];
                c->server[i] = (RedServerConfig) {
                        .set = !isempty(s->address),
                        .expires = s->expires ?: 3600,
                        .retry_counts = s->retry_counts,
                        .invite_retry_counts = s->invite_retry_counts,
                        .failback_mode = s->failback_mode,
                        .failback_timeout = s->failback_timeout,
                        .register_on_enable = s->register_on_enable,
                        .only_signal_with_registered = s->only_signal_with_registered,
                };
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

static char *config_problem(const SiprAccountConfig *c) {
        if (!c->enable)
                return NULL;
        if (isempty(c->user_name))
                return g_strdup_printf("account.%u.user_name is empty", c->index);
        for (unsigned i = 0; i < SIPR_SERVER_MAX; i++)
                if (!isempty(c->server[i].address))
                        return NULL;
        return g_strdup_printf("no account.%u.sip_server.1.address configured", c->index);
}

static void account_process(Account *a);

static Bind *bind_find(Account *a, unsigned server, const char *uri) {
        for (guint i = 0; i < a->binds->len; i++) {
                Bind *b = g_ptr_array_index(a->binds, i);
                if (b->server == server && streq(b->uri, uri))
                        return b;
        }
        return NULL;
}

static void health_report(Account *a, const Bind *b, const char *uri, unsigned status, bool local) {
        manager_hop_result(a->manager, a->index, uri, status, local, b ? b->sent_usec : 0);
}

void manager_orphan_done(Manager *m, void *bind) {
        g_ptr_array_remove(m->orphans, bind);
        bind_free(bind);
}

/* RFC 3261 10.2: a REGISTER on a Call-ID waits for the final answer to the one before it. Sent
 * right behind a removal, it may reach another worker of the registrar and be applied first,
 * and the removal then deletes the fresh binding. The removal is this Bind's own, or an orphan's
 * from an earlier incarnation of the account (same next hop, same persisted Call-ID). */
static bool bind_removal_in_flight(const Bind *b) {
        if (b->unregistering)
                return true;
        /* two servers resolving to the same next hop share its persisted Call-ID */
        for (guint i = 0; b->account && i < b->account->binds->len; i++) {
                const Bind *o = g_ptr_array_index(b->account->binds, i);
                if (o != b && o->unregistering && streq(o->uri, b->uri))
                        return true;
        }
        for (guint i = 0; i < b->m->orphans->len; i++) {
                const Bind *o = g_ptr_array_index(b->m->orphans, i);
                if (o->index == b->index && streq(o->uri, b->uri))
                        return true;
        }
        return false;
}

static void bind_register(Account *a, Bind *b, uint32_t expires) {
        int r;

        b->register_waiting = false;
        b->sent_usec = mono();
        r = sip_reg_send(b->reg, expires);
        if (r < 0)
                redundancy_register_result(a->red, b->server, b->uri, 503, "cannot send", true, 0, mono());
        else if (r > 0) /* waits for a slot: its deadline starts when it leaves (on_sip_sent) */
                redundancy_request_queued(a->red, b->server, b->uri);
        else /* it may have waited for a removal: the deadline counts from now */
                redundancy_request_sent(a->red, b->server, b->uri, b->sent_usec);
        account_persist_keep(a->persist, b->uri, sip_reg_call_id(b->reg), sip_reg_cseq(b->reg));
}

/* A removal on uri got its final answer (or gave up): a REGISTER that waited for it leaves. */
static void account_removal_done(Account *a, const char *uri) {
        for (guint i = 0; a && i < a->binds->len; i++) {
                Bind *b = g_ptr_array_index(a->binds, i);
                if (b->register_waiting && streq(b->uri, uri) && !bind_removal_in_flight(b)) {
                        log_info("Account %u: %s: removal answered; registering.", a->index, b->uri);
                        bind_register(a, b, b->waiting_expires);
                }
        }
}

static void on_orphan_result(Bind *b, unsigned status, bool local) {
        Account *a;

        if ((status == 401 || status == 407) && !local && !b->unreg_authed) {
                b->unreg_authed = true;
                if (sip_reg_authenticate(b->reg) >= 0)
                        return;
        }
        log_info("Binding on %s removed (%u).", b->uri, status);
        g_ptr_array_remove(b->m->orphans, b);
        a = manager_find_account(b->m, b->index);
        if (a) {
                account_removal_done(a, b->uri);
                account_process(a);
        }
        bind_free(b);
}

static void on_sip_result(SipReg *reg, unsigned status, const char *phrase, bool local, uint32_t granted,
                          void *userdata) {
        Bind *b = userdata;
        Account *a = b->account;

        if (!a) {
                on_orphan_result(b, status, local);
                return;
        }

        if (status < 300)
                log_info("Account %u: %s %u %s (expires %u).", a->index, b->uri, status, phrase, granted);
        else
                log_notice("Account %u: %s %u %s%s.", a->index, b->uri, status, phrase, local ? " (local)" : "");
        health_report(a, b, b->uri, status, local);

        if (b->unregistering) {
                if ((status == 401 || status == 407) && !local && !b->unreg_authed) {
                        b->unreg_authed = true;
                        b->sent_usec = mono();
                        if (sip_reg_authenticate(reg) >= 0) {
                                account_persist_keep(a->persist, b->uri, sip_reg_call_id(reg),
                                                     sip_reg_cseq(reg));
                                return;
                        }
                }
                b->unregistering = false;
                manager_unregister_done(a->manager);
                account_removal_done(a, b->uri);
                account_process(a);
                return;
        }
        redundancy_register_result(a->red, b->server, b->uri, status, phrase, local, granted, mono());
        account_process(a);
}

/* A REGISTER that waited for a slot (pacing) left only now: its retry deadline and its CSeq
 * count from here. A removal leaving is not the engine's attempt: a REGISTER waiting behind it
 * keeps its deadline paused until it leaves itself. */
static void on_sip_sent(SipReg *reg, void *userdata) {
        Bind *b = userdata;
        Account *a = b->account;

        b->sent_usec = mono();
        if (!a)
                return;
        account_persist_keep(a->persist, b->uri, sip_reg_call_id(reg), sip_reg_cseq(reg));
        if (!b->unregistering)
                redundancy_request_sent(a->red, b->server, b->uri, b->sent_usec);
        account_process(a);
}

static void on_flow_closed(SipReg *reg, void *userdata) {
        Bind *b = userdata;

        if (!b->account)
                return;
        redundancy_flow_closed(b->account->red, b->server, b->uri, mono());
        account_process(b->account);
}

static Bind *bind_get(Account *a, unsigned server, const char *uri) {
        Bind *b = bind_find(a, server, uri);
        const char *call_id;
        uint32_t cseq;
        int r;

        if (b)
                return b;
        r = account_persist_binding(a->persist, uri, &call_id, &cseq);
        if (r < 0)
                return NULL;

        b = calloc(1, sizeof(Bind));
        if (!b)
                return NULL;
        b->m = a->manager;
        b->account = a;
        b->index = a->index;
        b->server = server;
        b->uri = strdup(uri);
        SipRegParams p = {
                .user = a->cfg.user_name,
                .domain = account_domain(a),
                .display_name = a->cfg.display_name,
                .auth_name = a->cfg.auth_name,
                .password = a->cfg.password,
                .next_hop = uri,
                .instance = account_persist_instance(a->persist),
                .call_id = call_id,
                /* +2: a removal still finishing for a previous incarnation of this account may
                 * have used the next numbers (answering a challenge) without saving them. */
                .cseq = cseq + 2,
        };
        r = sip_reg_new(a->manager->sip, &p, on_sip_result, b, &b->reg);
        if (r < 0) {
                free(b->uri);
                free(b);
                return NULL;
        }
        sip_reg_set_flow_closed(b->reg, on_flow_closed);
        sip_reg_set_sent(b->reg, on_sip_sent);
        g_ptr_array_add(a->binds, b);
        return b;
}

static void on_resolved(int error, const char *reason, const RedAddress *addrs, size_t n, void *userdata);

/* Where server `server` of a holds a binding now, or NULL. Points into a static buffer. */
static const char *account_bound_uri(Account *a, unsigned server) {
        static RedAction bound[RED_SERVER_MAX];
        size_t n = redundancy_bindings(a->red, bound, ELEMENTSOF(bound));

        for (size_t i = 0; i < n; i++)
                if (bound[i].server == server)
                        return bound[i].uri;
        return NULL;
}

typedef struct ResolveCtx {
        Account *account;
        unsigned server;
} ResolveCtx;

static ResolveCtx resolve_ctx[SIPR_ACCOUNT_MAX + 1][SIPR_SERVER_MAX];

static void account_resolve(Account *a, unsigned server) {
        const SiprServerConfig *s = &a->cfg.server[server];
        const char *host = s->address;
        uint16_t port = s->port;
        ResolveCtx *ctx;
        int r;

        if (a->index > SIPR_ACCOUNT_MAX)
                return;
        if (a->proxy_mode) {
                /* one proxy after the other; on_resolved() collects their addresses */
                while (a->proxy_step < SIPR_SERVER_MAX && isempty(a->cfg.outbound_proxy[a->proxy_step].address))
                        a->proxy_step++;
                if (a->proxy_step >= SIPR_SERVER_MAX)
                        return;
                host = a->cfg.outbound_proxy[a->proxy_step].address;
                port = a->cfg.outbound_proxy[a->proxy_step].port;
        }
        ctx = &resolve_ctx[a->index][server];
        *ctx = (ResolveCtx) { .account = a, .server = server };
        a->resolving[server] = resolve_request_free(a->resolving[server]);
        r = resolve_server(a->manager->bus, host, port, s->transport, on_resolved, ctx, &a->resolving[server]);
        if (r < 0) {
                char reason[300];
                snprintf(reason, sizeof(reason), "%s: cannot resolve: %s", s->address, strerror(-r));
                redundancy_resolve_failed(a->red, server, reason, mono());
        }
}

static void on_resolved(int error, const char *reason, const RedAddress *addrs, size_t n, void *userdata) {
        ResolveCtx *ctx = userdata;
        Account *a = ctx->account;
        unsigned server = ctx->server;

        a->resolving[server] = resolve_request_free(a->resolving[server]);
        if (a->proxy_mode) {
                if (error < 0)
                        snprintf(a->proxy->reason, sizeof(a->proxy->reason),
                                 "account.%u.outbound_proxy.%u.address %s", a->index, a->proxy_step + 1,
                                 reason);
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
                        redundancy_set_addresses(a->red, server, a->proxy->addrs, a->proxy->n_addrs, mono());
                        if (a->manager->health)
                                health_client_watch_set(a->manager->health, a, server, a->proxy->addrs,
                                                        a->proxy->n_addrs, account_bound_uri(a, server));
                }
                a->proxy->n_addrs = 0;
                account_process(a);
                return;
        }
        if (error < 0) {
                char buf[600];
                snprintf(buf, sizeof(buf), "account.%u.sip_server.%u.address %s", a->index, server + 1, reason);
                log_warning("Account %u: %s", a->index, buf);
                redundancy_resolve_failed(a->red, server, buf, mono());
        } else {
                for (size_t i = 0; i < n; i++)
                        log_debug("Account %u: server %u address %zu: %s (ttl %u)", a->index, server + 1, i, addrs[i].uri,
                                  addrs[i].ttl);
                redundancy_set_addresses(a->red, server, addrs, n, mono());
                if (a->manager->health)
                        health_client_watch_set(a->manager->health, a, server, addrs, n,
                                                account_bound_uri(a, server));
        }
        account_process(a);
}

static void account_do(Account *a, const RedAction *act) {
        Bind *b;
        int r;

        switch (act->type) {
        case RED_ACTION_RESOLVE:
                account_resolve(a, act->server);
                break;
        case RED_ACTION_REGISTER:
                b = bind_get(a, act->server, act->uri);
                if (!b) {
                        redundancy_register_result(a->red, act->server, act->uri, 500, "internal error", true, 0, mono());
                        break;
                }
                if (bind_removal_in_flight(b)) {
                        /* Its deadline is paused until it leaves, like a paced one. */
                        log_info("Account %u: %s: registering once the removal is answered.", a->index,
                                 b->uri);
                        b->register_waiting = true;
                        b->waiting_expires = act->expires;
                        redundancy_request_queued(a->red, act->server, act->uri);
                        break;
                }
                bind_register(a, b, act->expires);
                break;
        case RED_ACTION_AUTHENTICATE:
                b = bind_find(a, act->server, act->uri);
                if (b)
                        b->sent_usec = mono();
                if (!b || (r = sip_reg_authenticate(b->reg)) < 0) {
                        /* No usable challenge or no credentials: as a rejected attempt. */
                        redundancy_register_result(a->red, act->server, act->uri, 401,
                                                   "authentication failed (no usable challenge or credentials)", false,
                                                   0, mono());
                        break;
                }
                if (r > 0)
                        redundancy_request_queued(a->red, act->server, act->uri);
                account_persist_keep(a->persist, b->uri, sip_reg_call_id(b->reg), sip_reg_cseq(b->reg));
                break;
        case RED_ACTION_CANCEL:
                b = bind_find(a, act->server, act->uri);
                if (b && b->register_waiting)
                        b->register_waiting = false; /* nothing left; the removal goes on */
                else if (b && !b->unregistering)
                        sip_reg_cancel(b->reg); /* never a removal: it must get its answer */
                if (act->timed_out) {
                        log_info("Account %u: no answer from %s in time, giving up on it.", a->index, act->uri);
                        health_report(a, b, act->uri, 408, true);
                }
                break;
        case RED_ACTION_UNREGISTER:
                b = bind_get(a, act->server, act->uri);
                if (!b)
                        break;
                if (b->register_waiting) {
                        /* The engine cancels an attempt before removing its binding; if it ever
                         * did not, the attempt's paused deadline must run again. */
                        b->register_waiting = false;
                        redundancy_request_sent(a->red, act->server, act->uri, mono());
                }
                if (!b->unregistering)
                        a->manager->pending_unregisters++;
                b->unregistering = true;
                b->unreg_authed = false;
                log_info("Account %u: removing binding on %s.", a->index, act->uri);
                b->sent_usec = mono();
                if (sip_reg_send(b->reg, 0) < 0) {
                        b->unregistering = false;
                        manager_unregister_done(a->manager);
                }
                account_persist_keep(a->persist, b->uri, sip_reg_call_id(b->reg), sip_reg_cseq(b->reg));
                break;
        }
}

static gboolean on_timer(gpointer userdata) {
        Account *a = userdata;

        a->timer_id = 0;
        a->timer_at = 0;
        redundancy_timer(a->red, mono());
        account_process(a);
        return G_SOURCE_REMOVE;
}

static void account_arm_timer(Account *a) {
        uint64_t next = redundancy_next_wakeup(a->red), now;

        if (next == a->timer_at && a->timer_id)
                return;
        if (a->timer_id) {
                g_source_remove(a->timer_id);
                a->timer_id = 0;
        }
        a->timer_at = 0;
        if (next == UINT64_MAX)
                return;
        now = mono();
        log_debug("Account %u: next decision in %" PRIu64 " ms.", a->index, next > now ? (next - now) / 1000 : 0);
        /* Round up so the engine sees its deadline reached when we wake. */
        a->timer_id = timer_add_msec(next > now ? (guint) ((next - now + 999) / 1000) : 0, on_timer, a);
        a->timer_at = next;
}

/* A Bind whose address the account no longer has (its server name now resolves elsewhere) goes
 * once idle and unbound: with a name whose addresses keep changing, Binds would otherwise pile up
 * for as long as regd runs. Its Call-ID/CSeq stay in the persisted state (bounded there too). */
static void account_prune_binds(Account *a) {
        RedServerInfo rows[RED_SERVER_MAX * RED_ADDR_MAX];
        RedAction bound[RED_SERVER_MAX];
        size_t n_rows = redundancy_servers(a->red, rows, ELEMENTSOF(rows));
        size_t n_bound = redundancy_bindings(a->red, bound, ELEMENTSOF(bound));

        for (guint i = 0; i < a->binds->len;) {
                Bind *b = g_ptr_array_index(a->binds, i);
                bool keep = b->unregistering || b->register_waiting || sip_reg_busy(b->reg);

                for (size_t j = 0; j < n_rows && !keep; j++)
                        keep = rows[j].server == b->server && streq(rows[j].uri, b->uri);
                for (size_t j = 0; j < n_bound && !keep; j++)
                        keep = bound[j].server == b->server && streq(bound[j].uri, b->uri);
                if (keep) {
                        i++;
                        continue;
                }
                log_debug("Account %u: %s is no longer one of its addresses; forgetting it.", a->index,
                          b->uri);
                if (a->manager->health)
                        health_client_unwatch(a->manager->health, a, b->server, b->uri);
                g_ptr_array_remove_index_fast(a->binds, i);
                bind_free(b);
        }
}

static void account_process(Account *a) {
        RedAction act;

        if (a->processing)
                return; /* the outer call drains the queue */
        a->processing = true;
        while (redundancy_pop_action(a->red, &act))
                account_do(a, &act);
        a->processing = false;
        account_prune_binds(a);
        account_arm_timer(a);
        account_bus_emit_changes(a);
}

int account_new(Manager *m, const SiprAccountConfig *cfg, Account **ret) {
        Account *a = calloc(1, sizeof(Account));
        RedConfig rc;
        int r;

        if (!a)
                return -ENOMEM;
        a->manager = m;
        a->index = cfg->index;
        a->path = g_strdup_printf("/org/sipr/Registration1/account/%u", cfg->index);
        if (sipr_account_config_copy(&a->cfg, cfg) < 0) {
                free(a->path);
                free(a);
                return -ENOMEM;
        }
        a->problem = config_problem(cfg);
        a->proxy_mode = cfg->outbound_proxy_enable && !isempty(cfg->outbound_proxy[0].address);
        if (a->proxy_mode && !(a->proxy = calloc(1, sizeof(*a->proxy)))) {
                account_free(a);
                return -ENOMEM;
        }
        a->binds = g_ptr_array_new();

        r = account_persist_load(m->state_dir, a->index, &a->persist);
        if (r < 0) {
                account_free(a);
                return r;
        }
        red_config_fill(a, &rc);
        r = redundancy_new(&rc, &a->red);
        if (r < 0) {
                account_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

Account *account_free(Account *a) {
        if (!a)
                return NULL;
        if (a->timer_id)
                g_source_remove(a->timer_id);
        if (a->keepalive_id)
                g_source_remove(a->keepalive_id);
        for (unsigned i = 0; i < SIPR_SERVER_MAX; i++)
                resolve_request_free(a->resolving[i]);
        if (a->manager->health)
                health_client_unwatch_account(a->manager->health, a);
        for (guint i = 0; a->binds && i < a->binds->len; i++) {
                Bind *b = g_ptr_array_index(a->binds, i);
                if (b->unregistering) {
                        /* Let the removal of this binding finish without the account. */
                        b->account = NULL;
                        b->register_waiting = false;
                        g_ptr_array_add(a->manager->orphans, b);
                } else
                        bind_free(b);
        }
        if (a->binds)
                g_ptr_array_free(a->binds, TRUE);
        redundancy_free(a->red);
        account_persist_free(a->persist);
        sipr_account_config_done(&a->cfg);
        account_view_clear(&a->published);
        free(a->problem);
        free(a->proxy);
        free(a->path);
        free(a);
        return NULL;
}

static guint keepalive_period_sec(const Account *a) {
        return MAX(a->cfg.udp_update_time, 15u);
}

/* nat.udp_update_*: a keep-alive on every UDP flow that holds a binding. */
static gboolean on_keepalive(gpointer userdata) {
        Account *a = userdata;
        RedAction b[RED_SERVER_MAX];
        size_t n = redundancy_bindings(a->red, b, ELEMENTSOF(b));

        for (size_t i = 0; i < n; i++) {
                Bind *bind = bind_find(a, b[i].server, b[i].uri);
                if (bind && strstr(bind->uri, "transport=udp") && !bind->unregistering)
                        (void) sip_reg_keepalive(bind->reg);
        }
        return G_SOURCE_CONTINUE;
}

/* The first keep-alive of an account comes at a random point of its period, then one every
 * period. Accounts start together (regd start, a provisioning reload), and GLib fires
 * second-based timers together: 1000 accounts × 4 flows would otherwise send 4000 OPTIONS in the
 * same instant, every 30 s, the storm REGISTER pacing exists to avoid. */
static gboolean on_keepalive_first(gpointer userdata) {
        Account *a = userdata;

        a->keepalive_id = timer_add_seconds(keepalive_period_sec(a), on_keepalive, a);
        on_keepalive(a);
        return G_SOURCE_REMOVE;
}

void account_start(Account *a) {
        if (a->cfg.enable && a->cfg.udp_update_enable && !a->keepalive_id) {
                /* capped at an hour: the range is drawn in ms, as a gint32 */
                guint period_ms = MIN(keepalive_period_sec(a), 3600u) * 1000u;
                a->keepalive_id =
                        timer_add_msec(g_random_int_range(1, (gint32) period_ms + 1), on_keepalive_first, a);
        }
        if (a->problem)
                log_warning("Account %u: %s; not registering.", a->index, a->problem);
        redundancy_start(a->red, mono());
        account_process(a);
}

unsigned account_unregister_all(Account *a) {
        unsigned before = a->manager->pending_unregisters;

        redundancy_stop(a->red, mono());
        account_process(a);
        return a->manager->pending_unregisters - before;
}

unsigned account_registers_held(const Account *a) {
        unsigned n = 0;

        for (guint i = 0; i < a->binds->len; i++)
                n += ((const Bind *) g_ptr_array_index(a->binds, i))->register_waiting;
        return n;
}

void account_update_globals(Account *a) {
        /* Timers, hold-down and proactive failover apply from the next decision on. */
        RedConfig rc;
        red_config_fill(a, &rc);
        redundancy_update_globals(a->red, &rc);
        account_process(a);
}

int account_register(Account *a) {
        if (!a->cfg.enable)
                return -EPERM;
        if (redundancy_state(a->red) == RED_STATE_REGISTERED || redundancy_state(a->red) == RED_STATE_REGISTERING)
                return 0;
        redundancy_stop(a->red, mono());
        redundancy_start(a->red, mono());
        account_process(a);
        return 0;
}

int account_unregister(Account *a) {
        redundancy_stop(a->red, mono());
        account_process(a);
        return 0;
}

int account_failover(Account *a) {
        if (isempty(redundancy_working_uri(a->red)))
                return -ENOLINK;
        redundancy_failover(a->red, mono());
        account_process(a);
        return 0;
}

size_t account_next_hops(Account *a, RedHop *ret, size_t max) {
        if (a->problem || !a->cfg.enable)
                return 0;
        return redundancy_next_hops(a->red, ret, max);
}

void account_retry_failed(Account *a) {
        redundancy_retry_failed(a->red, mono());
        account_process(a);
}

void account_health_changed(Account *a, unsigned server, const char *uri, RedHealth h) {
        redundancy_health(a->red, server, uri, h, mono());
        account_process(a);
}

static uint64_t to_realtime(uint64_t mono_usec) {
        static int64_t offset;

        /* One offset for the daemon's life, so the same instant always maps to the same value. */
        if (offset == 0)
                offset = (int64_t) now_usec(CLOCK_REALTIME) - (int64_t) mono();
        return mono_usec == 0 ? 0 : (uint64_t) ((int64_t) mono_usec + offset);
}

size_t account_server_rows(Account *a, AccountServerRow *rows, size_t max) {
        RedServerInfo info[RED_SERVER_MAX * RED_ADDR_MAX];
        size_t n = redundancy_servers(a->red, info, MIN(max, ELEMENTSOF(info)));

        for (size_t i = 0; i < n; i++) {
                const char *name = a->cfg.server[info[i].server].address;
                /* through outbound proxies: name the proxy the address belongs to */
                for (size_t k = 0; a->proxy && k < a->proxy->n_map; k++)
                        if (streq(a->proxy->map[k].uri, info[i].uri))
                                name = a->cfg.outbound_proxy[a->proxy->map_of[k]].address;
                rows[i] = (AccountServerRow) {
                        .name = name,
                        .uri = info[i].uri,
                        .role = info[i].role,
                        .state = red_addr_state_to_string(info[i].state),
                        .status = (uint16_t) info[i].last_status,
                        .since_realtime = to_realtime(info[i].registered_since),
                };
        }
        return n;
}

void account_view(Account *a, AccountView *v) {
        char aor[512];
        GString *key = g_string_new(NULL);
        AccountServerRow rows[RED_SERVER_MAX * RED_ADDR_MAX];
        size_t n = account_server_rows(a, rows, ELEMENTSOF(rows));
        RedState st = redundancy_state(a->red);

        for (size_t i = 0; i < n; i++)
                g_string_append_printf(key, "%s|%s|%s|%s|%u|%" PRIu64 ";", rows[i].name, rows[i].uri, rows[i].role,
                                       rows[i].state, rows[i].status, rows[i].since_realtime);
        *v = (AccountView) {
                .enabled = a->cfg.enable,
                .aor = strdup(account_aor(a, aor, sizeof(aor))),
                .mode = strdup(red_mode_to_string(redundancy_mode(a->red))),
                .state = strdup(a->problem && a->cfg.enable ? "failed" : red_state_to_string(st)),
                .working = strdup(redundancy_working_uri(a->red)),
                .servers_key = g_string_free(key, FALSE),
                .last_reason = strdup(a->problem ?: redundancy_last_reason(a->red)),
                .last_status = redundancy_last_status(a->red),
                .failovers = redundancy_failovers(a->red),
                .registered_since = to_realtime(redundancy_registered_since(a->red)),
                .edge_contacts = edge_account_contacts(a->manager->edge, a->index),
                .requests = edge_account_requests(a->manager->edge, a->index),
                .request_failovers = edge_account_request_failovers(a->manager->edge, a->index),
        };
}

void account_view_clear(AccountView *v) {
        free(v->aor);
        free(v->mode);
        free(v->state);
        free(v->working);
        free(v->servers_key);
        free(v->last_reason);
        g_strfreev(v->edge_contacts);
        *v = (AccountView) {};
}
