/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-parser.h"
#include "config-schema.h"
#include "macro.h"

#define assert_se(x) do { if (!(x)) { fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #x); abort(); } } while (0)

static SiprConfigFile *parse(const char *text) {
        SiprConfigFile *f = NULL;

        assert_se(sipr_config_file_parse("t.cfg", text, strlen(text), &f) == 0);
        return f;
}

static void expect_error(const char *text, size_t size, const char *message) {
        SiprConfigFile *f = NULL;
        char *e;

        if (size == SIZE_MAX)
                size = strlen(text);
        assert_se(sipr_config_file_parse("t.cfg", text, size, &f) == 0);
        e = sipr_config_file_error(f);
        if (!e || !strstr(e, message)) {
                fprintf(stderr, "error '%s' lacks '%s'\n", e, message);
                abort();
        }
        free(e);
        sipr_config_file_free(f);
}

static void test_syntax(void) {
        SiprConfigFile *f;

        f = parse("#!version:1.0.0.1\r\n"
                  "# comment = not a key\r\n"
                  "   # indented comment\r\n"
                  "\r\n"
                  "account.1.enable=1\r\n"
                  "account.1.label   =   Front desk  \t \r\n"
                  "account.1.user_name = 1001\n"
                  "account.1.display_name = a = b\n"
                  "account.1.sip_server.1.address =\n"
                  "account.1.sip_server.2.address = reg2.lab.test\n"
                  "account.1.sip_server.2.address = reg3.lab.test\n"
                  "lcd.contrast = 6\n"
                  "some.unknown.key=\n"
                  "account.1.sip_server.1.failback_timeout = 45");
        assert_se(f->n_problems_total == 0);
        assert_se(streq(sipr_config_file_get(f, "account.1.enable"), "1"));
        assert_se(streq(sipr_config_file_get(f, "account.1.label"), "Front desk"));
        assert_se(streq(sipr_config_file_get(f, "account.1.display_name"), "a = b"));
        /* Empty value: unset here. */
        assert_se(!sipr_config_file_get(f, "account.1.sip_server.1.address"));
        /* The last of two lines wins. */
        assert_se(streq(sipr_config_file_get(f, "account.1.sip_server.2.address"), "reg3.lab.test"));
        /* Normalized on the way in; the last line needs no newline. */
        assert_se(streq(sipr_config_file_get(f, "account.1.sip_server.1.failback_timeout"), "60"));
        /* Unknown keys are kept (to be reported) but never returned as values. */
        assert_se(f->n_unknown == 2);
        assert_se(!sipr_config_file_get(f, "lcd.contrast"));
        assert_se(f->n_entries == 9);
        sipr_config_file_free(f);

        /* %NULL%: set here, to "" or the default, hiding lower layers. */
        f = parse("account.1.sip_server.1.address = %NULL%\naccount.1.sip_server.1.port = %NULL%\n");
        assert_se(f->n_problems_total == 0);
        assert_se(streq(sipr_config_file_get(f, "account.1.sip_server.1.address"), ""));
        assert_se(streq(sipr_config_file_get(f, "account.1.sip_server.1.port"), "5060"));
        sipr_config_file_free(f);

        /* A byte order mark is not part of the first key. */
        f = parse("\xef\xbb\xbf" "account.2.enable = 1\n");
        assert_se(f->n_problems_total == 0 && streq(sipr_config_file_get(f, "account.2.enable"), "1"));
        sipr_config_file_free(f);

        f = parse("");
        assert_se(f->n_entries == 0 && f->n_problems_total == 0);
        sipr_config_file_free(f);
}

static void test_errors(void) {
        static const char nul[] = "account.1.enable = 1\naccount.1.label = a\0b\n";

        expect_error("account.1.enable = 1\n\nno equals here\n", SIZE_MAX,
                     "t.cfg:3: 'no equals here': not a comment and has no '='");
        expect_error("# ok\naccount.1.sip_server.1.port = 70000\n", SIZE_MAX,
                     "t.cfg:2: account.1.sip_server.1.port: invalid value '70000': permitted 0…65535");
        expect_error("= value\n", SIZE_MAX, "t.cfg:1: missing key before '='");
        expect_error("account 1 = x\n", SIZE_MAX, "t.cfg:1: account 1: key contains a blank");
        expect_error(nul, sizeof(nul) - 1, "t.cfg:2: contains a NUL byte");
        /* An invalid-UTF-8 error names the key the bad value belongs to. */
        expect_error(
                "account.1.label = \xff\n", SIZE_MAX,
                "t.cfg:1: account.1.label: value is not valid UTF-8 text (or contains control characters)");
        expect_error("account.\xff.label = x\n", SIZE_MAX, "t.cfg:1: key is not valid UTF-8 text");
        expect_error("no equals \xff\n", SIZE_MAX, "t.cfg:1: not valid UTF-8 text");
        expect_error("x.y = 1\na\nb\nc\n", SIZE_MAX, "t.cfg:2: 'a': not a comment and has no '=' (expected key = value) (and 2 more problems)");
        /* A password is not echoed even in a file error. */
        expect_error("account.1.password = bad\x01pw\n", SIZE_MAX,
                     "t.cfg:1: account.1.password: value is not valid UTF-8 text");
        /* A mistyped password line is not quoted. */
        expect_error("account.1.password: hunter2\n", SIZE_MAX, "t.cfg:1: not a comment and has no '=' (expected key = value; the line is not shown");
        {
                SiprConfigFile *f = NULL;
                char *e;

                /* The quote of a long line is cut at a character boundary: messages stay UTF-8. */
                assert_se(sipr_config_file_parse("t.cfg", "ääääääääääääääääääääääääääää\n", 57, &f) == 0);
                e = sipr_config_file_error(f);
                assert_se(e && sipr_config_text_valid(e, SIZE_MAX) && strstr(e, "'ääääääääääääääääääää…'"));
                free(e);
                sipr_config_file_free(f);
                assert_se(sipr_config_file_parse("t.cfg", "xääääääääääääääääääääääääääää\n", 58, &f) == 0);
                e = sipr_config_file_error(f);
                assert_se(e && sipr_config_text_valid(e, SIZE_MAX) && strstr(e, "'xäääääääääääääääääää…'"));
                free(e);
                sipr_config_file_free(f);
        }
        {
                SiprConfigFile *f = NULL;
                char *e;

                assert_se(sipr_config_file_parse("t.cfg", "account.1.password = a\x7f\n", 24, &f) == 0);
                e = sipr_config_file_error(f);
                assert_se(e && !strstr(e, "a\x7f"));
                free(e);
                sipr_config_file_free(f);
        }
}

