/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "cidr.h"

static int cidr_parse_one(const char *s, size_t len, Cidr *ret, const char **ret_error) {
        char buf[INET6_ADDRSTRLEN + 8];
        const char *slash;
        unsigned max, prefix;

        if (len == 0) {
                *ret_error = "empty entry";
                return -EINVAL;
        }
        if (len >= sizeof(buf)) {
                *ret_error = "entry too long";
                return -EINVAL;
        }
        memcpy(buf, s, len);
        buf[len] = 0;
        slash = strchr(buf, '/');
        if (slash)
                buf[slash - buf] = 0;

        *ret = (Cidr){};
        if (inet_pton(AF_INET, buf, ret->addr) == 1) {
                ret->family = AF_INET;
                max = 32;
        } else if (inet_pton(AF_INET6, buf, ret->addr) == 1) {
                ret->family = AF_INET6;
                max = 128;
        } else {
                *ret_error = "not an IP address";
                return -EINVAL;
        }
        prefix = max;
        if (slash) {
                const char *p = slash + 1;

                if (!*p || strlen(p) > 3) {
                        *ret_error = "bad prefix length";
                        return -EINVAL;
                }
                prefix = 0;
                for (; *p; p++) {
                        if (*p < '0' || *p > '9') {
                                *ret_error = "bad prefix length";
                                return -EINVAL;
                        }
                        prefix = prefix * 10 + (unsigned) (*p - '0');
                }
                if (prefix > max) {
                        *ret_error = "prefix length too long for the address family";
                        return -EINVAL;
                }
        }
        ret->prefix = prefix;
        return 0;
}

int cidr_list_parse(const char *s, CidrList *ret, const char **ret_error, size_t *ret_pos) {
        const char *err = NULL;
        size_t pos = 0;

        ret->n = 0;
        if (!s || !*s) {
                err = "empty list";
                goto fail;
        }
        for (const char *p = s;;) {
                const char *end = strchr(p, ',');
                size_t len = end ? (size_t) (end - p) : strlen(p);

                /* blanks around an entry are fine ("127.0.0.0/8, ::1") */
                while (len > 0 && (*p == ' ' || *p == '\t'))
                        p++, len--;
                while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
                        len--;
                pos++;
                if (ret->n >= CIDR_LIST_MAX) {
                        err = "too many entries (at most 32)";
                        goto fail;
                }
                if (cidr_parse_one(p, len, &ret->entries[ret->n], &err) < 0)
                        goto fail;
                ret->n++;
                if (!end)
                        break;
                p = end + 1;
        }
        return 0;
fail:
        if (ret_error)
                *ret_error = err;
        if (ret_pos)
                *ret_pos = pos;
        ret->n = 0;
        return -EINVAL;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits) {
        unsigned bytes = bits / 8, rest = bits % 8;

        if (memcmp(a, b, bytes) != 0)
                return false;
        if (rest == 0)
                return true;
        uint8_t mask = (uint8_t) (0xff << (8 - rest));
        return (a[bytes] & mask) == (b[bytes] & mask);
}

bool cidr_list_contains(const CidrList *l, const struct sockaddr *sa) {
        uint8_t addr[16];
        int family;

        if (!l || !sa)
                return false;
        if (sa->sa_family == AF_INET) {
                family = AF_INET;
                memcpy(addr, &((const struct sockaddr_in *) sa)->sin_addr, 4);
        } else if (sa->sa_family == AF_INET6) {
                const struct in6_addr *a6 = &((const struct sockaddr_in6 *) sa)->sin6_addr;
                if (IN6_IS_ADDR_V4MAPPED(a6)) {
                        family = AF_INET;
                        memcpy(addr, a6->s6_addr + 12, 4);
                } else {
                        family = AF_INET6;
                        memcpy(addr, a6->s6_addr, 16);
                }
        } else
                return false;

        for (size_t i = 0; i < l->n; i++)
                if (l->entries[i].family == family &&
                    prefix_match(addr, l->entries[i].addr, l->entries[i].prefix))
                        return true;
        return false;
}
