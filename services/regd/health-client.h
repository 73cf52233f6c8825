/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Follows org.sipr.Health1 for every address an account depends on (Watch + the target's
 * PropertiesChanged State) and reports what REGISTER traffic showed (Report). Without healthd
 * nothing is delivered: no proactive failover, everything else works. */

#include <systemd/sd-bus.h>

#include "account.h"

int health_client_new(Manager *m, HealthClient **ret);
HealthClient *health_client_free(HealthClient *h);
void health_client_watch(HealthClient *h, Account *a, unsigned server, const char *uri);
void health_client_unwatch_account(HealthClient *h, Account *a);
/* Server `server` of a now resolves to exactly addrs: watches them, and drops a's watch of the
 * addresses it had before and no longer has (a name that moved), so nobody keeps probing those;
 * except bound_uri (may be NULL), where a binding still lives: that one goes with
 * health_client_unwatch() once the binding is gone. */
void health_client_watch_set(HealthClient *h, Account *a, unsigned server, const RedAddress *addrs, size_t n,
                             const char *bound_uri);
void health_client_unwatch(HealthClient *h, Account *a, unsigned server, const char *uri);
void health_client_report(HealthClient *h, const char *uri, const char *event); /* icmp refused timeout ok */
/* sipr.health.* changed: watch again with the new options. */
void health_client_reconfigure(HealthClient *h);
