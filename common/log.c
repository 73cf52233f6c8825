/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
/* CODE_FILE= etc. are the caller's, which we pass ourselves, not log.c's */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "log.h"

/* The journal entry's fixed fields (MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, CODE_*, ERRNO,
 * MESSAGE_ID) plus what log_struct() adds. */
#define LOG_FIELDS_MAX 16

static int log_max_level = LOG_INFO;
static const char *log_prefix;
static bool log_console;
static LogTarget log_target = LOG_TARGET_AUTO;
static int journal_stream = -1; /* stderr is journald's stream: -1 not checked yet, 0 no, 1 yes */

static const char *const level_names[] = {
        "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

static const char *const target_names[_LOG_TARGET_MAX] = {
        [LOG_TARGET_AUTO] = "auto",
        [LOG_TARGET_CONSOLE] = "console",
        [LOG_TARGET_JOURNAL] = "journal",
        [LOG_TARGET_NULL] = "null",
};

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_get_max_level(void) {
        return log_max_level;
}

void log_set_prefix(const char *prefix) {
        log_prefix = prefix;
}

const char *log_get_prefix(void) {
        return log_prefix;
}

void log_set_target_console(bool console) {
        log_console = console;
}

void log_set_target(LogTarget target) {
        if (target >= 0 && target < _LOG_TARGET_MAX)
                log_target = target;
}

LogTarget log_get_target(void) {
        return log_target;
}

const char *log_target_to_string(LogTarget target) {
        return target >= 0 && target < _LOG_TARGET_MAX ? target_names[target] : NULL;
}

LogTarget log_target_from_string(const char *s) {
        for (int i = 0; s && i < _LOG_TARGET_MAX; i++)
                if (strcmp(s, target_names[i]) == 0)
                        return (LogTarget) i;
        /* systemd's names for the same thing, so "systemctl service-log-target X journal-or-kmsg" works */
        if (s && strcmp(s, "journal-or-kmsg") == 0)
                return LOG_TARGET_JOURNAL;
        return _LOG_TARGET_INVALID;
}

int log_level_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
                if (strcasecmp(s, level_names[i]) == 0)
                        return (int) i;
        if (strcasecmp(s, "error") == 0)
                return LOG_ERR;
        if (strcasecmp(s, "warn") == 0)
                return LOG_WARNING;
        if (s[0] >= '0' && s[0] <= '7' && s[1] == 0)
                return s[0] - '0';
        return -EINVAL;
}

const char *log_level_to_string(int level) {
        return level >= 0 && level < (int) ELEMENTSOF(level_names) ? level_names[level] : NULL;
}

const char *log_format_uint(char buf[static 24], uint64_t u) {
        snprintf(buf, 24, "%" PRIu64, u);
        return buf;
}

/* systemd sets $JOURNAL_STREAM to "DEV:INODE" of the stream it connected stderr to; a stderr
 * redirected since (a test's log file) does not match. */
static bool stderr_is_journal(void) {
        const char *e;
        unsigned long long dev, ino;
        struct stat st;

        if (journal_stream >= 0)
                return journal_stream;
        journal_stream = 0;
        e = getenv("JOURNAL_STREAM");
        if (e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
            (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino)
                journal_stream = 1;
        return journal_stream;
}

static bool use_journal(void) {
        return log_target == LOG_TARGET_JOURNAL || (log_target == LOG_TARGET_AUTO && stderr_is_journal());
}

static void iov_add(struct iovec *iov, size_t *n, char *s) {
        if (s && *n < LOG_FIELDS_MAX)
                iov[(*n)++] = (struct iovec) { .iov_base = s, .iov_len = strlen(s) };
}

/* 0 when journald took the entry; negative errno otherwise (the caller falls back to stderr). */
static int write_journal(int level, int error, const char *file, int line, const char *func,
                         const char *message_id, const LogField *fields, const char *message) {
        struct iovec iov[LOG_FIELDS_MAX];
        char *owned[LOG_FIELDS_MAX] = {};
        size_t n = 0, k = 0;
        int r = -ENOMEM;

#define ADD(...)                                                           \
        do {                                                               \
                if (k < LOG_FIELDS_MAX && asprintf(&owned[k], __VA_ARGS__) >= 0) \
                        iov_add(iov, &n, owned[k++]);                      \
                else                                                       \
                        goto finish;                                       \
        } while (0)
        ADD("MESSAGE=%s", message);
        ADD("PRIORITY=%i", level & LOG_PRIMASK);
        if (log_prefix)
                ADD("SYSLOG_IDENTIFIER=%s", log_prefix);
        if (message_id)
                ADD("MESSAGE_ID=%s", message_id);
        if (error > 0)
                ADD("ERRNO=%i", error);
        ADD("CODE_FILE=%s", file);
        ADD("CODE_LINE=%i", line);
        ADD("CODE_FUNC=%s", func);
        for (const LogField *f = fields; f && f->name; f++)
                if (f->value)
                        ADD("%s=%s", f->name, f->value);
#undef ADD
        r = sd_journal_sendv(iov, (int) n);
finish:
        for (size_t i = 0; i < k; i++)
                free(owned[i]);
        return r;
}

static int log_dispatch(int level, int error, const char *file, int line, const char *func,
                        const char *message_id, const LogField *fields, const char *format, va_list ap) {
        int saved = errno;
        char buf[2048];

        if (error < 0)
                error = -error;
        if ((level & LOG_PRIMASK) > log_max_level || log_target == LOG_TARGET_NULL) {
                errno = saved;
                return -error;
        }

        /* %m in the format refers to the error we were given. */
        errno = error;
        vsnprintf(buf, sizeof(buf), format, ap);

        if (!use_journal() || write_journal(level, error, file, line, func, message_id, fields, buf) < 0) {
                /* One write per line, so lines from several processes never interleave. */
                if (log_console)
                        fprintf(stderr, "%s%s%s\n", log_prefix ?: "", log_prefix ? ": " : "", buf);
                else
                        fprintf(stderr, "<%d>%s\n", level & LOG_PRIMASK, buf);
        }

        errno = saved;
        return -error;
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = log_dispatch(level, error, file, line, func, NULL, NULL, format, ap);
        va_end(ap);
        return r;
}

int log_struct_internal(int level, int error, const char *file, int line, const char *func,
                        const char *message_id, const LogField *fields, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = log_dispatch(level, error, file, line, func, message_id, fields, format, ap);
        va_end(ap);
        return r;
}
