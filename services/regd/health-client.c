/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "health-client.h"
#include "log.h"
#include "manager.h"
#include "timer.h"
#include "macro.h"
#include "util.h"

#define HEALTH_NAME  "org.sipr.Health1"
#define HEALTH_PATH  "/org/sipr/Health1"
#define HEALTH_IFACE "org.sipr.Health1"
#define TARGET_IFACE "org.sipr.Health1.Target"

typedef struct Watcher {
        void *owner; /* compared, never dereferenced here */
        unsigned server;
        bool active; /* the owner uses this address now (health_client_set_active()) */
} Watcher;

typedef struct Target {
        HealthClient *h;
        char *uri, *transport, *address;
        uint16_t port;
        char *path;
        RedHealth health;
        GArray *watchers; /* Watcher */
        /* Standby for healthd (probed at sipr.health.standby_interval) unless a watcher uses it;
         * told_active: what healthd was last told (Watch option standby, SetStandby). */
        bool active, told_active;
        sd_bus_slot *call_slot, *match_slot, *get_slot;
} Target;

struct HealthClient {
        Manager *m;
        HealthFunc cb;
        GHashTable *targets; /* uri → Target* */
        BusNameWatch *name_watch;
        bool present;
        guint watch_id; /* idle: Watch the new targets once their owners said which they use */
};

static void target_forget_bus(Target *t) {
        t->call_slot = sd_bus_slot_unref(t->call_slot);
        t->match_slot = sd_bus_slot_unref(t->match_slot);
        t->get_slot = sd_bus_slot_unref(t->get_slot);
        free(t->path);
        t->path = NULL;
}

static void target_free(gpointer p) {
        Target *t = p;
        if (t->path && t->h->present)
                (void) sd_bus_call_method_async(t->h->m->bus, NULL, HEALTH_NAME, HEALTH_PATH, HEALTH_IFACE,
                                                "Unwatch", NULL, NULL, "o", t->path);
        target_forget_bus(t);
        g_array_free(t->watchers, TRUE);
        free(t->uri);
        free(t->transport);
        free(t->address);
        free(t);
}

static void target_deliver(Target *t, RedHealth health) {
        if (t->health == health)
                return;
        t->health = health;
        /* down is an outage's first sign (warning); healthd's own entry carries the reason */
        bool down = health == RED_HEALTH_DOWN, up = health == RED_HEALTH_UP;
        int level = down ? LOG_WARNING : up ? LOG_NOTICE : LOG_INFO;
        log_struct(level, NULL, LOG_FIELDS(LOG_FIELD("SIPR_SERVER", t->uri)),
                   "Health of %s: %s (sipr-healthd).", t->uri,
                   up     ? "up"
                   : down ? "down"
                          : "unknown");
        /* A watcher's reaction may unwatch others, or drop the target itself: each one is
         * looked up again, by uri, before it is told. */
        HealthClient *h = t->h;
        g_autofree char *uri = strdup(t->uri);
        GArray *copy = g_array_copy(t->watchers);
        for (guint i = 0; uri && i < copy->len; i++) {
                const Watcher *w = &g_array_index(copy, Watcher, i);
                Target *now = g_hash_table_lookup(h->targets, uri);
                bool still = false;
                for (guint j = 0; now && j < now->watchers->len && !still; j++) {
                        const Watcher *o = &g_array_index(now->watchers, Watcher, j);
                        still = o->owner == w->owner && o->server == w->server;
                }
                if (still)
                        h->cb(w->owner, w->server, uri, health);
        }
        g_array_free(copy, TRUE);
}

static RedHealth health_from_string(const char *s) {
        if (streq(s, "up"))
                return RED_HEALTH_UP;
        if (streq(s, "down"))
                return RED_HEALTH_DOWN;
        return RED_HEALTH_UNKNOWN;
}

