/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static void test_safe_atou(void) {
        uint64_t v64;
        uint32_t v32;
        uint16_t v16;

        assert(safe_atou64("0", &v64) == 0 && v64 == 0);
        assert(safe_atou64("18446744073709551615", &v64) == 0 && v64 == UINT64_MAX);
        assert(safe_atou64("18446744073709551616", &v64) == -ERANGE);
        assert(safe_atou64("-1", &v64) == -EINVAL);
        assert(safe_atou64("", &v64) == -EINVAL);
        assert(safe_atou64("12a", &v64) == -EINVAL);
        assert(safe_atou64(" 1", &v64) == -EINVAL);
        assert(safe_atou32("4294967295", &v32) == 0 && v32 == UINT32_MAX);
        assert(safe_atou32("4294967296", &v32) == -ERANGE);
        assert(safe_atou16("65535", &v16) == 0 && v16 == 65535);
        assert(safe_atou16("65536", &v16) == -ERANGE);
}

static void test_write_file_atomic(void) {
        char dir[] = "/tmp/sipr-test-util-XXXXXX";
        char path[256], *buf = NULL;
        size_t size;
        struct stat st;

        assert(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/f.cfg", dir);

        assert(write_file_atomic(path, "a = 1\n", 6, 0600) == 0);
        assert(read_file_full(path, 1024, &buf, &size) == 0);
        assert(size == 6 && streq(buf, "a = 1\n"));
        free(buf);
        assert(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

        /* Replacing keeps the old content until the rename, and leaves no temp files. */
        assert(write_file_atomic(path, "b = 2\n", 6, 0600) == 0);
        assert(read_file_full(path, 1024, &buf, &size) == 0);
        assert(streq(buf, "b = 2\n"));
        free(buf);

        /* Size limit and directories are errors, not crashes. */
        assert(read_file_full(path, 3, &buf, &size) == -EFBIG);
        assert(read_file_full(dir, 1024, &buf, &size) == -EISDIR);

        /* A target in a directory that does not exist fails cleanly. */
        char bad[300];
        snprintf(bad, sizeof(bad), "%s/missing/f.cfg", dir);
        assert(write_file_atomic(bad, "x", 1, 0600) == -ENOENT);

        unlink(path);
        assert(rmdir(dir) == 0); /* fails if a temp file was left behind */
}

static void test_log_levels(void) {
        assert(log_level_from_string("debug") == LOG_DEBUG);
        assert(log_level_from_string("err") == LOG_ERR);
        assert(log_level_from_string("error") == LOG_ERR);
        assert(log_level_from_string("WARNING") == LOG_WARNING);
        assert(log_level_from_string("3") == 3);
        assert(log_level_from_string("8") == -EINVAL);
        assert(log_level_from_string("verbose") == -EINVAL);
        /* log_*_errno returns the negative error whatever its sign was. */
        log_set_max_level(LOG_ERR);
        assert(log_debug_errno(EIO, "hidden") == -EIO);
        assert(log_debug_errno(-EIO, "hidden") == -EIO);
}

static void test_random_range(void) {
        for (int i = 0; i < 1000; i++)
                assert(random_u64_range(7) < 7);
        assert(random_u64_range(0) == 0);
        assert(random_u64_range(1) == 0);
}

int main(void) {
        test_safe_atou();
        test_write_file_atomic();
        test_log_levels();
        test_random_range();
        printf("test-util: ok\n");
        return 0;
}
