/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "configd-file.h"
#include "util.h"

#define OPEN_READ_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
#define FOLLOW_MAX      32

static int fail(int r, char **ret_error, const char *format, ...) _printf_(3, 4);

static int fail(int r, char **ret_error, const char *format, ...) {
        va_list ap;

        if (ret_error) {
                va_start(ap, format);
                if (vasprintf(ret_error, format, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return r;
}

/* 1: the caller is in group gid; 0: not; -1: cannot tell. */
static int caller_in_group(const FileCaller *c, gid_t gid) {
        for (size_t i = 0; i < c->n_gids; i++)
                if (c->gids[i] == gid)
                        return 1;
        return c->gids_known ? 0 : -1;
}

/* What the kernel would grant the caller: the owner's bits, else the group's, else the others'.
 * Not knowing the caller's groups, both group and other bits must allow it. */
static bool caller_may(const FileCaller *c, const struct stat *st, mode_t bit /* S_IROTH or S_IXOTH */) {
        int g;

        if (st->st_uid == c->uid)
                return st->st_mode & (bit << 6);
        g = caller_in_group(c, st->st_gid);
        if (g > 0)
                return st->st_mode & (bit << 3);
        if (g < 0 && !(st->st_mode & (bit << 3)))
                return false;
        return st->st_mode & bit;
}

static int type_check(const struct stat *st, char **ret_error) {
        if (S_ISREG(st->st_mode))
                return 0;
        return fail(S_ISDIR(st->st_mode) ? -EISDIR : -EBADFD, ret_error, "is %s, not a regular file",
                    inode_type_to_string(st->st_mode));
}

static int open_privileged(const char *path, char **ret_error) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        fd = open(path, OPEN_READ_FLAGS);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        r = type_check(&st, ret_error);
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}

/* Walks path from "/" as the caller would, opening only O_PATH handles. Returns the directory
 * holding the final component (O_PATH), its name and what it is (not a symbolic link). */
static int chase(const char *path, const FileCaller *c, int *ret_dir, char **ret_name, struct stat *ret_st,
                 char **ret_error) {
        _cleanup_free_ char *todo = strdup(path);
        _cleanup_close_ int dir = -1;
        unsigned links = 0;
        const char *p;

        if (!todo)
                return -ENOMEM;
        dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return -errno;
        p = todo;
        for (;;) {
                _cleanup_free_ char *name = NULL;
                _cleanup_close_ int child = -1;
                struct stat st;
                size_t n;
                bool last;

                p += strspn(p, "/");
                if (!*p)
                        return fail(-EISDIR, ret_error, "is a directory, not a regular file");
                n = strcspn(p, "/");
                name = strndup(p, n);
                if (!name)
                        return -ENOMEM;
                p += n;
                last = p[strspn(p, "/")] == 0;

                if (fstat(dir, &st) < 0)
                        return -errno;
                if (!caller_may(c, &st, S_IXOTH))
                        return fail(-EPERM, ret_error,
                                    "a directory on the way to %s is not searchable by uid %u, so that "
                                    "caller cannot read the file",
                                    path, (unsigned) c->uid);
                child = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (child < 0)
                        return -errno;
                if (fstat(child, &st) < 0)
                        return -errno;

                if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t k;
                        char *next;

                        if (++links > FOLLOW_MAX)
                                return fail(-ELOOP, ret_error, "more than %d symbolic links on the way",
                                            FOLLOW_MAX);
                        k = readlinkat(child, "", target, sizeof(target) - 1);
                        if (k < 0)
                                return -errno;
                        target[k] = 0;
                        /* The link's target, then what was left of the path; an absolute one starts
                         * again at "/", a relative one in the directory holding the link. */
                        if (asprintf(&next, "%s%s", target, p) < 0)
                                return -ENOMEM;
                        free(todo);
                        todo = next;
                        p = todo;
                        if (target[0] == '/') {
                                closep(&dir);
                                dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                                if (dir < 0)
                                        return -errno;
                        }
                        continue;
                }
                if (last) {
                        *ret_dir = TAKE_FD(dir);
                        *ret_name = TAKE_PTR(name);
                        *ret_st = st;
                        return 0;
                }
                if (!S_ISDIR(st.st_mode))
                        return -ENOTDIR;
                closep(&dir);
                dir = TAKE_FD(child);
        }
}

int configd_file_open(const char *path, const FileCaller *caller, char **ret_error) {
        _cleanup_close_ int dir = -1, fd = -1;
        _cleanup_free_ char *name = NULL;
        struct stat st, opened;
        int r;

        if (ret_error)
                *ret_error = NULL;
        if (!path || path[0] != '/')
                return -EINVAL;
        if (caller->privileged)
                return open_privileged(path, ret_error);

        r = chase(path, caller, &dir, &name, &st, ret_error);
        if (r < 0)
                return r;
        /* Decided before opening: a device or a FIFO is never opened on an unprivileged request. */
        r = type_check(&st, ret_error);
        if (r < 0)
                return r;
        fd = openat(dir, name, OPEN_READ_FLAGS | O_NOFOLLOW);
        if (fd < 0)
                return errno == ELOOP ? fail(-EAGAIN, ret_error, "changed while it was being opened")
                                      : -errno;
        if (fstat(fd, &opened) < 0)
                return -errno;
        if (opened.st_dev != st.st_dev || opened.st_ino != st.st_ino)
                return fail(-EAGAIN, ret_error, "changed while it was being opened");
        /* The rule holds for the inode that was opened, whatever happened to the name meanwhile. */
        r = type_check(&opened, ret_error);
        if (r < 0)
                return r;
        if (!caller_may(caller, &opened, S_IROTH))
                return fail(-EPERM, ret_error, "%s is not readable by uid %u", path, (unsigned) caller->uid);
        return TAKE_FD(fd);
}
