/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* regd's persisted registration state (state directory: regd-port, account-N) as a power cut,
 * a full disk or a hand edit may leave it: any bytes must load without a crash, with a usable
 * instance id, and what regd then saves must load back to the same bindings.
 * Input: byte 0 selects the file (even: account-1, odd: regd-port), the rest is its content. */
#include <errno.h>
#include <ftw.h>
#include <glib.h>
#include <stdint.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "persist.h"
#include "util.h"
#include "fuzz-scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static char *dir;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *path = NULL;
        AccountPersist *p = NULL, *again = NULL;
        const char *call_id = NULL, *call_id2 = NULL;
        uint32_t cseq = 0, cseq2 = 0;
        uint16_t port;

        if (size < 1 || size > 65536)
                return 0;
        if (!dir) {
                log_set_max_level(LOG_CRIT);
                dir = strdup(scratch_new("sipr-fuzz-persist"));
        }

        if (data[0] & 1) {
                path = g_strdup_printf("%s/regd-port", dir);
                if (write_file_atomic(path, data + 1, size - 1, 0600) < 0)
                        abort();
                if (persist_load_port(dir, &port) >= 0 && port == 0)
                        abort(); /* 0 means "choose one": never a loaded value */
                (void) unlink(path);
                return 0;
        }

        path = g_strdup_printf("%s/account-1", dir);
        if (write_file_atomic(path, data + 1, size - 1, 0600) < 0)
                abort();
        if (account_persist_load(dir, 1, &p) < 0)
                abort(); /* a damaged file means starting afresh, never failing */
        if (!account_persist_instance(p) || !account_persist_instance(p)[0] ||
            strpbrk(account_persist_instance(p), " \t\n"))
                abort(); /* the instance goes into a Contact parameter */

        /* A binding survives a save and a reload with the same Call-ID, and its CSeq never goes
         * back: at least the last one used, at most the saved ceiling (64) above it. */
        if (account_persist_binding(p, "sip:127.77.0.2:5060;transport=udp", &call_id, &cseq) < 0 || !call_id)
                abort();
        if (account_persist_set_cseq(p, "sip:127.77.0.2:5060;transport=udp", cseq + 1) < 0)
                abort();
        if (account_persist_load(dir, 1, &again) < 0)
                abort();
        if (account_persist_binding(again, "sip:127.77.0.2:5060;transport=udp", &call_id2, &cseq2) < 0 ||
            !streq(call_id, call_id2) ||
            (cseq < UINT32_MAX && ((uint64_t) cseq2 < (uint64_t) cseq + 1 || (uint64_t) cseq2 > (uint64_t) cseq + 1 + 64)) ||
            !streq(account_persist_instance(p), account_persist_instance(again)))
                abort();
        account_persist_free(again);
        account_persist_free(p);
        (void) unlink(path);
        return 0;
}