static int on_get_state(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Target *t = userdata;
        const char *state;

        t->get_slot = sd_bus_slot_unref(t->get_slot);
        if (sd_bus_message_is_method_error(m, NULL))
                return 0;
        if (sd_bus_message_read(m, "v", "s", &state) < 0)
                return 0;
        target_deliver(t, health_from_string(state));
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Target *t = userdata;
        const char *iface, *name;
        int r;

        if (sd_bus_message_read(m, "s", &iface) < 0 || !streq(iface, TARGET_IFACE))
                return 0;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return 0;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                if (sd_bus_message_read(m, "s", &name) < 0)
                        return 0;
                if (streq(name, "State")) {
                        const char *state;
                        if (sd_bus_message_read(m, "v", "s", &state) < 0)
                                return 0;
                        target_deliver(t, health_from_string(state));
                } else if (sd_bus_message_skip(m, "v") < 0)
                        return 0;
                if (sd_bus_message_exit_container(m) < 0)
                        return 0;
        }
        return 0;
}

/* healthd is told when the target's use changed; while the Watch is under way, on its reply. */
static void target_sync_standby(Target *t) {
        int r;

        if (!t->path || !t->h->present || t->told_active == t->active)
                return;
        r = sd_bus_call_method_async(t->h->m->bus, NULL, HEALTH_NAME, HEALTH_PATH, HEALTH_IFACE,
                                     "SetStandby", NULL, NULL, "ob", t->path, !t->active);
        if (r < 0) {
                log_warning_errno(r, "Failed to call Health SetStandby for %s: %m", t->uri);
                return;
        }
        t->told_active = t->active;
}

/* Active when any watcher (account) uses the address. */
static void target_update_active(Target *t) {
        bool active = false;

        for (guint i = 0; i < t->watchers->len && !active; i++)
                active = g_array_index(t->watchers, Watcher, i).active;
        if (active != t->active)
                log_debug("Health: %s is %s.", t->uri,
                          active ? "in use: probed at the full rate" : "standby");
        t->active = active;
        target_sync_standby(t);
}

static int on_watch_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Target *t = userdata;
        const char *path;
        int r;

        t->call_slot = sd_bus_slot_unref(t->call_slot);
        if (sd_bus_message_is_method_error(m, NULL)) {
                log_warning("Health Watch of %s failed: %s", t->uri, sd_bus_message_get_error(m)->message);
                return 0;
        }
        if (sd_bus_message_read(m, "o", &path) < 0)
                return 0;
        free(t->path);
        t->path = strdup(path);
        r = sd_bus_match_signal_async(t->h->m->bus, &t->match_slot, HEALTH_NAME, path,
                                      "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                      on_properties_changed, NULL, t);
        if (r < 0)
                log_warning_errno(r, "Failed to follow health of %s: %m", t->uri);
        r = sd_bus_call_method_async(t->h->m->bus, &t->get_slot, HEALTH_NAME, path,
                                     "org.freedesktop.DBus.Properties", "Get", on_get_state, t, "ss",
                                     TARGET_IFACE, "State");
        if (r < 0)
                log_warning_errno(r, "Failed to read health of %s: %m", t->uri);
        /* Its use may have changed while the Watch was under way. */
        target_sync_standby(t);
        return 0;
}

static void target_watch(Target *t) {
        const SiprGlobalConfig *g = &t->h->m->global;
        const char *method = isempty(g->health_method) ? "options" : g->health_method;
        int r;

        if (!t->h->present || t->path || t->call_slot || streq(method, "none"))
                return;
        /* crlf needs a connection; on UDP fall back to OPTIONS. */
        if (streq(method, "crlf") && streq(t->transport, "udp"))
                method = "options";
        r = sd_bus_call_method_async(t->h->m->bus, &t->call_slot, HEALTH_NAME, HEALTH_PATH, HEALTH_IFACE,
                                     "Watch", on_watch_reply, t, "ssqa{sv}", t->transport, t->address,
                                     t->port, 5, "interval_ms", "u", g->health_interval_ms ?: 5000, "method",
                                     "s", method, "down_after", "u", g->health_down_after ?: 2, "up_after",
                                     "u", g->health_up_after ?: 2, "standby", "b", !t->active);
        if (r < 0) {
                log_warning_errno(r, "Failed to call Health Watch for %s: %m", t->uri);
                return;
        }
        t->told_active = t->active;
}

