/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* SIP transport for regd: one sofia-sip nta agent in the GLib loop, one SipReg per
 * (account, server address). A SipReg sends REGISTER transactions with the Call-ID and CSeq
 * sequence it is given (so they survive restarts), answers digest challenges when asked, and
 * reports each final answer once. No redundancy decisions here: those are redundancy.c's. */

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/tport.h>

typedef struct SipDriver SipDriver;
typedef struct SipReg SipReg;

/* bind_address: "*" or an IP; port: the local SIP port (UDP and TCP). */
int sip_driver_new(const char *bind_address, uint16_t port, SipDriver **ret);
SipDriver *sip_driver_free(SipDriver *d);
/* Appends " sip_regs=… client_transactions=…" to the SIGUSR1 state line. */
void sip_driver_dump(SipDriver *d, GString *line);
int sip_driver_set_timers(SipDriver *d, uint64_t t1_usec, uint64_t t2_usec, uint64_t t4_usec);

/* The network side for the edge (edge.c): its agent, the address the Contact carries, our T1/T2
 * (the agent's own T1 is beyond timer F, see sip-retrans.h), and a hook that sees every request
 * and stray response outside regd's own transactions first; true when it took the message. */
typedef bool (*SipDriverMessageFunc)(SipDriver *d, msg_t *msg, sip_t *sip, void *userdata);
void sip_driver_set_message_handler(SipDriver *d, SipDriverMessageFunc cb, void *userdata);
nta_agent_t *sip_driver_agent(SipDriver *d);
const char *sip_driver_host(const SipDriver *d);
uint16_t sip_driver_port(const SipDriver *d);
void sip_driver_timers_ms(const SipDriver *d, unsigned *ret_t1, unsigned *ret_t2);

typedef struct SipRegParams {
        const char *user;         /* AOR user */
        const char *domain;       /* AOR domain and Request-URI host */
        const char *display_name; /* may be NULL */
        const char *auth_name;
        const char *password;     /* never logged */
        const char *next_hop;     /* numeric URI, e.g. sip:127.0.0.2:5060;transport=udp */
        const char *instance;     /* UUID for +sip.instance */
        const char *call_id;
        uint32_t cseq;            /* the last CSeq used; the next request uses cseq+1 */
} SipRegParams;

/* status: final status; local: no response from the network (timeout, ICMP, refused);
 * granted: expiry granted for our contact (s), 0 when not a 2xx. */
typedef void (*SipRegResultFunc)(SipReg *reg, unsigned status, const char *phrase, bool local,
                                 uint32_t granted, void *userdata);

/* The connection (TCP) that carried our last successful REGISTER closed. */
typedef void (*SipRegFlowClosedFunc)(SipReg *reg, void *userdata);

int sip_reg_new(SipDriver *d, const SipRegParams *p, SipRegResultFunc cb, void *userdata, SipReg **ret);
void sip_reg_set_flow_closed(SipReg *reg, SipRegFlowClosedFunc cb);
/* Called when a REGISTER that waited for a slot (pacing) is sent at last; CSeq is final then. */
typedef void (*SipRegSentFunc)(SipReg *reg, void *userdata);
void sip_reg_set_sent(SipReg *reg, SipRegSentFunc cb);
/* Retry-After (s) of the final answer being delivered to the result callback; 0 = none. */
uint32_t sip_reg_retry_after(const SipReg *reg);
SipReg *sip_reg_free(SipReg *reg); /* abandons any transaction, sends nothing */

/* Sends REGISTER with Expires: expires (0 removes our binding). Cancels a pending one. */
/* 0: sent; 1: queued behind other REGISTERs to the same next hop (see sip_reg_set_sent). */
int sip_reg_send(SipReg *reg, uint32_t expires);
/* Resends the last REGISTER with credentials for the challenge just received. */
int sip_reg_authenticate(SipReg *reg);
/* Abandons the pending transaction (no more retransmissions, no result). */
void sip_reg_cancel(SipReg *reg);
/* One OPTIONS to the next hop on the registration flow: keeps NAT bindings open. */
int sip_reg_keepalive(SipReg *reg);
/* The keep-alive's final answer: status, local as for REGISTER (no response from the network). */
typedef void (*SipRegKeepaliveFunc)(SipReg *reg, unsigned status, bool local, void *userdata);
void sip_reg_set_keepalive_result(SipReg *reg, SipRegKeepaliveFunc cb);
uint32_t sip_reg_cseq(const SipReg *reg);
/* The connection (TCP) its binding lives on, or NULL. */
tport_t *sip_reg_flow(const SipReg *reg);
const char *sip_reg_call_id(const SipReg *reg);
/* A transaction or keep-alive is under way, or one waits for a slot. */
bool sip_reg_busy(const SipReg *reg);
