/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Replays files (or every file in directories) through LLVMFuzzerTestOneInput, so that fuzz
 * seed corpora and crash reproducers run as ordinary tests without clang's libFuzzer. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r = read_file_full(path, 16 * 1024 * 1024, &buf, &size);

        if (r < 0) {
                fprintf(stderr, "%s: cannot read: %d\n", path, r);
                return 1;
        }
        LLVMFuzzerTestOneInput((const uint8_t *) buf, size);
        return 0;
}

int main(int argc, char **argv) {
        unsigned n = 0;
        int fail = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;

                if (stat(argv[i], &st) < 0) {
                        perror(argv[i]);
                        return 1;
                }
                if (S_ISDIR(st.st_mode)) {
                        DIR *d = opendir(argv[i]);
                        struct dirent *de;

                        if (!d)
                                return 1;
                        while ((de = readdir(d))) {
                                char p[4096];

                                if (de->d_name[0] == '.')
                                        continue;
                                snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
                                fail |= run_file(p);
                                n++;
                        }
                        closedir(d);
                } else {
                        fail |= run_file(argv[i]);
                        n++;
                }
        }
        printf("replayed %u inputs\n", n);
        return fail || n == 0;
}
