/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "target.h"

/* Each probe method: start() begins one probe of t and later calls manager_probe_done() exactly
 * once (it may do so before returning); cancel() abandons a probe in flight without calling it;
 * forget() drops any state kept between probes (connections). The manager enforces the
 * deadline by calling cancel() and reporting a timeout itself. */

void probe_connect_start(Target *t);
void probe_connect_cancel(Target *t);

/* Shared by the TCP probes (connect, crlf): a non-blocking socket connecting to t. Returns 1
 * connected at once (loopback may), 0 in progress (wait for G_IO_OUT, then
 * probe_tcp_connect_result()); on failure it has reported the probe done and returns -errno. */
int probe_tcp_connect(Target *t, int *ret_fd);
/* The outcome of a connect in progress, once its socket is writable: 0 or an errno. */
int probe_tcp_connect_result(int fd);

void probe_crlf_start(Target *t);
void probe_crlf_cancel(Target *t);
void probe_crlf_forget(Target *t);
bool probe_crlf_tls_supported(void); /* built with OpenSSL */
void probe_crlf_shutdown(void);      /* frees the TLS context */

typedef struct ProbeOptionsAgent ProbeOptionsAgent;
int probe_options_agent_new(GMainContext *context, ProbeOptionsAgent **ret);
ProbeOptionsAgent *probe_options_agent_free(ProbeOptionsAgent *a);
size_t probe_options_agent_transactions(ProbeOptionsAgent *a); /* client transactions alive; a may be NULL */
void probe_options_start(ProbeOptionsAgent *a, Target *t);
void probe_options_cancel(Target *t);
