/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* configd's Set exactly as the bus method runs it, minus D-Bus: arbitrary key/value pairs from a
 * caller through schema lookup, validation, normalisation and the write of local.cfg.
 * Input: lines "key=value" (a line without '=' is a key with an empty value, i.e. "drop the
 * override"). Checks: a refused request names a reason and leaves local.cfg untouched; a
 * secret never appears in an error or in the loggable form; an accepted one reads back (Get)
 * as its normalised value and local.cfg parses back without a problem. */
#include <errno.h>
#include <ftw.h>
#include <glib.h>
#include <stdint.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config-parser.h"
#include "config-schema.h"
#include "configd-manager.h"
#include "log.h"
#include "macro.h"
#include "util.h"
#include "fuzz-scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


#define PAIRS_MAX 16

static char *dir_config, *dir_state, *local_path;

static void setup_once(void) {
        static const char common[] = "account.1.enable = 1\n"
                                     "account.1.user_name = 1001\n"
                                     "account.1.password = fuzz-seed-password\n"
                                     "account.1.sip_server.1.address = reg1.lab.test\n";
        const char *base;

        if (dir_config)
                return;
        log_set_max_level(LOG_CRIT);
        base = scratch_new("sipr-fuzz-set");
        dir_config = g_strdup_printf("%s/etc", base);
        dir_state = g_strdup_printf("%s/state", base);
        local_path = g_strdup_printf("%s/local.cfg", dir_state);
        if (g_mkdir_with_parents(dir_config, 0755) < 0 || g_mkdir_with_parents(dir_state, 0700) < 0)
                abort();
        {
                _cleanup_free_ char *p = g_strdup_printf("%s/y000000000000.cfg", dir_config);
                if (write_file_atomic(p, common, strlen(common), 0644) < 0)
                        abort();
        }
}

static char *read_local(void) {
        char *s = NULL;
        size_t n;

        if (read_file_full(local_path, 4 * 1024 * 1024, &s, &n) < 0)
                return NULL;
        return s;
}

/* A value worth looking for in an error: long and unlikely in any fixed message text. */
static bool distinctive(const char *v) {
        return strlen(v) >= 8 && strpbrk(v, "#$^~|");
}

/* The secret value of pair i is also part of a key or of a non-secret value in the request,
 * which errors may quote. */
static bool said_elsewhere(char **changes, size_t n, size_t i) {
        const char *v = changes[2 * i + 1];

        for (size_t j = 0; j < n; j++) {
                if (strstr(changes[2 * j], v))
                        return true;
                if (j != i && !sipr_config_key_is_secret(changes[2 * j]) && strstr(changes[2 * j + 1], v))
                        return true;
        }
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = NULL, *before = NULL, *after = NULL, *error = NULL;
        char *changes[2 * PAIRS_MAX + 1] = {};
        char **changed = NULL;
        Manager *m = NULL;
        size_t n = 0;
        int r;

        if (size > 8192)
                return 0;
        setup_once();
        text = strndup((const char *) data, size);
        if (!text)
                return 0;

        for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && n < PAIRS_MAX; l = strtok_r(NULL, "\n", &save)) {
                char *eq = strchr(l, '=');
                if (eq)
                        *eq = 0;
                changes[2 * n] = l;
                changes[2 * n + 1] = eq ? eq + 1 : (char *) "";
                n++;
        }
        if (n == 0)
                return 0;

        (void) unlink(local_path);
        if (manager_new(dir_config, dir_state, "001565aabbcc", &m) < 0)
                abort();
        manager_load_initial(m);
        before = read_local();

        r = manager_set(m, changes, &changed, &error);
        after = read_local();
        if (r < 0) {
                if (!error || !error[0])
                        abort(); /* a refusal must say why */
                if (g_strcmp0(before, after) != 0)
                        abort(); /* all-or-nothing */
                for (size_t i = 0; i < n; i++)
                        if (sipr_config_key_is_secret(changes[2 * i]) && distinctive(changes[2 * i + 1]) &&
                            !said_elsewhere(changes, n, i) && strstr(error, changes[2 * i + 1]))
                                abort(); /* secret leaked into the error */
        } else {
                SiprConfigFile *f = NULL;

                if (!after || sipr_config_file_parse("local.cfg", after, strlen(after), &f) < 0)
                        abort();
                if (f->n_problems_total != 0)
                        abort(); /* we wrote something we cannot read back */
                sipr_config_file_free(f);

                for (size_t i = 0; i < n; i++) {
                        const char *key = changes[2 * i], *value = changes[2 * i + 1], *got = NULL;
                        const SiprConfigKey *k = sipr_config_lookup(key, NULL, NULL, NULL);
                        _cleanup_free_ char *norm = NULL, *e = NULL;
                        bool last = true;

                        for (size_t j = i + 1; j < n; j++)
                                if (streq(changes[2 * j], key))
                                        last = false;
                        if (!k || !last || !value[0])
                                continue;
                        if (sipr_config_validate(k, key, value, &norm, &e) < 0)
                                abort(); /* Set accepted what validation refuses */
                        if (manager_get(m, key, &got, &e) < 0 || g_strcmp0(got, norm) != 0)
                                abort(); /* Get does not return what Set stored */
                        if (sipr_config_key_is_secret(key) && distinctive(value) &&
                            strstr(sipr_config_value_for_log(key, value), value))
                                abort();
                }
                g_strfreev(changed);
        }
        manager_free(m);
        return 0;
}
