/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Follows org.sipr.Health1 for every address an owner (an account) depends on (Watch + the
 * target's PropertiesChanged State), tells the owner through its callback, reports what SIP
 * traffic showed (Report), and tells healthd which addresses no owner uses now (standby: probed
 * far less often). Without healthd nothing is delivered: no proactive failover, everything else
 * works. */

#include <systemd/sd-bus.h>

#include "redundancy.h"

typedef struct HealthClient HealthClient;
typedef struct Manager Manager;

/* What healthd says about (server, uri), for the owner watching it. May be called from
 * health_client_watch() itself when the target's state is already known. */
typedef void (*HealthFunc)(void *owner, unsigned server, const char *uri, RedHealth h);

int health_client_new(Manager *m, HealthFunc cb, HealthClient **ret);
HealthClient *health_client_free(HealthClient *h);
void health_client_watch(HealthClient *h, void *owner, unsigned server, const char *uri);
void health_client_unwatch_owner(HealthClient *h, void *owner);
/* Server `server` of owner now resolves to exactly addrs: watches them, and drops the owner's
 * watch of the addresses it had before and no longer has (a name that moved), so nobody keeps
 * probing those; except bound_uri (may be NULL), where a binding still lives: that one goes with
 * health_client_unwatch() once the binding is gone. */
void health_client_watch_set(HealthClient *h, void *owner, unsigned server, const RedAddress *addrs,
                             size_t n, const char *bound_uri);
void health_client_unwatch(HealthClient *h, void *owner, unsigned server, const char *uri);
/* The addresses owner uses now (health-active.h): healthd probes an address at the full rate while
 * any owner uses it, at sipr.health.standby_interval otherwise (Health1.SetStandby). */
void health_client_set_active(HealthClient *h, void *owner, const char *const *uris, size_t n);
void health_client_report(HealthClient *h, const char *uri, const char *event); /* icmp refused timeout ok */
/* sipr.health.* changed: watch again with the new options. */
void health_client_reconfigure(HealthClient *h);
