/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One account: the engine's events in, its actions out, one timer, one PropertiesChanged. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account-bus.h"
#include "account.h"
#include "edge.h"
#include "health-active.h"
#include "health-client.h"
#include "log.h"
#include "macro.h"
#include "persist.h"
#include "registration.h"
#include "timer.h"
#include "util.h"

static uint64_t mono(void) {
        return now_usec(CLOCK_MONOTONIC);
}

static void on_phase(void *userdata, unsigned server, const char *from, const char *to) {
        Account *a = userdata;
        /* SIPR_ACCOUNT= so that "journalctl SIPR_ACCOUNT=X" (with debug on) shows every step */
        log_struct(LOG_DEBUG, NULL, LOG_FIELDS(LOG_FIELD_UINT("SIPR_ACCOUNT", a->index)),
                   "Account %u: server %u: %s -> %s.", a->index, server + 1, from, to);
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
        log_account_debug(a, "next decision in %" PRIu64 " ms.", next > now ? (next - now) / 1000 : 0);
        /* Round up so the engine sees its deadline reached when we wake. */
        a->timer_id = timer_add_msec(next > now ? (guint) ((next - now + 999) / 1000) : 0, on_timer, a);
        a->timer_at = next;
}

/* healthd probes at the full rate only the addresses the account uses now (health-active.h). */
static void account_tell_health(Account *a) {
        const char *uris[HEALTH_ACTIVE_MAX];
        size_t n = 0;

        if (!a->manager->health)
                return;
        if (!a->problem && a->cfg.enable)
                n = health_active_uris(a->red, uris, ELEMENTSOF(uris));
        health_client_set_active(a->manager->health, a, uris, n);
}

void account_process(Account *a) {
        RedAction act;

        if (a->processing)
                return; /* the outer call drains the queue */
        a->processing = true;
        while (redundancy_pop_action(a->red, &act)) {
                if (act.type == RED_ACTION_RESOLVE)
                        account_resolve(a, act.server);
                else
                        registration_do(a, &act);
        }
        a->processing = false;
        account_arm_timer(a);
        /* one view per event: published, then the flows no row names any more are dropped */
        account_bus_emit_changes(a);
        registrations_prune(a, a->published.servers, a->published.n_servers);
        account_tell_health(a);
}

int account_new(Manager *m, const SiprAccountConfig *cfg, Account **ret) {
        Account *a = calloc(1, sizeof(Account));
        RedConfig rc;
        int r;

        if (!a)
                return -ENOMEM;
        a->manager = m;
        a->index = cfg->index;
        a->registrations = g_ptr_array_new();
        r = account_bus_path(cfg->index, &a->path);
        if (r < 0 || sipr_account_config_copy(&a->cfg, cfg) < 0) {
                account_free(a);
                return r < 0 ? r : -ENOMEM;
        }
        a->problem = account_config_problem(cfg);
        a->proxy_mode = cfg->outbound_proxy_enable && !isempty(cfg->outbound_proxy[0].address);
        if (a->proxy_mode && !(a->proxy = calloc(1, sizeof(*a->proxy)))) {
                account_free(a);
                return -ENOMEM;
        }
        r = account_persist_load(m->state_dir, a->index, &a->persist);
        if (r < 0) {
                account_free(a);
                return r;
        }
        account_red_config(a, &rc);
        r = redundancy_new(&rc, &a->red);
        if (r < 0) {
                account_free(a);
                return r;
        }
        redundancy_set_tracer(a->red, on_phase, a);
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
        account_resolve_cancel(a);
        if (a->manager->health)
                health_client_unwatch_owner(a->manager->health, a);
        registrations_release(a);
        if (a->registrations)
                g_ptr_array_free(a->registrations, TRUE);
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
        registrations_keepalive(userdata);
        return G_SOURCE_CONTINUE;
}

/* The first keep-alive of an account comes at a random point of its period, then one every
 * period. Accounts start together (regd start, a provisioning reload), and GLib fires
 * second-based timers together: 1000 accounts × 4 flows would otherwise send 4000 OPTIONS in the
 * same instant, every 30 s, the storm REGISTER pacing exists to avoid. */
