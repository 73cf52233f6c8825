/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

/* What one bus client may cost a daemon. GetManagedObjects is the one call whose answer grows with
 * the configuration (256 accounts × 4 servers: 230 kB, about 2 ms of CPU to build): a client that
 * sends thousands and never reads them would keep the daemon busy for minutes and every other
 * caller would wait behind it. Each connection gets a small budget (BUS_BUDGET_BURST at once, then
 * one every BUS_BUDGET_REFILL_USEC), and all connections together BUS_BUDGET_ALL_BURST at once,
 * then BUS_BUDGET_ALL_PER_SEC a second; a call over budget is answered at once with
 * org.freedesktop.DBus.Error.LimitsExceeded, which costs microseconds. Clients that watch
 * InterfacesAdded and PropertiesChanged after one GetManagedObjects never meet it, and root and the
 * daemon's own user are not limited (the bus tells their uid, asked once per connection before its
 * first call is counted). */

#define BUS_BUDGET_BURST       4u
#define BUS_BUDGET_REFILL_USEC (5u * 1000000u)
#define BUS_BUDGET_ALL_BURST   64u
#define BUS_BUDGET_ALL_PER_SEC 16u
#define BUS_BUDGET_SENDERS_MAX 4096u /* connections remembered; beyond, only the overall budget */

typedef struct BusBudget BusBudget;

BusBudget *bus_budget_new(void);
BusBudget *bus_budget_free(BusBudget *b);

/* Takes one call from sender at now (CLOCK_MONOTONIC µs): 0 when within budget, -EDQUOT when the
 * sender is over its own, -EBUSY when all limited connections together are over theirs. *ret_new
 * (may be NULL) tells that sender was not known yet (the filter learns senders before taking). */
int bus_budget_take(BusBudget *b, const char *sender, uint64_t now, bool *ret_new);

/* Whether sender has a row yet; bus_budget_learn() gives it one, exempt or limited. */
bool bus_budget_knows(const BusBudget *b, const char *sender);
void bus_budget_learn(BusBudget *b, const char *sender, uint64_t now, bool exempt);

/* The sender's calls are no longer counted (root, the daemon's own user). */
void bus_budget_exempt(BusBudget *b, const char *sender);

/* Calls refused since the last bus_budget_refused_reset(). */
uint64_t bus_budget_refused(const BusBudget *b);

/* Installs b as a filter on bus for org.freedesktop.DBus.ObjectManager.GetManagedObjects; the
 * filter logs refusals at most once every 10 s. b must outlive the slot. */
int bus_budget_attach(BusBudget *b, sd_bus *bus, sd_bus_slot **ret_slot);
