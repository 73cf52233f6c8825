/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Lists of SIP final response codes, "408,503,500" (account.X.sip_server.Y.failover_codes): the
 * answers that mean "try the next server". Pure: the schema validates a value with it, sipr-regd
 * matches responses against it. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATUS_LIST_MAX 16

typedef struct StatusList {
        uint16_t codes[STATUS_LIST_MAX];
        size_t n;
} StatusList;

/* Parses s: codes 300…699, separated by commas (spaces around them allowed), no duplicates; ""
 * is an empty list (nothing but local failures moves on). 0 on success; -EINVAL with *ret_error
 * (static text, may be NULL) and *ret_pos (1-based entry, may be NULL). */
int status_list_parse(const char *s, StatusList *ret, const char **ret_error, size_t *ret_pos);

bool status_list_contains(const StatusList *l, unsigned code);
