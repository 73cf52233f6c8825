/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-schema.h"
#include "configd-manager.h"
#include "configd-provision.h"
#include "configd-watch.h"
#include "log.h"
#include "util.h"

#define LOCAL_FILE "local.cfg"

static const char *const layer_names[_LAYER_MAX] = {
        [LAYER_COMMON] = "common file",
        [LAYER_DEVICE] = "device file",
        [LAYER_PROV_COMMON] = "provisioned common file",
        [LAYER_PROV_DEVICE] = "provisioned device file",
        [LAYER_LOCAL] = "local overrides",
};

int manager_new(const char *config_dir, const char *state_dir, const char *mac, Manager **ret) {
        Manager *m;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->config_dir = strdup(config_dir);
        m->provision_result = strdup("");
        m->effective = g_hash_table_new_full(g_str_hash, g_str_equal, free, free);
        m->reported_unknown = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        if (!m->config_dir || !m->provision_result || manager_set_state_dir(m, state_dir) < 0) {
                manager_free(m);
                return -ENOMEM;
        }
        snprintf(m->mac, sizeof(m->mac), "%s", strempty(mac));
        *ret = m;
        return 0;
}

int manager_set_state_dir(Manager *m, const char *state_dir) {
        free(m->state_dir);
        free(m->local_path);
        free(m->provision_dir);
        m->state_dir = strdup(state_dir);
        if (asprintf(&m->local_path, "%s/%s", state_dir, LOCAL_FILE) < 0)
                m->local_path = NULL;
        if (asprintf(&m->provision_dir, "%s/%s", state_dir, PROVISIONED_DIR) < 0)
                m->provision_dir = NULL;
        return m->state_dir && m->local_path && m->provision_dir ? 0 : -ENOMEM;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        provision_free(m);
        watch_free(m);
        if (m->provision_calls)
                g_ptr_array_unref(m->provision_calls);
        free(m->provision_dir);
        free(m->provision_result);
        for (int i = 0; i < _LAYER_MAX; i++)
                sipr_config_file_free(m->layer[i]);
        if (m->effective)
                g_hash_table_destroy(m->effective);
        if (m->reported_unknown)
                g_hash_table_destroy(m->reported_unknown);
        free(m->config_dir);
        free(m->state_dir);
        free(m->local_path);
        free(m->local_broken);
        free(m);
        return NULL;
}

static const char *layers_value(SiprConfigFile *const *layers, const char *key) {
        for (int i = _LAYER_MAX - 1; i >= 0; i--) {
                const char *v = sipr_config_file_get(layers[i], key);
                if (v)
                        return v;
        }
        return NULL;
}

const char *manager_default(Manager *m, GHashTable *effective, const char *key) {
        const SiprConfigKey *k;
        unsigned x, y;

        k = sipr_config_lookup(key, &x, &y, NULL);
        if (!k)
                return NULL;
        if (k->flags & SIPR_CONFIG_DEFAULT_USER_NAME) {
                char user_key[64];
                const char *v;

                snprintf(user_key, sizeof(user_key), "account.%u.user_name", x);
                v = effective ? g_hash_table_lookup(effective, user_key) : NULL;
                return v ?: "";
        }
        return k->def;
}

static int effective_put(GHashTable *h, SiprConfigFile *const *layers, const SiprConfigKey *k, unsigned x,
                         unsigned y) {
        char *key = sipr_config_key_format(k, x, y), *value;
        const char *v;

        if (!key)
                return -ENOMEM;
        v = layers_value(layers, key);
        if (!v)
                v = k->def;
        value = strdup(v);
        if (!value) {
                free(key);
                return -ENOMEM;
        }
        g_hash_table_replace(h, key, value);
        return 0;
}

/* X of "account.X.…" when X is a valid account index (1…SIPR_CONFIG_ACCOUNT_MAX, no leading zero). */
static bool account_index(const char *key, unsigned *ret) {
        unsigned x = 0;
        const char *p;

        if (!g_str_has_prefix(key, "account."))
                return false;
        p = key + strlen("account.");
        if (*p < '1' || *p > '9')
                return false;
        for (; *p >= '0' && *p <= '9'; p++) {
                x = x * 10 + (unsigned) (*p - '0');
                if (x > SIPR_CONFIG_ACCOUNT_MAX)
                        return false;
        }
        if (*p != '.')
                return false;
        *ret = x;
        return true;
}

