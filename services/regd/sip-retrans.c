/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/url.h>

#include "log.h"
#include "macro.h"
#include "sip-retrans.h"
#include "timer.h"

static gboolean on_retransmit(gpointer userdata) {
        SipRetrans *rt = userdata;
        msg_t *req, *copy;

        rt->id = 0;
        if (!rt->orq)
                return G_SOURCE_REMOVE;
        req = nta_outgoing_getrequest(rt->orq);
        copy = req ? msg_dup(req) : NULL;
        if (req)
                msg_destroy(req);
        if (!copy ||
            nta_msg_tsend(rt->agent, copy, (const url_string_t *) rt->dest, NTATAG_USER_VIA(1), TAG_END()) < 0)
                log_debug("Failed to retransmit %s to %s.", nta_outgoing_method_name(rt->orq), rt->dest);
        else
                log_debug("%s retransmitted to %s (copy %u).", nta_outgoing_method_name(rt->orq), rt->dest,
                          ++rt->sent);
        rt->interval_ms = rt->invite ? rt->interval_ms * 2 : MIN(rt->interval_ms * 2, rt->t2_ms);
        rt->id = timer_add_msec(rt->interval_ms, on_retransmit, rt);
        return G_SOURCE_REMOVE;
}

void sip_retrans_stop(SipRetrans *rt) {
        if (rt->id)
                g_source_remove(rt->id);
        rt->id = 0;
        rt->orq = NULL;
        free(rt->dest);
        rt->dest = NULL;
}

void sip_retrans_start(SipRetrans *rt, nta_agent_t *agent, nta_outgoing_t *orq, const char *dest, bool invite,
                       unsigned t1_ms, unsigned t2_ms) {
        sip_retrans_stop(rt);
        rt->sent = 0;
        if (strstr(dest, "transport=tcp") || strstr(dest, "transport=tls") || strncmp(dest, "sips:", 5) == 0)
                return; /* reliable transports retransmit nothing (RFC 3261 17.1.1.2) */
        rt->agent = agent;
        rt->orq = orq;
        rt->dest = strdup(dest);
        rt->invite = invite;
        rt->interval_ms = MAX(t1_ms, 1u);
        rt->t2_ms = MAX(t2_ms, rt->interval_ms);
        if (!rt->dest) {
                rt->orq = NULL;
                return;
        }
        rt->id = timer_add_msec(rt->interval_ms, on_retransmit, rt);
}

void sip_retrans_provisional(SipRetrans *rt) {
        if (!rt->orq)
                return;
        if (rt->invite) {
                sip_retrans_stop(rt);
                return;
        }
        /* at T2 from now on */
        rt->interval_ms = rt->t2_ms;
}
