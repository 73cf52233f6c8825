/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A program with one definite leak (or none with --clean): proves that the memcheck wrapper
 * turns a leak into exit status 99 and that the lab then fails the test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
        char *p = malloc(64);

        if (!p)
                return 1;
        snprintf(p, 64, "leaked");
        puts(p);
        if (argc > 1 && strcmp(argv[1], "--clean") == 0)
                free(p);
        p = NULL; /* the only pointer is gone: "definitely lost" */
        return 0;
}
