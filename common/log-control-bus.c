/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "log-control-bus.h"
#include "log.h"

#define LOG_CONTROL_PATH  "/org/freedesktop/LogControl1"
#define LOG_CONTROL_IFACE "org.freedesktop.LogControl1"

static int property_get_log_level(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", log_level_to_string(log_get_max_level()));
}

static int property_set_log_level(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *value, void *userdata, sd_bus_error *error) {
        const char *s;
        int r, level;

        r = sd_bus_message_read(value, "s", &s);
        if (r < 0)
                return r;
        level = log_level_from_string(s);
        if (level < 0)
                return sd_bus_error_setf(
                        error, SD_BUS_ERROR_INVALID_ARGS,
                        "Invalid log level '%s': debug, info, notice, warning, err, crit, alert or emerg",
                        s);
        /* logged at the more verbose of the two levels, so the change always shows */
        int old = log_get_max_level();
        if (level < old)
                log_info("Log level set to %s over the bus.", log_level_to_string(level));
        log_set_max_level(level);
        if (level >= old)
                log_info("Log level set to %s over the bus.", log_level_to_string(level));
        return 0;
}

static int property_get_log_target(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", log_target_to_string(log_get_target()));
}

static int property_set_log_target(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *value, void *userdata,
                                   sd_bus_error *error) {
        const char *s;
        LogTarget t;
        int r;

        r = sd_bus_message_read(value, "s", &s);
        if (r < 0)
                return r;
        t = log_target_from_string(s);
        if (t < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid log target '%s': auto, console, journal or null", s);
        log_set_target(t);
        log_info("Log target set to %s over the bus.", log_target_to_string(t));
        return 0;
}

static int property_get_syslog_identifier(sd_bus *bus, const char *path, const char *interface,
                                          const char *property, sd_bus_message *reply, void *userdata,
                                          sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", strempty(log_get_prefix()));
}

/* UNPRIVILEGED: sd-bus would otherwise compare the caller's uid with ours (sipr), refusing root;
 * the bus policy decides who may write, as for every other sipr method. */
static const sd_bus_vtable log_control_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_WRITABLE_PROPERTY("LogLevel", "s", property_get_log_level, property_set_log_level, 0,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_WRITABLE_PROPERTY("LogTarget", "s", property_get_log_target, property_set_log_target, 0,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("SyslogIdentifier", "s", property_get_syslog_identifier, 0,
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_VTABLE_END,
};

int log_control_bus_add(sd_bus *bus, sd_bus_slot **ret_slot) {
        return sd_bus_add_object_vtable(bus, ret_slot, LOG_CONTROL_PATH, LOG_CONTROL_IFACE,
                                        log_control_vtable, NULL);
}
