/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Server location for regd: IP literals locally (so regd works with literal servers even when
 * sipr-resolverd is absent), host names through org.sipr.Resolver1.Resolve. */

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "config-client.h"
#include "redundancy.h"

typedef struct ResolveRequest ResolveRequest;

/* error 0: addrs (ordered, next-hop URIs). error <0: reason says what failed, for LastReason. */
typedef void (*ResolveFunc)(int error, const char *reason, const RedAddress *addrs, size_t n, void *userdata);

/* Calls cb synchronously for literals (then *ret = NULL), else later; free the request to cancel. */
int resolve_server(sd_bus *bus, const char *host, uint16_t port, SiprTransport transport, ResolveFunc cb,
                   void *userdata, ResolveRequest **ret);
ResolveRequest *resolve_request_free(ResolveRequest *q);

/* "sip:ADDR:PORT;transport=T" with IPv6 in brackets. */
void resolve_format_uri(char *buf, size_t size, const char *transport, const char *address, uint16_t port);
