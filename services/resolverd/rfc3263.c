/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rfc3263.h"

static const char *const transport_names[_RFC3263_TRANSPORT_MAX] = {
        [RFC3263_TRANSPORT_UDP] = "udp",
        [RFC3263_TRANSPORT_TCP] = "tcp",
        [RFC3263_TRANSPORT_TLS] = "tls",
};

const char *rfc3263_transport_to_string(Rfc3263Transport t) {
        if (t < 0 || t >= _RFC3263_TRANSPORT_MAX)
                return "";
        return transport_names[t];
}

int rfc3263_transport_from_string(const char *s, Rfc3263Transport *ret) {
        if (isempty(s)) {
                *ret = RFC3263_TRANSPORT_ANY;
                return 0;
        }
        for (int t = 0; t < _RFC3263_TRANSPORT_MAX; t++)
                if (strcasecmp(s, transport_names[t]) == 0) {
                        *ret = t;
                        return 0;
                }
        return -EINVAL;
}

uint16_t rfc3263_default_port(Rfc3263Transport t) {
        return t == RFC3263_TRANSPORT_TLS ? 5061 : 5060;
}

const char *rfc3263_srv_prefix(Rfc3263Transport t) {
        switch (t) {
        case RFC3263_TRANSPORT_TCP:
                return "_sip._tcp";
        case RFC3263_TRANSPORT_TLS:
                return "_sips._tcp";
        default:
                return "_sip._udp";
        }
}

int rfc3263_naptr_service_transport(const char *service) {
        if (!service)
                return -1;
        if (strcasecmp(service, "SIP+D2U") == 0)
                return RFC3263_TRANSPORT_UDP;
        if (strcasecmp(service, "SIP+D2T") == 0)
                return RFC3263_TRANSPORT_TCP;
        if (strcasecmp(service, "SIPS+D2T") == 0)
                return RFC3263_TRANSPORT_TLS;
        return -1;
}

int rfc3263_parse_ip_literal(const char *host, char ret[static INET6_ADDRSTRLEN]) {
        char buf[INET6_ADDRSTRLEN + 2];
        unsigned char bin[sizeof(struct in6_addr)];
        size_t len;

        if (!host)
                return 0;
        len = strlen(host);
        if (len == 0 || len >= sizeof(buf))
                return 0;

        if (host[0] == '[') {
                if (len < 3 || host[len - 1] != ']')
                        return 0;
                memcpy(buf, host + 1, len - 2);
                buf[len - 2] = 0;
                if (inet_pton(AF_INET6, buf, bin) != 1)
                        return 0;
                inet_ntop(AF_INET6, bin, ret, INET6_ADDRSTRLEN);
                return AF_INET6;
        }
        if (inet_pton(AF_INET, host, bin) == 1) {
                inet_ntop(AF_INET, bin, ret, INET6_ADDRSTRLEN);
                return AF_INET;
        }
        if (inet_pton(AF_INET6, host, bin) == 1) {
                inet_ntop(AF_INET6, bin, ret, INET6_ADDRSTRLEN);
                return AF_INET6;
        }
        return 0;
}

static int reason(char **ret_reason, const char *fmt, ...) _printf_(2, 3);
static int reason(char **ret_reason, const char *fmt, ...) {
        va_list ap;
        char *s = NULL;

        if (ret_reason) {
                va_start(ap, fmt);
                if (vasprintf(&s, fmt, ap) < 0)
                        s = NULL;
                va_end(ap);
                *ret_reason = s;
        }
        return -EINVAL;
}

