/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Our own timer A/E for client transactions on regd's network agent. That agent's T1 is set
 * beyond timer F (sip.c), so nta sends a request once, matches its answers and ends it with a
 * local 408 after 64·T1, but never retransmits: a transaction abandoned after exactly
 * retry_counts (or invite_retry_counts) retransmissions must not go on being sent. The copies are
 * exact (same Via branch), sent statelessly; the answer still matches the transaction. */

#include <glib.h>
#include <stdbool.h>

#include <sofia-sip/nta.h>

typedef struct SipRetrans {
        nta_agent_t *agent;
        nta_outgoing_t *orq;
        char *dest;     /* the route URI the original went to */
        bool invite;    /* timer A: stops at the first provisional, no T2 cap */
        unsigned interval_ms, t2_ms, sent;
        guint id;
} SipRetrans;

/* Starts retransmitting orq's request to dest at t1, 2·t1, … (non-INVITE: capped at t2). Nothing
 * is retransmitted over reliable transports (dest with transport=tcp/tls). */
void sip_retrans_start(SipRetrans *rt, nta_agent_t *agent, nta_outgoing_t *orq, const char *dest, bool invite,
                       unsigned t1_ms, unsigned t2_ms);
/* A provisional answer came: INVITE stops, others go on at T2 (RFC 3261 17.1.1.2, 17.1.2.2). */
void sip_retrans_provisional(SipRetrans *rt);
void sip_retrans_stop(SipRetrans *rt);