/* The effective map: every global key, and every key of each account that any layer mentions. */
static GHashTable *effective_compute(SiprConfigFile *const *layers) {
        g_autoptr(GHashTable) h = g_hash_table_new_full(g_str_hash, g_str_equal, free, free);
        bool used[SIPR_CONFIG_ACCOUNT_MAX + 1] = {};

        for (int l = 0; l < _LAYER_MAX; l++) {
                if (!layers[l])
                        continue;
                for (size_t i = 0; i < layers[l]->n_entries; i++) {
                        const SiprConfigEntry *e = &layers[l]->entries[i];
                        unsigned x = 0;

                        /* Any account.X.* key counts, also one sipr does not use (codecs…): the
                         * file talks about that account. */
                        if (!isempty(e->value) && account_index(e->key, &x))
                                used[x] = true;
                }
        }

        for (size_t i = 0; i < sipr_config_n_keys; i++) {
                const SiprConfigKey *k = &sipr_config_keys[i];

                switch (sipr_config_key_scope(k)) {
                case SIPR_CONFIG_GLOBAL:
                        if (effective_put(h, layers, k, 0, 0) < 0)
                                return NULL;
                        break;
                case SIPR_CONFIG_ACCOUNT:
                case SIPR_CONFIG_SERVER:
                        for (unsigned x = 1; x <= SIPR_CONFIG_ACCOUNT_MAX; x++) {
                                unsigned ymax = sipr_config_key_scope(k) == SIPR_CONFIG_SERVER ? SIPR_CONFIG_SERVER_MAX : 1;

                                if (!used[x])
                                        continue;
                                for (unsigned y = 1; y <= ymax; y++)
                                        if (effective_put(h, layers, k, x, sipr_config_key_scope(k) == SIPR_CONFIG_SERVER ? y : 0) < 0)
                                                return NULL;
                        }
                        break;
                }
        }

        /* auth_name defaults to user_name: resolve after every user_name is known. */
        for (unsigned x = 1; x <= SIPR_CONFIG_ACCOUNT_MAX; x++) {
                char key[64], user_key[64];

                if (!used[x])
                        continue;
                snprintf(key, sizeof(key), "account.%u.auth_name", x);
                snprintf(user_key, sizeof(user_key), "account.%u.user_name", x);
                if (!layers_value(layers, key)) {
                        char *k = strdup(key), *v = strdup(strempty(g_hash_table_lookup(h, user_key)));
                        if (!k || !v) {
                                free(k);
                                free(v);
                                return NULL;
                        }
                        g_hash_table_replace(h, k, v);
                }
        }
        return g_steal_pointer(&h);
}

static int strv_push(GPtrArray *a, const char *s) {
        g_ptr_array_add(a, g_strdup(s));
        return 0;
}

