/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Yealink provisioning file format (CONFIG.md): optional "#!version:…" first line, '#' comments,
 * "key = value" lines, CRLF accepted, trailing blanks trimmed, empty value = unset here. Known keys
 * are validated against the schema; unknown keys are kept (so they can be reported) but otherwise
 * ignored. Every problem is recorded as "file:line: key: reason"; a file with any problem must
 * be refused as a whole by the caller. */

#include <stdbool.h>
#include <stddef.h>

#define SIPR_CONFIG_LINE_MAX 8192
#define SIPR_CONFIG_FILE_MAX (16U * 1024U * 1024U)
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
        size_t n_unknown; /* entries with known == false */
        SiprConfigProblem *problems;
        size_t n_problems;    /* recorded */
        size_t n_problems_total;
        void *index; /* key → entry, private */
} SiprConfigFile;

/* Parses a buffer (may contain NULs; not NUL-terminated). Returns -ENOMEM only: syntax and value
 * errors are recorded in ->problems. */
int sipr_config_file_parse(const char *name, const char *data, size_t size, SiprConfigFile **ret);

/* Reads and parses path. A missing file returns -ENOENT (callers treat it as absent); other read
 * failures (a directory, too large, unreadable) return a file with one problem at line 0. */
int sipr_config_file_load(const char *path, SiprConfigFile **ret);

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
