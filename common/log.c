/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

static int log_max_level = LOG_INFO;
static const char *log_prefix;
static bool log_console;

static const char *const level_names[] = {
        "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

void log_set_max_level(int level) {
        log_max_level = level;
}

void log_set_prefix(const char *prefix) {
        log_prefix = prefix;
}

void log_set_target_console(bool console) {
        log_console = console;
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

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) {
        int saved = errno;
        char buf[2048];
        va_list ap;

        if (error < 0)
                error = -error;
        if ((level & LOG_PRIMASK) > log_max_level) {
                errno = saved;
                return -error;
        }

        /* %m in the format refers to the error we were given. */
        errno = error;
        va_start(ap, format);
        vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);

        /* One write per line, so lines from several processes never interleave. */
        if (log_console)
                fprintf(stderr, "%s%s%s\n", log_prefix ?: "", log_prefix ? ": " : "", buf);
        else
                fprintf(stderr, "<%d>%s\n", level & LOG_PRIMASK, buf);
        (void) file, (void) line, (void) func;

        errno = saved;
        return -error;
}
