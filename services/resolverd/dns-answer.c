/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bytes → records in one call, over whichever implementation meson chose. */
#include <errno.h>

#include "dns-answer.h"

int dns_answer_min_ttl(const uint8_t *buf, size_t len, uint32_t *ret) {
        _cleanup_(dns_answer_freep) DnsAnswer *a = NULL;
        int r = dns_answer_new(buf, len, &a);

        return r < 0 ? r : dns_answer_ttl(a, ret);
}

bool dns_message_truncated(const uint8_t *buf, size_t len) {
        /* TC is in the header's third byte, which is all we read: the rest may be cut. */
        return buf && len >= DNS_HEADER_SIZE && (buf[2] & DNS_HEADER_FLAG_TC);
}

int dns_answer_parse_srv(const uint8_t *buf, size_t len, Rfc3263Srv **ret, size_t *ret_n) {
        _cleanup_(dns_answer_freep) DnsAnswer *a = NULL;
        int r = dns_answer_new(buf, len, &a);

        return r < 0 ? r : dns_answer_srv(a, ret, ret_n);
}

int dns_answer_parse_naptr(const uint8_t *buf, size_t len, Rfc3263Naptr **ret, size_t *ret_n) {
        _cleanup_(dns_answer_freep) DnsAnswer *a = NULL;
        int r = dns_answer_new(buf, len, &a);

        return r < 0 ? r : dns_answer_naptr(a, ret, ret_n);
}

int dns_answer_parse_addresses(const uint8_t *buf, size_t len, int family, char (*ret)[INET6_ADDRSTRLEN],
                               size_t max, size_t *ret_n, uint32_t *ret_ttl) {
        _cleanup_(dns_answer_freep) DnsAnswer *a = NULL;
        int r = dns_answer_new(buf, len, &a);

        return r < 0 ? r : dns_answer_addresses(a, family, ret, max, ret_n, ret_ttl);
}
