/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Typed, read-only view of the effective configuration for the other daemons. It reads it once
 * from org.sipr.Config1 (List "" plus GetSecret for passwords), follows the Changed signal, and
 * re-syncs whenever sipr-configd (re)appears on the bus. Until the first sync completes,
 * config_client_get() returns NULL; daemons start without config and act once it arrives.
 * A read that fails in part (GetSecret or List timed out: configd busy or stalled) is tried again
 * after 1, 2, 4 … 30 s. A password never becomes the mask "********": until GetSecret answers,
 * the password is the one read last (none on the very first read). */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "config-schema.h"
#include "config-types.h"

#define SIPR_ACCOUNT_MAX SIPR_CONFIG_ACCOUNT_MAX
#define SIPR_SERVER_MAX  SIPR_CONFIG_SERVER_MAX

typedef struct ConfigClient ConfigClient;

/* Called after every successful (re-)sync. old is NULL on the first one; changed_keys lists the
 * keys whose value changed (every key on the first sync or a re-sync after configd returned). */
typedef void (*ConfigClientChangedFunc)(ConfigClient *c, const SiprConfig *old, const SiprConfig *config,
                                        char **changed_keys, void *userdata);

int config_client_new(sd_bus *bus, ConfigClientChangedFunc cb, void *userdata, ConfigClient **ret);
ConfigClient *config_client_free(ConfigClient *c);
/* For daemons that never use a password (healthd, resolverd): secret keys read as "", and
 * GetSecret is never called, so no password is ever in their memory. Call it right after
 * config_client_new(); the first read is asynchronous. */
void config_client_no_secrets(ConfigClient *c);
const SiprConfig *config_client_get(ConfigClient *c);           /* NULL until synced */
const char *config_client_value(ConfigClient *c, const char *key); /* raw effective string, NULL if unknown */
const SiprAccountConfig *sipr_config_find_account(const SiprConfig *config, unsigned index);

/* Pure: builds a SiprConfig from effective key/value pairs (strv of k1,v1,k2,v2…). Used by the
 * client and by unit tests of daemons with an injected config. */
int sipr_config_from_pairs(char **pairs, SiprConfig **ret);
SiprConfig *sipr_config_free(SiprConfig *config);
