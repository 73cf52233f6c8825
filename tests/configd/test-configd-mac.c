/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "configd-mac.h"
#include "macro.h"

#define assert_se(x) do { if (!(x)) { fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #x); abort(); } } while (0)

static void ok(const char *in, const char *out) {
        char mac[13];

        assert_se(mac_normalize(in, mac) == 0);
        assert_se(streq(mac, out));
}

static void bad(const char *in) {
        char mac[13];

        assert_se(mac_normalize(in, mac) == -EINVAL);
}

int main(void) {
        char mac[13];
        int r;

        ok("001565aabbcc", "001565aabbcc");
        ok("001565AABBCC", "001565aabbcc");
        ok("00:15:65:aa:bb:cc", "001565aabbcc");
        ok("00-15-65-AA-BB-CC", "001565aabbcc");
        bad("");
        bad("00:15:65");
        bad("001565aabbccdd");
        bad("00:15:65-aa:bb:cc"); /* mixed separators */
        bad("0:015:65:aa:bb:cc"); /* separator inside an octet */
        bad(":001565aabbcc");
        bad("001565aabbcg");
        bad(NULL);

        /* The machine's MAC, if it has one, is in canonical form. */
        r = mac_detect(mac);
        assert_se(r == 0 || r == -ENXIO);
        if (r == 0) {
                char again[13];

                assert_se(strlen(mac) == 12 && mac_normalize(mac, again) == 0 && streq(mac, again));
                assert_se(!streq(mac, "000000000000"));
        }
        printf("ok (%s)\n", r == 0 ? mac : "no interface with a MAC");
        return 0;
}
