/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "config-client.h"
#include "config-schema.h"
#include "log.h"
#include "timer.h"

#define CONFIG_BUS_NAME "org.sipr.Config1"
#define CONFIG_BUS_PATH "/org/sipr/Config1"
#define CONFIG_BUS_INTERFACE "org.sipr.Config1"

/* A sync that could not read everything is tried again after 1 s, 2 s, 4 s … at most 30 s. */
#define SYNC_RETRY_FIRST_MSEC 1000U
#define SYNC_RETRY_MAX_MSEC   30000U

/* ---- typed view, pure ---- */

static int set_string(char **field, const char *value) {
        char *s = strdup(value);

        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

/* Stores one validated value into its typed field (the schema says where). */
static int field_set(SiprConfig *c, SiprAccountConfig *a, const SiprConfigKey *k, unsigned y, const char *value) {
        void *slot;

        if (k->in == SIPR_CONFIG_IN_PROVISION)
                return 0; /* configd's own: not part of the daemons' view */
        slot = sipr_config_slot(k, &c->global, a, y);
        if (!slot)
                return -ENOKEY; /* a key whose scope does not match its struct: a schema bug */
        return sipr_config_slot_set(k, slot, value);
}

static int account_init(SiprConfig *c, SiprAccountConfig *a, unsigned x) {
        int r;

        *a = (SiprAccountConfig) { .index = x };
        for (size_t i = 0; i < sipr_config_n_keys; i++) {
                const SiprConfigKey *k = &sipr_config_keys[i];
                SiprConfigScope scope = sipr_config_key_scope(k);

                if (scope == SIPR_CONFIG_GLOBAL)
                        continue;
                for (unsigned y = 1; y <= (scope == SIPR_CONFIG_SERVER ? SIPR_SERVER_MAX : 1); y++) {
                        r = field_set(c, a, k, scope == SIPR_CONFIG_SERVER ? y : 0, k->def);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

SiprConfig *sipr_config_free(SiprConfig *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_accounts; i++)
                sipr_account_config_done(&c->accounts[i]);
        free(c->accounts);
        sipr_global_config_done(&c->global);
        free(c);
        return NULL;
}

static void sipr_config_freep(SiprConfig **c) {
        sipr_config_free(*c);
}

const SiprAccountConfig *sipr_config_find_account(const SiprConfig *config, unsigned index) {
        if (!config)
                return NULL;
        for (size_t i = 0; i < config->n_accounts; i++)
                if (config->accounts[i].index == index)
                        return &config->accounts[i];
        return NULL;
}

int sipr_config_from_pairs(char **pairs, SiprConfig **ret) {
        _cleanup_(sipr_config_freep) SiprConfig *c = NULL;
        int slot[SIPR_ACCOUNT_MAX + 1];
        bool auth_set[SIPR_ACCOUNT_MAX + 1] = {};
        unsigned n = 0;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        for (size_t i = 0; i < sipr_config_n_keys; i++)
                if (sipr_config_key_scope(&sipr_config_keys[i]) == SIPR_CONFIG_GLOBAL) {
                        r = field_set(c, NULL, &sipr_config_keys[i], 0, sipr_config_keys[i].def);
                        if (r < 0)
                                return r;
                }

        /* Which accounts, in ascending order, so lookups and callers see a stable list. */
        for (unsigned x = 0; x <= SIPR_ACCOUNT_MAX; x++)
                slot[x] = -1;
        for (size_t i = 0; pairs && pairs[i] && pairs[i + 1]; i += 2) {
                unsigned x = 0;

                if (sipr_config_lookup(pairs[i], &x, NULL, NULL) && x > 0 && slot[x] < 0)
                        slot[x] = 0;
        }
        for (unsigned x = 1; x <= SIPR_ACCOUNT_MAX; x++)
                if (slot[x] >= 0)
                        slot[x] = (int) n++;
        if (n > 0) {
                c->accounts = calloc(n, sizeof(SiprAccountConfig));
                if (!c->accounts)
                        return -ENOMEM;
                for (unsigned x = 1; x <= SIPR_ACCOUNT_MAX; x++)
                        if (slot[x] >= 0) {
                                c->n_accounts++;
                                r = account_init(c, &c->accounts[slot[x]], x);
                                if (r < 0)
                                        return r;
                        }
        }

        for (size_t i = 0; pairs && pairs[i] && pairs[i + 1]; i += 2) {
                const char *key = pairs[i], *value = pairs[i + 1];
                const SiprConfigKey *k;
                unsigned x = 0, y = 0;

                k = sipr_config_lookup(key, &x, &y, NULL);
                if (!k)
                        continue; /* a newer configd may know more keys */
                if (streq(value, SIPR_CONFIG_NULL))
                        value = k->def;
                if (sipr_config_validate(k, key, value, NULL, NULL) < 0 && !isempty(value)) {
                        log_warning("Configuration %s: invalid value '%s', using the default.", key,
                                    sipr_config_value_for_log(key, value));
                        continue;
                }
                if (isempty(value) && k->type != SIPR_CONFIG_TEXT && k->type != SIPR_CONFIG_HOST &&
                    k->type != SIPR_CONFIG_ADDRESS && k->type != SIPR_CONFIG_SIP_URI && k->type != SIPR_CONFIG_URL)
                        continue; /* unset: the default stays */
                r = field_set(c, x ? &c->accounts[slot[x]] : NULL, k, y, value);
                if (r < 0)
                        return r;
                if (k->flags & SIPR_CONFIG_DEFAULT_USER_NAME && !isempty(value))
                        auth_set[x] = true;
        }
        for (size_t i = 0; i < c->n_accounts; i++) {
                SiprAccountConfig *a = &c->accounts[i];

                if (!auth_set[a->index] && isempty(a->auth_name)) {
                        r = set_string(&a->auth_name, strempty(a->user_name));
                        if (r < 0)
                                return r;
                }
        }
        *ret = TAKE_PTR(c);
        return 0;
}

/* ---- D-Bus client ---- */

struct ConfigClient {
        sd_bus *bus;
        ConfigClientChangedFunc cb;
        void *userdata;
        bool no_secrets; /* this daemon never needs a password: never ask for one */

        BusNameWatch *watch;
        sd_bus_slot *changed_slot;
        GPtrArray *calls; /* sd_bus_slot* of the sync in flight */

        GHashTable *values; /* key → raw effective value (secrets real) */
        SiprConfig *config;

        /* sync in flight */
        bool syncing, resync, full;
        uint64_t seq;
        GPtrArray *next;  /* k1,v1,… being collected */
        unsigned pending; /* replies still awaited */
        uint64_t next_generation;
        bool failed;
        unsigned secrets_missing; /* GetSecret calls of this sync that did not deliver */

        guint retry_id;
        unsigned retry_msec; /* the next retry's delay; 0 after a complete sync */
};

typedef struct CallData {
        ConfigClient *c;
        uint64_t seq;
        size_t index; /* value slot in c->next for GetSecret */
} CallData;

static void sync_start(ConfigClient *c);

static gboolean on_retry(gpointer userdata) {
        ConfigClient *c = userdata;

        c->retry_id = 0;
        sync_start(c);
        return G_SOURCE_REMOVE;
}

static void retry_cancel(ConfigClient *c) {
        if (c->retry_id > 0) {
                g_source_remove(c->retry_id);
                c->retry_id = 0;
        }
}

/* Something of configd's answer is missing: read it all again later, with growing pauses. A
 * change announced meanwhile syncs at once (sync_start() cancels the retry). */
static void retry_schedule(ConfigClient *c) {
        /* Gone from the bus: the name watch syncs when it is back. */
        if (c->retry_id > 0 || !bus_name_watch_present(c->watch))
                return;
        c->retry_msec =
                c->retry_msec == 0 ? SYNC_RETRY_FIRST_MSEC : MIN(c->retry_msec * 2, SYNC_RETRY_MAX_MSEC);
        log_debug("Reading the configuration again in %u ms.", c->retry_msec);
        c->retry_id = timer_add_msec(c->retry_msec, on_retry, c);
}

static void sync_cancel(ConfigClient *c) {
        if (c->calls)
                g_ptr_array_set_size(c->calls, 0);
        if (c->next) {
                g_ptr_array_free(c->next, TRUE);
                c->next = NULL;
        }
        c->syncing = false;
        c->pending = 0;
        c->secrets_missing = 0;
        c->failed = false;
        c->seq++;
}

static void call_data_free(void *p) {
        free(p);
}

static int call_async(ConfigClient *c, const char *interface, const char *member, sd_bus_message_handler_t cb,
                      size_t index, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_slot *slot = NULL;
        CallData *d;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(c->bus, &m, CONFIG_BUS_NAME, CONFIG_BUS_PATH, interface, member);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = sd_bus_message_appendv(m, types, ap);
        va_end(ap);
        if (r < 0)
                return r;
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        *d = (CallData) { .c = c, .seq = c->seq, .index = index };
        r = sd_bus_call_async(c->bus, &slot, m, cb, d, 0);
        if (r < 0) {
                free(d);
                return r;
        }
        (void) sd_bus_slot_set_destroy_callback(slot, call_data_free);
        g_ptr_array_add(c->calls, slot);
        c->pending++;
        return 0;
}

static char **values_diff(GHashTable *old, GHashTable *new, bool all) {
        GPtrArray *a = g_ptr_array_new();
        GHashTableIter it;
        gpointer k, v;

        g_hash_table_iter_init(&it, new);
        while (g_hash_table_iter_next(&it, &k, &v)) {
                const char *o = old ? g_hash_table_lookup(old, k) : NULL;
                if (all || !o || !streq(o, v))
                        g_ptr_array_add(a, g_strdup(k));
        }
        if (old) {
                g_hash_table_iter_init(&it, old);
                while (g_hash_table_iter_next(&it, &k, &v))
                        if (!g_hash_table_contains(new, k))
                                g_ptr_array_add(a, g_strdup(k));
        }
        g_ptr_array_add(a, NULL);
        return (char **) g_ptr_array_free(a, FALSE);
}

static void sync_finish(ConfigClient *c) {
        g_autoptr(GHashTable) values = NULL;
        g_auto(GStrv) changed = NULL;
        SiprConfig *config = NULL, *old;
        bool complete = c->secrets_missing == 0;
        char **kv;
        int r;

        g_ptr_array_add(c->next, NULL);
        kv = (char **) c->next->pdata;
        r = sipr_config_from_pairs(kv, &config);
        if (r < 0) {
                log_error_errno(r, "Cannot build the typed configuration: %m");
                sync_cancel(c);
                retry_schedule(c);
                return;
        }
        config->generation = c->next_generation;
        values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        for (size_t i = 0; kv[i] && kv[i + 1]; i += 2)
                g_hash_table_replace(values, g_strdup(kv[i]), g_strdup(kv[i + 1]));
        changed = values_diff(c->values, values, c->full || !c->config);

        sync_cancel(c); /* clears the in-flight state, keeps values/config */
        old = c->config;
        c->config = config;
        if (c->values)
                g_hash_table_destroy(c->values);
        c->values = g_steal_pointer(&values);
        c->full = false;
        log_debug("Configuration synced: generation %" PRIu64 ", %u changed key(s).", config->generation,
                  g_strv_length(changed));
        if (c->cb && (changed[0] || !old))
                c->cb(c, old, config, changed, c->userdata);
        sipr_config_free(old);

        if (complete && c->retry_msec > 0) {
                log_info("Read the whole configuration again, every secret included.");
                c->retry_msec = 0;
        }
        if (c->resync) {
                c->resync = false;
                sync_start(c);
        } else if (!complete)
                retry_schedule(c);
}

static void sync_reply_done(ConfigClient *c) {
        if (--c->pending > 0)
                return;
        if (c->failed) {
                /* Nothing of this read is used; a change it was to pick up must not be lost. */
                sync_cancel(c);
                retry_schedule(c);
                return;
        }
        sync_finish(c);
}

static int on_secret(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        CallData *d = userdata;
        ConfigClient *c = d->c;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *value;

        if (d->seq != c->seq)
                return 0;
        if (!e && sd_bus_message_read(m, "s", &value) >= 0) {
                g_free(c->next->pdata[d->index]);
                c->next->pdata[d->index] = g_strdup(value);
                c->secrets_missing--;
        } else
                /* The slot keeps what on_list() put there: the last value read, never the mask. */
                log_warning("Cannot read %s from sipr-configd (%s); keeping the last one, asking again.",
                            (char *) c->next->pdata[d->index - 1],
                            e ? (e->message ?: e->name) : "malformed reply");
        sync_reply_done(c);
        return 0;
}

static int on_generation(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        CallData *d = userdata;
        ConfigClient *c = d->c;
        uint64_t g = 0;

        if (d->seq != c->seq)
                return 0;
        if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_enter_container(m, 'v', "t") > 0 &&
            sd_bus_message_read(m, "t", &g) > 0)
                c->next_generation = g;
        sync_reply_done(c);
        return 0;
}

/* The provisioning server's password is configd's alone: no daemon asks for it. */
static bool key_for_daemons(const char *key) {
        const SiprConfigKey *k = sipr_config_lookup(key, NULL, NULL, NULL);
        return !k || k->in != SIPR_CONFIG_IN_PROVISION;
}

static int on_list(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        CallData *d = userdata;
        ConfigClient *c = d->c;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *k, *v;
        int r;

        if (d->seq != c->seq)
                return 0;
        if (e) {
                /* Gone: the name watch syncs when it returns. Busy: sync_reply_done() retries. */
                log_warning("Cannot read the configuration from sipr-configd: %s", e->message ?: e->name);
                c->failed = true;
                sync_reply_done(c);
                return 0;
        }
        r = sd_bus_message_enter_container(m, 'a', "{ss}");
        while (r > 0 && (r = sd_bus_message_read(m, "{ss}", &k, &v)) > 0) {
                g_ptr_array_add(c->next, g_strdup(k));
                if (sipr_config_key_is_secret(k) && (c->no_secrets || !key_for_daemons(k)))
                        g_ptr_array_add(c->next, g_strdup(""));
                else if (sipr_config_key_is_secret(k) && streq(v, SIPR_CONFIG_SECRET_MASK)) {
                        /* The mask is no password: until GetSecret answers, the slot holds the
                         * value last read (or none), so a failed read never replaces a known one. */
                        const char *known = c->values ? g_hash_table_lookup(c->values, k) : NULL;

                        g_ptr_array_add(c->next, g_strdup(strempty(known)));
                        c->secrets_missing++;
                        if (call_async(c, CONFIG_BUS_INTERFACE, "GetSecret", on_secret, c->next->len - 1,
                                       "s", k) < 0)
                                c->failed = true;
                } else
                        g_ptr_array_add(c->next, g_strdup(v));
        }
        if (r < 0) {
                log_warning_errno(r, "Malformed List reply from sipr-configd: %m");
                c->failed = true;
        }
        sync_reply_done(c);
        return 0;
}

static void sync_start(ConfigClient *c) {
        int r;

        if (c->syncing) {
                /* A change during a sync: read again once this one is done. */
                c->resync = true;
                return;
        }
        retry_cancel(c);
        sync_cancel(c);
        c->syncing = true;
        c->next = g_ptr_array_new_with_free_func(g_free);
        c->next_generation = 0;
        r = call_async(c, CONFIG_BUS_INTERFACE, "List", on_list, 0, "s", "");
        if (r >= 0)
                r = call_async(c, "org.freedesktop.DBus.Properties", "Get", on_generation, 0, "ss",
                               CONFIG_BUS_INTERFACE, "Generation");
        if (r < 0) {
                log_warning_errno(r, "Cannot ask sipr-configd for the configuration: %m");
                sync_cancel(c);
                retry_schedule(c);
        }
}

static int on_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        ConfigClient *c = userdata;

        sync_start(c);
        return 0;
}

static void on_configd(sd_bus *bus, const char *name, bool present, void *userdata) {
        ConfigClient *c = userdata;

        if (!present) {
                /* Keep serving the last configuration; re-read everything when configd is back. */
                log_info("sipr-configd left the bus; keeping the last configuration.");
                retry_cancel(c);
                sync_cancel(c);
                c->resync = false;
                c->full = true;
                return;
        }
        sync_start(c);
}

static void slot_unref(void *p) {
        sd_bus_slot_unref(p);
}

int config_client_new(sd_bus *bus, ConfigClientChangedFunc cb, void *userdata, ConfigClient **ret) {
        ConfigClient *c;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->bus = sd_bus_ref(bus);
        c->cb = cb;
        c->userdata = userdata;
        c->calls = g_ptr_array_new_with_free_func(slot_unref);

        r = sd_bus_match_signal_async(bus, &c->changed_slot, CONFIG_BUS_NAME, CONFIG_BUS_PATH, CONFIG_BUS_INTERFACE,
                                      "Changed", on_changed, NULL, c);
        if (r >= 0)
                r = bus_name_watch_new(bus, CONFIG_BUS_NAME, on_configd, c, &c->watch);
        if (r < 0) {
                config_client_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

ConfigClient *config_client_free(ConfigClient *c) {
        if (!c)
                return NULL;
        retry_cancel(c);
        sync_cancel(c);
        bus_name_watch_free(c->watch);
        sd_bus_slot_unref(c->changed_slot);
        g_ptr_array_free(c->calls, TRUE);
        if (c->values)
                g_hash_table_destroy(c->values);
        sipr_config_free(c->config);
        sd_bus_unref(c->bus);
        free(c);
        return NULL;
}

void config_client_no_secrets(ConfigClient *c) {
        c->no_secrets = true;
}

const SiprConfig *config_client_get(ConfigClient *c) {
        return c ? c->config : NULL;
}

const char *config_client_value(ConfigClient *c, const char *key) {
        const char *v;
        const SiprConfigKey *k;

        if (!c || !c->values)
                return NULL;
        v = g_hash_table_lookup(c->values, key);
        if (v)
                return v;
        k = sipr_config_lookup(key, NULL, NULL, NULL);
        return k ? k->def : NULL;
}
