/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* check(expr): a unit test's assertion, kept with NDEBUG too; the first failure names the file,
 * the line and the expression, and ends the test. */
#include <stdio.h>
#include <stdlib.h>

#define check(expr)                                                                                         \
        do {                                                                                                \
                if (!(expr)) {                                                                              \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr);            \
                        exit(EXIT_FAILURE);                                                                 \
                }                                                                                           \
        } while (0)
