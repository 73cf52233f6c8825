/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Typed configuration values, derived from the schema's offset and kind of each key. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config-schema.h"
#include "config-types.h"
#include "macro.h"

void *sipr_config_slot(const SiprConfigKey *k, SiprGlobalConfig *g, SiprAccountConfig *a, unsigned y) {
        char *base = NULL;

        switch (k->in) {
        case SIPR_CONFIG_IN_GLOBAL:
                base = (char *) g;
                break;
        case SIPR_CONFIG_IN_ACCOUNT:
                base = (char *) a;
                break;
        case SIPR_CONFIG_IN_SERVER:
                base = a && y >= 1 && y <= SIPR_CONFIG_SERVER_MAX ? (char *) &a->server[y - 1] : NULL;
                break;
        case SIPR_CONFIG_IN_PROXY:
                base = a && y >= 1 && y <= SIPR_CONFIG_SERVER_MAX ? (char *) &a->outbound_proxy[y - 1]
                                                                  : NULL;
                break;
        default:
                break;
        }
        return base ? base + k->offset : NULL;
}

static int parse_u32(const char *value, uint32_t *ret) {
        uint64_t v = 0;

        if (!*value)
                return -EINVAL;
        for (const char *p = value; *p; p++) {
                if (*p < '0' || *p > '9' || v > UINT32_MAX)
                        return -EINVAL;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        if (v > UINT32_MAX)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

static void string_free(const SiprConfigKey *k, char **s) {
        if (*s && (k->flags & SIPR_CONFIG_SECRET))
                explicit_bzero(*s, strlen(*s));
        free(*s);
        *s = NULL;
}

int sipr_config_slot_set(const SiprConfigKey *k, void *slot, const char *value) {
        uint32_t u = 0;
        uint64_t ms = 0;
        char *s;

        switch (k->field) {
        case SIPR_FIELD_BOOL:
        case SIPR_FIELD_U16:
        case SIPR_FIELD_U32:
                if ((k->flags & SIPR_CONFIG_MINUS_ONE) && streq(value, "-1"))
                        u = UINT32_MAX;
                else if (parse_u32(value, &u) < 0)
                        return -EINVAL;
                if ((k->flags & SIPR_CONFIG_ROUND_UP_TO_60) && u >= 1 && u < 60)
                        u = 60;
                if (k->field == SIPR_FIELD_BOOL)
                        *(bool *) slot = u != 0;
                else if (k->field == SIPR_FIELD_U16) {
                        if (u > UINT16_MAX)
                                return -ERANGE;
                        *(uint16_t *) slot = (uint16_t) u;
                } else
                        *(uint32_t *) slot = u;
                return 0;
        case SIPR_FIELD_USEC:
                if (sipr_config_parse_seconds_ms(value, &ms) < 0)
                        return -EINVAL;
                *(uint64_t *) slot = ms * USEC_PER_MSEC;
                return 0;
        case SIPR_FIELD_STRING:
                s = strdup(value);
                if (!s)
                        return -ENOMEM;
                string_free(k, (char **) slot);
                *(char **) slot = s;
                return 0;
        }
        return -ENOKEY;
}

static int slot_copy(const SiprConfigKey *k, void *dst, const void *src) {
        switch (k->field) {
        case SIPR_FIELD_BOOL:
                *(bool *) dst = *(const bool *) src;
                return 0;
        case SIPR_FIELD_U16:
                *(uint16_t *) dst = *(const uint16_t *) src;
                return 0;
        case SIPR_FIELD_U32:
                *(uint32_t *) dst = *(const uint32_t *) src;
                return 0;
        case SIPR_FIELD_USEC:
                *(uint64_t *) dst = *(const uint64_t *) src;
                return 0;
        case SIPR_FIELD_STRING: {
                char *s = strdup(strempty(*(char *const *) src));
                if (!s)
                        return -ENOMEM;
                *(char **) dst = s;
                return 0;
        }
        }
        return -ENOKEY;
}

static bool slot_equal(const SiprConfigKey *k, const void *a, const void *b) {
        switch (k->field) {
        case SIPR_FIELD_BOOL:
                return *(const bool *) a == *(const bool *) b;
        case SIPR_FIELD_U16:
                return *(const uint16_t *) a == *(const uint16_t *) b;
        case SIPR_FIELD_U32:
                return *(const uint32_t *) a == *(const uint32_t *) b;
        case SIPR_FIELD_USEC:
                return *(const uint64_t *) a == *(const uint64_t *) b;
        case SIPR_FIELD_STRING:
                return streq(strempty(*(char *const *) a), strempty(*(char *const *) b));
        }
        return false;
}

/* Calls f for every slot of an account (servers and proxies Y = 1…4 included); stops at <0. */
typedef int (*slot_func)(const SiprConfigKey *k, void *x, const void *y, void *userdata);

static int account_slots(SiprAccountConfig *x, const SiprAccountConfig *y, slot_func f, void *userdata) {
        for (size_t i = 0; i < sipr_config_n_keys; i++) {
                const SiprConfigKey *k = &sipr_config_keys[i];
                unsigned n = k->in == SIPR_CONFIG_IN_ACCOUNT ? 1
                             : (k->in == SIPR_CONFIG_IN_SERVER || k->in == SIPR_CONFIG_IN_PROXY)
                                     ? SIPR_CONFIG_SERVER_MAX
                                     : 0;

                for (unsigned j = 1; j <= n; j++) {
                        int r = f(k, sipr_config_slot(k, NULL, x, j),
                                  y ? sipr_config_slot(k, NULL, (SiprAccountConfig *) y, j) : NULL,
                                  userdata);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int global_slots(SiprGlobalConfig *x, const SiprGlobalConfig *y, slot_func f, void *userdata) {
        for (size_t i = 0; i < sipr_config_n_keys; i++) {
                const SiprConfigKey *k = &sipr_config_keys[i];

                if (k->in != SIPR_CONFIG_IN_GLOBAL)
                        continue;
                int r = f(k, sipr_config_slot(k, x, NULL, 0),
                          y ? sipr_config_slot(k, (SiprGlobalConfig *) y, NULL, 0) : NULL, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int do_free(const SiprConfigKey *k, void *x, const void *y, void *userdata) {
        if (k->field == SIPR_FIELD_STRING)
                string_free(k, (char **) x);
        return 0;
}

/* The slot's string belongs to another struct (a shallow copy): forget it without freeing. */
static int do_forget(const SiprConfigKey *k, void *x, const void *y, void *userdata) {
        if (k->field == SIPR_FIELD_STRING)
                *(char **) x = NULL;
        return 0;
}

static int do_copy(const SiprConfigKey *k, void *x, const void *y, void *userdata) {
        return slot_copy(k, x, y);
}

typedef struct DiffersData {
        unsigned flags, except;
        const char *prefix;
} DiffersData;

static int do_differs(const SiprConfigKey *k, void *x, const void *y, void *userdata) {
        const DiffersData *d = userdata;

        if (d->flags && !(k->flags & d->flags))
                return 0;
        if (k->flags & d->except)
                return 0;
        if (d->prefix && !strneq(k->pattern, d->prefix, strlen(d->prefix)))
                return 0;
        return slot_equal(k, x, y) ? 0 : -1; /* -1 stops the walk: they differ */
}

void sipr_account_config_done(SiprAccountConfig *a) {
        if (a)
                (void) account_slots(a, NULL, do_free, NULL);
}

int sipr_account_config_copy(SiprAccountConfig *dst, const SiprAccountConfig *src) {
        int r;

        /* Scalars first (index and any field outside the schema), then every string owned anew;
         * every string is the copy's own (or NULL) before any copy can fail. */
        *dst = *src;
        (void) account_slots(dst, NULL, do_forget, NULL);
        r = account_slots(dst, src, do_copy, NULL);
        if (r < 0)
                sipr_account_config_done(dst);
        return r;
}

bool sipr_account_config_differs(const SiprAccountConfig *x, const SiprAccountConfig *y, unsigned flags) {
        DiffersData d = {.flags = flags};

        return account_slots((SiprAccountConfig *) x, y, do_differs, &d) < 0;
}

bool sipr_account_config_differs_except(const SiprAccountConfig *x, const SiprAccountConfig *y,
                                        unsigned except) {
        DiffersData d = {.except = except};

        return account_slots((SiprAccountConfig *) x, y, do_differs, &d) < 0;
}

void sipr_global_config_done(SiprGlobalConfig *g) {
        if (g)
                (void) global_slots(g, NULL, do_free, NULL);
}

int sipr_global_config_copy(SiprGlobalConfig *dst, const SiprGlobalConfig *src) {
        int r;

        *dst = *src;
        (void) global_slots(dst, NULL, do_forget, NULL);
        r = global_slots(dst, src, do_copy, NULL);
        if (r < 0)
                sipr_global_config_done(dst);
        return r;
}

bool sipr_global_config_differs(const SiprGlobalConfig *x, const SiprGlobalConfig *y, const char *prefix) {
        DiffersData d = {.prefix = prefix};

        return global_slots((SiprGlobalConfig *) x, y, do_differs, &d) < 0;
}

int sipr_global_config_defaults(SiprGlobalConfig *ret) {
        *ret = (SiprGlobalConfig){};
        for (size_t i = 0; i < sipr_config_n_keys; i++) {
                const SiprConfigKey *k = &sipr_config_keys[i];
                int r;

                if (k->in != SIPR_CONFIG_IN_GLOBAL)
                        continue;
                r = sipr_config_slot_set(k, sipr_config_slot(k, ret, NULL, 0), k->def);
                if (r < 0) {
                        sipr_global_config_done(ret);
                        return r;
                }
        }
        return 0;
}

static const SiprConfigKey *provision_key(size_t i) {
        const SiprConfigKey *k = &sipr_config_keys[i];
        return k->in == SIPR_CONFIG_IN_PROVISION ? k : NULL;
}

void sipr_provision_config_done(SiprProvisionConfig *p) {
        if (!p)
                return;
        for (size_t i = 0; i < sipr_config_n_keys; i++) {
                const SiprConfigKey *k = provision_key(i);

                if (k && k->field == SIPR_FIELD_STRING)
                        string_free(k, (char **) ((char *) p + k->offset));
        }
}

int sipr_provision_config_load(SiprProvisionConfig *ret, const char *(*get)(const char *key, void *userdata),
                               void *userdata) {
        *ret = (SiprProvisionConfig){};
        for (size_t i = 0; i < sipr_config_n_keys; i++) {
                const SiprConfigKey *k = provision_key(i);
                const char *v;
                int r;

                if (!k)
                        continue;
                v = get(k->pattern, userdata);
                if (!v || streq(v, SIPR_CONFIG_NULL) || (isempty(v) && k->field != SIPR_FIELD_STRING))
                        v = k->def;
                r = sipr_config_slot_set(k, (char *) ret + k->offset, v);
                if (r < 0) {
                        sipr_provision_config_done(ret);
                        return r;
                }
        }
        return 0;
}
