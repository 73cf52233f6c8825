/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "macro.h"
#include "persist.h"
#include "util.h"

/* Saving every CSeq costs two fsyncs per REGISTER (a 256-account storm spent most of its CPU
 * there). Instead a ceiling is saved, CSEQ_RESERVE above the CSeq in use, and written again only
 * when the sequence passes it; after a restart the sequence continues above the ceiling, so it
 * still only ever increases (RFC 3261 allows gaps). */
#define CSEQ_RESERVE 64U
/* Call-ID/CSeq are kept per next-hop URI. A server name whose addresses keep changing would add
 * one for every address ever used, so only the most recently used are kept: 4 servers × 16
 * addresses (RED_ADDR_MAX) is the most an account can use at once. */
#define PERSIST_BINDINGS_MAX 64U

typedef struct PersistBinding {
        char *uri, *call_id;
        uint32_t cseq;  /* last used */
        uint32_t saved; /* ceiling on disk: cseq <= saved */
} PersistBinding;

struct AccountPersist {
        char *path;
        char *instance;
        PersistBinding *b;
        size_t n;
        bool warned; /* a failing save is reported once, not at every REGISTER */
};

static int ensure_dir(const char *dir) {
        if (g_mkdir_with_parents(dir, 0700) < 0)
                return log_error_errno(errno, "Failed to create state directory %s: %m", dir);
        return 0;
}

int persist_load_port(const char *dir, uint16_t *ret) {
        _cleanup_free_ char *path = g_strdup_printf("%s/regd-port", dir), *data = NULL;
        int r;

        r = read_file_full(path, 64, &data, NULL);
        if (r < 0)
                return r;
        data[strcspn(data, "\n")] = 0;
        r = safe_atou16(data, ret);
        if (r < 0 || *ret == 0)
                return log_warning_errno(EINVAL, "%s: not a port number, choosing a new one.", path);
        return 0;
}

int persist_save_port(const char *dir, uint16_t port) {
        _cleanup_free_ char *path = g_strdup_printf("%s/regd-port", dir);
        char buf[16];
        int r;

        r = ensure_dir(dir);
        if (r < 0)
                return r;
        snprintf(buf, sizeof(buf), "%u\n", port);
        r = write_file_atomic(path, buf, strlen(buf), 0600);
        if (r < 0)
                return log_error_errno(r, "Failed to write %s: %m", path);
        return 0;
}

static int account_persist_save(AccountPersist *p) {
        GString *s = g_string_new(NULL);
        int r;

        g_string_append_printf(s, "instance %s\n", p->instance);
        for (size_t i = 0; i < p->n; i++)
                g_string_append_printf(s, "binding %s %s %u\n", p->b[i].uri, p->b[i].call_id, p->b[i].saved);
        r = write_file_atomic(p->path, s->str, s->len, 0600);
        g_string_free(s, TRUE);
        if (r < 0) {
                if (p->warned)
                        return log_debug_errno(r, "Failed to write %s: %m", p->path);
                p->warned = true;
                return log_error_errno(r, "Failed to write %s (registrations work, but a restart will not "
                                       "reuse their Call-ID/CSeq): %m", p->path);
        }
        p->warned = false;
        return 0;
}

static void binding_drop_oldest(AccountPersist *p) {
        if (p->n == 0)
                return;
        free(p->b[0].uri);
        free(p->b[0].call_id);
        memmove(p->b, p->b + 1, (p->n - 1) * sizeof(PersistBinding));
        p->n--;
}

static void binding_remove(AccountPersist *p, const char *uri) {
        for (size_t i = 0; i < p->n; i++)
                if (streq(p->b[i].uri, uri)) {
                        free(p->b[i].uri);
                        free(p->b[i].call_id);
                        memmove(p->b + i, p->b + i + 1, (p->n - i - 1) * sizeof(PersistBinding));
                        p->n--;
                        return;
                }
}

/* Entries are kept least recently used first. */
static int binding_add(AccountPersist *p, const char *uri, const char *call_id, uint32_t cseq) {
        PersistBinding *b;

        while (p->n >= PERSIST_BINDINGS_MAX)
                binding_drop_oldest(p);
        b = realloc(p->b, (p->n + 1) * sizeof(PersistBinding));
        if (!b)
                return -ENOMEM;
        p->b = b;
        p->b[p->n++] = (PersistBinding) { .uri = strdup(uri), .call_id = strdup(call_id), .cseq = cseq, .saved = cseq };
        return 0;
}

