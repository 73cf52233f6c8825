/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "status-list.h"
#include "../test-check.h"

static void test_forms(void) {
        StatusList l;

        check(status_list_parse("408,503", &l, NULL, NULL) == 0 && l.n == 2);
        check(status_list_contains(&l, 408) && status_list_contains(&l, 503) && !status_list_contains(&l, 500));
        check(status_list_parse(" 500 , 502,504 ", &l, NULL, NULL) == 0 && l.n == 3);
        check(status_list_contains(&l, 502) && !status_list_contains(&l, 503));
        check(status_list_parse("", &l, NULL, NULL) == 0 && l.n == 0);
        check(status_list_parse("300,699", &l, NULL, NULL) == 0 && l.n == 2);
        check(status_list_parse("408,410,480,486,487,488,491,493,500,501,502,503,504,505,513,580", &l, NULL,
                                NULL) == 0 &&
              l.n == 16);
}

static void test_errors(void) {
        StatusList l = { .n = 7 };
        const char *why;
        size_t pos;

        check(status_list_parse("408,200", &l, &why, &pos) == -EINVAL && pos == 2 && strstr(why, "300…699"));
        check(l.n == 7); /* untouched on failure */
        check(status_list_parse("408,,503", &l, &why, &pos) == -EINVAL && pos == 2 && strstr(why, "expected"));
        check(status_list_parse("408,", &l, &why, &pos) == -EINVAL && pos == 2);
        check(status_list_parse("4080", &l, &why, &pos) == -EINVAL && pos == 1);
        check(status_list_parse("40", &l, &why, &pos) == -EINVAL && pos == 1);
        check(status_list_parse("700", &l, &why, &pos) == -EINVAL && pos == 1);
        check(status_list_parse("503;408", &l, &why, &pos) == -EINVAL && pos == 1 && strstr(why, "','"));
        check(status_list_parse("503,503", &l, &why, &pos) == -EINVAL && pos == 2 && strstr(why, "twice"));
        check(status_list_parse("abc", &l, &why, &pos) == -EINVAL && pos == 1);
        check(status_list_parse("408,410,480,486,487,488,491,493,500,501,502,503,504,505,513,580,600", &l, &why,
                                &pos) == -EINVAL &&
              pos == 17);
        check(status_list_parse(NULL, &l, &why, &pos) == -EINVAL);
}

int main(void) {
        test_forms();
        test_errors();
        return 0;
}
