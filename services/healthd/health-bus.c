/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.sipr.Health1 on /org/sipr/Health1: Watch, Unwatch, Report, SetStandby; ObjectManager for
 * the targets. Which watchers said standby is followed here (bus names); what standby means for
 * probing is manager.c's. */
#include <errno.h>
#include <string.h>

#include "health-bus.h"
#include "log.h"
#include "sipr-error.h"
#include "target-bus.h"

static int on_watchers_gone(sd_bus_track *track, void *userdata) {
        Target *t = userdata;

        /* Last watcher left the bus (or unwatched): nobody needs this target any more. */
        manager_remove_target(t->manager, t);
        return 0;
}

static int parse_u32_option(sd_bus_message *message, const char *name, uint32_t min, uint32_t max,
                            uint32_t *ret, sd_bus_error *error) {
        uint32_t v;
        int r;

        r = sd_bus_message_enter_container(message, 'v', "u");
        if (r < 0)
                return sd_bus_error_setf(error, SIPR_ERROR_INVALID_ARGS,
                                         "option %s: expected a variant of type u (uint32)", name);
        r = sd_bus_message_read(message, "u", &v);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(message);
        if (r < 0)
                return r;
        if (v < min || v > max)
                return sd_bus_error_setf(error, SIPR_ERROR_INVALID_ARGS,
                                         "option %s: %u is out of range %u…%u", name, v, min, max);
        *ret = v;
        return 0;
}

