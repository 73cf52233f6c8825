/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

uint64_t now_usec(clockid_t clock); /* CLOCK_MONOTONIC / CLOCK_REALTIME in µs */

/* Strict number parsing: whole string, no sign surprises, range checked. -EINVAL/-ERANGE. */
int safe_atou64(const char *s, uint64_t *ret);
int safe_atou32(const char *s, uint32_t *ret);
int safe_atou16(const char *s, uint16_t *ret);

/* Crash-safe replacement of a file: temp file in the same directory, write, fsync,
 * rename over the target, fsync the directory. Never leaves a half-written target. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Reads a whole regular file (at most max_size bytes; larger → -EFBIG). The path is opened
 * non-blocking; a directory is -EISDIR, any other non-regular file (FIFO, socket, device) -EBADFD,
 * and neither is read. read_fd_full() does the same on an open fd. */
int read_file_full(const char *path, size_t max_size, char **ret, size_t *ret_size);
int read_fd_full(int fd, size_t max_size, char **ret, size_t *ret_size);

/* "a FIFO (named pipe)", "a directory", … for messages about a file of the wrong type. */
const char *inode_type_to_string(mode_t mode);

/* Whether two NULL-terminated string lists hold the same strings in the same order (NULL = empty). */
bool strv_equal(char *const *a, char *const *b);
/* Frees a NULL-terminated list of malloc()ed strings (as sd_bus_message_read_strv() makes). */
void strv_free(char **l);

/* Jitter: a uniformly random value in [0, max). Not for cryptography. */
uint64_t random_u64_range(uint64_t max);

/* Gives free heap back to the kernel (glibc's malloc_trim) after a transient peak, such as the
 * parse of a large file: glibc would otherwise keep the peak mapped. */
void memory_trim(void);
