/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "target.h"

/* Pure helpers of the probes, apart so unit tests and fuzzers reach them. */

/* A line nta logs when it cannot deliver a request, e.g.
 * "nta: OPTIONS (1001214289): Connection refused (111) with udp/[127.0.0.1]:5099":
 * → *ret_error = 111, ret_peer = "127.0.0.1]:5099" (the form peer_key() builds). -EINVAL when
 * the line is something else. */
int nta_log_parse_transport_error(const char *line, int *ret_error, char *ret_peer, size_t peer_size);

/* "addr]:port" for a target, as in nta's log lines. */
void peer_key(const char *address, unsigned port, char *buf, size_t size);

/* nta's local 503 on transport to the failure kind, given the errno it logged (0 = unknown). */
TargetEvent options_transport_error_event(TargetTransport transport, int error);

/* Feeds received bytes to the CRLF pong detector; *last_cr carries a '\r' that ended the
 * previous chunk. True when a "\r\n" was seen in (or across into) this chunk. */
bool crlf_scan(bool *last_cr, const char *buf, size_t n);

/* errno of a failed connect/send → failure kind. */
TargetEvent probe_event_from_errno(int error);
