/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "account.h"

/* org.sipr.Registration1.Account on /org/sipr/Registration1/account/<X>. */
int account_bus_register(Manager *m);
void account_bus_added(Account *a);   /* InterfacesAdded */
void account_bus_removed(Account *a); /* InterfacesRemoved */
/* After every event: one PropertiesChanged carrying every property that changed. */
void account_bus_emit_changes(Account *a);
/* A request of the account's UA moved from one next hop to another (siprctl monitor). */
void account_bus_emit_request_failover(Account *a, const char *method, const char *from, const char *reason,
                                       const char *to);
