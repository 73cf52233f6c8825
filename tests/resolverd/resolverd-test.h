/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* check() of the resolverd unit tests: a failed check is printed with its line and counted, and
 * the test goes on; main() ends with return checks_result("what"). */
#include <stdio.h>

static unsigned failures;

#define check(cond)                                                                              \
        do {                                                                                     \
                if (!(cond)) {                                                                   \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
                        failures++;                                                              \
                }                                                                                \
        } while (0)

static inline int checks_result(const char *what) {
        if (failures) {
                fprintf(stderr, "%u check(s) failed\n", failures);
                return 1;
        }
        fprintf(stderr, "all %s checks passed\n", what);
        return 0;
}
