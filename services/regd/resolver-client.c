/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "log.h"
#include "macro.h"
#include "resolver-client.h"
#include "sipr-error.h"

struct ResolveRequest {
        sd_bus_slot *slot;
        char *host;
        ResolveFunc cb;
        void *userdata;
};

static const char *transport_name(SiprTransport t) {
        switch (t) {
        case SIPR_TRANSPORT_UDP: return "udp";
        case SIPR_TRANSPORT_TCP: return "tcp";
        case SIPR_TRANSPORT_TLS: return "tls";
        default: return "";
        }
}

void resolve_format_uri(char *buf, size_t size, const char *transport, const char *address, uint16_t port) {
        if (strchr(address, ':'))
                snprintf(buf, size, "sip:[%s]:%u;transport=%s", address, port, transport);
        else
                snprintf(buf, size, "sip:%s:%u;transport=%s", address, port, transport);
}

ResolveRequest *resolve_request_free(ResolveRequest *q) {
        if (!q)
                return NULL;
        sd_bus_slot_unref(q->slot);
        free(q->host);
        free(q);
        return NULL;
}

static int on_resolve_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        ResolveRequest *q = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        RedAddress addrs[RED_ADDR_MAX];
        size_t n = 0, skipped_tls = 0;
        char reason[512];
        int r;

        if (e) {
                if (sd_bus_error_has_name(e, SIPR_ERROR_NOT_FOUND))
                        snprintf(reason, sizeof(reason), "%s: no such host or no SIP service (DNS: %s)", q->host,
                                 strempty(e->message));
                else if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        snprintf(reason, sizeof(reason), "%s: cannot resolve, sipr-resolverd is not running", q->host);
                else
                        snprintf(reason, sizeof(reason), "%s: resolution failed: %s", q->host,
                                 strempty(e->message ?: e->name));
                r = -ENOENT;
                goto fail;
        }

        r = sd_bus_message_enter_container(m, 'a', "(ssqqqu)");
        if (r < 0)
                goto bad;
        for (;;) {
                const char *transport, *address;
                uint16_t port, prio, weight;
                uint32_t ttl;

                r = sd_bus_message_read(m, "(ssqqqu)", &transport, &address, &port, &prio, &weight, &ttl);
                if (r < 0)
                        goto bad;
                if (r == 0)
                        break;
                if (streq(transport, "tls")) {
                        skipped_tls++; /* no TLS in this build */
                        continue;
                }
                if (n >= RED_ADDR_MAX)
                        continue;
                resolve_format_uri(addrs[n].uri, sizeof(addrs[n].uri), transport, address, port);
                addrs[n].ttl = ttl ?: 1;
                n++;
        }
        if (n == 0) {
                snprintf(reason, sizeof(reason), "%s: %s", q->host,
                         skipped_tls ? "only TLS targets, which this build does not support" : "no targets");
                r = -ENOENT;
                goto fail;
        }
        q->cb(0, NULL, addrs, n, q->userdata);
        return 0;
bad:
        snprintf(reason, sizeof(reason), "%s: malformed Resolve reply from sipr-resolverd", q->host);
fail:
        q->cb(r, reason, NULL, 0, q->userdata);
        return 0;
}

int resolve_server(sd_bus *bus, const char *host, uint16_t port, SiprTransport transport, ResolveFunc cb,
                   void *userdata, ResolveRequest **ret) {
        unsigned char buf[sizeof(struct in6_addr)];
        ResolveRequest *q;
        int r;

        *ret = NULL;
        if (inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1) {
                RedAddress a = { .ttl = 0 };
                char reason[256];

                if (transport == SIPR_TRANSPORT_TLS) {
                        snprintf(reason, sizeof(reason), "%s: TLS is not supported by this build", host);
                        cb(-EPROTONOSUPPORT, reason, NULL, 0, userdata);
                        return 0;
                }
                resolve_format_uri(a.uri, sizeof(a.uri), transport == SIPR_TRANSPORT_TCP ? "tcp" : "udp", host,
                                   port ?: 5060);
                cb(0, NULL, &a, 1, userdata);
                return 0;
        }

        q = calloc(1, sizeof(ResolveRequest));
        if (!q)
                return -ENOMEM;
        q->host = strdup(host);
        q->cb = cb;
        q->userdata = userdata;
        r = sd_bus_call_method_async(bus, &q->slot, "org.sipr.Resolver1", "/org/sipr/Resolver1", "org.sipr.Resolver1",
                                     "Resolve", on_resolve_reply, q, "sqs", host, port, transport_name(transport));
        if (r < 0) {
                resolve_request_free(q);
                return log_error_errno(r, "Failed to call Resolve for %s: %m", host);
        }
        *ret = q;
        return 0;
}