static void test_hostile(void) {
        SiprConfigFile *f = NULL;
        size_t size = 1024 * 1024, alloc = 4 * 1024 * 1024;
        char *big = malloc(alloc), *p;

        /* A 1 MiB line. */
        memset(big, 'k', size);
        memcpy(big + size - 4, "=1\n", 3);
        expect_error(big, size - 1, "t.cfg:1: line is longer than 8192 bytes");

        /* 100 000 lines of garbage: problems capped, counted, no crash. */
        p = big;
        for (int i = 0; i < 100000; i++)
                p += sprintf(p, "x%d\n", i % 10);
        assert_se(sipr_config_file_parse("t.cfg", big, (size_t) (p - big), &f) == 0);
        assert_se(f->n_problems == SIPR_CONFIG_PROBLEMS_MAX && f->n_problems_total == 100000);
        sipr_config_file_free(f);

        /* 100 000 good lines (mostly keys sipr does not use). */
        p = big;
        p += sprintf(p, "account.1.enable = 1\n");
        for (int i = 0; i < 100000; i++)
                p += sprintf(p, "ph.k%d=%d\n", i, i);
        assert_se(sipr_config_file_parse("t.cfg", big, (size_t) (p - big), &f) == 0);
        assert_se(f->n_problems_total == 0 && f->n_unknown == 100000);
        assert_se(streq(sipr_config_file_get(f, "account.1.enable"), "1"));
        sipr_config_file_free(f);

        /* Every single byte value as a one-line file never crashes. */
        for (int c = 0; c < 256; c++) {
                char b[8] = { 'a', '=', (char) c };
                assert_se(sipr_config_file_parse("t.cfg", b, 3, &f) == 0);
                sipr_config_file_free(f);
        }
        free(big);
}

static void test_load(void) {
        char dir[] = "/tmp/test-config-parser.XXXXXX", path[256];
        SiprConfigFile *f = NULL;
        char *e;

        assert_se(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/missing.cfg", dir);
        assert_se(sipr_config_file_load(path, &f) == -ENOENT);
        /* A directory where the file should be: a problem of that file, not "absent". */
        assert_se(sipr_config_file_load(dir, &f) == 0);
        e = sipr_config_file_error(f);
        assert_se(e && strstr(e, ": is a directory, not a file"));
        free(e);
        sipr_config_file_free(f);
        assert_se(rmdir(dir) == 0);

        /* The realistic Yealink files of the lab tests. */
        assert_se(sipr_config_file_load(CONFIG_TEST_FILES "/y000000000000.cfg", &f) == 0);
        assert_se(f->n_problems_total == 0);
        assert_se(f->n_unknown > 300);
        assert_se(streq(sipr_config_file_get(f, "account.1.sip_server.2.address"), "reg2.lab.test"));
        assert_se(streq(sipr_config_file_get(f, "network.primary_dns"), "127.0.0.53"));
        assert_se(!sipr_config_file_get(f, "network.secondary_dns"));
        sipr_config_file_free(f);
        assert_se(sipr_config_file_load(CONFIG_TEST_FILES "/001565aabbcc.cfg", &f) == 0);
        assert_se(f->n_problems_total == 0);
        assert_se(streq(sipr_config_file_get(f, "account.1.sip_server.1.address"), "reg1.lab.test"));
        assert_se(streq(sipr_config_file_get(f, "account.1.sip_server.2.failback_timeout"), "60"));
        assert_se(!sipr_config_file_get(f, "account.1.auth_name"));
        sipr_config_file_free(f);
}

static void test_format(void) {
        char *kv[] = { "b.key", "2", "account.1.label", "Front desk", "a.empty", "", NULL };
        char *text = sipr_config_file_format(kv, "written by a test");
        SiprConfigFile *f;

        assert_se(text);
        assert_se(streq(text, "#!version:1.0.0.1\n# written by a test\naccount.1.label = Front desk\nb.key = 2\n"));
        f = parse(text);
        assert_se(f->n_problems_total == 0 && streq(sipr_config_file_get(f, "account.1.label"), "Front desk"));
        sipr_config_file_free(f);
        free(text);
}

int main(void) {
        test_syntax();
        test_errors();
        test_hostile();
        test_load();
        test_format();
        printf("ok\n");
        return 0;
}