int account_persist_load(const char *dir, unsigned index, AccountPersist **ret) {
        AccountPersist *p = calloc(1, sizeof(AccountPersist));
        _cleanup_free_ char *data = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        p->path = g_strdup_printf("%s/account-%u", dir, index);
        /* Without a writable state directory regd still registers; only restarts lose the
         * Call-ID/CSeq sequence (ensure_dir and the saves below log why). */
        (void) ensure_dir(dir);

        r = read_file_full(p->path, 1024 * 1024, &data, NULL);
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Failed to read %s, starting afresh: %m", p->path);
        if (r >= 0) {
                unsigned line = 0;
                for (char *save = NULL, *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                        char uri[300], call_id[200], inst[64];
                        unsigned cseq;
                        line++;
                        if (sscanf(l, "instance %63s", inst) == 1 && !p->instance)
                                p->instance = strdup(inst);
                        else if (sscanf(l, "binding %299s %199s %u", uri, call_id, &cseq) == 3) {
                                /* The file lists least recently used first: a repeated URI's
                                 * later line is the newer one. */
                                binding_remove(p, uri);
                                binding_add(p, uri, call_id, cseq);
                        } else
                                log_warning("%s:%u: unrecognised line ignored.", p->path, line);
                }
        }
        if (!p->instance) {
                p->instance = g_uuid_string_random();
                (void) account_persist_save(p);
        }
        *ret = p;
        return 0;
}

AccountPersist *account_persist_free(AccountPersist *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n; i++) {
                free(p->b[i].uri);
                free(p->b[i].call_id);
        }
        free(p->b);
        free(p->instance);
        free(p->path);
        free(p);
        return NULL;
}

const char *account_persist_instance(const AccountPersist *p) {
        return p->instance;
}

/* Finds uri's entry and makes it the most recently used (last). */
static PersistBinding *binding_find(AccountPersist *p, const char *uri) {
        for (size_t i = 0; i < p->n; i++)
                if (streq(p->b[i].uri, uri)) {
                        PersistBinding found = p->b[i];

                        memmove(p->b + i, p->b + i + 1, (p->n - i - 1) * sizeof(PersistBinding));
                        p->b[p->n - 1] = found;
                        return &p->b[p->n - 1];
                }
        return NULL;
}

int account_persist_binding(AccountPersist *p, const char *uri, const char **ret_call_id, uint32_t *ret_cseq) {
        PersistBinding *b = binding_find(p, uri);
        int r;

        if (!b) {
                _cleanup_free_ char *call_id = g_strdup_printf("%08x%08x%08x@sipr", g_random_int(), g_random_int(),
                                                               g_random_int());
                r = binding_add(p, uri, call_id, 0);
                if (r < 0)
                        return r;
                b = &p->b[p->n - 1];
                b->saved = CSEQ_RESERVE;
                (void) account_persist_save(p); /* logged; the sequence still works in memory */
        }
        *ret_call_id = b->call_id;
        *ret_cseq = b->cseq;
        return 0;
}

int account_persist_set_cseq(AccountPersist *p, const char *uri, uint32_t cseq) {
        PersistBinding *b = binding_find(p, uri);

        if (!b)
                return -ENOENT;
        b->cseq = cseq;
        if (cseq <= b->saved)
                return 0;
        b->saved = cseq > UINT32_MAX - CSEQ_RESERVE ? UINT32_MAX : cseq + CSEQ_RESERVE;
        (void) account_persist_save(p);
        return 0;
}

int account_persist_keep(AccountPersist *p, const char *uri, const char *call_id, uint32_t cseq) {
        int r;

        if (account_persist_set_cseq(p, uri, cseq) != -ENOENT)
                return 0;
        r = binding_add(p, uri, call_id, cseq);
        if (r < 0)
                return r;
        p->b[p->n - 1].saved = cseq > UINT32_MAX - CSEQ_RESERVE ? UINT32_MAX : cseq + CSEQ_RESERVE;
        return account_persist_save(p);
}
