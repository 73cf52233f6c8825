/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.sipr.Health1.Target on /org/sipr/Health1/target/<n>: one fallback vtable for all targets. */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "target-bus.h"

static int property_get_transport(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Target *t = userdata;
        return sd_bus_message_append(reply, "s", target_transport_to_string(t->transport));
}

static int property_get_address(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Target *t = userdata;
        return sd_bus_message_append(reply, "s", t->address);
}

static int property_get_port(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Target *t = userdata;
        return sd_bus_message_append(reply, "q", t->port);
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Target *t = userdata;
        return sd_bus_message_append(reply, "s", target_state_to_string(t->health.state));
}

static int property_get_rtt(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Target *t = userdata;
        return sd_bus_message_append(reply, "t", t->health.rtt_usec);
}

static int property_get_last_change(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *error) {
        Target *t = userdata;
        return sd_bus_message_append(reply, "t", t->health.last_change_usec);
}

static int property_get_failures(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Target *t = userdata;
        return sd_bus_message_append(reply, "u", (uint32_t) t->health.failures);
}

static int property_get_last_error(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error) {
        Target *t = userdata;
        return sd_bus_message_append(
                reply, "s", t->health.has_error ? target_event_to_string(t->health.last_error) : "");
}

static int property_get_standby(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Target *t = userdata;
        return sd_bus_message_append(reply, "b", t->standby);
}

static const sd_bus_vtable target_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Transport", "s", property_get_transport, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Address", "s", property_get_address, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Port", "q", property_get_port, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RttUsec", "t", property_get_rtt, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastChangeUsec", "t", property_get_last_change, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Failures", "u", property_get_failures, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastError", "s", property_get_last_error, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Standby", "b", property_get_standby, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

static int target_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                              void **found, sd_bus_error *error) {
        Target *t = manager_find_target_by_path(userdata, path);

        if (!t)
                return 0;
        *found = t;
        return 1;
}

static int target_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                                  sd_bus_error *error) {
        Manager *m = userdata;
        GHashTableIter it;
        gpointer v;
        char **l;
        size_t n = 0;

        l = calloc(g_hash_table_size(m->targets_by_id) + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        g_hash_table_iter_init(&it, m->targets_by_id);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
                l[n] = strdup(((Target *) v)->path);
                if (!l[n]) {
                        for (size_t i = 0; i < n; i++)
                                free(l[i]);
                        free(l);
                        return -ENOMEM;
                }
                n++;
        }
        *nodes = l;
        return 1;
}

int target_bus_register(Manager *m) {
        int r;

        r = sd_bus_add_fallback_vtable(m->bus, &m->target_slot, TARGET_BUS_PATH_PREFIX, TARGET_BUS_INTERFACE,
                                       target_vtable, target_object_find, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the target objects: %m");
        r = sd_bus_add_node_enumerator(m->bus, &m->target_enum_slot, TARGET_BUS_PATH_PREFIX,
                                       target_node_enumerator, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the target enumerator: %m");
        return 0;
}

void target_bus_emit_changed(Target *t, unsigned changed) {
        const char *names[7];
        size_t n = 0;
        int r;

        /* Order follows the interface; all in one signal so a watcher sees one transition. */
        if (changed & TARGET_PROP_STATE)
                names[n++] = "State";
        if (changed & TARGET_PROP_RTT)
                names[n++] = "RttUsec";
        if (changed & TARGET_PROP_LAST_CHANGE)
                names[n++] = "LastChangeUsec";
        if (changed & TARGET_PROP_FAILURES)
                names[n++] = "Failures";
        if (changed & TARGET_PROP_LAST_ERROR)
                names[n++] = "LastError";
        if (changed & TARGET_PROP_STANDBY)
                names[n++] = "Standby";
        if (n == 0 || !t->path || !g_hash_table_contains(t->manager->targets_by_id, &t->id))
                return;
        names[n] = NULL;

        r = sd_bus_emit_properties_changed_strv(t->manager->bus, t->path, TARGET_BUS_INTERFACE,
                                                (char **) names);
        if (r < 0)
                log_warning_errno(r, "Failed to emit PropertiesChanged for %s: %m", t->path);
}

void target_bus_emit_added(Target *t) {
        int r = sd_bus_emit_object_added(t->manager->bus, t->path);
        if (r < 0)
                log_warning_errno(r, "Failed to emit InterfacesAdded for %s: %m", t->path);
}

void target_bus_emit_removed(Target *t) {
        int r = sd_bus_emit_object_removed(t->manager->bus, t->path);
        if (r < 0)
                log_warning_errno(r, "Failed to emit InterfacesRemoved for %s: %m", t->path);
}