static gboolean on_keepalive_first(gpointer userdata) {
        Account *a = userdata;

        a->keepalive_id = timer_add_seconds(keepalive_period_sec(a), on_keepalive, a);
        registrations_keepalive(a);
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
                log_account_warning(a, "%s; not registering.", a->problem);
        /* started by the daemon or by provisioning: a fleet does this together (surge prevention) */
        redundancy_start_spread(a->red, mono());
        account_process(a);
}

unsigned account_unregister_all(Account *a) {
        unsigned before = a->manager->pending_unregisters;

        redundancy_stop(a->red, mono());
        account_process(a);
        return a->manager->pending_unregisters - before;
}

void account_update_globals(Account *a) {
        /* Timers, hold-down and proactive failover apply from the next decision on. */
        RedConfig rc;
        account_red_config(a, &rc);
        redundancy_update_globals(a->red, &rc);
        account_process(a);
}

int account_register(Account *a) {
        if (!a->cfg.enable)
                return -EPERM;
        if (redundancy_state(a->red) == RED_STATE_REGISTERED ||
            redundancy_state(a->red) == RED_STATE_REGISTERING)
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

void account_health_changed(void *account, unsigned server, const char *uri, RedHealth h) {
        Account *a = account;

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

/* The Servers rows: the engine's, with the configured name of each (through outbound proxies:
 * the proxy the address belongs to). */
static void account_view_servers(Account *a, AccountView *v) {
        RedServerInfo info[RED_SERVER_MAX * RED_ADDR_MAX];
        size_t n = redundancy_servers(a->red, info, ELEMENTSOF(info));

        v->servers = n > 0 ? calloc(n, sizeof(AccountServerRow)) : NULL;
        if (!v->servers)
                return;
        for (size_t i = 0; i < n; i++) {
                const char *name = a->cfg.server[info[i].server].address;
                for (size_t k = 0; a->proxy && k < a->proxy->n_map; k++)
                        if (streq(a->proxy->map[k].uri, info[i].uri))
                                name = a->cfg.outbound_proxy[a->proxy->map_of[k]].address;
                v->servers[i] = (AccountServerRow){
                        .server = info[i].server,
                        .name = strdup(strempty(name)),
                        .uri = strdup(info[i].uri),
                        .role = info[i].role,
                        .state = red_addr_state_to_string(info[i].state),
                        .status = (uint16_t) info[i].last_status,
                        .since_realtime = to_realtime(info[i].registered_since),
                };
        }
        v->n_servers = n;
}

void account_view(Account *a, AccountView *v, bool servers) {
        char aor[512];
        RedState st = redundancy_state(a->red);

        *v = (AccountView){
                .enabled = a->cfg.enable,
                .aor = strdup(account_aor(a, aor, sizeof(aor))),
                .mode = strdup(red_mode_to_string(redundancy_mode(a->red))),
                .state = strdup(a->problem && a->cfg.enable ? "failed" : red_state_to_string(st)),
                .working = strdup(redundancy_working_uri(a->red)),
                .last_reason = strdup(a->problem ?: redundancy_last_reason(a->red)),
                .last_status = redundancy_last_status(a->red),
                .failovers = redundancy_failovers(a->red),
                .registered_since = to_realtime(redundancy_registered_since(a->red)),
                .edge_contacts = edge_account_contacts(a->manager->edge, a->index),
                .requests = edge_account_requests(a->manager->edge, a->index),
                .request_failovers = edge_account_request_failovers(a->manager->edge, a->index),
        };
        v->working_bound = redundancy_working_bound(a->red);
        v->usable = !a->problem && a->cfg.enable && !isempty(v->working);
        if (servers)
                account_view_servers(a, v);
}

void account_view_clear(AccountView *v) {
        free(v->aor);
        free(v->mode);
        free(v->state);
        free(v->working);
        free(v->last_reason);
        for (size_t i = 0; i < v->n_servers; i++) {
                free(v->servers[i].name);
                free(v->servers[i].uri);
        }
        free(v->servers);
        g_strfreev(v->edge_contacts);
        *v = (AccountView){};
}