static int parse_bool_option(sd_bus_message *message, const char *name, bool *ret, sd_bus_error *error) {
        int v, r;

        r = sd_bus_message_enter_container(message, 'v', "b");
        if (r < 0)
                return sd_bus_error_setf(error, SIPR_ERROR_INVALID_ARGS,
                                         "option %s: expected a variant of type b (boolean)", name);
        r = sd_bus_message_read(message, "b", &v);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(message);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

static int parse_watch_options(sd_bus_message *message, WatchRequest *req, sd_bus_error *error) {
        int r;

        r = sd_bus_message_enter_container(message, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(message, 'e', "sv")) > 0) {
                const char *key;
                uint32_t v;

                r = sd_bus_message_read(message, "s", &key);
                if (r < 0)
                        return r;

                if (streq(key, "interval_ms")) {
                        r = parse_u32_option(message, key, HEALTHD_INTERVAL_MIN_MS, HEALTHD_INTERVAL_MAX_MS,
                                             &v, error);
                        if (r < 0)
                                return r;
                        req->has_interval = true;
                        req->interval_usec = (uint64_t) v * USEC_PER_MSEC;
                } else if (streq(key, "down_after")) {
                        r = parse_u32_option(message, key, TARGET_COUNT_MIN, TARGET_COUNT_MAX, &v, error);
                        if (r < 0)
                                return r;
                        req->has_down_after = true;
                        req->down_after = v;
                } else if (streq(key, "up_after")) {
                        r = parse_u32_option(message, key, TARGET_COUNT_MIN, TARGET_COUNT_MAX, &v, error);
                        if (r < 0)
                                return r;
                        req->has_up_after = true;
                        req->up_after = v;
                } else if (streq(key, "method")) {
                        const char *s;

                        r = sd_bus_message_enter_container(message, 'v', "s");
                        if (r < 0)
                                return sd_bus_error_setf(
                                        error, SIPR_ERROR_INVALID_ARGS,
                                        "option method: expected a variant of type s (string)");
                        r = sd_bus_message_read(message, "s", &s);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(message);
                        if (r < 0)
                                return r;
                        if (probe_method_from_string(s, &req->method) < 0 || req->method == PROBE_NONE)
                                return sd_bus_error_setf(
                                        error, SIPR_ERROR_INVALID_ARGS,
                                        "option method: '%s' is not one of options, crlf, connect", s);
                        req->has_method = true;
                } else if (streq(key, "standby")) {
                        r = parse_bool_option(message, key, &req->standby, error);
                        if (r < 0)
                                return r;
                        req->has_standby = true;
                } else
                        return sd_bus_error_setf(
                                error, SIPR_ERROR_INVALID_ARGS,
                                "unknown option '%s' (known: interval_ms, method, down_after, "
                                "up_after, standby)",
                                key);

                r = sd_bus_message_exit_container(message);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(message);
}

/* What watcher `name` says: standby or not (active). */
static int target_set_watcher_standby(Target *t, const char *name, bool standby) {
        char *copy;

        if (!standby) {
                if (t->standby_names)
                        g_hash_table_remove(t->standby_names, name);
                return 0;
        }
        if (!t->standby_names)
                t->standby_names = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
        copy = strdup(name);
        if (!copy)
                return -ENOMEM;
        g_hash_table_add(t->standby_names, copy);
        return 0;
}

/* Standby when every watcher said so. gone: a name that has just left the bus (sd_bus_track
 * may not have dropped it yet). Names that no longer watch are forgotten. */
static void target_update_standby(Target *t, const char *gone) {
        bool standby, any = false;
        GHashTableIter it;
        gpointer k;

        if (t->standby_names) {
                g_hash_table_iter_init(&it, t->standby_names);
                while (g_hash_table_iter_next(&it, &k, NULL))
                        if ((gone && streq(k, gone)) || sd_bus_track_count_name(t->watchers, k) <= 0)
                                g_hash_table_iter_remove(&it);
        }
        standby = t->standby_names && g_hash_table_size(t->standby_names) > 0;
        for (const char *n = sd_bus_track_first(t->watchers); n && standby;
             n = sd_bus_track_next(t->watchers)) {
                if (gone && streq(n, gone))
                        continue;
                any = true;
                standby = g_hash_table_contains(t->standby_names, n);
        }
        /* Nobody left: the target goes (on_watchers_gone); nothing to decide. */
        if (standby && !any)
                return;
        manager_set_standby(t->manager, t, standby);
}

static int on_name_lost(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name, *old_owner, *new_owner;
        GHashTableIter it;
        gpointer v;

        if (sd_bus_message_read(message, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        if (name[0] != ':' || !isempty(new_owner))
                return 0;
        /* An active watcher leaving the bus makes a target whose other watchers are all standby
         * standby; sd_bus_track tells only when the last watcher is gone. */
        g_hash_table_iter_init(&it, m->targets_by_key);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
                Target *t = v;
                if (t->standby_names && g_hash_table_size(t->standby_names) > 0)
                        target_update_standby(t, name);
        }
        return 0;
}

static int method_watch(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_(watch_request_done) WatchRequest req = {};
        Manager *m = userdata;
        const char *transport, *address;
        uint16_t port;
        bool created;
        Target *t = NULL;
        int r;

        /* Validate the whole request before touching anything. */
        r = sd_bus_message_read(message, "ssq", &transport, &address, &port);
        if (r < 0)
                return r;
        if (target_transport_from_string(transport, &req.transport) < 0)
                return sd_bus_error_setf(error, SIPR_ERROR_INVALID_ARGS,
                                         "transport '%s': expected udp, tcp or tls", transport);
        if (port == 0)
                return sd_bus_error_setf(error, SIPR_ERROR_INVALID_ARGS, "port 0: expected 1…65535");
        r = target_parse_address(address, port, &req.address, &req.sockaddr, &req.sockaddr_len);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_setf(
                        error, SIPR_ERROR_INVALID_ARGS,
                        "address '%s': not an IPv4 or IPv6 literal (resolve host names with "
                        "org.sipr.Resolver1 first)",
                        address);
        req.port = port;
        r = parse_watch_options(message, &req, error);
        if (r < 0)
                return r;
        /* crlf is meaningless without a connection. "connect" is what a client configured with
         * sipr.health.method=connect passes for every target: on UDP, OPTIONS is the nearest
         * equivalent (as for the configured default). */
        if (req.has_method && req.transport == TRANSPORT_UDP && req.method == PROBE_CRLF)
                return sd_bus_error_setf(error, SIPR_ERROR_INVALID_ARGS,
                                         "method crlf needs transport tcp or tls, not udp");
        if (req.has_method && req.transport == TRANSPORT_UDP && req.method == PROBE_CONNECT)
                req.method = PROBE_OPTIONS;

        r = manager_watch(m, &req, &t, &created);
        if (r == -E2BIG)
                return sd_bus_error_setf(error, SIPR_ERROR_FAILED, "too many targets (at most %u)",
                                         HEALTHD_TARGETS_MAX);
        if (r < 0)
                return r;

        if (!t->watchers) {
                r = sd_bus_track_new(m->bus, &t->watchers, on_watchers_gone, t);
                if (r >= 0)
                        r = sd_bus_track_set_recursive(t->watchers, true);
                if (r < 0) {
                        manager_remove_target(m, t);
                        return r;
                }
        }
        r = sd_bus_track_add_sender(t->watchers, message);
        if (r < 0) {
                if (created)
                        manager_remove_target(m, t);
                return r;
        }
        /* A new watcher that says nothing uses the target (active); one that watched before keeps
         * what it said unless it says it again. */
        const char *sender = sd_bus_message_get_sender(message);
        if (sender && (req.has_standby || sd_bus_track_count_sender(t->watchers, message) == 1)) {
                r = target_set_watcher_standby(t, sender, req.has_standby && req.standby);
                if (r < 0) {
                        (void) sd_bus_track_remove_sender(t->watchers, message);
                        if (created)
                                manager_remove_target(m, t);
                        return r;
                }
        }
        target_update_standby(t, NULL);
        if (created)
                target_bus_emit_added(t);

        log_debug("%s watches %s (%u watcher(s)).", strempty(sd_bus_message_get_sender(message)), t->path,
                  sd_bus_track_count(t->watchers));
        return sd_bus_reply_method_return(message, "o", t->path);
}

static int find_target(Manager *m, const char *path, Target **ret, sd_bus_error *error) {
        Target *t = manager_find_target_by_path(m, path);

        if (!t)
                return sd_bus_error_setf(error, SIPR_ERROR_NO_SUCH_TARGET, "no watched target %s", path);
        *ret = t;
        return 0;
}

static int method_unwatch(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *path;
        Target *t = NULL;
        int r;

        r = sd_bus_message_read(message, "o", &path);
        if (r < 0)
                return r;
        r = find_target(m, path, &t, error);
        if (r < 0)
                return r;

        r = sd_bus_track_remove_sender(t->watchers, message);
        if (r < 0)
                return r;
        if (r == 0)
                return sd_bus_error_setf(error, SIPR_ERROR_INVALID_ARGS, "target %s is not watched by %s",
                                         path, strempty(sd_bus_message_get_sender(message)));
        if (sd_bus_track_count(t->watchers) == 0)
                manager_remove_target(m, t);
        else
                target_update_standby(t, NULL); /* forgets the caller's word if it watches no more */

        return sd_bus_reply_method_return(message, NULL);
}

static int method_set_standby(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *path, *sender;
        Target *t = NULL;
        int standby, r;

        r = sd_bus_message_read(message, "ob", &path, &standby);
        if (r < 0)
                return r;
        r = find_target(m, path, &t, error);
        if (r < 0)
                return r;
        sender = sd_bus_message_get_sender(message);
        if (!sender || sd_bus_track_count_sender(t->watchers, message) <= 0)
                return sd_bus_error_setf(error, SIPR_ERROR_INVALID_ARGS, "target %s is not watched by %s",
                                         path, strempty(sender));

        r = target_set_watcher_standby(t, sender, standby);
        if (r < 0)
                return r;
        log_debug("%s says %s is %s.", sender, path, standby ? "standby" : "active");
        target_update_standby(t, NULL);
        return sd_bus_reply_method_return(message, NULL);
}

static int method_report(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *path, *event;
        TargetEvent ev;
        Target *t = NULL;
        int r;

        r = sd_bus_message_read(message, "os", &path, &event);
        if (r < 0)
                return r;
        if (target_event_from_report(event, &ev) < 0)
                return sd_bus_error_setf(error, SIPR_ERROR_INVALID_ARGS,
                                         "event '%s': expected icmp, refused, timeout or ok", event);
        r = find_target(m, path, &t, error);
        if (r < 0)
                return r;

        log_debug("%s reports %s on %s.", strempty(sd_bus_message_get_sender(message)), event, path);
        r = manager_report(m, t, ev);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(message, NULL);
}

static const sd_bus_vtable health_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Watch",
                                SD_BUS_ARGS("s", transport, "s", address, "q", port, "a{sv}", options),
                                SD_BUS_RESULT("o", target), method_watch, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Unwatch", SD_BUS_ARGS("o", target), SD_BUS_NO_RESULT, method_unwatch,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Report", SD_BUS_ARGS("o", target, "s", event), SD_BUS_NO_RESULT,
                                method_report, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetStandby", SD_BUS_ARGS("o", target, "b", standby), SD_BUS_NO_RESULT,
                                method_set_standby, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int health_bus_register(Manager *m) {
        int r;

        sipr_error_map_register();

        r = sd_bus_add_object_manager(m->bus, &m->object_manager_slot, HEALTH_BUS_PATH);
        if (r < 0)
                return log_error_errno(r, "Failed to add the object manager: %m");
        m->budget = bus_budget_new();
        if (!m->budget)
                return log_oom();
        r = bus_budget_attach(m->budget, m->bus, &m->budget_slot);
        if (r < 0)
                return log_error_errno(r, "Failed to limit GetManagedObjects: %m");
        r = sd_bus_add_object_vtable(m->bus, &m->root_slot, HEALTH_BUS_PATH, HEALTH_BUS_INTERFACE,
                                     health_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s: %m", HEALTH_BUS_PATH);
        /* Only names that left (new owner ""): standby follows its watchers. */
        r = sd_bus_add_match_async(
                m->bus, &m->name_lost_slot,
                "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg2=''",
                on_name_lost, NULL, m);
        if (r < 0)
                return log_error_errno(r, "Failed to follow bus names: %m");
        return target_bus_register(m);
}

void health_bus_done(Manager *m) {
        m->object_manager_slot = sd_bus_slot_unref(m->object_manager_slot);
        m->root_slot = sd_bus_slot_unref(m->root_slot);
        m->target_slot = sd_bus_slot_unref(m->target_slot);
        m->target_enum_slot = sd_bus_slot_unref(m->target_enum_slot);
        m->name_lost_slot = sd_bus_slot_unref(m->name_lost_slot);
        m->budget_slot = sd_bus_slot_unref(m->budget_slot);
        m->budget = bus_budget_free(m->budget);
}
