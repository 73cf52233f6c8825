/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.sipr.Registration1.Account: one fallback vtable serving every account object. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account-bus.h"
#include "log.h"
#include "macro.h"
#include "sipr-error.h"
#include "sipr-messages.h"
#include "util.h"

#define ACCOUNT_PREFIX "/org/sipr/Registration1/account"
#define ACCOUNT_IFACE  "org.sipr.Registration1.Account"

static int property_get_index(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Account *a = userdata;
        return sd_bus_message_append(reply, "u", a->index);
}

static int property_get_enabled(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Account *a = userdata;
        return sd_bus_message_append(reply, "b", a->published.enabled);
}

static int property_get_usable(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Account *a = userdata;
        return sd_bus_message_append(reply, "b", a->published.usable);
}

static int property_get_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Account *a = userdata;
        const AccountView *v = &a->published;
        const char *s = streq(property, "Aor")             ? v->aor
                        : streq(property, "Mode")          ? v->mode
                        : streq(property, "State")         ? v->state
                        : streq(property, "WorkingServer") ? v->working
                                                           : v->last_reason;
        return sd_bus_message_append(reply, "s", strempty(s));
}

static int property_get_servers(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Account *a = userdata;
        const AccountView *v = &a->published;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(ssssqt)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < v->n_servers; i++) {
                const AccountServerRow *row = &v->servers[i];
                r = sd_bus_message_append(reply, "(ssssqt)", strempty(row->name), strempty(row->uri),
                                          row->role, row->state, row->status, row->since_realtime);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_get_last_status(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *error) {
        Account *a = userdata;
        return sd_bus_message_append(reply, "q", (uint16_t) a->published.last_status);
}

static int property_get_failovers(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Account *a = userdata;
        return sd_bus_message_append(reply, "u", a->published.failovers);
}

static int property_get_since(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Account *a = userdata;
        return sd_bus_message_append(reply, "t", a->published.registered_since);
}

static int property_get_edge_contacts(sd_bus *bus, const char *path, const char *interface,
                                      const char *property, sd_bus_message *reply, void *userdata,
                                      sd_bus_error *error) {
        Account *a = userdata;
        return sd_bus_message_append_strv(reply, a->published.edge_contacts ?: (char *[]){NULL});
}

static int property_get_u64(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Account *a = userdata;
        return sd_bus_message_append(reply, "t",
                                     streq(property, "Requests") ? a->published.requests
                                                                 : a->published.request_failovers);
}

static int method_register(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Account *a = userdata;
        int r = account_register(a);
        if (r == -EPERM)
                return sd_bus_error_setf(error, SIPR_ERROR_FAILED,
                                         "account %u is disabled (account.%u.enable = 0)", a->index,
                                         a->index);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "account %u: cannot register: %m", a->index);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_unregister(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Account *a = userdata;
        int r = account_unregister(a);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "account %u: cannot unregister: %m", a->index);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_failover(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Account *a = userdata;
        int r = account_failover(a);
        if (r == -ENOLINK)
                return sd_bus_error_setf(error, SIPR_ERROR_FAILED,
                                         "account %u has no working server to leave (State is %s)", a->index,
                                         strempty(a->published.state));
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "account %u: failover failed: %m", a->index);
        return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable account_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Index", "u", property_get_index, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Enabled", "b", property_get_enabled, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Aor", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Mode", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("State", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("WorkingServer", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Usable", "b", property_get_usable, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Servers", "a(ssssqt)", property_get_servers, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastStatus", "q", property_get_last_status, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastReason", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Failovers", "u", property_get_failovers, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RegisteredSinceUsec", "t", property_get_since, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("EdgeContacts", "as", property_get_edge_contacts, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Requests", "t", property_get_u64, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RequestFailovers", "t", property_get_u64, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_SIGNAL_WITH_ARGS("RequestFailover", SD_BUS_ARGS("s", method, "s", from, "s", reason, "s", to),
                                0),
        SD_BUS_METHOD("Register", NULL, NULL, method_register, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Unregister", NULL, NULL, method_unregister, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Failover", NULL, NULL, method_failover, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int account_bus_path(unsigned index, char **ret) {
        char *p = g_strdup_printf(ACCOUNT_PREFIX "/%u", index);

        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

int account_bus_path_index(const char *path, unsigned *ret) {
        const char *e;
        uint32_t idx;

        /* API.md: /org/sipr/Registration1/account/<X>, X as in account.X.*: decimal, no leading 0 */
        if (!path || strncmp(path, ACCOUNT_PREFIX "/", strlen(ACCOUNT_PREFIX) + 1) != 0)
                return -EINVAL;
        e = path + strlen(ACCOUNT_PREFIX) + 1;
        if (*e < '1' || *e > '9' || safe_atou32(e, &idx) < 0)
                return -EINVAL;
        *ret = idx;
        return 0;
}

static int account_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                               void **found, sd_bus_error *error) {
        Manager *m = userdata;
        unsigned idx;
        Account *a;

        if (account_bus_path_index(path, &idx) < 0)
                return 0;
        a = manager_find_account(m, idx);
        if (!a || !a->on_bus)
                return 0;
        *found = a;
        return 1;
}

static int account_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                                   sd_bus_error *error) {
        Manager *m = userdata;
        size_t n;
        unsigned *idx = manager_account_indexes(m, &n);
        char **l = calloc(n + 1, sizeof(char *));

        if (!l) {
                free(idx);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
                (void) account_bus_path(idx[i], &l[i]);
        free(idx);
        *nodes = l;
        return 0;
}

int account_bus_register(Manager *m) {
        int r;

        r = sd_bus_add_fallback_vtable(m->bus, &m->account_slot, ACCOUNT_PREFIX, ACCOUNT_IFACE,
                                       account_vtable, account_object_find, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the account objects: %m");
        r = sd_bus_add_node_enumerator(m->bus, &m->enum_slot, ACCOUNT_PREFIX, account_node_enumerator, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the account enumerator: %m");
        return 0;
}

void account_bus_added(Account *a) {
        account_view_clear(&a->published);
        (void) redundancy_take_changes(a->red);
        account_view(a, &a->published, true);
        a->on_bus = true;
        if (a->manager->bus)
                (void) sd_bus_emit_object_added(a->manager->bus, a->path);
}

void account_bus_removed(Account *a) {
        if (a->manager->bus && a->on_bus)
                (void) sd_bus_emit_object_removed(a->manager->bus, a->path);
        a->on_bus = false;
}

static bool servers_equal(const AccountView *x, const AccountView *y) {
        if (x->n_servers != y->n_servers)
                return false;
        for (size_t i = 0; i < x->n_servers; i++) {
                const AccountServerRow *a = &x->servers[i], *b = &y->servers[i];
                if (!streq(strempty(a->name), strempty(b->name)) ||
                    !streq(strempty(a->uri), strempty(b->uri)) || !streq(a->role, b->role) ||
                    !streq(a->state, b->state) || a->status != b->status ||
                    a->since_realtime != b->since_realtime)
                        return false;
        }
        return true;
}

/* Position of uri among the Servers rows (priority order); n_servers when absent. */
static size_t view_rank(const AccountView *v, const char *uri) {
        for (size_t i = 0; i < v->n_servers; i++)
                if (v->servers[i].uri && streq(v->servers[i].uri, uri))
                        return i;
        return v->n_servers;
}

/* The journal's story of the account: failover and a failed account at warning, failback and
 * registering again at notice, with fixed MESSAGE_IDs, SIPR_ACCOUNT=, SIPR_SERVER= and the reason. */
static void log_transition(const Account *a, const AccountView *old, const AccountView *v) {
        char reason[300];
        const char *from = NULL;

        snprintf(reason, sizeof(reason), "%u %s", v->last_status, strempty(v->last_reason));
        if (v->failovers > old->failovers && !isempty(v->working)) {
                size_t to_rank = view_rank(v, v->working);
                /* When the working server was lost first (registering without one), the one it
                 * left is the first row ahead of the new one that failed. */
                if (!isempty(old->working) && !streq(old->working, v->working))
                        from = old->working;
                for (size_t i = 0; !from && i < to_rank; i++)
                        if (streq(v->servers[i].state, "failed") && v->servers[i].uri)
                                from = v->servers[i].uri;
                if (from && view_rank(v, from) > to_rank) {
                        log_struct(LOG_NOTICE, SIPR_MESSAGE_FAILBACK,
                                   LOG_FIELDS(LOG_FIELD_UINT("SIPR_ACCOUNT", a->index),
                                              LOG_FIELD("SIPR_SERVER", v->working),
                                              LOG_FIELD("SIPR_SERVER_FROM", from)),
                                   "Account %u: %s via %s (failback from %s).", a->index, v->state,
                                   v->working, from);
                        return;
                }
                /* the reason is what the address it left last answered (or the local 408/503), or
                 * that healthd saw it down (a proactive failover, before any request failed) */
                reason[0] = 0;
                if (from && view_rank(v, from) < v->n_servers &&
                    v->servers[view_rank(v, from)].status >= 300)
                        snprintf(reason, sizeof(reason), "%u", v->servers[view_rank(v, from)].status);
                else if (from) {
                        RedHop hops[RED_SERVER_MAX * RED_ADDR_MAX];
                        size_t n = redundancy_next_hops(a->red, hops, ELEMENTSOF(hops));
                        for (size_t i = 0; i < n; i++)
                                if (hops[i].down && streq(hops[i].uri, from))
                                        snprintf(reason, sizeof(reason), "down (sipr-healthd)");
                }
                const char *sep = !reason[0]                           ? ""
                                  : isdigit((unsigned char) reason[0]) ? ", which answered "
                                                                       : ": ";
                log_struct(LOG_WARNING, SIPR_MESSAGE_FAILOVER,
                           LOG_FIELDS(LOG_FIELD_UINT("SIPR_ACCOUNT", a->index),
                                      LOG_FIELD("SIPR_SERVER", v->working),
                                      LOG_FIELD("SIPR_SERVER_FROM", from),
                                      LOG_FIELD("SIPR_REASON", reason[0] ? reason : NULL)),
                           "Account %u: %s via %s (failover from %s%s%s).", a->index, v->state, v->working,
                           from ?: "an unknown server", sep, reason);
                return;
        }
        if (streq(strempty(v->state), "failed") && !streq(strempty(old->state), "failed")) {
                char next[96];
                uint64_t at = redundancy_next_retry(a->red), now = now_usec(CLOCK_MONOTONIC);
                if (a->problem)
                        snprintf(next, sizeof(next), "not registering until the configuration changes");
                else if (at == 0)
                        snprintf(next, sizeof(next), "no further attempt until Register() or a configuration change");
                else
                        snprintf(next, sizeof(next), "next attempt in %" PRIu64 " s",
                                 at > now ? (at - now + USEC_PER_SEC / 2) / USEC_PER_SEC : 0);
                log_struct(LOG_WARNING, SIPR_MESSAGE_ACCOUNT_FAILED,
                           LOG_FIELDS(LOG_FIELD_UINT("SIPR_ACCOUNT", a->index),
                                      LOG_FIELD("SIPR_SERVER", old->working),
                                      LOG_FIELD("SIPR_REASON", reason)),
                           "Account %u: failed: %s%s%s%s; %s.", a->index, reason,
                           v->working_bound || isempty(v->working) ? "" : "; new requests go to ",
                           v->working_bound ? "" : strempty(v->working),
                           v->working_bound || isempty(v->working) ? "" : " without a registration", next);
                return;
        }
        if (streq(strempty(old->state), "registered") && !isempty(old->working) && isempty(v->working)) {
                /* the working server is gone; where it goes next is the failover line */
                log_struct(
                        LOG_WARNING, NULL,
                        LOG_FIELDS(LOG_FIELD_UINT("SIPR_ACCOUNT", a->index),
                                   LOG_FIELD("SIPR_SERVER", old->working), LOG_FIELD("SIPR_REASON", reason)),
                        "Account %u: %s, lost %s: %s.", a->index, strempty(v->state), old->working, reason);
                return;
        }
        if (streq(strempty(v->state), "registered") && !streq(strempty(old->state), "registered")) {
                log_struct(LOG_NOTICE, SIPR_MESSAGE_ACCOUNT_REGISTERED,
                           LOG_FIELDS(LOG_FIELD_UINT("SIPR_ACCOUNT", a->index),
                                      LOG_FIELD("SIPR_SERVER", v->working)),
                           "Account %u: registered via %s.", a->index, strempty(v->working));
                return;
        }
        if (isempty(v->working) || v->working_bound)
                log_account_info(a, "%s%s%s.", v->state, isempty(v->working) ? "" : " via ",
                                 strempty(v->working));
        else
                /* register_on_enable = 0: nothing is registered at the server requests go to */
                log_account_info(a, "%s; new requests go to %s without a registration.", v->state,
                                 v->working);
}

void account_bus_emit_changes(Account *a) {
        AccountView v;
        const char *names[20];
        size_t n = 0;
        int r;

        /* the engine says whether the rows can have changed; unchanged, they move over as they are */
        bool servers = (redundancy_take_changes(a->red) & RED_CHANGED_SERVERS) || !a->published.servers;
        account_view(a, &v, servers);
        if (!servers) {
                v.servers = a->published.servers;
                v.n_servers = a->published.n_servers;
                a->published.servers = NULL;
                a->published.n_servers = 0;
        }
        if (!a->on_bus) {
                /* not on the bus yet (or any more): nothing to tell, but the view stays current */
                account_view_clear(&a->published);
                a->published = v;
                return;
        }
#define CHANGED_STR(f, name)                                                                                \
        if (!streq(strempty(v.f), strempty(a->published.f)))                                                \
        names[n++] = name
        if (v.enabled != a->published.enabled)
                names[n++] = "Enabled";
        CHANGED_STR(aor, "Aor");
        CHANGED_STR(mode, "Mode");
        CHANGED_STR(state, "State");
        CHANGED_STR(working, "WorkingServer");
        if (v.usable != a->published.usable)
                names[n++] = "Usable";
        if (servers && !servers_equal(&v, &a->published))
                names[n++] = "Servers";
        if (v.last_status != a->published.last_status)
                names[n++] = "LastStatus";
        CHANGED_STR(last_reason, "LastReason");
        if (v.failovers != a->published.failovers)
                names[n++] = "Failovers";
        if (v.registered_since != a->published.registered_since)
                names[n++] = "RegisteredSinceUsec";
        if (!strv_equal(v.edge_contacts, a->published.edge_contacts))
                names[n++] = "EdgeContacts";
        if (v.requests != a->published.requests)
                names[n++] = "Requests";
        if (v.request_failovers != a->published.request_failovers)
                names[n++] = "RequestFailovers";
#undef CHANGED_STR
        names[n] = NULL;

        if (!streq(strempty(v.state), strempty(a->published.state)) ||
            !streq(strempty(v.working), strempty(a->published.working)))
                log_transition(a, &a->published, &v);
        account_view_clear(&a->published);
        a->published = v;
        if (n == 0)
                return;
        r = sd_bus_emit_properties_changed_strv(a->manager->bus, a->path, ACCOUNT_IFACE, (char **) names);
        if (r < 0)
                log_debug_errno(r, "Failed to emit PropertiesChanged for %s: %m", a->path);
}

void account_bus_emit_request_failover(Account *a, const char *method, const char *from, const char *reason,
                                       const char *to) {
        int r;

        if (!a->published.state)
                return;
        r = sd_bus_emit_signal(a->manager->bus, a->path, ACCOUNT_IFACE, "RequestFailover", "ssss",
                               strempty(method), strempty(from), strempty(reason), strempty(to));
        if (r < 0)
                log_debug_errno(r, "Failed to emit RequestFailover for %s: %m", a->path);
}
