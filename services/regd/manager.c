/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sofia-sip/su_log.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account-bus.h"
#include "account.h"
#include "edge.h"
#include "health-client.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "persist.h"
#include "registration-bus.h"
#include "registration.h"
#include "util.h"

/* sofia-sip writes its own lines to stderr, in pieces and without a priority, which journald
 * would file at info: gather each line into ours, at debug (regd logs what they mean itself). */
static void sofia_logger(void *stream, char const *fmt, va_list ap) {
        static char line[512];
        size_t n = strlen(line);

        if (n < sizeof(line) - 1)
                vsnprintf(line + n, sizeof(line) - n, fmt, ap);
        n = strlen(line);
        if (n > 0 && (line[n - 1] == '\n' || n >= sizeof(line) - 1)) {
                while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\t'))
                        line[--n] = 0;
                log_debug("sofia-sip: %s", line);
                line[0] = 0;
        }
}

static int sip_setup(Manager *m) {
        uint16_t port = m->sip_port;
        bool saved = false;
        int r = -EADDRINUSE;

        su_log_redirect(su_log_default, sofia_logger, NULL);
        su_log_redirect(su_log_global, sofia_logger, NULL);

        /* The same local port across restarts keeps the same Contact, so registrars update our
         * binding instead of keeping a stale second one. */
        if (port == 0 && persist_load_port(m->state_dir, &port) >= 0)
                saved = true;
        if (port != 0) {
                r = sip_driver_new(m->sip_address, port, &m->sip);
                if (r >= 0 || m->sip_port != 0)
                        goto done;
                log_warning("Saved SIP port %u is taken; choosing another (the registrar will see a new contact).", port);
                saved = false;
        }
        for (unsigned attempt = 0; attempt < 32; attempt++) {
                port = (uint16_t) (20000 + random_u64_range(40000));
                r = sip_driver_new(m->sip_address, port, &m->sip);
                if (r >= 0)
                        break;
        }
done:
        if (r < 0)
                return r;
        if (!saved && m->sip_port == 0)
                (void) persist_save_port(m->state_dir, port);
        m->sip_port = port;
        return 0;
}

static void on_resolver_name(sd_bus *bus, const char *name, bool present, void *userdata) {
        Manager *m = userdata;
        GHashTableIter it;
        Account *a;

        if (!present)
                return;
        /* Accounts that failed because names could not be resolved try again now. */
        g_hash_table_iter_init(&it, m->accounts);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &a))
                account_retry_failed(a);
}

static void manager_dump(Service *s, GString *line, void *userdata) {
        Manager *m = userdata;
        GHashTableIter it;
        Account *a;
        unsigned held = 0;

        g_hash_table_iter_init(&it, m->accounts);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &a))
                held += registrations_held(a);
        g_string_append_printf(line, " accounts=%u orphans=%u unregisters_pending=%u registers_held=%u",
                               g_hash_table_size(m->accounts), m->orphans->len, m->pending_unregisters,
                               held);
        sip_driver_dump(m->sip, line);
        edge_dump(m->edge, line);
}

int manager_new(Service *service, const char *state_dir, const char *sip_address, uint16_t sip_port, Manager **ret) {
        Manager *m = calloc(1, sizeof(Manager));
        int r;

        if (!m)
                return log_oom();
        m->service = service;
        m->bus = service->bus;
        m->state_dir = strdup(state_dir);
        m->sip_address = strdup(sip_address);
        m->sip_port = sip_port;
        m->accounts = g_hash_table_new(g_direct_hash, g_direct_equal);
        m->orphans = g_ptr_array_new();
        m->last_answer = g_hash_table_new_full(g_str_hash, g_str_equal, free, free);
        service->dump = manager_dump;
        service->dump_userdata = m;
        /* Defaults until the configuration arrives. */
        r = sipr_global_config_defaults(&m->global);
        if (r >= 0)
                r = sip_setup(m);
        if (r >= 0)
                r = edge_new(m, &m->edge);
        if (r >= 0)
                r = health_client_new(m, account_health_changed, &m->health);
        if (r >= 0)
                r = bus_name_watch_new(m->bus, "org.sipr.Resolver1", on_resolver_name, m, &m->resolver_watch);
        if (r >= 0)
                r = registration_bus_register(m);
        if (r >= 0)
                r = account_bus_register(m);
        if (r < 0) {
                manager_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

Manager *manager_free(Manager *m) {
        GHashTableIter it;
        Account *a;

        if (!m)
                return NULL;
        config_client_free(m->config);
        g_hash_table_iter_init(&it, m->accounts);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &a))
                account_free(a);
        g_hash_table_destroy(m->accounts);
        manager_orphans_clear(m);
        g_ptr_array_free(m->orphans, TRUE);
        g_hash_table_destroy(m->last_answer);
        health_client_free(m->health);
        bus_name_watch_free(m->resolver_watch);
        edge_free(m->edge);
        sip_driver_free(m->sip);
        sd_bus_slot_unref(m->root_slot);
        sd_bus_slot_unref(m->account_slot);
        sd_bus_slot_unref(m->enum_slot);
        sd_bus_slot_unref(m->om_slot);
        sd_bus_slot_unref(m->budget_slot);
        bus_budget_free(m->budget);
        free(m->state_dir);
        free(m->sip_address);
        sipr_global_config_done(&m->global);
        free(m);
        return NULL;
}

