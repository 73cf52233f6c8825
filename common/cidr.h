/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Address lists of the form "127.0.0.0/8,::1/128,192.168.1.20" (sipr.edge.allow). Pure: the
 * schema validates a value with it and sipr-regd matches the sources of edge requests. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CIDR_LIST_MAX 32 /* entries; more is a configuration error, not a silent cut */

typedef struct Cidr {
        int family; /* AF_INET or AF_INET6 */
        uint8_t addr[16];
        unsigned prefix; /* 0…32 or 0…128 */
} Cidr;

typedef struct CidrList {
        Cidr entries[CIDR_LIST_MAX];
        size_t n;
} CidrList;

/* Parses s; a bare address is a host (/32, /128); host bits below the prefix are ignored as
 * ip route does. 0 on success; -EINVAL with *ret_error (static text, may be NULL) naming the
 * fault and *ret_pos (may be NULL) the 1-based entry number. An empty list is invalid. */
int cidr_list_parse(const char *s, CidrList *ret, const char **ret_error, size_t *ret_pos);

/* Whether sa (AF_INET, AF_INET6; IPv4-mapped IPv6 counts as IPv4) is inside one entry. */
bool cidr_list_contains(const CidrList *l, const struct sockaddr *sa);
