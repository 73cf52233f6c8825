/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The configuration store: three layers over the schema defaults (common file, device file,
 * local overrides) and the effective values they make. Never touches D-Bus: config-bus.c
 * translates. Every mutating call is all-or-nothing and returns the keys whose effective value
 * changed; on failure it returns -errno and a message naming file/line/key/value. */

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "config-parser.h"
#include "service.h"

/* Lowest precedence first. The provisioned layers are the last good files fetched from the
 * provisioning server, kept in the state directory (configd-provision.c). */
enum {
        LAYER_COMMON,
        LAYER_DEVICE,
        LAYER_PROV_COMMON,
        LAYER_PROV_DEVICE,
        LAYER_LOCAL,
        _LAYER_MAX,
};

#define COMMON_FILE       "y000000000000.cfg"
#define PROVISIONED_DIR   "provisioned"

typedef struct Provision Provision;
typedef struct ConfigWatch ConfigWatch;

typedef struct Manager {
        Service service;

        char *config_dir;
        char *state_dir;
        char *local_path;
        char mac[13]; /* "" when there is none */

        SiprConfigFile *layer[_LAYER_MAX];
        GHashTable *effective; /* key → value: every key List shows (globals + accounts in use) */
        uint64_t generation;
        char *local_broken; /* local.cfg refused at start: its first problem; Set/Reset refuse until fixed */
        GHashTable *reported_unknown; /* file name → count already reported */

        char *provision_dir; /* state_dir/provisioned */
        Provision *provision;
        char *provision_result; /* LastProvisionResult: "" before the first round */
        uint64_t provision_usec; /* LastProvisionUsec */
        /* The end of each provisioning round (the bus layer emits and replies): r < 0 and
         * error when nothing changed for a failure, changed = the keys that changed. */
        void (*provision_done)(struct Manager *m, uint64_t round, int r, const char *error, char **changed);

        ConfigWatch *watch; /* sipr.config.watch */
        /* A file in the config directory changed (the bus layer reloads and emits). */
        void (*files_changed)(struct Manager *m);

        GPtrArray *provision_calls; /* Provision() calls waiting for their round (config-bus.c) */

        guint sighup_id;
        sd_bus_slot *bus_slot; /* the exported object */
} Manager;

int manager_new(const char *config_dir, const char *state_dir, const char *mac, Manager **ret);
Manager *manager_free(Manager *m);

/* Startup: loads every layer; a broken file is logged and left out (there is nothing older to
 * keep). */
void manager_load_initial(Manager *m);

/* Re-reads all files; any problem → -EBADMSG, *ret_error "file:line: key: reason", nothing
 * changes. */
int manager_reload(Manager *m, char ***ret_changed, char **ret_error);

/* changes: strv k1,v1,k2,v2… Unknown key → -ENOKEY, invalid value → -EINVAL, persisting
 * failed → -EIO; *ret_error says which key/value/range or which file. Empty value drops the
 * local override (as in the files: empty = unset here). */
int manager_set(Manager *m, char **changes, char ***ret_changed, char **ret_error);
int manager_reset(Manager *m, char **keys, char ***ret_changed, char **ret_error);

/* Effective value (real, unmasked) of a known key; -ENOKEY with *ret_error for unknown. */
int manager_get(Manager *m, const char *key, const char **ret_value, char **ret_error);

/* Sorted strv k1,v1,… of the keys under prefix (real values; the bus layer masks). */
char **manager_list(Manager *m, const char *prefix);

/* Replaces the layers marked in replace[] (taking ownership of the non-NULL ones; NULL drops
 * the layer) and recomputes the effective values; why goes to the log. */
int manager_replace_layers(Manager *m, SiprConfigFile **layers, const bool *replace, const char *why,
                           char ***ret_changed);

/* The directories moved (--state-dir): recompute the derived paths. */
int manager_set_state_dir(Manager *m, const char *state_dir);

/* Files in effect, lowest precedence first. */
char **manager_sources(Manager *m);

/* Value a key has when no layer sets it (auth_name follows user_name). */
const char *manager_default(Manager *m, GHashTable *effective, const char *key);
