/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzzes the Yealink file parser and, on what it accepts, the serializer round trip and the
 * typed view, so any byte sequence a provisioning server could publish is covered. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-client.h"
#include "config-parser.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        SiprConfigFile *f = NULL, *again = NULL;
        SiprConfig *config = NULL;
        char **kv, *text, *e;
        size_t n = 0;

        log_set_max_level(LOG_CRIT);
        if (sipr_config_file_parse("fuzz.cfg", (const char *) data, size, &f) < 0)
                return 0;
        e = sipr_config_file_error(f);
        for (size_t i = 0; i < f->n_problems; i++)
                free(sipr_config_problem_format(f, i));
        if (e || f->n_problems_total > 0) {
                /* A refused file must say why. */
                if (!e)
                        abort();
                free(e);
                sipr_config_file_free(f);
                return 0;
        }

        /* Accepted: what we would write to local.cfg must parse back to the same values. */
        kv = calloc(2 * f->n_entries + 1, sizeof(char *));
        if (!kv)
                abort();
        for (size_t i = 0; i < f->n_entries; i++)
                if (f->entries[i].known && f->entries[i].value[0]) {
                        kv[n++] = f->entries[i].key;
                        kv[n++] = f->entries[i].value;
                }
        text = sipr_config_file_format(kv, NULL);
        if (!text || sipr_config_file_parse("again.cfg", text, strlen(text), &again) < 0)
                abort();
        if (again->n_problems_total != 0)
                abort();
        for (size_t i = 0; i < n; i += 2) {
                const char *v = sipr_config_file_get(again, kv[i]), *o = sipr_config_file_get(f, kv[i]);
                if (!v || !o || strcmp(v, o) != 0)
                        abort();
        }
        if (sipr_config_from_pairs(kv, &config) < 0)
                abort();

        sipr_config_free(config);
        sipr_config_file_free(again);
        free(text);
        free(kv);
        sipr_config_file_free(f);
        return 0;
}