Account *manager_find_account(Manager *m, unsigned index) {
        return g_hash_table_lookup(m->accounts, GUINT_TO_POINTER(index));
}

static int cmp_unsigned(const void *a, const void *b) {
        unsigned x = *(const unsigned *) a, y = *(const unsigned *) b;
        return x < y ? -1 : x > y;
}

unsigned *manager_account_indexes(Manager *m, size_t *ret_n) {
        size_t n = g_hash_table_size(m->accounts), i = 0;
        unsigned *idx = calloc(n + 1, sizeof(unsigned));
        GHashTableIter it;
        gpointer key;

        g_hash_table_iter_init(&it, m->accounts);
        while (idx && g_hash_table_iter_next(&it, &key, NULL))
                idx[i++] = GPOINTER_TO_UINT(key);
        if (idx)
                qsort(idx, n, sizeof(unsigned), cmp_unsigned);
        *ret_n = idx ? n : 0;
        return idx;
}

static void account_drop(Manager *m, Account *a, bool unregister) {
        edge_account_changed(m->edge, a->index, NULL);
        if (unregister)
                account_unregister_all(a);
        account_bus_removed(a);
        g_hash_table_remove(m->accounts, GUINT_TO_POINTER(a->index));
        account_free(a); /* transactions still removing bindings live on as orphans */
}

static void account_add(Manager *m, const SiprAccountConfig *cfg) {
        Account *a;
        int r;

        edge_account_changed(m->edge, cfg->index, cfg);
        r = account_new(m, cfg, &a);
        if (r < 0) {
                log_account_index(cfg->index, LOG_ERR, "cannot set up: %s", strerror(-r));
                return;
        }
        g_hash_table_insert(m->accounts, GUINT_TO_POINTER(a->index), a);
        account_bus_added(a);
        account_start(a);
}

/* Same object path: the new account takes over what the bus has seen, so the change shows as
 * one PropertiesChanged rather than a new object. */
static void account_replace(Manager *m, Account *old, const SiprAccountConfig *cfg) {
        Account *a;
        int r;

        edge_account_changed(m->edge, cfg->index, cfg);
        r = account_new(m, cfg, &a);
        if (r < 0) {
                log_account_index(cfg->index, LOG_ERR, "cannot set up: %s", strerror(-r));
                account_drop(m, old, false);
                return;
        }
        a->published = old->published;
        a->on_bus = old->on_bus;
        old->published = (AccountView) {};
        old->on_bus = false;
        g_hash_table_remove(m->accounts, GUINT_TO_POINTER(old->index));
        account_free(old);
        g_hash_table_insert(m->accounts, GUINT_TO_POINTER(a->index), a);
        account_start(a);
}

static void on_config(ConfigClient *c, const SiprConfig *old, const SiprConfig *config, char **changed_keys,
                      void *userdata) {
        manager_apply_config(userdata, config);
}

void manager_apply_config(Manager *m, const SiprConfig *config) {
        const SiprGlobalConfig *g = &config->global;
        bool timers, health, globals, edge, accounts_changed = false;
        size_t n;
        unsigned *idx;

        SiprGlobalConfig copy;

        timers = !m->have_config || sipr_global_config_differs(g, &m->global, "sip.timer_");
        health = !m->have_config || sipr_global_config_differs(g, &m->global, "sipr.health.");
        edge = !m->have_config || timers || sipr_global_config_differs(g, &m->global, "sipr.edge.");
        globals = timers || g->failback_hold_down != m->global.failback_hold_down ||
                  g->health_proactive_failover != m->global.health_proactive_failover;

        if (sipr_global_config_copy(&copy, g) < 0) {
                log_oom();
                return;
        }
        sipr_global_config_done(&m->global);
        m->global = copy;
        m->have_config = true;

        if (timers)
                (void) sip_driver_set_timers(m->sip, g->timer_t1_usec, g->timer_t2_usec, g->timer_t4_usec);
        if (health && m->health)
                health_client_reconfigure(m->health);
        if (edge)
                edge_configure(m->edge, &m->global);

        /* Accounts gone from the configuration: remove their bindings. */
        idx = manager_account_indexes(m, &n);
        for (size_t i = 0; i < n; i++)
                if (!sipr_config_find_account(config, idx[i])) {
                        log_account_index(idx[i], LOG_INFO, "removed from the configuration.");
                        account_drop(m, manager_find_account(m, idx[i]), true);
                        accounts_changed = true;
                }
        free(idx);

        for (size_t i = 0; i < config->n_accounts; i++) {
                const SiprAccountConfig *ac = &config->accounts[i];
                Account *a = manager_find_account(m, ac->index);

                if (!a) {
                        account_add(m, ac);
                        accounts_changed = true;
                        continue;
                }
                if (account_config_equal(&a->cfg, ac)) {
                        /* Untouched accounts keep their bindings; globals apply in place. */
                        if (globals)
                                account_update_globals(a);
                        continue;
                }
                log_account_info(a, "configuration changed, re-registering it.");
                /* Same Call-ID/CSeq sequence afterwards: the registrar updates the same binding.
                 * Bindings on servers no longer configured (or a disabled account) are removed. */
                bool unregister = sipr_account_config_differs(&a->cfg, ac, SIPR_CONFIG_REBINDS);
                if (unregister)
                        account_unregister_all(a);
                account_replace(m, a, ac);
        }
        if (accounts_changed)
                registration_bus_accounts_changed(m);
}

