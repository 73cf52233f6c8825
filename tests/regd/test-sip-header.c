/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Configuration text made safe for SIP headers: display names quoted, user parts %-escaped, and
 * what comes out parses back with sofia-sip to what went in. */
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>

#include "macro.h"
#include "sip-header.h"
#include "../test-check.h"

static void expect_quote(const char *in, const char *want) {
        char *q = sip_display_quote(in);
        check(q && streq(q, want));
        free(q);
}

static void expect_escape(const char *in, const char *want) {
        char *e = sip_user_escape(in);
        check(e && streq(e, want));
        free(e);
}

/* The From header sip.c would build parses, and gives back the display name and user. */
static void round_trip(const char *display, const char *user) {
        su_home_t *home = su_home_new(sizeof(su_home_t));
        char *q = sip_display_quote(display), *u = sip_user_escape(user);
        char *from = su_sprintf(home, "%s <sip:%s@lab.test>;tag=abc", q, u);
        sip_from_t *f = sip_from_make(home, from);
        char *back_user, *back_display;

        check(f && f->a_display && f->a_url->url_user);
        back_display = su_strdup(home, f->a_display);
        msg_unquote(back_display, back_display);
        check(streq(back_display, display));
        back_user = su_strdup(home, f->a_url->url_user);
        back_user[url_unescape_to(back_user, back_user, strlen(back_user))] = 0;
        check(streq(back_user, user));
        free(q);
        free(u);
        su_home_unref(home);
}

int main(void) {
        char *longuser = malloc(1025);

        expect_quote("Alice", "\"Alice\"");
        expect_quote("", "\"\"");
        expect_quote(NULL, "\"\"");
        expect_quote("Al\"ice \\", "\"Al\\\"ice \\\\\"");
        expect_quote("Zoë", "\"Zoë\"");

        expect_escape("1001", "1001");
        expect_escape("alice.smith-2_(x)", "alice.smith-2_(x)");
        expect_escape("a&b=c+d$e,f;g?h/i", "a&b=c+d$e,f;g?h/i");
        expect_escape("a b", "a%20b");
        expect_escape("a@b:c", "a%40b%3Ac");
        expect_escape("<\">%#", "%3C%22%3E%25%23");
        expect_escape("zoë", "zo%C3%AB");

        round_trip("Al\"ice \\", "a b@c");
        round_trip("Zoë \"the\" \\best\\", "zoë;x=1");
        round_trip("", "1001");

        /* the longest value the schema accepts: 1024 bytes, escaped 3 KB, still one header */
        memset(longuser, '@', 1024);
        longuser[1024] = 0;
        round_trip(longuser, longuser);
        free(longuser);
        return 0;
}
