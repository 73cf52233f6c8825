/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "probe-parse.h"

int nta_log_parse_transport_error(const char *line, int *ret_error, char *ret_peer, size_t peer_size) {
        const char *with, *open, *peer;
        char *end;
        long e;

        if (!line || !strneq(line, "nta: ", 5) || !(with = strstr(line, ") with ")))
                return -EINVAL;
        /* The errno is the parenthesised number right before " with ". */
        open = with;
        while (open > line && *open != '(')
                open--;
        if (*open != '(' || open + 1 >= with)
                return -EINVAL;
        errno = 0;
        e = strtol(open + 1, &end, 10);
        if (errno != 0 || end != with || e <= 0 || e > 4095)
                return -EINVAL;
        peer = strchr(with, '[');
        if (!peer || !strchr(peer, ']'))
                return -EINVAL;
        *ret_error = (int) e;
        if (ret_peer && peer_size > 0)
                snprintf(ret_peer, peer_size, "%s", peer + 1);
        return 0;
}

void peer_key(const char *address, unsigned port, char *buf, size_t size) {
        snprintf(buf, size, "%s]:%u", address, port);
}

TargetEvent probe_event_from_errno(int error) {
        switch (abs(error)) {
        case ECONNREFUSED:
                return TARGET_EVENT_REFUSED;
        case ECONNRESET:
        case EPIPE:
        case ECONNABORTED:
                return TARGET_EVENT_RESET;
        case ETIMEDOUT:
                return TARGET_EVENT_TIMEOUT;
        case EHOSTUNREACH:
        case ENETUNREACH:
        case EHOSTDOWN:
        case ENETDOWN:
        case EADDRNOTAVAIL:
                return TARGET_EVENT_UNREACHABLE;
        case EPROTO:
                return TARGET_EVENT_BAD_REPLY;
        default:
                return TARGET_EVENT_ERROR;
        }
}

TargetEvent options_transport_error_event(TargetTransport transport, int error) {
        if (transport == TRANSPORT_UDP) {
                /* What tport reads back through IP_RECVERR: ICMP port or host unreachable. */
                if (error == 0 || error == ECONNREFUSED || error == EHOSTUNREACH || error == ENETUNREACH)
                        return TARGET_EVENT_ICMP;
                return probe_event_from_errno(error);
        }
        if (error == 0)
                return TARGET_EVENT_REFUSED;
        /* A stream too large or unparsable for the message size limit. */
        if (error == ENOBUFS || error == EMSGSIZE || error == EBADMSG || error == EPROTO)
                return TARGET_EVENT_BAD_REPLY;
        return probe_event_from_errno(error);
}

bool crlf_scan(bool *last_cr, const char *buf, size_t n) {
        bool pong = false;

        for (size_t k = 0; k < n; k++) {
                if (buf[k] == '\n' && *last_cr)
                        pong = true;
                *last_cr = buf[k] == '\r';
        }
        return pong;
}
