/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-parser.h"
#include "config-schema.h"
#include "util.h"

static int file_add_problem(SiprConfigFile *f, unsigned line, const char *format, ...) _printf_(3, 4);

static int file_add_problem(SiprConfigFile *f, unsigned line, const char *format, ...) {
        SiprConfigProblem *p;
        va_list ap;
        char *msg;
        int r;

        f->n_problems_total++;
        if (f->n_problems >= SIPR_CONFIG_PROBLEMS_MAX)
                return 0;
        va_start(ap, format);
        r = vasprintf(&msg, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        p = realloc(f->problems, (f->n_problems + 1) * sizeof(*p));
        if (!p) {
                free(msg);
                return -ENOMEM;
        }
        f->problems = p;
        f->problems[f->n_problems++] = (SiprConfigProblem) { .line = line, .message = msg };
        return 0;
}

static int file_set(SiprConfigFile *f, char *key, char *value, unsigned line, bool known) {
        GHashTable *index = f->index;
        gpointer pos;

        /* A key given twice: the last line wins, as on the phones. */
        if (g_hash_table_lookup_extended(index, key, NULL, &pos)) {
                SiprConfigEntry *e = &f->entries[GPOINTER_TO_SIZE(pos)];

                free(e->value);
                e->value = value;
                e->line = line;
                free(key);
                return 0;
        }
        if (f->n_entries >= f->n_entries_alloc) {
                /* Doubling: growing by a fixed step copied the array once per step, quadratic
                 * in a file of 100 000s of lines (seconds of configd's loop under a sanitizer). */
                size_t na = MAX(f->n_entries_alloc * 2, (size_t) 64);
                SiprConfigEntry *n = realloc(f->entries, na * sizeof(*n));
                if (!n) {
                        free(key);
                        free(value);
                        return -ENOMEM;
                }
                f->entries = n;
                f->n_entries_alloc = na;
        }
        f->entries[f->n_entries] = (SiprConfigEntry) { .key = key, .value = value, .line = line, .known = known };
        g_hash_table_insert(index, key, GSIZE_TO_POINTER(f->n_entries));
        f->n_entries++;
        if (!known)
                f->n_unknown++;
        return 0;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

static int parse_line(SiprConfigFile *f, unsigned lineno, char *line, size_t len) {
        _cleanup_free_ char *norm = NULL, *error = NULL;
        const SiprConfigKey *k;
        const char *reason;
        char *eq, *key, *value, *end;
        int r;

        /* Trim both ends (the '\r' of CRLF included). */
        while (len > 0 && is_blank(line[len - 1]))
                line[--len] = 0;
        while (*line == ' ' || *line == '\t') {
                line++;
                len--;
        }
        if (len == 0 || line[0] == '#')
                return 0;

        eq = strchr(line, '=');
        if (!eq) {
                if (!sipr_config_text_valid(line, SIZE_MAX))
                        return file_add_problem(f, lineno,
                                                "not valid UTF-8 text (or contains control characters)");
                /* Quote the line to help find it, unless it may be a mistyped secret. */
                if (sipr_config_key_is_secret(line))
                        return file_add_problem(f, lineno, "not a comment and has no '=' (expected key = value; "
                                                "the line is not shown as it may hold a secret)");
                return file_add_problem(f, lineno, "'%.*s%s': not a comment and has no '=' (expected key = value)",
                                        (int) sipr_utf8_prefix_len(line, 40), line, len > 40 ? "…" : "");
        }
        end = eq;
        while (end > line && is_blank(end[-1]))
                end--;
        *end = 0;
        key = line;
        value = eq + 1;
        while (*value == ' ' || *value == '\t')
                value++;

        /* Which key a bad value belongs to is what helps find it; the value itself is not
         * quoted (it may be a secret, and it is not printable anyway). */
        if (!sipr_config_text_valid(key, SIZE_MAX))
                return file_add_problem(f, lineno,
                                        "key is not valid UTF-8 text (or contains control characters)");
        if (!sipr_config_text_valid(value, SIZE_MAX))
                return file_add_problem(f, lineno,
                                        "%s: value is not valid UTF-8 text (or contains control characters)",
                                        key);
        if (isempty(key))
                return file_add_problem(f, lineno, "missing key before '='");
        for (const char *p = key; *p; p++)
                if (*p == ' ' || *p == '\t')
                        return file_add_problem(f, lineno, "%s: key contains a blank", key);
        if (strlen(key) > 255)
                return file_add_problem(f, lineno, "key longer than 255 bytes");

        k = sipr_config_lookup(key, NULL, NULL, &reason);
        if (!k) {
                char *kd = strdup(key), *vd = strdup(value);

                if (!kd || !vd) {
                        free(kd);
                        free(vd);
                        return -ENOMEM;
                }
                return file_set(f, kd, vd, lineno, false);
        }

        if (isempty(value))
                norm = strdup(""); /* unset in this file */
        else {
                r = sipr_config_validate(k, key, value, &norm, &error);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return file_add_problem(f, lineno, "%s", error);
        }
        if (!norm)
                return -ENOMEM;
        key = strdup(key);
        if (!key)
                return -ENOMEM;
        return file_set(f, key, TAKE_PTR(norm), lineno, true);
}

int sipr_config_file_parse(const char *name, const char *data, size_t size, SiprConfigFile **ret) {
        SiprConfigFile *f;
        _cleanup_free_ char *buf = NULL;
        size_t pos = 0;
        unsigned lineno = 0;
        int r = 0;

        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->name = strdup(name ?: "(buffer)");
        f->index = g_hash_table_new(g_str_hash, g_str_equal);
        buf = malloc(SIPR_CONFIG_LINE_MAX + 1);
        if (!f->name || !buf) {
                sipr_config_file_free(f);
                return -ENOMEM;
        }

        /* A UTF-8 byte order mark from Windows editors is not part of the first key. */
        if (size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
                pos = 3;

        while (pos < size && r >= 0) {
                const char *nl = memchr(data + pos, '\n', size - pos);
                size_t len = nl ? (size_t) (nl - (data + pos)) : size - pos;

                lineno++;
                if (len > SIPR_CONFIG_LINE_MAX)
                        r = file_add_problem(f, lineno, "line is longer than %d bytes", SIPR_CONFIG_LINE_MAX);
                else if (memchr(data + pos, 0, len))
                        r = file_add_problem(f, lineno, "contains a NUL byte");
                else {
                        memcpy(buf, data + pos, len);
                        buf[len] = 0;
                        r = parse_line(f, lineno, buf, len);
                }
                pos += len + 1;
        }
        if (r < 0) {
                sipr_config_file_free(f);
                return r;
        }
        *ret = f;
        return 0;
}

int sipr_config_file_new_problem(const char *name, const char *message, SiprConfigFile **ret) {
        SiprConfigFile *f;
        int r;

        r = sipr_config_file_parse(name, "", 0, &f);
        if (r < 0)
                return r;
        r = file_add_problem(f, 0, "%s", message);
        if (r < 0) {
                sipr_config_file_free(f);
                return r;
        }
        *ret = f;
        return 0;
}

int sipr_config_file_load_fd(int fd, const char *name, SiprConfigFile **ret) {
        _cleanup_free_ char *data = NULL, *msg = NULL;
        struct stat st;
        size_t size = 0;
        int r, k;

        r = read_fd_full(fd, SIPR_CONFIG_FILE_MAX, &data, &size);
        if (r == -ENOMEM)
                return r;
        if (r >= 0) {
                r = sipr_config_file_parse(name, data, size, ret);
                if (r >= 0)
                        (*ret)->size = size;
                return r;
        }

        /* Present but unusable: that is a problem of this file, not "no file". */
        if (r == -EISDIR)
                k = asprintf(&msg, "is a directory, not a file");
        else if (r == -EBADFD && fstat(fd, &st) >= 0)
                k = asprintf(&msg, "is %s, not a regular file", inode_type_to_string(st.st_mode));
        else if (r == -EFBIG)
                k = asprintf(&msg, "file is larger than %u KiB, the most sipr reads",
                             SIPR_CONFIG_FILE_MAX / 1024);
        else
                k = asprintf(&msg, "cannot read: %s", strerror(-r));
        if (k < 0)
                return -ENOMEM;
        return sipr_config_file_new_problem(name, msg, ret);
}

int sipr_config_file_load(const char *path, SiprConfigFile **ret) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *msg = NULL;

        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT || errno == ENOMEM)
                        return -errno;
                if (asprintf(&msg, "cannot open: %s", strerror(errno)) < 0)
                        return -ENOMEM;
                return sipr_config_file_new_problem(path, msg, ret);
        }
        return sipr_config_file_load_fd(fd, path, ret);
}

