/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* services/regd/persist.c: Call-ID/CSeq per next hop survive a reload, and the per-account list
 * stays bounded (64, least recently used out) however many addresses a server name has had. */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "persist.h"
#include "util.h"
#include "../test-check.h"

static char *uri_of(unsigned i) {
        return g_strdup_printf("sip:10.%u.%u.1:5060;transport=udp", i / 256, i % 256);
}

static unsigned count_lines(const char *path, const char *prefix) {
        g_autofree char *data = NULL;
        unsigned n = 0;

        check(g_file_get_contents(path, &data, NULL, NULL));
        for (char *l = data; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (strncmp(l, prefix, strlen(prefix)) == 0)
                        n++;
        return n;
}

int main(void) {
        g_autofree char *dir = g_dir_make_tmp("sipr-persist-XXXXXX", NULL);
        g_autofree char *path = NULL;
        g_autofree char *keep_uri = uri_of(0), *uri1 = uri_of(1), *uri200 = uri_of(200);
        g_autofree char *first_call_id = NULL, *keep_call_id = NULL;
        AccountPersist *p = NULL;
        const char *call_id;
        uint32_t cseq;

        check(dir);
        path = g_strdup_printf("%s/account-1", dir);
        check(account_persist_load(dir, 1, &p) == 0);

        /* uri 0 stays in use (a REGISTER now and then); 200 other addresses come and go. */
        check(account_persist_binding(p, keep_uri, &call_id, &cseq) == 0);
        keep_call_id = g_strdup(call_id);
        check(account_persist_binding(p, uri1, &call_id, &cseq) == 0);
        first_call_id = g_strdup(call_id);
        for (unsigned i = 1; i <= 200; i++) {
                g_autofree char *u = uri_of(i);
                check(account_persist_binding(p, u, &call_id, &cseq) == 0);
                check(account_persist_set_cseq(p, u, cseq + 1) == 0);
                if (i % 10 == 0)
                        check(account_persist_set_cseq(p, keep_uri, i) == 0);
        }
        check(count_lines(path, "binding ") == 64);
        p = account_persist_free(p);

        /* After a restart: the one in use kept its Call-ID and CSeq ceiling; an address not used
         * for 199 others was dropped and starts a new sequence. */
        check(account_persist_load(dir, 1, &p) == 0);
        check(account_persist_binding(p, keep_uri, &call_id, &cseq) == 0);
        check(strcmp(call_id, keep_call_id) == 0);
        check(cseq >= 200);
        check(account_persist_binding(p, uri1, &call_id, &cseq) == 0);
        check(strcmp(call_id, first_call_id) != 0);
        check(cseq == 0);
        /* A binding still in use whose entry was evicted is put back with its own Call-ID. */
        check(account_persist_set_cseq(p, "sip:192.0.2.9:5060;transport=udp", 5) == -ENOENT);
        check(account_persist_keep(p, "sip:192.0.2.9:5060;transport=udp", "kept@sipr", 77) == 0);
        /* The most recent one survived with its number. */
        check(account_persist_binding(p, uri200, &call_id, &cseq) == 0);
        check(cseq >= 1);
        check(count_lines(path, "binding ") == 64);
        p = account_persist_free(p);
        check(account_persist_load(dir, 1, &p) == 0);
        check(account_persist_binding(p, "sip:192.0.2.9:5060;transport=udp", &call_id, &cseq) == 0);
        check(strcmp(call_id, "kept@sipr") == 0 && cseq >= 77);
        p = account_persist_free(p);

        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
        check(system(cmd) == 0);
        printf("persist: OK\n");
        return EXIT_SUCCESS;
}
