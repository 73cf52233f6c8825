/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "status-list.h"

static int fail(const char *why, size_t pos, const char **ret_error, size_t *ret_pos) {
        if (ret_error)
                *ret_error = why;
        if (ret_pos)
                *ret_pos = pos;
        return -EINVAL;
}

int status_list_parse(const char *s, StatusList *ret, const char **ret_error, size_t *ret_pos) {
        StatusList l = { .n = 0 };
        size_t pos = 0;

        if (ret_error)
                *ret_error = NULL;
        if (ret_pos)
                *ret_pos = 0;
        if (!s)
                return fail("no value", 0, ret_error, ret_pos);
        s += strspn(s, " ");
        if (*s == 0) {
                *ret = l;
                return 0;
        }
        for (;;) {
                unsigned code = 0;
                size_t digits = 0;

                pos++;
                s += strspn(s, " ");
                while (*s >= '0' && *s <= '9' && digits < 4) {
                        code = code * 10 + (unsigned) (*s++ - '0');
                        digits++;
                }
                s += strspn(s, " ");
                if (digits == 0)
                        return fail("expected a response code", pos, ret_error, ret_pos);
                if (digits != 3 || code < 300 || code > 699)
                        return fail("not a final error response code (300…699)", pos, ret_error, ret_pos);
                if (status_list_contains(&l, code))
                        return fail("listed twice", pos, ret_error, ret_pos);
                if (l.n == STATUS_LIST_MAX)
                        return fail("more than 16 codes", pos, ret_error, ret_pos);
                l.codes[l.n++] = (uint16_t) code;
                if (*s == 0)
                        break;
                if (*s != ',')
                        return fail("expected ',' after the code", pos, ret_error, ret_pos);
                s++;
        }
        *ret = l;
        return 0;
}

bool status_list_contains(const StatusList *l, unsigned code) {
        for (size_t i = 0; i < l->n; i++)
                if (l->codes[i] == code)
                        return true;
        return false;
}
