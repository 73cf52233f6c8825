/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "cidr.h"
#include "../test-check.h"

static bool has(const CidrList *l, const char *ip) {
        struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
        struct sockaddr_in s4 = {.sin_family = AF_INET};

        if (inet_pton(AF_INET, ip, &s4.sin_addr) == 1)
                return cidr_list_contains(l, (struct sockaddr *) &s4);
        check(inet_pton(AF_INET6, ip, &s6.sin6_addr) == 1);
        return cidr_list_contains(l, (struct sockaddr *) &s6);
}

static void test_default(void) {
        CidrList l;

        check(cidr_list_parse("127.0.0.0/8,::1/128", &l, NULL, NULL) == 0 && l.n == 2);
        check(has(&l, "127.0.0.1") && has(&l, "127.77.3.11") && has(&l, "::1"));
        check(!has(&l, "128.0.0.1") && !has(&l, "10.0.0.1") && !has(&l, "::2"));
        /* an IPv4 source seen on a dual-stack socket */
        check(has(&l, "::ffff:127.0.0.1") && !has(&l, "::ffff:10.0.0.1"));
}

static void test_forms(void) {
        CidrList l;

        /* a bare address is one host; blanks around entries; host bits ignored; odd prefixes */
        check(cidr_list_parse(" 192.168.1.20 , 10.1.2.3/12,fe80::/10,0.0.0.0/0", &l, NULL, NULL) == 0 &&
              l.n == 4);
        check(has(&l, "192.168.1.20") && has(&l, "10.15.255.255") && has(&l, "fe80::1") &&
              has(&l, "8.8.8.8"));
        check(!has(&l, "fec0::1"));
        check(cidr_list_parse("192.168.1.20", &l, NULL, NULL) == 0 && !has(&l, "192.168.1.21"));
        check(cidr_list_parse("10.0.0.0/9", &l, NULL, NULL) == 0 && has(&l, "10.127.0.1") &&
              !has(&l, "10.128.0.1"));
        check(cidr_list_parse("::/0", &l, NULL, NULL) == 0 && has(&l, "2001:db8::1") && !has(&l, "1.2.3.4"));
        check(!cidr_list_contains(&l, NULL));
}

static void test_bad(void) {
        const char *why = NULL;
        size_t pos = 0;
        CidrList l;
        char many[32 * 12 + 16] = "";

        check(cidr_list_parse("", &l, &why, &pos) == -EINVAL && why && strstr(why, "empty"));
        check(cidr_list_parse(NULL, &l, &why, &pos) == -EINVAL);
        check(cidr_list_parse("127.0.0.0/8,,::1", &l, &why, &pos) == -EINVAL && pos == 2 &&
              strstr(why, "empty"));
        check(cidr_list_parse("127.0.0.0/33", &l, &why, &pos) == -EINVAL && pos == 1 &&
              strstr(why, "prefix"));
        check(cidr_list_parse("::1/129", &l, &why, &pos) == -EINVAL && strstr(why, "prefix"));
        check(cidr_list_parse("127.0.0.0/", &l, &why, &pos) == -EINVAL && strstr(why, "prefix"));
        check(cidr_list_parse("127.0.0.0/8x", &l, &why, &pos) == -EINVAL && strstr(why, "prefix"));
        check(cidr_list_parse("127.0.0.0/-1", &l, &why, &pos) == -EINVAL);
        check(cidr_list_parse("::1,localhost", &l, &why, &pos) == -EINVAL && pos == 2 && strstr(why, "IP"));
        check(cidr_list_parse("1.2.3.4/8/8", &l, &why, &pos) == -EINVAL);
        check(l.n == 0); /* nothing half-parsed is left to match */
        for (int i = 0; i < 33; i++)
                strcat(many, i ? ",10.0.0.1" : "10.0.0.1");
        check(cidr_list_parse(many, &l, &why, &pos) == -EINVAL && pos == 33 && strstr(why, "too many"));
}

int main(void) {
        test_default();
        test_forms();
        test_bad();
        return 0;
}
