/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.sipr.Resolver1 on /org/sipr/Resolver1. */
#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "manager.h"
#include "sipr-error.h"

#define RESOLVER_PATH "/org/sipr/Resolver1"
#define RESOLVER_IFACE "org.sipr.Resolver1"

static const char *error_name(int error) {
        switch (error) {
        case -EINVAL:
                return SIPR_ERROR_INVALID_ARGS;
        case -ENOENT:
                return SIPR_ERROR_NOT_FOUND;
        case -ETIMEDOUT:
                return SIPR_ERROR_TIMEOUT;
        default:
                return SIPR_ERROR_FAILED;
        }
}

static void on_resolved(int error, const char *message, const Rfc3263Target *t, size_t n, bool stale, void *userdata) {
        sd_bus_message *call = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        if (error < 0) {
                r = sd_bus_reply_method_errorf(call, error_name(error), "%s", message);
                goto finish;
        }
        r = sd_bus_message_new_method_return(call, &reply);
        if (r < 0)
                goto finish;
        r = sd_bus_message_open_container(reply, 'a', "(ssqqqu)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "(ssqqqu)", rfc3263_transport_to_string(t[i].transport),
                                          t[i].address, t[i].port, t[i].priority, t[i].weight, t[i].ttl);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
finish:
        if (r < 0)
                log_debug_errno(r, "Failed to send the Resolve reply (caller gone?): %m");
        sd_bus_message_unref(call);
}

static int method_resolve(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Manager *mgr = userdata;
        const char *host, *transport;
        uint16_t port;
        int r;

        r = sd_bus_message_read(m, "sqs", &host, &port, &transport);
        if (r < 0)
                return r;
        /* The callback owns this reference and may run before we return (cache hit). */
        manager_resolve(mgr, host, port, transport, on_resolved, sd_bus_message_ref(m));
        return 1;
}

static int method_flush(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        manager_flush(userdata);
        return sd_bus_reply_method_return(m, NULL);
}

static int property_get_servers(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append_strv(reply, m->servers);
}

static int property_get_cache_entries(sd_bus *bus, const char *path, const char *interface, const char *property,
                                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "u", cache_size(m->cache));
}

static const sd_bus_vtable resolver_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Resolve", SD_BUS_ARGS("s", host, "q", port, "s", transport),
                                SD_BUS_RESULT("a(ssqqqu)", targets), method_resolve, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Flush", NULL, NULL, method_flush, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("Servers", "as", property_get_servers, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("CacheEntries", "u", property_get_cache_entries, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Queries", "t", NULL, offsetof(Manager, n_queries), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("CacheHits", "t", NULL, offsetof(Manager, n_cache_hits), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("StaleAnswers", "t", NULL, offsetof(Manager, n_stale), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

int manager_bus_export(Manager *m) {
        int r;

        r = sd_bus_add_object_vtable(m->service.bus, &m->object_slot, RESOLVER_PATH, RESOLVER_IFACE, resolver_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to export %s: %m", RESOLVER_PATH);
        return 0;
}

void manager_bus_emit_properties(Manager *m, unsigned props) {
        const char *names[6];
        size_t n = 0;
        int r;

        if (props & MANAGER_PROP_SERVERS)
                names[n++] = "Servers";
        if (props & MANAGER_PROP_CACHE_ENTRIES)
                names[n++] = "CacheEntries";
        if (props & MANAGER_PROP_QUERIES)
                names[n++] = "Queries";
        if (props & MANAGER_PROP_CACHE_HITS)
                names[n++] = "CacheHits";
        if (props & MANAGER_PROP_STALE_ANSWERS)
                names[n++] = "StaleAnswers";
        names[n] = NULL;
        if (n == 0 || !m->service.bus)
                return;
        r = sd_bus_emit_properties_changed_strv(m->service.bus, RESOLVER_PATH, RESOLVER_IFACE, (char **) names);
        if (r < 0)
                log_debug_errno(r, "Failed to emit PropertiesChanged: %m");
}