SiprConfigFile *sipr_config_file_free(SiprConfigFile *f) {
        if (!f)
                return NULL;
        for (size_t i = 0; i < f->n_entries; i++) {
                free(f->entries[i].key);
                free(f->entries[i].value);
        }
        free(f->entries);
        for (size_t i = 0; i < f->n_problems; i++)
                free(f->problems[i].message);
        free(f->problems);
        if (f->index)
                g_hash_table_destroy(f->index);
        free(f->name);
        free(f);
        return NULL;
}

const char *sipr_config_file_get(const SiprConfigFile *f, const char *key) {
        gpointer pos;
        const SiprConfigEntry *e;

        if (!f || !g_hash_table_lookup_extended(f->index, key, NULL, &pos))
                return NULL;
        e = &f->entries[GPOINTER_TO_SIZE(pos)];
        if (!e->known || isempty(e->value))
                return NULL;
        if (streq(e->value, SIPR_CONFIG_NULL)) {
                const SiprConfigKey *k = sipr_config_lookup(key, NULL, NULL, NULL);
                return k ? k->def : "";
        }
        return e->value;
}

char *sipr_config_problem_format(const SiprConfigFile *f, size_t i) {
        char *s = NULL;

        if (i >= f->n_problems)
                return NULL;
        if (f->problems[i].line == 0)
                return asprintf(&s, "%s: %s", f->name, f->problems[i].message) < 0 ? NULL : s;
        return asprintf(&s, "%s:%u: %s", f->name, f->problems[i].line, f->problems[i].message) < 0 ? NULL : s;
}

