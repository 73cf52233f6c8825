/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Raw DNS answers (as c-ares hands them over) → the records RFC 3263 needs, with TTLs.
 * Pure and bounded: the fuzz target feeds arbitrary bytes here. */

#include <stddef.h>
#include <stdint.h>

#include "rfc3263.h"

#define DNS_TTL_MAX 604800U /* cap, as RFC 8767 §4 suggests: one week */

/* Smallest TTL among the answer-section records (CNAMEs included). -EBADMSG when the message
 * is malformed, -ENOENT when the answer section is empty. */
int dns_answer_min_ttl(const uint8_t *buf, size_t len, uint32_t *ret);

/* The SRV records of an answer, each with the answer's min TTL. -ENOENT: none, -EBADMSG:
 * malformed. *ret_n may exceed RFC3263_SRV_MAX; the caller orders, then caps. */
int dns_answer_parse_srv(const uint8_t *buf, size_t len, Rfc3263Srv **ret, size_t *ret_n);
int dns_answer_parse_naptr(const uint8_t *buf, size_t len, Rfc3263Naptr **ret, size_t *ret_n);

/* Up to max addresses (family AF_INET or AF_INET6) in answer order, as text, and the TTL. */
int dns_answer_parse_addresses(const uint8_t *buf, size_t len, int family, char (*ret)[INET6_ADDRSTRLEN],
                               size_t max, size_t *ret_n, uint32_t *ret_ttl);