int manager_start(Manager *m) {
        int r = config_client_new(m->bus, on_config, m, &m->config);
        if (r < 0)
                return log_error_errno(r, "Failed to start the configuration client: %m");
        return 0;
}

void manager_note_answer(Manager *m, const char *uri, uint64_t now_usec) {
        uint64_t *t = g_hash_table_lookup(m->last_answer, uri);
        char *k;

        if (t) {
                *t = now_usec;
                return;
        }
        /* An answer only matters while a transaction sent before it can still time out (64·T1,
         * minutes at most): with names that keep moving, old next hops are dropped. */
        if (g_hash_table_size(m->last_answer) >= 128) {
                GHashTableIter it;
                gpointer v;

                g_hash_table_iter_init(&it, m->last_answer);
                while (g_hash_table_iter_next(&it, NULL, &v))
                        if (*(uint64_t *) v + 15 * 60 * USEC_PER_SEC < now_usec)
                                g_hash_table_iter_remove(&it);
        }
        t = malloc(sizeof(*t));
        k = strdup(uri);
        if (!t || !k) {
                free(t);
                free(k);
                return;
        }
        *t = now_usec;
        g_hash_table_insert(m->last_answer, k, t);
}

bool manager_answered_since(Manager *m, const char *uri, uint64_t since_usec) {
        const uint64_t *t = g_hash_table_lookup(m->last_answer, uri);

        return t && *t >= since_usec;
}

void manager_hop_result(Manager *m, unsigned account, const char *uri, unsigned status, bool local,
                        uint64_t sent_usec) {
        const char *event;
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        if (!local)
                manager_note_answer(m, uri, now);
        if (!m->health)
                return;
        if (!local)
                event = "ok"; /* any answer: the server is alive */
        else if (status != 408 && status != 503)
                return; /* our own trouble (cannot send, internal error): says nothing of the server */
        else if (status == 408) {
                /* The server answered another of our transactions while this one was running
                 * (Timer F = 64·T1): it is alive, only busy. Telling healthd "timeout" would mark
                 * it down for every account at once, and a registration storm (1000 accounts)
                 * would cascade into failing over everyone. This account still counts it. */
                uint64_t t1 = m->global.timer_t1_usec ?: 500 * USEC_PER_MSEC;
                uint64_t since = sent_usec ? sent_usec : (now > 64 * t1 ? now - 64 * t1 : 0);
                if (manager_answered_since(m, uri, since)) {
                        log_account_index(account, LOG_INFO,
                                          "%s timed out, but answered other requests meanwhile: not reported down.", uri);
                        return;
                }
                event = "timeout";
        } else if (strstr(uri, "transport=udp"))
                event = "icmp";
        else
                event = "refused";
        health_client_report(m->health, uri, event);
}

void manager_unregister_done(Manager *m) {
        if (m->pending_unregisters > 0)
                m->pending_unregisters--;
        if (m->stopping && m->pending_unregisters == 0) {
                log_info("Every binding removed; exiting.");
                service_quit(m->service, 0);
        }
}

void manager_orphan_add(Manager *m, Registration *g) {
        g_ptr_array_add(m->orphans, g);
}

void manager_orphan_remove(Manager *m, Registration *g) {
        g_ptr_array_remove(m->orphans, g);
}

void manager_orphans_clear(Manager *m) {
        while (m->orphans->len > 0)
                registration_free(g_ptr_array_steal_index(m->orphans, m->orphans->len - 1));
}

int manager_stop(Manager *m) {
        GHashTableIter it;
        Account *a;

        if (!m->global.unregister_on_stop) {
                log_info("Stopping; bindings stay on the registrars (sipr.unregister_on_stop = 0).");
                return 0;
        }
        m->stopping = true;
        g_hash_table_iter_init(&it, m->accounts);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &a))
                account_unregister_all(a);
        if (m->pending_unregisters == 0)
                return 0;
        log_info("Stopping: removing %u binding(s) first (sipr.unregister_on_stop = 1).", m->pending_unregisters);
        return 1;
}
