/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Provisioning from a server, as the phones do: fetch y000000000000.cfg and <mac>.cfg from
 * static.auto_provision.server.url, validate what came whole with the same parser, keep the last
 * good files crash-safe in the state directory (they are the provisioned layers) and apply them.
 * A round is all or nothing: a failed download or a refused file changes nothing. Domain code:
 * the bus layer learns the outcome through Manager.provision_done. */

#include "configd-manager.h"

/* At start: sets up the fetcher, fetches when static.auto_provision.power_on says so, arms the
 * periodic fetch. */
int provision_init(Manager *m);
void provision_free(Manager *m);

/* Fetch now. A round in flight finishes first and a new one follows it. *ret_round: the round
 * whose end (Manager.provision_done) answers this request. */
int provision_request(Manager *m, uint64_t *ret_round);

/* After any change of the effective configuration: follows the provisioning keys (periodic
 * fetch on or off, its period). */
void provision_config_changed(Manager *m);

/* Removes temporary files a crash left in the provisioned directory. */
void provision_remove_stale_temps(Manager *m);

/* Downloads in flight (the SIGUSR1 state line). */
unsigned provision_fetches(Manager *m);
