/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "log.h"
#include "sipr-error.h"

int bus_open(bool user, const char *description, sd_bus **ret) {
        sd_bus *bus = NULL;
        int r;

        sipr_error_map_register();
        r = user ? sd_bus_open_user(&bus) : sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        if (description)
                (void) sd_bus_set_description(bus, description);
        *ret = bus;
        return 0;
}

struct BusNameWatch {
        sd_bus *bus;
        char *name;
        sd_bus_slot *match_slot;
        sd_bus_slot *call_slot;
        BusNameWatchFunc cb;
        void *userdata;
        bool present;
        bool known;
};

static void bus_name_watch_set(BusNameWatch *w, bool present) {
        if (w->known && w->present == present)
                return;
        w->known = true;
        w->present = present;
        w->cb(w->bus, w->name, present, w->userdata);
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusNameWatch *w = userdata;
        const char *name, *old_owner, *new_owner;
        int r;

        r = sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner);
        if (r < 0)
                return 0;
        if (!streq(name, w->name))
                return 0;
        /* A direct owner handover (old and new both set) is a restart as far as the
         * watcher is concerned: report the loss first so it re-syncs. */
        if (!isempty(old_owner) && !isempty(new_owner) && w->present)
                bus_name_watch_set(w, false);
        bus_name_watch_set(w, !isempty(new_owner));
        return 0;
}

static int on_name_has_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusNameWatch *w = userdata;
        int has = 0;

        w->call_slot = sd_bus_slot_unref(w->call_slot);
        if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "b", &has) < 0)
                has = 0;
        /* The signal may already have told us; don't report twice. */
        if (!w->known)
                bus_name_watch_set(w, has);
        return 0;
}

int bus_name_watch_new(sd_bus *bus, const char *name, BusNameWatchFunc cb, void *userdata,
                       BusNameWatch **ret) {
        BusNameWatch *w;
        int r;

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->bus = sd_bus_ref(bus);
        w->name = strdup(name);
        w->cb = cb;
        w->userdata = userdata;
        if (!w->name) {
                bus_name_watch_free(w);
                return -ENOMEM;
        }

        r = sd_bus_match_signal_async(bus, &w->match_slot, "org.freedesktop.DBus",
                                      "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                      "NameOwnerChanged", on_name_owner_changed, NULL, w);
        if (r < 0)
                goto fail;
        r = sd_bus_call_method_async(bus, &w->call_slot, "org.freedesktop.DBus",
                                     "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "NameHasOwner", on_name_has_owner, w, "s", name);
        if (r < 0)
                goto fail;
        *ret = w;
        return 0;
fail:
        bus_name_watch_free(w);
        return r;
}

BusNameWatch *bus_name_watch_free(BusNameWatch *w) {
        if (!w)
                return NULL;
        sd_bus_slot_unref(w->match_slot);
        sd_bus_slot_unref(w->call_slot);
        sd_bus_unref(w->bus);
        free(w->name);
        free(w);
        return NULL;
}

bool bus_name_watch_present(const BusNameWatch *w) {
        return w && w->present;
}

