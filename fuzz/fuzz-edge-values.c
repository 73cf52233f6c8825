/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzzes the parsers of the edge's configuration values: sipr.edge.allow (CIDR lists) and
 * account.X.edge.contact (SIP URIs). Invariants: a list that parses has 1…CIDR_LIST_MAX entries
 * with prefixes inside their family, a refused one says why and where and leaves nothing to
 * match; each accepted entry contains its own address; the schema accepts exactly what the
 * parsers accept. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "config-schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const SiprConfigKey *allow = sipr_config_lookup("sipr.edge.allow", NULL, NULL, NULL);
        const SiprConfigKey *contact = sipr_config_lookup("account.1.edge.contact", NULL, NULL, NULL);
        char *s = malloc(size + 1), *err = NULL;
        const char *why = NULL;
        size_t pos = 0;
        CidrList l;
        int r;

        if (!s || !allow || !contact)
                abort();
        memcpy(s, data, size);
        s[size] = 0; /* a NUL inside ends the value, as it would in a file */

        r = cidr_list_parse(s, &l, &why, &pos);
        if (r == 0) {
                if (l.n == 0 || l.n > CIDR_LIST_MAX)
                        abort();
                for (size_t i = 0; i < l.n; i++) {
                        const Cidr *c = &l.entries[i];
                        union {
                                struct sockaddr sa;
                                struct sockaddr_in in;
                                struct sockaddr_in6 in6;
                        } a = {};
                        if (c->family == AF_INET) {
                                if (c->prefix > 32)
                                        abort();
                                a.in.sin_family = AF_INET;
                                memcpy(&a.in.sin_addr, c->addr, 4);
                        } else if (c->family == AF_INET6) {
                                if (c->prefix > 128)
                                        abort();
                                a.in6.sin6_family = AF_INET6;
                                memcpy(&a.in6.sin6_addr, c->addr, 16);
                        } else
                                abort();
                        if (!cidr_list_contains(&l, &a.sa))
                                abort();
                }
        } else if (!why || l.n != 0)
                abort();

        /* the schema's validator agrees with the parser (blank-edged values aside: the file format
         * cannot carry them, so the schema refuses them first) */
        size_t len = strlen(s);
        /* %NULL% is Yealink's explicit "unset", valid for every key */
        bool edged = (len > 0 && (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t')) ||
                     strcmp(s, SIPR_CONFIG_NULL) == 0;
        r = sipr_config_validate(allow, "sipr.edge.allow", s, NULL, &err);
        if (!edged && len == size && (r == 0) != (cidr_list_parse(s, &l, NULL, NULL) == 0))
                abort();
        if (r < 0 && !err)
                abort();
        free(err);
        err = NULL;

        r = sipr_config_validate(contact, "account.1.edge.contact", s, NULL, &err);
        if (!edged && r == 0 && *s && !sipr_sip_uri_valid(s))
                abort();
        if (r < 0 && !err)
                abort();
        free(err);
        free(s);
        return 0;
}
