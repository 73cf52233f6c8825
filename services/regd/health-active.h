/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which of an account's addresses it uses now, so that healthd probes those at the full rate
 * and every other address it watches at sipr.health.standby_interval (Health1.SetStandby). Pure:
 * read from the engine's published state, no I/O. */

#include <stddef.h>

#include "redundancy.h"

#define HEALTH_ACTIVE_MAX (RED_SERVER_MAX * RED_ADDR_MAX)

/* Active: an address holding a binding; the address new requests go to (WorkingServer, with or
 * without a registration); and the primary address of a server that should hold a binding and
 * does not hold it there (failback watch: bound on another of its addresses; nothing bound
 * anywhere; failover and concurrent mode always; successive mode the servers before the one
 * holding the binding). With nothing bound and every address known down, every address: each
 * is a way back. The uris stay valid until the next call into the engine; the same uri
 * may appear twice (two servers on one address). Returns how many were stored. */
size_t health_active_uris(const Redundancy *r, const char **ret, size_t max);
