/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/log.c away from journald: log_struct() prints the same plain "<N>" line as log_full()
 * (its fields are for the journal only), a stderr that is not journald's stream ($JOURNAL_STREAM
 * naming another file) is written to as before, the null target prints nothing, and the names
 * LogControl1 reads and writes convert both ways. */
#undef NDEBUG
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sipr-messages.h"

/* Runs f with stderr going to a temporary file; returns what was written (caller frees). */
static char *capture_stderr(void (*f)(void)) {
        char path[] = "/tmp/sipr-test-log.XXXXXX";
        int fd = mkstemp(path), saved = dup(STDERR_FILENO);
        char *buf = calloc(1, 4096);

        assert(fd >= 0 && saved >= 0 && buf);
        unlink(path);
        fflush(stderr);
        assert(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
        f();
        fflush(stderr);
        assert(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
        close(saved);
        assert(pread(fd, buf, 4095, 0) >= 0);
        close(fd);
        return buf;
}

static void log_some(void) {
        log_struct(LOG_WARNING, SIPR_MESSAGE_FAILOVER,
                   LOG_FIELDS(LOG_FIELD_UINT("SIPR_ACCOUNT", 7), LOG_FIELD("SIPR_SERVER", "sip:192.0.2.1:5060"),
                              LOG_FIELD("SIPR_REASON", NULL)),
                   "Account %u: failover to %s.", 7u, "sip:192.0.2.1:5060");
        log_notice("plain %d", 42);
        log_debug("not shown at info");
}

static void test_plain_lines(void) {
        log_set_max_level(LOG_INFO);
        log_set_target_console(false);
        log_set_target(LOG_TARGET_AUTO);
        /* a stream systemd gave us once, before stderr went elsewhere: not the journal */
        setenv("JOURNAL_STREAM", "1:1", 1);
        char *out = capture_stderr(log_some);
        assert(strcmp(out, "<4>Account 7: failover to sip:192.0.2.1:5060.\n<5>plain 42\n") == 0);
        free(out);

        log_set_target(LOG_TARGET_NULL);
        out = capture_stderr(log_some);
        assert(out[0] == 0);
        free(out);

        /* on a terminal: the program name instead of the priority */
        log_set_target(LOG_TARGET_CONSOLE);
        log_set_target_console(true);
        log_set_prefix("sipr-test");
        out = capture_stderr(log_some);
        assert(strncmp(out, "sipr-test: Account 7: failover", strlen("sipr-test: Account 7: failover")) == 0);
        free(out);
}

static void test_names(void) {
        for (int t = 0; t < _LOG_TARGET_MAX; t++)
                assert(log_target_from_string(log_target_to_string((LogTarget) t)) == (LogTarget) t);
        assert(log_target_from_string("journal-or-kmsg") == LOG_TARGET_JOURNAL);
        assert(log_target_from_string("kmsg") < 0);
        assert(log_target_from_string(NULL) < 0);
        for (int l = LOG_EMERG; l <= LOG_DEBUG; l++)
                assert(log_level_from_string(log_level_to_string(l)) == l);
        assert(log_level_to_string(8) == NULL);

        char buf[24];
        assert(strcmp(log_format_uint(buf, UINT64_MAX), "18446744073709551615") == 0);
}

int main(void) {
        test_plain_lines();
        test_names();
        printf("ok\n");
        return 0;
}