static bool is_ldh(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

int rfc3263_validate_host(const char *host, char **ret_normalized, char **ret_reason) {
        size_t len, label_start = 0;
        unsigned label_no = 1;
        char *n;

        if (ret_reason)
                *ret_reason = NULL;
        if (isempty(host))
                return reason(ret_reason, "host name is empty");
        len = strnlen(host, RFC3263_HOST_MAX + 2);
        if (len > 1 && host[len - 1] == '.')
                len--;
        if (len > RFC3263_HOST_MAX)
                return reason(ret_reason, "host name is longer than %d characters", RFC3263_HOST_MAX);
        if (len == 1 && host[0] == '.')
                return reason(ret_reason, "host name \".\" is the DNS root, not a host");

        for (size_t i = 0; i <= len; i++) {
                char c = i < len ? host[i] : '.';

                if (c == '.') {
                        size_t l = i - label_start;

                        if (l == 0)
                                return reason(ret_reason, "label %u of host name \"%.*s\" is empty", label_no,
                                              (int) len, host);
                        if (l > RFC3263_LABEL_MAX)
                                return reason(ret_reason, "label %u of host name is %zu characters long (at most %d)",
                                              label_no, l, RFC3263_LABEL_MAX);
                        if (host[label_start] == '-' || host[i - 1] == '-')
                                return reason(ret_reason, "label %u \"%.*s\" of host name \"%.*s\" starts or ends with '-'",
                                              label_no, (int) l, host + label_start, (int) len, host);
                        label_start = i + 1;
                        label_no++;
                        continue;
                }
                if (!is_ldh(c)) {
                        if ((unsigned char) c < 0x20 || (unsigned char) c >= 0x7f)
                                return reason(ret_reason, "host name has an invalid byte 0x%02x at position %zu (letters, digits, '-' and '.' only)",
                                              (unsigned char) c, i + 1);
                        return reason(ret_reason, "host name \"%.*s\" has an invalid character '%c' at position %zu (letters, digits, '-' and '.' only)",
                                      (int) len, host, c, i + 1);
                }
        }

        if (ret_normalized) {
                n = strndup(host, len);
                if (!n)
                        return -ENOMEM;
                for (char *p = n; *p; p++)
                        if (*p >= 'A' && *p <= 'Z')
                                *p = (char) (*p - 'A' + 'a');
                *ret_normalized = n;
        }
        return 0;
}

static bool srv_is_dot(const Rfc3263Srv *s) {
        return isempty(s->target) || streq(s->target, ".");
}

static int srv_cmp_priority(const void *a, const void *b) {
        const Rfc3263Srv *x = a, *y = b;

        /* Ties keep answer order (see the index trick in rfc3263_order_srv). */
        if (x->priority != y->priority)
                return x->priority < y->priority ? -1 : 1;
        return 0;
}

size_t rfc3263_order_srv(Rfc3263Srv *srv, size_t n, Rfc3263RandomFunc rnd, void *userdata) {
        size_t kept = 0;

        /* Drop "." targets to the end, keeping the order of the rest. */
        for (size_t i = 0; i < n; i++)
                if (!srv_is_dot(&srv[i])) {
                        Rfc3263Srv t = srv[i];
                        memmove(&srv[kept + 1], &srv[kept], (i - kept) * sizeof(Rfc3263Srv));
                        srv[kept++] = t;
                }

        /* Stable sort by priority: insertion sort, n is bounded by the answer size. */
        for (size_t i = 1; i < kept; i++) {
                Rfc3263Srv t = srv[i];
                size_t j = i;
                while (j > 0 && srv_cmp_priority(&srv[j - 1], &t) > 0) {
                        srv[j] = srv[j - 1];
                        j--;
                }
                srv[j] = t;
        }

        /* RFC 2782: within each priority, weight 0 first, then repeatedly pick the first record
         * whose running weight sum reaches a random number in [0, total]. */
        for (size_t start = 0; start < kept;) {
                size_t end = start;
                while (end < kept && srv[end].priority == srv[start].priority)
                        end++;

                /* Weight-0 records to the front of the group, stable. */
                size_t z = start;
                for (size_t i = start; i < end; i++)
                        if (srv[i].weight == 0) {
                                Rfc3263Srv t = srv[i];
                                memmove(&srv[z + 1], &srv[z], (i - z) * sizeof(Rfc3263Srv));
                                srv[z++] = t;
                        }

                for (size_t pos = start; pos + 1 < end; pos++) {
                        uint64_t total = 0, pick, sum = 0;
                        size_t chosen = pos;

                        for (size_t i = pos; i < end; i++)
                                total += srv[i].weight;
                        pick = rnd ? rnd(total + 1, userdata) : 0;
                        if (pick > total)
                                pick = total;
                        for (size_t i = pos; i < end; i++) {
                                sum += srv[i].weight;
                                if (sum >= pick) {
                                        chosen = i;
                                        break;
                                }
                        }
                        /* Move the chosen one to pos; the rest keep their relative order, so the
                         * weight-0 records stay at the front of what is left. */
                        Rfc3263Srv t = srv[chosen];
                        memmove(&srv[pos + 1], &srv[pos], (chosen - pos) * sizeof(Rfc3263Srv));
                        srv[pos] = t;
                }
                start = end;
        }
        return kept;
}

static bool naptr_usable(const Rfc3263Naptr *r) {
        return r->flags && strcasecmp(r->flags, "s") == 0 && rfc3263_naptr_service_transport(r->service) >= 0 &&
               !isempty(r->replacement) && !streq(r->replacement, ".");
}

size_t rfc3263_filter_naptr(Rfc3263Naptr *naptr, size_t n) {
        size_t kept = 0;

        for (size_t i = 0; i < n; i++)
                if (naptr_usable(&naptr[i])) {
                        Rfc3263Naptr t = naptr[i];
                        memmove(&naptr[kept + 1], &naptr[kept], (i - kept) * sizeof(Rfc3263Naptr));
                        naptr[kept++] = t;
                }

        for (size_t i = 1; i < kept; i++) {
                Rfc3263Naptr t = naptr[i];
                size_t j = i;
                while (j > 0 && (naptr[j - 1].order > t.order ||
                                 (naptr[j - 1].order == t.order && naptr[j - 1].preference > t.preference))) {
                        naptr[j] = naptr[j - 1];
                        j--;
                }
                naptr[j] = t;
        }
        return kept;
}

void rfc3263_srv_free_many(Rfc3263Srv *srv, size_t n) {
        if (!srv)
                return;
        for (size_t i = 0; i < n; i++)
                free(srv[i].target);
        free(srv);
}

void rfc3263_naptr_free_many(Rfc3263Naptr *naptr, size_t n) {
        if (!naptr)
                return;
        for (size_t i = 0; i < n; i++) {
                free(naptr[i].flags);
                free(naptr[i].service);
                free(naptr[i].replacement);
        }
        free(naptr);
}
