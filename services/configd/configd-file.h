/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Opening a file that a D-Bus caller names (Check). configd reads it with its own rights, so for
 * an unprivileged caller it must first be a file that caller could read: no bus method may become
 * a way to read, or block on, what the caller cannot. Domain code: no D-Bus here. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct FileCaller {
        bool privileged; /* root or the service user: configd's own rights apply */
        uid_t uid;
        const gid_t *gids; /* the caller's groups, as far as they are known */
        size_t n_gids;
        bool gids_known; /* false: group bits are judged as if the caller might be in any group */
} FileCaller;

/* Opens path (absolute) for reading: O_RDONLY|O_NONBLOCK|O_NOCTTY|O_CLOEXEC, so a FIFO never
 * blocks. Only a regular file is returned; everything is judged on the inode actually opened.
 *
 * For an unprivileged caller the path is resolved one component at a time from "/" (symbolic
 * links followed, at most 32), each directory must be searchable by the caller and the file
 * readable by them (owner, group, other bits as the kernel would apply them; ACLs are not
 * read), and nothing that is not a regular file is ever opened for reading.
 *
 * Returns the fd, or: -ENOENT (no such file); -EPERM (the caller could not read it themselves;
 * *ret_error says why); -EISDIR, -EBADFD (not a regular file), -ELOOP, -ENOTDIR, -EAGAIN (the
 * file changed while it was opened), other -errno; *ret_error then holds a message for the
 * caller ("is a FIFO (named pipe), not a regular file"). */
int configd_file_open(const char *path, const FileCaller *caller, char **ret_error);