static int compare_str(gconstpointer a, gconstpointer b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Keys whose effective value differs; a key missing on one side has its default there. */
static char **effective_diff(Manager *m, GHashTable *old, GHashTable *new) {
        GPtrArray *a = g_ptr_array_new();
        GHashTableIter it;
        gpointer key, value;

        g_hash_table_iter_init(&it, new);
        while (g_hash_table_iter_next(&it, &key, &value)) {
                const char *o = g_hash_table_lookup(old, key) ?: manager_default(m, old, key);
                if (!streq(strempty(o), value))
                        strv_push(a, key);
        }
        g_hash_table_iter_init(&it, old);
        while (g_hash_table_iter_next(&it, &key, &value)) {
                const char *n;

                if (g_hash_table_contains(new, key))
                        continue;
                n = manager_default(m, new, key);
                if (!streq(strempty(n), value))
                        strv_push(a, key);
        }
        g_ptr_array_sort(a, compare_str);
        g_ptr_array_add(a, NULL);
        return (char **) g_ptr_array_free(a, FALSE);
}

static void report_unknown(Manager *m, SiprConfigFile *f) {
        gpointer prev;
        char sample[256] = "";
        size_t shown = 0, len = 0;

        if (!f || f->n_unknown == 0)
                return;
        /* Once per file and count, not once per key: real files carry hundreds of them. */
        if (g_hash_table_lookup_extended(m->reported_unknown, f->name, NULL, &prev) &&
            GPOINTER_TO_SIZE(prev) == f->n_unknown)
                return;
        g_hash_table_replace(m->reported_unknown, g_strdup(f->name), GSIZE_TO_POINTER(f->n_unknown));
        for (size_t i = 0; i < f->n_entries && shown < 5; i++) {
                int n;

                if (f->entries[i].known)
                        continue;
                n = snprintf(sample + len, sizeof(sample) - len, "%s%s", shown ? ", " : "", f->entries[i].key);
                if (n < 0 || (size_t) n >= sizeof(sample) - len)
                        break;
                len += (size_t) n;
                shown++;
        }
        log_info("%s: %zu key%s that sipr does not use kept and ignored (%s%s).", f->name, f->n_unknown,
                 f->n_unknown == 1 ? "" : "s", sample, f->n_unknown > shown ? ", …" : "");
        for (size_t i = 0, n = 0; i < f->n_entries && n < 50; i++)
                if (!f->entries[i].known) {
                        log_debug("%s:%u: unused key %s", f->name, f->entries[i].line, f->entries[i].key);
                        n++;
                }
}

static void log_changes(Manager *m, const char *why, char **changed) {
        size_t n = g_strv_length(changed);

        for (size_t i = 0; i < n && i < 20; i++)
                log_info("%s: %s = %s", why, changed[i],
                         sipr_config_value_for_log(changed[i], g_hash_table_lookup(m->effective, changed[i]) ?:
                                                                       manager_default(m, m->effective, changed[i])));
        if (n > 20)
                log_info("%s: … and %zu more keys changed.", why, n - 20);
}

int manager_replace_layers(Manager *m, SiprConfigFile **layers, const bool *replace, const char *why,
                         char ***ret_changed) {
        SiprConfigFile *next[_LAYER_MAX];
        GHashTable *eff;
        char **changed;

        for (int i = 0; i < _LAYER_MAX; i++)
                next[i] = replace[i] ? layers[i] : m->layer[i];
        eff = effective_compute(next);
        if (!eff)
                return -ENOMEM;
        changed = effective_diff(m, m->effective, eff);
        for (int i = 0; i < _LAYER_MAX; i++)
                if (replace[i]) {
                        sipr_config_file_free(m->layer[i]);
                        m->layer[i] = layers[i];
                        layers[i] = NULL;
                }
        g_hash_table_destroy(m->effective);
        m->effective = eff;
        if (changed[0])
                m->generation++;
        log_changes(m, why, changed);
        for (int i = 0; i < _LAYER_MAX; i++)
                if (replace[i])
                        report_unknown(m, m->layer[i]);
        provision_config_changed(m);
        /* Not while loading at start: the daemon begins following once it is ready. */
        if (m->files_changed)
                watch_config_changed(m);
        if (ret_changed)
                *ret_changed = changed;
        else
                g_strfreev(changed);
        return 0;
}

static char *path_join(const char *dir, const char *name) {
        char *p = NULL;
        return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

/* Loads one layer: *ret NULL when the file does not exist; >0 when it has problems. */
static int layer_load(Manager *m, int layer, SiprConfigFile **ret) {
        _cleanup_free_ char *path = NULL;
        int r;

        *ret = NULL;
        switch (layer) {
        case LAYER_COMMON:
                path = path_join(m->config_dir, COMMON_FILE);
                break;
        case LAYER_DEVICE:
                if (isempty(m->mac))
                        return 0;
                {
                        char name[32];

                        snprintf(name, sizeof(name), "%s.cfg", m->mac);
                        path = path_join(m->config_dir, name);
                        if (!path)
                                return -ENOMEM;
                        if (access(path, F_OK) < 0 && errno == ENOENT) {
                                /* Provisioning servers often publish the upper-case name. */
                                for (char *p = name; p < name + 12; p++)
                                        if (*p >= 'a' && *p <= 'f')
                                                *p = (char) (*p - 'a' + 'A');
                                free(path);
                                path = path_join(m->config_dir, name);
                        }
                }
                break;
        case LAYER_PROV_COMMON:
                path = path_join(m->provision_dir, COMMON_FILE);
                break;
        case LAYER_PROV_DEVICE:
                if (isempty(m->mac))
                        return 0;
                {
                        char name[32];

                        snprintf(name, sizeof(name), "%s.cfg", m->mac);
                        path = path_join(m->provision_dir, name);
                }
                break;
        case LAYER_LOCAL:
                path = strdup(m->local_path);
                break;
        }
        if (!path)
                return -ENOMEM;
        r = sipr_config_file_load(path, ret);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        return (*ret)->n_problems_total > 0;
}

/* write_file_atomic() leaves "local.cfg.XXXXXX" behind when we are killed mid-write. */
static void local_remove_stale_temps(Manager *m) {
        g_autoptr(GDir) d = g_dir_open(m->state_dir, 0, NULL);
        const char *name;

        if (!d)
                return;
        while ((name = g_dir_read_name(d))) {
                _cleanup_free_ char *p = NULL;

                if (!g_str_has_prefix(name, LOCAL_FILE ".") || strlen(name) != strlen(LOCAL_FILE) + 7)
                        continue;
                p = path_join(m->state_dir, name);
                if (p && unlink(p) >= 0)
                        log_info("Removed %s, left over from an interrupted write.", p);
        }
}

void manager_load_initial(Manager *m) {
        SiprConfigFile *layers[_LAYER_MAX] = {};
        bool replace[_LAYER_MAX] = { true, true, true, true, true };
        int r;

        local_remove_stale_temps(m);
        provision_remove_stale_temps(m);

        for (int i = 0; i < _LAYER_MAX; i++) {
                r = layer_load(m, i, &layers[i]);
                if (r < 0)
                        log_error_errno(r, "Failed to load the %s: %m", layer_names[i]);
                else if (r > 0) {
                        _cleanup_free_ char *e = sipr_config_file_error(layers[i]);

                        /* Nothing older to keep at startup: run without this file until it is fixed. */
                        log_error("Ignoring the %s until it is fixed: %s", layer_names[i], strempty(e));
                        if (i == LAYER_LOCAL) {
                                /* Overwriting it on the next Set would silently lose what it holds. */
                                free(m->local_broken);
                                m->local_broken = strdup(strempty(e));
                        }
                        for (size_t p = 1; p < layers[i]->n_problems; p++) {
                                _cleanup_free_ char *s = sipr_config_problem_format(layers[i], p);
                                log_error("%s", strempty(s));
                        }
                        layers[i] = sipr_config_file_free(layers[i]);
                }
        }
        r = manager_replace_layers(m, layers, replace, "Loaded", NULL);
        if (r < 0)
                log_oom();
        for (int i = 0; i < _LAYER_MAX; i++) {
                bool device = i == LAYER_DEVICE || i == LAYER_PROV_DEVICE;
                bool provisioned = i == LAYER_PROV_COMMON || i == LAYER_PROV_DEVICE;

                /* Nothing provisioned is only worth a line where a server is set. */
                if (!m->layer[i] && (!device || !isempty(m->mac)) &&
                    (!provisioned || !isempty((const char *) g_hash_table_lookup(m->effective, "static.auto_provision.server.url"))))
                        log_info("No %s in effect.", layer_names[i]);
        }
        {
                g_auto(GStrv) sources = manager_sources(m);
                _cleanup_free_ char *joined = g_strjoinv(", ", sources);

                log_info("Sources: %s.", isempty(joined) ? "(defaults only)" : joined);
        }
        if (m->generation == 0)
                m->generation = 1;
        for (int i = 0; i < _LAYER_MAX; i++)
                sipr_config_file_free(layers[i]);
}

int manager_reload(Manager *m, char ***ret_changed, char **ret_error) {
        SiprConfigFile *layers[_LAYER_MAX] = {};
        bool replace[_LAYER_MAX] = { true, true, true, true, true };
        int r = 0;

        for (int i = 0; i < _LAYER_MAX && r == 0; i++) {
                r = layer_load(m, i, &layers[i]);
                if (r > 0) {
                        *ret_error = sipr_config_file_error(layers[i]);
                        r = -EBADMSG;
                } else if (r < 0 && asprintf(ret_error, "Failed to load the %s: %s", layer_names[i], strerror(-r)) < 0)
                        *ret_error = NULL;
        }
        if (r == 0) {
                r = manager_replace_layers(m, layers, replace, "Reloaded", ret_changed);
                if (r == 0)
                        g_clear_pointer(&m->local_broken, free);
        }
        for (int i = 0; i < _LAYER_MAX; i++)
                sipr_config_file_free(layers[i]);
        if (r == -EBADMSG)
                log_warning("Reload refused, the running configuration stays: %s", strempty(*ret_error));
        return r;
}

static int unknown_key_error(const char *key, char **ret_error) {
        const char *reason = NULL;

        (void) sipr_config_lookup(key, NULL, NULL, &reason);
        if (asprintf(ret_error, "%.*s%s: unknown key%s%s (siprctl keys lists the keys sipr uses)",
                     (int) sipr_utf8_prefix_len(key, 200), key, strlen(key) > 200 ? "…" : "", reason ? ": " : "",
                     strempty(reason)) < 0)
                *ret_error = NULL;
        return -ENOKEY;
}

/* Writes kv (local overrides) to local.cfg and parses it back as the new local layer. */
static int local_save(Manager *m, GHashTable *kv, SiprConfigFile **ret, char **ret_error) {
        g_autoptr(GPtrArray) a = g_ptr_array_new();
        _cleanup_free_ char *text = NULL;
        GHashTableIter it;
        gpointer k, v;
        int r;

        g_hash_table_iter_init(&it, kv);
        while (g_hash_table_iter_next(&it, &k, &v)) {
                g_ptr_array_add(a, k);
                g_ptr_array_add(a, v);
        }
        g_ptr_array_add(a, NULL);
        text = sipr_config_file_format((char **) a->pdata,
                                       "Local overrides written by sipr-configd (siprctl set). Do not edit while it runs.");
        if (!text)
                return -ENOMEM;

        if (mkdir(m->state_dir, 0700) < 0 && errno != EEXIST)
                r = -errno;
        else
                r = write_file_atomic(m->local_path, text, strlen(text), 0600);
        if (r < 0) {
                if (asprintf(ret_error, "Cannot save local overrides to %s: %s; nothing was changed", m->local_path,
                             strerror(-r)) < 0)
                        *ret_error = NULL;
                log_error_errno(r, "Cannot save local overrides to %s: %m; nothing was changed", m->local_path);
                return -EIO;
        }
        r = sipr_config_file_parse(m->local_path, text, strlen(text), ret);
        if (r < 0)
                return r;
        return 0;
}

static int local_check_usable(Manager *m, char **ret_error) {
        if (!m->local_broken)
                return 0;
        if (asprintf(ret_error, "The local overrides file is broken (%s); fix or remove it and Reload first; "
                     "nothing was changed", m->local_broken) < 0)
                *ret_error = NULL;
        return -EBADMSG;
}

static GHashTable *local_overrides(Manager *m) {
        GHashTable *kv = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        SiprConfigFile *l = m->layer[LAYER_LOCAL];

        for (size_t i = 0; l && i < l->n_entries; i++)
                if (l->entries[i].known && !isempty(l->entries[i].value))
                        g_hash_table_replace(kv, g_strdup(l->entries[i].key), g_strdup(l->entries[i].value));
        return kv;
}

int manager_set(Manager *m, char **changes, char ***ret_changed, char **ret_error) {
        g_autoptr(GHashTable) kv = NULL;
        SiprConfigFile *layers[_LAYER_MAX] = {};
        bool replace[_LAYER_MAX] = { [LAYER_LOCAL] = true };
        g_auto(GStrv) norm = NULL;
        size_t n = g_strv_length(changes) / 2;
        int r;

        /* Validate the whole request before touching anything. */
        norm = g_new0(char *, n + 1);
        for (size_t i = 0; i < n; i++) {
                const char *key = changes[2 * i], *value = changes[2 * i + 1];
                const SiprConfigKey *k = sipr_config_lookup(key, NULL, NULL, NULL);

                if (!k)
                        return unknown_key_error(key, ret_error);
                if (isempty(value))
                        norm[i] = g_strdup("");
                else {
                        char *v = NULL;

                        r = sipr_config_validate(k, key, value, &v, ret_error);
                        if (r < 0)
                                return r;
                        norm[i] = g_strdup(v);
                        free(v);
                }
        }

        r = local_check_usable(m, ret_error);
        if (r < 0)
                return r;
        kv = local_overrides(m);
        for (size_t i = 0; i < n; i++) {
                if (isempty(norm[i]))
                        g_hash_table_remove(kv, changes[2 * i]);
                else
                        g_hash_table_replace(kv, g_strdup(changes[2 * i]), g_strdup(norm[i]));
        }
        r = local_save(m, kv, &layers[LAYER_LOCAL], ret_error);
        if (r < 0)
                return r;
        r = manager_replace_layers(m, layers, replace, "Set", ret_changed);
        sipr_config_file_free(layers[LAYER_LOCAL]);
        return r;
}

int manager_reset(Manager *m, char **keys, char ***ret_changed, char **ret_error) {
        g_autoptr(GHashTable) kv = NULL;
        SiprConfigFile *layers[_LAYER_MAX] = {};
        bool replace[_LAYER_MAX] = { [LAYER_LOCAL] = true };
        bool any = false;
        int r;

        for (char **k = keys; k && *k; k++)
                if (!sipr_config_lookup(*k, NULL, NULL, NULL))
                        return unknown_key_error(*k, ret_error);

        r = local_check_usable(m, ret_error);
        if (r < 0)
                return r;
        kv = local_overrides(m);
        for (char **k = keys; k && *k; k++)
                any |= g_hash_table_remove(kv, *k);
        if (!any) {
                *ret_changed = g_new0(char *, 1);
                return 0;
        }
        r = local_save(m, kv, &layers[LAYER_LOCAL], ret_error);
        if (r < 0)
                return r;
        r = manager_replace_layers(m, layers, replace, "Reset", ret_changed);
        sipr_config_file_free(layers[LAYER_LOCAL]);
        return r;
}

int manager_get(Manager *m, const char *key, const char **ret_value, char **ret_error) {
        const char *v;

        if (!sipr_config_lookup(key, NULL, NULL, NULL))
                return unknown_key_error(key, ret_error);
        v = g_hash_table_lookup(m->effective, key);
        *ret_value = v ?: manager_default(m, m->effective, key);
        return 0;
}

char **manager_list(Manager *m, const char *prefix) {
        g_autoptr(GPtrArray) keys = g_ptr_array_new();
        GPtrArray *out;
        GHashTableIter it;
        gpointer k, v;

        g_hash_table_iter_init(&it, m->effective);
        while (g_hash_table_iter_next(&it, &k, &v))
                if (g_str_has_prefix(k, strempty(prefix)))
                        g_ptr_array_add(keys, k);
        g_ptr_array_sort(keys, compare_str);

        out = g_ptr_array_new();
        for (guint i = 0; i < keys->len; i++) {
                g_ptr_array_add(out, g_strdup(keys->pdata[i]));
                g_ptr_array_add(out, g_strdup(g_hash_table_lookup(m->effective, keys->pdata[i])));
        }
        g_ptr_array_add(out, NULL);
        return (char **) g_ptr_array_free(out, FALSE);
}

char **manager_sources(Manager *m) {
        GPtrArray *a = g_ptr_array_new();

        for (int i = 0; i < _LAYER_MAX; i++)
                if (m->layer[i])
                        g_ptr_array_add(a, g_strdup(m->layer[i]->name));
        g_ptr_array_add(a, NULL);
        return (char **) g_ptr_array_free(a, FALSE);
}
