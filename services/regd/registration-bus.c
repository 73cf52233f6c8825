/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "account-bus.h"
#include "account.h"
#include "log.h"
#include "registration-bus.h"

#define ROOT_PATH "/org/sipr/Registration1"
#define ROOT_IFACE "org.sipr.Registration1"

static int property_get_accounts(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        size_t n;
        unsigned *idx = manager_account_indexes(m, &n);
        int r;

        r = sd_bus_message_open_container(reply, 'a', "o");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *path_buf = NULL;
                r = account_bus_path(idx[i], &path_buf);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "o", path_buf);
        }
        free(idx);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int method_reregister(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        size_t n;
        unsigned *idx = manager_account_indexes(m, &n);

        for (size_t i = 0; i < n; i++) {
                Account *a = manager_find_account(m, idx[i]);
                if (a && a->cfg.enable) {
                        account_unregister(a);
                        account_register(a);
                }
        }
        free(idx);
        return sd_bus_reply_method_return(msg, NULL);
}

static const sd_bus_vtable root_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Accounts", "ao", property_get_accounts, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD("Reregister", NULL, NULL, method_reregister, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int registration_bus_register(Manager *m) {
        int r;

        r = sd_bus_add_object_vtable(m->bus, &m->root_slot, ROOT_PATH, ROOT_IFACE, root_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s: %m", ROOT_PATH);
        r = sd_bus_add_object_manager(m->bus, &m->om_slot, ROOT_PATH);
        if (r < 0)
                return log_error_errno(r, "Failed to add the object manager: %m");
        m->budget = bus_budget_new();
        if (!m->budget)
                return log_oom();
        r = bus_budget_attach(m->budget, m->bus, &m->budget_slot);
        if (r < 0)
                return log_error_errno(r, "Failed to limit GetManagedObjects: %m");
        return 0;
}

void registration_bus_accounts_changed(Manager *m) {
        (void) sd_bus_emit_properties_changed(m->bus, ROOT_PATH, ROOT_IFACE, "Accounts", NULL);
}
