/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Prints the key table of docs/config.md from the schema; test-docs.sh fails when they differ. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-schema.h"

int main(void) {
        printf("| key | permitted values | default | meaning |\n|---|---|---|---|\n");
        for (size_t i = 0; i < sipr_config_n_keys; i++) {
                const SiprConfigKey *k = &sipr_config_keys[i];
                char *range = sipr_config_range_string(k);
                const char *def = k->def;

                if (k->flags & SIPR_CONFIG_DEFAULT_USER_NAME)
                        def = "= user_name";
                printf("| `%s` | %s | %s%s%s | %s%s |\n", k->pattern, range ? range : "?", *def ? "`" : "\"\"",
                       def, *def ? "`" : "", k->description, (k->flags & SIPR_CONFIG_SECRET) ? " **secret**" : "");
                free(range);
        }
        printf("\nX = account 1…%d, Y = server or proxy 1…%d.\n", SIPR_CONFIG_ACCOUNT_MAX, SIPR_CONFIG_SERVER_MAX);
        return 0;
}
