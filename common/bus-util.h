/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "macro.h"

/* Opens the system bus (honours DBUS_SYSTEM_BUS_ADDRESS) or, with user=true, the session bus. */
int bus_open(bool user, const char *description, sd_bus **ret);

/* Follows whether a well-known name has an owner: calls cb(present=…) once with the current
 * state (asynchronously) and again whenever NameOwnerChanged says it changed. The returned
 * slot owns the watch; unref it to stop. */
typedef void (*BusNameWatchFunc)(sd_bus *bus, const char *name, bool present, void *userdata);

typedef struct BusNameWatch BusNameWatch;
int bus_name_watch_new(sd_bus *bus, const char *name, BusNameWatchFunc cb, void *userdata,
                       BusNameWatch **ret);
BusNameWatch *bus_name_watch_free(BusNameWatch *w);
bool bus_name_watch_present(const BusNameWatch *w);

static inline void bus_name_watch_freep(BusNameWatch **w) {
        if (*w)
                bus_name_watch_free(*w);
}
