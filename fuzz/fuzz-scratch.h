/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the fuzz targets that write files: one scratch directory per process. */
#include <ftw.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Scratch files on tmpfs when there is one (write_file_atomic fsyncs), removed at exit. */
static char *scratch_dir;

static int scratch_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

static void scratch_cleanup(void) {
        if (scratch_dir)
                (void) nftw(scratch_dir, scratch_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *scratch_new(const char *name) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        char *t = g_strdup_printf("%s/%s.XXXXXX", base, name);

        if (!mkdtemp(t))
                abort();
        scratch_dir = t;
        atexit(scratch_cleanup);
        return t;
}
