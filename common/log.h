/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include "macro.h"

/* Logging. Under systemd (stderr connected to journald, $JOURNAL_STREAM) every line goes to the
 * journal natively, with PRIORITY=, CODE_*= and, for log_struct(), MESSAGE_ID= and SIPR_*= fields;
 * elsewhere it is one line on stderr with a "<N>" syslog priority prefix (or, on a terminal, the
 * program name). Callers never pass secrets: config values go through
 * sipr_config_value_for_log() (config-schema.h), which masks them. */

typedef enum LogTarget {
        LOG_TARGET_AUTO,    /* journal when stderr is journald's stream, else console */
        LOG_TARGET_CONSOLE, /* stderr */
        LOG_TARGET_JOURNAL, /* sd_journal_send(); stderr when journald cannot be reached */
        LOG_TARGET_NULL,
        _LOG_TARGET_MAX,
        _LOG_TARGET_INVALID = -EINVAL,
} LogTarget;

void log_set_max_level(int level);
int log_get_max_level(void);
int log_level_from_string(const char *s);   /* "debug".."emerg" or 0..7; -EINVAL */
const char *log_level_to_string(int level); /* "debug".."emerg"; NULL when out of range */
void log_set_prefix(const char *prefix);    /* program name: terminals, SYSLOG_IDENTIFIER= */
const char *log_get_prefix(void);
void log_set_target_console(bool console);  /* true: no <N> prefix, add program name */
void log_set_target(LogTarget target);
LogTarget log_get_target(void);
const char *log_target_to_string(LogTarget target);
LogTarget log_target_from_string(const char *s);

/* A journal field of a structured entry: NAME must be a valid journal field name (upper case,
 * digits, '_'); a NULL value leaves the field out. */
typedef struct LogField {
        const char *name;
        const char *value;
} LogField;

/* LOG_FIELDS(LOG_FIELD("SIPR_SERVER", uri), LOG_FIELD_UINT("SIPR_ACCOUNT", 1)) */
#define LOG_FIELDS(...) ((const LogField[]) { __VA_ARGS__, { NULL, NULL } })
#define LOG_FIELD(n, v) { (n), (v) }
/* The number is formatted into a buffer that lives as long as the enclosing block. */
#define LOG_FIELD_UINT(n, u) { (n), log_format_uint((char[24]) {}, (uint64_t) (u)) }
const char *log_format_uint(char buf[static 24], uint64_t u);

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) _printf_(6, 7);
/* message_id: 32 hex digits (sipr-messages.h) or NULL; fields ends with { NULL, NULL } (LOG_FIELDS). */
int log_struct_internal(int level, int error, const char *file, int line, const char *func,
                        const char *message_id, const LogField *fields, const char *format, ...)
        _printf_(8, 9);

/* Every log_*_errno() returns -abs(error), so "return log_error_errno(r, ...)" works. */
#define log_full_errno(level, error, ...) \
        log_internal((level), (error), __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_full(level, ...) (void) log_full_errno((level), 0, __VA_ARGS__)

/* One event an operator may look for: log_struct(LOG_WARNING, SIPR_MESSAGE_FAILOVER,
 * LOG_FIELDS(...), "format", ...). The plain line is the same as log_full()'s. */
#define log_struct(level, message_id, fields, ...) \
        (void) log_struct_internal((level), 0, __FILE__, __LINE__, __func__, (message_id), (fields), __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(error, ...) log_full_errno(LOG_DEBUG, error, __VA_ARGS__)
#define log_info_errno(error, ...) log_full_errno(LOG_INFO, error, __VA_ARGS__)
#define log_notice_errno(error, ...) log_full_errno(LOG_NOTICE, error, __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, error, __VA_ARGS__)
#define log_error_errno(error, ...) log_full_errno(LOG_ERR, error, __VA_ARGS__)

#define log_oom() log_error_errno(ENOMEM, "Out of memory.")
