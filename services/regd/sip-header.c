/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "sip-header.h"

char *sip_display_quote(const char *s) {
        size_t n = 0;
        char *out, *p;

        if (!s)
                s = "";
        for (const char *c = s; *c; c++)
                n += (*c == '"' || *c == '\\') ? 2 : 1;
        out = malloc(n + 3);
        if (!out)
                return NULL;
        p = out;
        *p++ = '"';
        for (const char *c = s; *c; c++) {
                if (*c == '"' || *c == '\\')
                        *p++ = '\\';
                *p++ = *c;
        }
        *p++ = '"';
        *p = 0;
        return out;
}

/* RFC 3261 25.1: unreserved = alphanum / mark; user-unreserved = & = + $ , ; ? / */
static int user_char_plain(unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               strchr("-_.!~*'()&=+$,;?/", c) != NULL;
}

char *sip_user_escape(const char *s) {
        static const char hex[] = "0123456789ABCDEF";
        size_t n = 0;
        char *out, *p;

        if (!s)
                s = "";
        for (const unsigned char *c = (const unsigned char *) s; *c; c++)
                n += user_char_plain(*c) ? 1 : 3;
        out = malloc(n + 1);
        if (!out)
                return NULL;
        p = out;
        for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
                if (user_char_plain(*c)) {
                        *p++ = (char) *c;
                        continue;
                }
                *p++ = '%';
                *p++ = hex[*c >> 4];
                *p++ = hex[*c & 15];
        }
        *p = 0;
        return out;
}