static gboolean on_watch_new(gpointer userdata) {
        HealthClient *h = userdata;
        GHashTableIter it;
        Target *t;

        h->watch_id = 0;
        g_hash_table_iter_init(&it, h->targets);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &t))
                target_watch(t);
        return G_SOURCE_REMOVE;
}

static int parse_uri(const char *uri, char **transport, char **address, uint16_t *port) {
        const char *p = uri, *end, *semi;
        unsigned long pt = 5060;

        if (strncmp(p, "sip:", 4) != 0)
                return -EINVAL;
        p += 4;
        if (*p == '[') {
                end = strchr(p, ']');
                if (!end)
                        return -EINVAL;
                *address = strndup(p + 1, end - p - 1);
                p = end + 1;
        } else {
                end = p + strcspn(p, ":;");
                *address = strndup(p, end - p);
                p = end;
        }
        if (*p == ':')
                pt = strtoul(p + 1, NULL, 10);
        semi = strstr(uri, ";transport=");
        *transport = strdup(semi ? semi + strlen(";transport=") : "udp");
        (*transport)[strcspn(*transport, ";")] = 0;
        *port = (uint16_t) pt;
        return 0;
}

void health_client_watch(HealthClient *h, void *owner, unsigned server, const char *uri) {
        Target *t = g_hash_table_lookup(h->targets, uri);

        if (!t) {
                t = calloc(1, sizeof(Target));
                if (!t)
                        return;
                t->h = h;
                t->uri = strdup(uri);
                t->watchers = g_array_new(FALSE, FALSE, sizeof(Watcher));
                if (parse_uri(uri, &t->transport, &t->address, &t->port) < 0) {
                        free(t->uri);
                        g_array_free(t->watchers, TRUE);
                        free(t);
                        return;
                }
                g_hash_table_insert(h->targets, t->uri, t);
        }
        for (guint i = 0; i < t->watchers->len; i++) {
                Watcher *w = &g_array_index(t->watchers, Watcher, i);
                if (w->owner == owner && w->server == server)
                        goto watched;
        }
        g_array_append_val(t->watchers, ((Watcher){.owner = owner, .server = server}));
watched:
        /* Watched from the main loop, after the owner said which addresses it uses
         * (health_client_set_active() follows every event): one Watch with the right standby. */
        if (!t->path && !t->call_slot && !h->watch_id)
                h->watch_id = timer_add_idle(on_watch_new, h);
        if (t->health != RED_HEALTH_UNKNOWN)
                h->cb(owner, server, uri, t->health);
}

void health_client_unwatch_owner(HealthClient *h, void *owner) {
        GHashTableIter it;
        Target *t;

        g_hash_table_iter_init(&it, h->targets);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &t)) {
                for (guint i = t->watchers->len; i > 0; i--)
                        if (g_array_index(t->watchers, Watcher, i - 1).owner == owner)
                                g_array_remove_index(t->watchers, i - 1);
                if (t->watchers->len == 0)
                        g_hash_table_iter_remove(&it);
                else
                        target_update_active(t);
        }
}

static void target_drop_watcher(HealthClient *h, Target *t, void *owner, unsigned server) {
        for (guint i = t->watchers->len; i > 0; i--) {
                const Watcher *w = &g_array_index(t->watchers, Watcher, i - 1);
                if (w->owner == owner && w->server == server)
                        g_array_remove_index(t->watchers, i - 1);
        }
        if (t->watchers->len == 0)
                g_hash_table_remove(h->targets, t->uri); /* Unwatch */
        else
                target_update_active(t);
}