char *sipr_config_file_error(const SiprConfigFile *f) {
        _cleanup_free_ char *first = NULL;
        char *s = NULL;

        if (!f || f->n_problems_total == 0)
                return NULL;
        first = sipr_config_problem_format(f, 0);
        if (!first)
                return NULL;
        if (f->n_problems_total == 1)
                return TAKE_PTR(first);
        return asprintf(&s, "%s (and %zu more problem%s)", first, f->n_problems_total - 1,
                        f->n_problems_total == 2 ? "" : "s") < 0 ? NULL : s;
}

static int compare_pairs(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

char *sipr_config_file_format(char **kv, const char *comment) {
        _cleanup_free_ char **sorted = NULL;
        size_t n = 0, len = 0;
        char *s = NULL;
        FILE *f;

        while (kv && kv[n * 2])
                n++;
        sorted = calloc(n + 1, 2 * sizeof(char *));
        if (!sorted)
                return NULL;
        memcpy(sorted, kv, n * 2 * sizeof(char *));
        /* Pairs sort as units: compare_pairs looks at the key of a 2-pointer element. */
        qsort(sorted, n, 2 * sizeof(char *), compare_pairs);

        f = open_memstream(&s, &len);
        if (!f)
                return NULL;
        fputs("#!version:1.0.0.1\n", f);
        if (comment)
                fprintf(f, "# %s\n", comment);
        for (size_t i = 0; i < n; i++)
                if (!isempty(sorted[i * 2 + 1]))
                        fprintf(f, "%s = %s\n", sorted[i * 2], sorted[i * 2 + 1]);
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}
