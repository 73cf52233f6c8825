/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* configd_file_open(): what Check may open for a caller (issue 16, item 2). The rule is judged on
 * the mode bits of the inodes opened, so it is tested as root with a made-up unprivileged caller;
 * a FIFO and the parser's own load of one must come back at once, never block. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-parser.h"
#include "configd-file.h"
#include "macro.h"
#include "../test-check.h"

#define CALLER_UID   65534
#define CALLER_GROUP 4242

static char dir[] = "/tmp/test-configd-file.XXXXXX";
static const char *const made[] = {
        "public.cfg",      "private.cfg",       "mine.cfg",       "group.cfg",       "group-other.cfg",
        "not-group.cfg",   "closed/public.cfg", "fifo.cfg",       "link-public.cfg", "link-private.cfg",
        "link-closed.cfg", "link-fifo.cfg",     "loop-a",         "loop-b",          "open/up",
};

/* dir/name; a few in one expression are fine. */
static const char *at(const char *name) {
        static char buf[4][512];
        static unsigned i;

        i = (i + 1) % 4;
        snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
        return buf[i];
}

static void mkfile(const char *name, mode_t mode, uid_t uid, gid_t gid) {
        char p[512];
        int fd;

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        check(fd >= 0);
        check(write(fd, "account.1.enable = 1\n", 21) == 21);
        check(fchown(fd, uid, gid) == 0);
        check(fchmod(fd, mode) == 0);
        close(fd);
}

/* Opens as caller; returns the fd (closed) as 0, or the error, and keeps the message. */
static char *why;
static int try_open(const FileCaller *c, const char *path) {
        int fd;

        free(why);
        why = NULL;
        fd = configd_file_open(path, c, &why);
        if (fd < 0)
                return fd;
        close(fd);
        return 0;
}

int main(void) {
        const gid_t groups[] = {CALLER_GROUP};
        FileCaller nobody = {.uid = CALLER_UID, .gids_known = true};
        FileCaller member = {.uid = CALLER_UID, .gids = groups, .n_gids = 1, .gids_known = true};
        FileCaller unsure = {.uid = CALLER_UID, .gids = groups, .n_gids = 1, .gids_known = false};
        FileCaller root = {.privileged = true, .uid = 0};
        SiprConfigFile *f = NULL;
        char *e;

        check(mkdtemp(dir));
        check(chmod(dir, 0755) == 0);
        mkfile("public.cfg", 0644, 0, 0);
        mkfile("private.cfg", 0600, 0, 0);
        mkfile("mine.cfg", 0600, CALLER_UID, 0);
        mkfile("group.cfg", 0640, 0, CALLER_GROUP);
        mkfile("group-other.cfg", 0644, 0, CALLER_GROUP);
        mkfile("not-group.cfg", 0604, 0, CALLER_GROUP); /* members of the group are refused */
        check(mkdir(at("closed"), 0700) == 0);
        mkfile("closed/public.cfg", 0644, 0, 0);
        check(mkfifo(at("fifo.cfg"), 0666) == 0);
        check(symlink("public.cfg", at("link-public.cfg")) == 0);
        check(symlink("private.cfg", at("link-private.cfg")) == 0);
        check(symlink(at("closed/public.cfg"), at("link-closed.cfg")) == 0);
        check(symlink("fifo.cfg", at("link-fifo.cfg")) == 0);
        check(symlink("loop-b", at("loop-a")) == 0);
        check(symlink("loop-a", at("loop-b")) == 0);
        check(mkdir(at("open"), 0755) == 0);
        check(symlink("..", at("open/up")) == 0);

        /* Readable by everyone, by owner, by group: as the kernel would decide for that caller. */
        check(try_open(&nobody, at("public.cfg")) == 0);
        check(try_open(&nobody, at("private.cfg")) == -EPERM);
        check(why && strstr(why, "not readable by uid 65534"));
        check(try_open(&nobody, at("mine.cfg")) == 0);
        check(try_open(&nobody, at("group.cfg")) == -EPERM);
        check(try_open(&member, at("group.cfg")) == 0);
        check(try_open(&member, at("not-group.cfg")) == -EPERM);
        check(try_open(&nobody, at("not-group.cfg")) == 0);
        /* Groups not fully known: only a file both group and others may read. */
        check(try_open(&unsure, at("group-other.cfg")) == 0);
        check(try_open(&unsure, at("not-group.cfg")) == -EPERM);
        check(try_open(&unsure, at("public.cfg")) == 0);

        /* A readable file in a directory the caller cannot search is not theirs to read. */
        check(try_open(&nobody, at("closed/public.cfg")) == -EPERM);
        check(why && strstr(why, "not searchable"));
        check(try_open(&root, at("closed/public.cfg")) == 0);

        /* Symbolic links: judged on what they lead to, along the way they lead. */
        check(try_open(&nobody, at("link-public.cfg")) == 0);
        check(try_open(&nobody, at("link-private.cfg")) == -EPERM);
        check(try_open(&nobody, at("link-closed.cfg")) == -EPERM);
        check(try_open(&nobody, at("open/up/public.cfg")) == 0);
        check(try_open(&nobody, at("open/up/closed/public.cfg")) == -EPERM);
        check(try_open(&nobody, at("loop-a")) == -ELOOP);
        check(try_open(&root, at("loop-a")) == -ELOOP);

        /* Not a regular file: refused with its type named, and a FIFO never blocks (the test
         * would hang here on the old code, which opened it without O_NONBLOCK). */
        check(try_open(&nobody, at("fifo.cfg")) == -EBADFD);
        check(why && streq(why, "is a FIFO (named pipe), not a regular file"));
        check(try_open(&nobody, at("link-fifo.cfg")) == -EBADFD);
        check(try_open(&root, at("fifo.cfg")) == -EBADFD);
        check(why && streq(why, "is a FIFO (named pipe), not a regular file"));
        check(try_open(&nobody, dir) == -EISDIR);
        check(try_open(&root, dir) == -EISDIR);
        check(try_open(&nobody, "/dev/null") == -EBADFD);
        check(why && strstr(why, "character device"));
        check(try_open(&nobody, at("missing.cfg")) == -ENOENT);
        check(try_open(&nobody, at("public.cfg/x")) == -ENOTDIR);
        check(try_open(&nobody, "relative.cfg") == -EINVAL);

        /* configd's own loads (provisioning files, Reload) never block on a FIFO either. */
        check(sipr_config_file_load(at("fifo.cfg"), &f) == 0);
        e = sipr_config_file_error(f);
        check(e && strstr(e, "fifo.cfg: is a FIFO (named pipe), not a regular file"));
        free(e);
        sipr_config_file_free(f);

        free(why);
        for (size_t i = 0; i < ELEMENTSOF(made); i++)
                check(unlink(at(made[i])) == 0);
        check(rmdir(at("closed")) == 0 && rmdir(at("open")) == 0 && rmdir(dir) == 0);
        printf("test-configd-file: ok\n");
        return 0;
}