void health_client_watch_set(HealthClient *h, void *owner, unsigned server, const RedAddress *addrs,
                             size_t n, const char *bound_uri) {
        g_autoptr(GPtrArray) gone = g_ptr_array_new();
        GHashTableIter it;
        Target *t;

        g_hash_table_iter_init(&it, h->targets);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &t)) {
                bool keep = bound_uri && streq(bound_uri, t->uri);

                for (size_t i = 0; i < n && !keep; i++)
                        keep = streq(addrs[i].uri, t->uri);
                if (!keep)
                        g_ptr_array_add(gone, t);
        }
        /* Outside the iteration: dropping the last watcher removes the target. */
        for (guint i = 0; i < gone->len; i++)
                target_drop_watcher(h, g_ptr_array_index(gone, i), owner, server);
        for (size_t i = 0; i < n; i++)
                health_client_watch(h, owner, server, addrs[i].uri);
}

void health_client_unwatch(HealthClient *h, void *owner, unsigned server, const char *uri) {
        Target *t = g_hash_table_lookup(h->targets, uri);

        if (t)
                target_drop_watcher(h, t, owner, server);
}

void health_client_set_active(HealthClient *h, void *owner, const char *const *uris, size_t n) {
        GHashTableIter it;
        Target *t;

        g_hash_table_iter_init(&it, h->targets);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &t)) {
                bool changed = false, used = false;

                for (size_t i = 0; i < n && !used; i++)
                        used = streq(uris[i], t->uri);
                for (guint i = 0; i < t->watchers->len; i++) {
                        Watcher *w = &g_array_index(t->watchers, Watcher, i);
                        if (w->owner == owner && w->active != used) {
                                w->active = used;
                                changed = true;
                        }
                }
                if (changed)
                        target_update_active(t);
        }
}

void health_client_report(HealthClient *h, const char *uri, const char *event) {
        Target *t = g_hash_table_lookup(h->targets, uri);

        if (!t || !t->path || !h->present)
                return;
        (void) sd_bus_call_method_async(h->m->bus, NULL, HEALTH_NAME, HEALTH_PATH, HEALTH_IFACE, "Report",
                                        NULL, NULL, "os", t->path, event);
}

void health_client_reconfigure(HealthClient *h) {
        GHashTableIter it;
        Target *t;

        g_hash_table_iter_init(&it, h->targets);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &t)) {
                if (t->path && h->present)
                        (void) sd_bus_call_method_async(h->m->bus, NULL, HEALTH_NAME, HEALTH_PATH,
                                                        HEALTH_IFACE, "Unwatch", NULL, NULL, "o", t->path);
                target_forget_bus(t);
                target_watch(t);
        }
}

static void on_health_name(sd_bus *bus, const char *name, bool present, void *userdata) {
        HealthClient *h = userdata;
        GHashTableIter it;
        Target *t;

        h->present = present;
        log_info("sipr-healthd %s.",
                 present ? "is on the bus: watching targets" : "is gone: no proactive failover");
        g_hash_table_iter_init(&it, h->targets);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &t)) {
                target_forget_bus(t);
                if (present)
                        target_watch(t);
                else
                        target_deliver(t, RED_HEALTH_UNKNOWN);
        }
}

int health_client_new(Manager *m, HealthFunc cb, HealthClient **ret) {
        HealthClient *h = calloc(1, sizeof(HealthClient));
        int r;

        if (!h)
                return -ENOMEM;
        h->m = m;
        h->cb = cb;
        h->targets = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, target_free);
        r = bus_name_watch_new(m->bus, HEALTH_NAME, on_health_name, h, &h->name_watch);
        if (r < 0) {
                health_client_free(h);
                return r;
        }
        *ret = h;
        return 0;
}

HealthClient *health_client_free(HealthClient *h) {
        if (!h)
                return NULL;
        bus_name_watch_free(h->name_watch);
        if (h->watch_id)
                g_source_remove(h->watch_id);
        h->present = false;
        g_hash_table_destroy(h->targets);
        free(h);
        return NULL;
}
