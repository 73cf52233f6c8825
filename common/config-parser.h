/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Yealink provisioning file format (CONFIG.md): optional "#!version:…" first line, '#' comments,
 * "key = value" lines, CRLF accepted, trailing blanks trimmed, empty value = unset here. Known keys
 * are validated against the schema; unknown keys are kept (so they can be reported) but otherwise
 * ignored. Every problem is recorded as "file:line: key: reason"; a file with any problem must
 * be refused as a whole by the caller. */

#include <stdbool.h>
#include <stddef.h>

#include "config-schema.h"

#define SIPR_CONFIG_LINE_MAX 8192
/* Room for 100 000 lines of keys sipr ignores plus every Yealink account key (about 150 of them)
 * written out for each account the build allows: 6 MiB by default. A bound, so a Check of a huge
 * file costs configd a bounded, brief amount of memory and time. */
#define SIPR_CONFIG_FILE_MAX     (4U * 1024U * 1024U + (unsigned) SIPR_CONFIG_ACCOUNT_MAX * 8192U)
#define SIPR_CONFIG_PROBLEMS_MAX 100 /* recorded; the rest are only counted */

typedef struct SiprConfigEntry {
        char *key;
        char *value; /* normalized for known keys; "" = unset in this file */
        unsigned line;
        bool known;
} SiprConfigEntry;

typedef struct SiprConfigProblem {
        unsigned line; /* 0: the file as a whole (missing, a directory…) */
        char *message; /* "key: reason" or "reason", without file:line */
} SiprConfigProblem;

typedef struct SiprConfigFile {
        char *name;               /* as given: a path, or a label for buffers */
        SiprConfigEntry *entries; /* in order of first appearance, one per key (last value wins) */
        size_t n_entries;
        size_t n_entries_alloc;
        size_t n_unknown; /* entries with known == false */
        SiprConfigProblem *problems;
        size_t n_problems;    /* recorded */
        size_t n_problems_total;
        size_t size; /* bytes read */
        void *index; /* key → entry, private */
} SiprConfigFile;

/* Parses a buffer (may contain NULs; not NUL-terminated). Returns -ENOMEM only: syntax and value
 * errors are recorded in ->problems. */
int sipr_config_file_parse(const char *name, const char *data, size_t size, SiprConfigFile **ret);

/* Reads and parses path. A missing file returns -ENOENT (callers treat it as absent); other read
 * failures (a directory, a FIFO or another file that is not regular, too large, unreadable) return
 * a file with one problem at line 0. The path is opened non-blocking and only a regular file is
 * read, so a FIFO never blocks the caller. */
int sipr_config_file_load(const char *path, SiprConfigFile **ret);

/* The same on a file opened already (the caller's own checks done on that fd); name is for
 * messages. Reads from the current position. */
int sipr_config_file_load_fd(int fd, const char *name, SiprConfigFile **ret);

/* A file with a single problem at line 0, e.g. "is a FIFO (named pipe), not a regular file". */
int sipr_config_file_new_problem(const char *name, const char *message, SiprConfigFile **ret);

SiprConfigFile *sipr_config_file_free(SiprConfigFile *f);
static inline void sipr_config_file_freep(SiprConfigFile **f) {
        if (*f)
                sipr_config_file_free(*f);
}

/* Value of a known key set (non-empty) in this file, or NULL. "%NULL%" reads as the key's
 * default ("" for text and hosts). */
const char *sipr_config_file_get(const SiprConfigFile *f, const char *key);

/* "file:line: key: reason" for the first problem, plus " (and N more problems)"; NULL if none. */
char *sipr_config_file_error(const SiprConfigFile *f);

/* Problem i formatted as "file:line: message". */
char *sipr_config_problem_format(const SiprConfigFile *f, size_t i);

/* Serializes known, non-empty entries as a Yealink file (header, comment, sorted keys). */
char *sipr_config_file_format(char **keys_values /* k1,v1,k2,v2… */, const char *comment);
