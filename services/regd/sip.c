/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* REGISTER transactions over sofia-sip's nta (transaction layer) in the GLib loop.
 *
 * Why nta and not nua: nua's registration usage refreshes on its own schedule (¼…¾ of the
 * lifetime, randomised) and owns Call-ID/CSeq, while BEHAVIOUR.md wants refreshes at the earlier
 * of expires−60 s and 90 %, on the server the engine chooses, with a Call-ID/CSeq sequence that
 * survives restarts. nta gives exactly one transaction per REGISTER, its RFC 3261 retransmissions
 * and timers (T1/T2/T4, timer F), local 503 on ICMP/RST, and lets us set every header. */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/auth_client.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/tport.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/url.h>

#include "log.h"
#include "macro.h"
#include "sip-binding.h"
#include "sip-header.h"
#include "sip-retrans.h"
#include "sip.h"
#include "timer.h"

/* At most this many REGISTER transactions in flight to one next hop; the rest wait their turn
 * (FIFO). 1000 accounts × 4 servers started at once overflow UDP receive buffers (ours and the
 * registrar's): requests and answers are dropped, time out and are retried in step, and the
 * storm feeds itself. 32 at a time keeps both sides' buffers small and still registers 1000
 * accounts in about a second on a LAN. */
#define SIP_HOP_INFLIGHT_MAX 32u
#define SIP_TRIM_DELAY_SEC   10u /* > Timer K (T4, 5 s) */

typedef struct SipHop {
        unsigned inflight;
        GQueue waiting; /* SipReg* whose transaction waits for a slot */
} SipHop;

struct SipDriver {
        su_root_t *root;
        GSource *source;
        nta_agent_t *agent;
        char *host;
        uint16_t port;
        unsigned t1_ms, t2_ms; /* retransmission timers, ours (see sip_driver_set_timers) */
        GHashTable *hops;      /* next-hop URI → SipHop (owned) */
        guint pump_id;         /* idle: start waiting transactions in freed slots */
        unsigned busy;         /* REGISTERs in flight or waiting, all hops */
        guint trim_id;         /* after a burst: give the freed heap back (sip_driver_trim) */
        SipReg *answering;     /* whose final answer is being delivered (may re-send at once) */
        SipDriverMessageFunc message_cb; /* requests and stray responses regd does not handle itself */
        void *message_userdata;
};

struct SipReg {
        SipDriver *d;
        su_home_t *home;
        char *user, *domain, *display_name, *auth_name, *password, *next_hop, *instance, *call_id;
        char *user_escaped, *display_quoted; /* as they go on the wire (sip-header.c); quoted "" if none */
        char *from_tag;
        char *contact_host;
        bool tcp;
        uint32_t cseq, expires;
        nta_outgoing_t *orq;
        nta_outgoing_t *keepalive; /* OPTIONS on the registration flow (nat.udp_update_*) */
        SipRetrans rt;
        bool retried_423;
        uint32_t retry_after; /* of the last final answer (s), 0 = none */
        bool has_slot;  /* counted in its hop's inflight (while orq exists) */
        GList *waiting; /* its link in the hop's queue, NULL when not waiting */
        bool was_queued; /* its current transaction waited for a slot */
        SipRegSentFunc sent;
        tport_t *flow; /* connection of the last successful REGISTER (TCP) */
        int flow_pend;
        SipRegFlowClosedFunc flow_closed;
        SipRegKeepaliveFunc keepalive_result;
        auth_client_t *auc;
        SipRegResultFunc cb;
        void *userdata;
};

/* A plain string as a URL argument (URL_STRING_MAKE trips -Waddress). */
static const url_string_t *url_str(const char *s) {
        return (const url_string_t *) s;
}

static int on_incoming(nta_agent_magic_t *magic, nta_agent_t *agent, msg_t *msg, sip_t *sip) {
        SipDriver *d = (SipDriver *) magic;

        /* The edge first: requests for the accounts' Contact, in-dialog requests and stray
         * answers of what it forwards. */
        if (d->message_cb && sip && d->message_cb(d, msg, sip, d->message_userdata))
                return 0;
        /* Requests outside our transactions: answer OPTIONS (keep-alive probes), refuse the rest. */
        if (sip && sip->sip_request) {
                if (sip->sip_request->rq_method == sip_method_options)
                        nta_msg_treply(agent, msg, SIP_200_OK, TAG_END());
                else if (sip->sip_request->rq_method != sip_method_ack)
                        nta_msg_treply(agent, msg, SIP_501_NOT_IMPLEMENTED, TAG_END());
                else
                        msg_destroy(msg);
                return 0;
        }
        msg_destroy(msg);
        return 0;
}

int sip_driver_new(const char *bind_address, uint16_t port, SipDriver **ret) {
        SipDriver *d;
        char url[128];

        if (su_init() < 0)
                return log_error_errno(EIO, "Failed to initialise sofia-sip.");

        d = calloc(1, sizeof(SipDriver));
        if (!d)
                return log_oom();
        d->hops = g_hash_table_new_full(g_str_hash, g_str_equal, free, free);
        d->root = su_glib_root_create(d);
        if (!d->root) {
                free(d);
                return log_error_errno(ENOMEM, "Failed to create the sofia-sip root.");
        }
        /* Keep sofia on the GLib thread: no sofia threads at all. */
        su_root_threading(d->root, 0);
        d->source = su_glib_root_gsource(d->root);
        g_source_attach(d->source, NULL);

        snprintf(url, sizeof(url), "sip:%s:%u", strchr(bind_address, ':') ? "*" : bind_address, port);
        d->agent = nta_agent_create(d->root, url_str(url), on_incoming, (nta_agent_magic_t *) d,
                                    NTATAG_USE_NAPTR(0), NTATAG_USE_SRV(0), NTATAG_BLACKLIST(0),
                                    NTATAG_CLIENT_RPORT(1), NTATAG_UDP_MTU(65535),
                                    /* a proxy for the edge: a CANCEL is the application's to
                                     * forward, the final answer comes from the far side */
                                    NTATAG_CANCEL_487(0),
                                    /* a connection closed by the peer is reported (flow_follow) */
                                    TPTAG_SDWN_ERROR(1), TAG_END());
        if (!d->agent) {
                int r = -errno ?: -EADDRINUSE;
                sip_driver_free(d);
                return log_error_errno(r, "Failed to bind SIP to %s (UDP and TCP): %m", url);
        }

        if (!streq(bind_address, "*")) {
                d->host = strdup(bind_address);
        } else {
                sip_contact_t const *m = nta_agent_contact(d->agent);
                d->host = strdup(m && m->m_url->url_host ? m->m_url->url_host : "127.0.0.1");
        }
        if (!d->host) {
                sip_driver_free(d);
                return log_oom();
        }
        d->port = port;
        (void) sip_driver_set_timers(d, 500 * 1000, 4000 * 1000, 5000 * 1000);
        log_info("SIP agent on %s (contact host %s).", url, d->host);
        *ret = d;
        return 0;
}

void sip_driver_set_message_handler(SipDriver *d, SipDriverMessageFunc cb, void *userdata) {
        d->message_cb = cb;
        d->message_userdata = userdata;
}

nta_agent_t *sip_driver_agent(SipDriver *d) {
        return d->agent;
}

const char *sip_driver_host(const SipDriver *d) {
        return d->host;
}

uint16_t sip_driver_port(const SipDriver *d) {
        return d->port;
}

void sip_driver_timers_ms(const SipDriver *d, unsigned *ret_t1, unsigned *ret_t2) {
        *ret_t1 = d->t1_ms;
        *ret_t2 = d->t2_ms;
}

SipDriver *sip_driver_free(SipDriver *d) {
        if (!d)
                return NULL;
        if (d->agent)
                nta_agent_destroy(d->agent);
        if (d->root)
                su_root_destroy(d->root);
        if (d->pump_id)
                g_source_remove(d->pump_id);
        if (d->trim_id)
                g_source_remove(d->trim_id);
        /* Every SipReg is freed before its driver, so no queue still holds one. */
        g_hash_table_destroy(d->hops);
        free(d->host);
        free(d);
        return NULL;
}

int sip_driver_set_timers(SipDriver *d, uint64_t t1_usec, uint64_t t2_usec, uint64_t t4_usec) {
        unsigned t1 = (unsigned) MAX(t1_usec / 1000, (uint64_t) 1);
        unsigned t2 = (unsigned) MAX(t2_usec / 1000, (uint64_t) t1);
        unsigned t4 = (unsigned) MAX(t4_usec / 1000, (uint64_t) 1);

        /* UDP retransmissions are ours (timer E), because nta cannot stop retransmitting a
         * non-INVITE transaction it was asked to abandon, and retry_counts must be exact. So nta's
         * T1 is set beyond timer F: it sends once, matches answers, reports ICMP/RST at once
         * and ends the transaction with a local 408 after 64·T1. */
        if (nta_agent_set_params(d->agent, NTATAG_SIP_T1X64(64 * t1), NTATAG_SIP_T1(64 * t1 + 1000),
                                 NTATAG_SIP_T2(64 * t1 + 1000), NTATAG_SIP_T4(t4), TAG_END()) < 0)
                return log_error_errno(EINVAL, "Failed to set SIP timers T1=%ums T2=%ums T4=%ums.", t1, t2, t4);
        d->t1_ms = t1;
        d->t2_ms = t2;
        log_debug("SIP timers T1=%ums T2=%ums T4=%ums.", t1, t2, t4);
        return 0;
}

static char *home_strdup(su_home_t *home, const char *s) {
        return su_strdup(home, strempty(s));
}

/* SipRegs alive, for the state dump: one per (account, server address) in use. */
static unsigned sip_regs_live;

void sip_driver_dump(SipDriver *d, GString *line) {
        usize_t orq = 0, irq = 0, leg = 0;

        if (d && d->agent)
                (void) nta_agent_get_stats(d->agent, NTATAG_S_ORQ_HASH_USED_REF(orq),
                                           NTATAG_S_IRQ_HASH_USED_REF(irq), NTATAG_S_LEG_HASH_USED_REF(leg),
                                           TAG_END());
        unsigned inflight = 0, waiting = 0;
        GHashTableIter it;
        gpointer k, v;

        if (d) {
                g_hash_table_iter_init(&it, d->hops);
                while (g_hash_table_iter_next(&it, &k, &v)) {
                        SipHop *h = v;
                        inflight += h->inflight;
                        waiting += h->waiting.length;
                }
        }
        g_string_append_printf(
                line,
                " sip_regs=%u registers_in_flight=%u registers_waiting=%u client_transactions=%zu "
                "server_transactions=%zu legs=%zu",
                sip_regs_live, inflight, waiting, (size_t) orq, (size_t) irq, (size_t) leg);
}

int sip_reg_new(SipDriver *d, const SipRegParams *p, SipRegResultFunc cb, void *userdata, SipReg **ret) {
        SipReg *reg = calloc(1, sizeof(SipReg));
        char tag[32];

        if (!reg)
                return -ENOMEM;
        reg->home = su_home_new(sizeof(su_home_t));
        if (!reg->home) {
                free(reg);
                return -ENOMEM;
        }
        reg->d = d;
        reg->user = home_strdup(reg->home, p->user);
        reg->domain = home_strdup(reg->home, p->domain);
        reg->display_name = home_strdup(reg->home, p->display_name);
        reg->auth_name = home_strdup(reg->home, isempty(p->auth_name) ? p->user : p->auth_name);
        reg->password = home_strdup(reg->home, p->password);
        reg->next_hop = home_strdup(reg->home, p->next_hop);
        reg->instance = home_strdup(reg->home, p->instance);
        reg->call_id = home_strdup(reg->home, p->call_id);
        {
                char *u = sip_user_escape(p->user);
                char *q = isempty(p->display_name) ? NULL : sip_display_quote(p->display_name);
                reg->user_escaped = u ? home_strdup(reg->home, u) : NULL;
                reg->display_quoted = home_strdup(reg->home, q ? q : "");
                free(u);
                free(q);
                if (!reg->user_escaped || (!isempty(p->display_name) && isempty(reg->display_quoted))) {
                        su_home_unref(reg->home);
                        free(reg);
                        return -ENOMEM;
                }
        }
        snprintf(tag, sizeof(tag), "%08x%08x", (unsigned) g_random_int(), (unsigned) g_random_int());
        reg->from_tag = home_strdup(reg->home, tag);
        reg->cseq = p->cseq;
        reg->tcp = strstr(p->next_hop, "transport=tcp") != NULL;
        reg->cb = cb;
        reg->userdata = userdata;
        sip_regs_live++;
        *ret = reg;
        return 0;
}

void sip_reg_set_flow_closed(SipReg *reg, SipRegFlowClosedFunc cb) {
        reg->flow_closed = cb;
}

void sip_reg_set_sent(SipReg *reg, SipRegSentFunc cb) {
        reg->sent = cb;
}

uint32_t sip_reg_retry_after(const SipReg *reg) {
        return reg->retry_after;
}

static void flow_release(SipReg *reg) {
        if (!reg->flow)
                return;
        if (reg->flow_pend > 0)
                (void) tport_release(reg->flow, reg->flow_pend, NULL, NULL, (tp_client_t *) reg, 0);
        tport_unref(reg->flow);
        reg->flow = NULL;
        reg->flow_pend = 0;
}

static void on_flow_error(tp_stack_t *stack, tp_client_t *client, tport_t *tp, msg_t *msg, int error) {
        SipReg *reg = (SipReg *) client;

        if (tp != reg->flow)
                return;
        log_info("Connection to %s closed%s%s.", reg->next_hop, error ? ": " : "", error ? strerror(error) : "");
        flow_release(reg);
        if (reg->flow_closed)
                reg->flow_closed(reg, reg->userdata);
}

/* Follow the connection a binding lives on, so its loss is noticed at once (BEHAVIOUR.md). */
static void flow_follow(SipReg *reg, nta_outgoing_t *orq) {
        tport_t *tp = nta_outgoing_transport(orq);

        flow_release(reg);
        if (!tp)
                return;
        if (!tport_is_reliable(tp)) {
                tport_unref(tp);
                return;
        }
        reg->flow = tp;
        reg->flow_pend = tport_pend(tp, NULL, on_flow_error, (tp_client_t *) reg);
        if (reg->flow_pend < 0)
                flow_release(reg);
}

static gboolean on_trim(gpointer userdata) {
        SipDriver *d = userdata;

        d->trim_id = 0;
#ifdef __GLIBC__
        /* A burst of REGISTERs (start, Reregister, a failover of many accounts) peaks at
         * several times the steady heap: each transaction keeps its messages until Timer K.
         * glibc keeps that peak mapped; give it back, as sd_event_trim_memory() does. */
        (void) malloc_trim(0);
#endif
        return G_SOURCE_REMOVE;
}

/* Counts REGISTERs in flight or waiting; when the last one is done, trims the heap a little
 * later (after Timer K has freed the transactions), once per burst. */
static void sip_driver_busy(SipDriver *d, int delta) {
        d->busy += delta;
        if (d->busy == 0 && !d->trim_id)
                d->trim_id = timer_add_seconds(SIP_TRIM_DELAY_SEC, on_trim, d);
}

static SipHop *hop_get(SipDriver *d, const char *next_hop) {
        SipHop *h = g_hash_table_lookup(d->hops, next_hop);
        char *k;

        if (h)
                return h;
        /* Dropped again once idle (slot_release, wait_cancel): only hops in use are kept. */
        h = calloc(1, sizeof(SipHop));
        k = strdup(next_hop);
        if (!h || !k) {
                free(h);
                free(k);
                return NULL;
        }
        g_queue_init(&h->waiting);
        g_hash_table_insert(d->hops, k, h);
        return h;
}

static gboolean on_pump(gpointer userdata);

/* Idle: forget the hop, so next hops that come and go do not pile up. True when it went. */
static bool hop_forget_if_idle(SipDriver *d, SipHop *h, const char *next_hop) {
        if (h->inflight > 0 || h->waiting.length > 0)
                return false;
        g_hash_table_remove(d->hops, next_hop);
        return true;
}

/* The transaction of reg ended (answered, timed out, cancelled): its slot goes to the next. */
static void slot_release(SipReg *reg) {
        SipHop *h;

        if (!reg->has_slot)
                return;
        reg->has_slot = false;
        h = g_hash_table_lookup(reg->d->hops, reg->next_hop);
        if (!h)
                return;
        h->inflight--;
        sip_driver_busy(reg->d, -1);
        if (hop_forget_if_idle(reg->d, h, reg->next_hop))
                return;
        /* Deferred: we may be inside another transaction's callback. */
        if (h->waiting.length > 0 && !reg->d->pump_id)
                reg->d->pump_id = timer_add_msec(0, on_pump, reg->d); /* default priority, not idle */
}

static void wait_cancel(SipReg *reg) {
        SipHop *h;

        if (!reg->waiting)
                return;
        h = g_hash_table_lookup(reg->d->hops, reg->next_hop);
        if (h)
                g_queue_delete_link(&h->waiting, reg->waiting);
        reg->was_queued = false;
        sip_driver_busy(reg->d, -1);
        if (h)
                (void) hop_forget_if_idle(reg->d, h, reg->next_hop);
        reg->waiting = NULL;
}

void sip_reg_cancel(SipReg *reg) {
        if (!reg)
                return;
        wait_cancel(reg);
        if (!reg->orq)
                return;
        sip_retrans_stop(&reg->rt);
        /* nta keeps the abandoned transaction until timer F, but sends nothing more (above). */
        nta_outgoing_destroy(reg->orq);
        reg->orq = NULL;
        slot_release(reg);
}

SipReg *sip_reg_free(SipReg *reg) {
        if (!reg)
                return NULL;
        sip_regs_live--;
        sip_reg_cancel(reg);
        flow_release(reg);
        if (reg->keepalive)
                nta_outgoing_destroy(reg->keepalive);
        if (reg->password)
                memset(reg->password, 0, strlen(reg->password));
        su_home_unref(reg->home);
        free(reg);
        return NULL;
}

bool sip_reg_busy(const SipReg *reg) {
        return reg->orq || reg->waiting || reg->keepalive;
}

tport_t *sip_reg_flow(const SipReg *reg) {
        return reg->flow;
}

const char *sip_reg_call_id(const SipReg *reg) {
        return reg->call_id;
}

uint32_t sip_reg_cseq(const SipReg *reg) {
        return reg->cseq;
}

/* Our contact in a 2xx: same user@host:port, or our +sip.instance. */
static uint32_t granted_expiry(const SipReg *reg, const sip_t *sip) {
        SipBindingId id = {
                .instance = reg->instance,
                .user = reg->user_escaped, /* as our Contact carried it */
                .host = reg->d->host,
                .port = reg->d->port,
        };

        return sip_binding_granted(sip, &id, reg->expires);
}

static int reg_transmit(SipReg *reg);

static int on_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq, sip_t const *sip) {
        SipReg *reg = (SipReg *) magic;
        unsigned status = sip && sip->sip_status ? (unsigned) sip->sip_status->st_status : (unsigned) nta_outgoing_status(orq);
        /* nta's own answers (ICMP, refused, reset, timer F) are "local": no server said it. */
        bool local = !sip || !sip->sip_status || nta_sip_is_internal(sip);
        uint32_t granted = 0;
        char phrase[128];

        if (orq != reg->orq)
                return 0;
        if (status < 200) {
                sip_retrans_provisional(&reg->rt); /* at T2 from now on (17.1.2.2) */
                return 0;
        }
        sip_retrans_stop(&reg->rt);

        if (!local && status == 423 && sip->sip_min_expires && !reg->retried_423 && reg->expires > 0) {
                /* Interval Too Brief: once more with the registrar's minimum (RFC 3261 10.2.8). */
                sip_retrans_stop(&reg->rt);
                nta_outgoing_destroy(orq);
                reg->orq = NULL;
                slot_release(reg);
                reg->retried_423 = true;
                reg->expires = (uint32_t) MAX(sip->sip_min_expires->me_delta, (unsigned long) reg->expires);
                log_info("%s wants Expires >= %u; asking for that.", reg->next_hop, reg->expires);
                if (reg_transmit(reg) < 0)
                        reg->cb(reg, 423, "Interval Too Brief", false, 0, reg->userdata);
                return 0;
        }
        reg->retry_after = 0;
        if (!local) {
                snprintf(phrase, sizeof(phrase), "%s", strempty(sip->sip_status->st_phrase));
                if (status >= 300 && sip->sip_retry_after)
                        reg->retry_after = (uint32_t) MIN(sip->sip_retry_after->af_delta, (unsigned long) UINT32_MAX);
                if (status >= 200 && status < 300) {
                        granted = granted_expiry(reg, sip);
                        if (reg->tcp && reg->expires > 0)
                                flow_follow(reg, orq);
                        else
                                flow_release(reg);
                }
                if (sip->sip_www_authenticate)
                        auc_challenge(&reg->auc, reg->home, (msg_auth_t *) sip->sip_www_authenticate,
                                      sip_authorization_class);
                if (sip->sip_proxy_authenticate)
                        auc_challenge(&reg->auc, reg->home, (msg_auth_t *) sip->sip_proxy_authenticate,
                                      sip_proxy_authorization_class);
        } else
                snprintf(phrase, sizeof(phrase), "%s",
                         status == 408 ? "no response (transaction timed out)" :
                         status == 503 ? "transport error (unreachable or refused)" : "local error");

        nta_outgoing_destroy(orq);
        reg->orq = NULL;
        slot_release(reg);
        /* Last: the callback may free reg. */
        SipDriver *d = reg->d;
        d->answering = reg;
        reg->cb(reg, status, phrase, local, granted, reg->userdata);
        d->answering = NULL;
        return 0;
}

static int reg_transmit_now(SipReg *reg) {
        msg_t *msg;
        sip_t *sip;
        su_home_t *home;
        const char *ruri, *from, *to, *contact, *expires, *version;

        msg = nta_msg_create(reg->d->agent, 0);
        if (!msg) {
                slot_release(reg);
                return -ENOMEM;
        }
        sip = sip_object(msg);
        home = msg_home(msg);

        /* Sized to what they hold: a user name may be 1024 bytes (3 KB escaped), the display
         * name as long, quoted (RFC 3261 25.1). */
        ruri = su_sprintf(home, "sip:%s", reg->domain);
        from = su_sprintf(home, "%s%s<sip:%s@%s>;tag=%s", reg->display_quoted, isempty(reg->display_quoted) ? "" : " ",
                          reg->user_escaped, reg->domain, reg->from_tag);
        to = su_sprintf(home, "<sip:%s@%s>", reg->user_escaped, reg->domain);
        contact = su_sprintf(home, "<sip:%s@%s:%u%s>;+sip.instance=\"<urn:uuid:%s>\"", reg->user_escaped, reg->d->host,
                             reg->d->port, reg->tcp ? ";transport=tcp" : "", reg->instance);
        expires = su_sprintf(home, "%u", reg->expires);
        version = su_sprintf(home, "sipr-regd/%s", SIPR_VERSION);
        if (!ruri || !from || !to || !contact || !expires || !version) {
                msg_destroy(msg);
                slot_release(reg);
                return -ENOMEM;
        }

        reg->cseq++;
        if (sip_add_tl(msg, sip,
                       SIPTAG_REQUEST(sip_request_create(msg_home(msg), SIP_METHOD_REGISTER, url_str(ruri), NULL)),
                       SIPTAG_FROM_STR(from),
                       SIPTAG_TO_STR(to),
                       SIPTAG_CALL_ID_STR(reg->call_id),
                       SIPTAG_CSEQ(sip_cseq_create(msg_home(msg), reg->cseq, SIP_METHOD_REGISTER)),
                       SIPTAG_CONTACT_STR(contact),
                       SIPTAG_EXPIRES_STR(expires),
                       SIPTAG_MAX_FORWARDS_STR("70"),
                       SIPTAG_USER_AGENT_STR(version),
                       TAG_END()) < 0) {
                msg_destroy(msg);
                slot_release(reg);
                return log_warning_errno(EINVAL, "REGISTER for %s@%s cannot be built: a header does not parse "
                                                 "(account user_name, display_name or server address).",
                                         reg->user_escaped, reg->domain);
        }
        if (reg->auc && auc_has_authorization(&reg->auc))
                auc_authorization(&reg->auc, msg, (msg_pub_t *) sip, "REGISTER",
                                  (url_t *) sip->sip_request->rq_url, sip->sip_payload);

        reg->orq = nta_outgoing_mcreate(reg->d->agent, on_response, (nta_outgoing_magic_t *) reg,
                                        url_str(reg->next_hop), msg, TAG_END());
        if (!reg->orq) {
                slot_release(reg);
                return log_warning_errno(EIO, "Failed to send REGISTER to %s.", reg->next_hop);
        }
        if (!reg->tcp)
                sip_retrans_start(&reg->rt, reg->d->agent, reg->orq, reg->next_hop, false, reg->d->t1_ms, reg->d->t2_ms);
        log_debug("REGISTER sip:%s@%s via %s, Expires %u, CSeq %u, Call-ID %s.", reg->user, reg->domain,
                  reg->next_hop, reg->expires, reg->cseq, reg->call_id);
        if (reg->was_queued) {
                reg->was_queued = false;
                /* Last: the callback may do anything with reg but free it (we are in the pump). */
                if (reg->sent)
                        reg->sent(reg, reg->userdata);
        }
        return 0;
}

/* Starts the transaction now if its next hop has a free slot, else queues it (still "sent" for
 * the caller: its answer, or its time-out, comes through the callback as usual). */
static int reg_transmit(SipReg *reg) {
        SipHop *h;

        sip_reg_cancel(reg);
        h = hop_get(reg->d, reg->next_hop);
        if (!h)
                return -ENOMEM;
        /* First come, first served; except a SipReg answering its own challenge (or a 423) in
         * the callback of the answer that freed its slot: it finishes what it started. */
        if (h->inflight >= SIP_HOP_INFLIGHT_MAX || (h->waiting.length > 0 && reg->d->answering != reg)) {
                g_queue_push_tail(&h->waiting, reg);
                reg->was_queued = true;
                sip_driver_busy(reg->d, +1);
                reg->waiting = g_queue_peek_tail_link(&h->waiting);
                log_debug("REGISTER to %s waits: %u in flight there.", reg->next_hop, h->inflight);
                return 1;
        }
        h->inflight++;
        sip_driver_busy(reg->d, +1);
        reg->has_slot = true;
        return reg_transmit_now(reg);
}

/* Fills freed slots, one transaction at a time: a failing start calls back into regd, which may
 * free SipRegs or queue new ones, so the table is searched afresh after each. */
static gboolean on_pump(gpointer userdata) {
        SipDriver *d = userdata;

        d->pump_id = 0;
        for (;;) {
                GHashTableIter it;
                gpointer k, v;
                SipReg *reg = NULL;

                g_hash_table_iter_init(&it, d->hops);
                while (g_hash_table_iter_next(&it, &k, &v)) {
                        SipHop *h = v;
                        if (h->waiting.length > 0 && h->inflight < SIP_HOP_INFLIGHT_MAX) {
                                reg = g_queue_pop_head(&h->waiting);
                                reg->waiting = NULL;
                                h->inflight++;
                                reg->has_slot = true;
                                break;
                        }
                }
                if (!reg)
                        break;
                if (reg_transmit_now(reg) < 0)
                        /* Our own failure, not the server's: 500, which is not reported as
                         * the server's health. */
                        reg->cb(reg, 500, "cannot send (local error)", true, 0, reg->userdata);
        }
        return G_SOURCE_REMOVE;
}

int sip_reg_send(SipReg *reg, uint32_t expires) {
        reg->expires = expires;
        reg->retried_423 = false;
        return reg_transmit(reg);
}

int sip_reg_authenticate(SipReg *reg) {
        if (!reg->auc)
                return -ENOKEY;
        /* 0 means "already set" (a new challenge for a realm we answered before): fine. */
        if (auc_all_credentials(&reg->auc, NULL, NULL, reg->auth_name, reg->password) < 0 ||
            !auc_has_authorization(&reg->auc))
                return -ENOKEY;
        return reg_transmit(reg);
}

static int on_keepalive_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq, sip_t const *sip) {
        SipReg *reg = (SipReg *) magic;
        unsigned status = sip && sip->sip_status ? (unsigned) sip->sip_status->st_status :
                                                   (unsigned) nta_outgoing_status(orq);

        bool local = !sip || !sip->sip_status || nta_sip_is_internal(sip);

        if (status < 200)
                return 0;
        log_debug("Keep-alive OPTIONS to %s: %u%s.", reg->next_hop, status, local ? " (local)" : "");
        if (orq == reg->keepalive)
                reg->keepalive = NULL;
        nta_outgoing_destroy(orq);
        if (reg->keepalive_result) /* last: it may do anything with reg but free it */
                reg->keepalive_result(reg, status, local, reg->userdata);
        return 0;
}

void sip_reg_set_keepalive_result(SipReg *reg, SipRegKeepaliveFunc cb) {
        reg->keepalive_result = cb;
}

int sip_reg_keepalive(SipReg *reg) {
        msg_t *msg;
        sip_t *sip;
        su_home_t *home;
        const char *ruri, *from, *to, *call_id;

        if (reg->keepalive)
                return 0; /* the previous one is still under way */
        msg = nta_msg_create(reg->d->agent, 0);
        if (!msg)
                return -ENOMEM;
        sip = sip_object(msg);
        home = msg_home(msg);
        ruri = su_sprintf(home, "sip:%s", reg->domain);
        from = su_sprintf(home, "<sip:%s@%s>;tag=%08x", reg->user_escaped, reg->domain, (unsigned) g_random_int());
        to = su_sprintf(home, "<sip:%s>", reg->domain);
        call_id = su_sprintf(home, "ka%08x%08x", (unsigned) g_random_int(), (unsigned) g_random_int());
        if (!ruri || !from || !to || !call_id ||
            sip_add_tl(msg, sip,
                       SIPTAG_REQUEST(sip_request_create(msg_home(msg), SIP_METHOD_OPTIONS, url_str(ruri), NULL)),
                       SIPTAG_FROM_STR(from),
                       SIPTAG_TO_STR(to),
                       SIPTAG_CALL_ID_STR(call_id),
                       SIPTAG_CSEQ(sip_cseq_create(msg_home(msg), 1, SIP_METHOD_OPTIONS)),
                       SIPTAG_MAX_FORWARDS_STR("70"),
                       TAG_END()) < 0) {
                msg_destroy(msg);
                return -EINVAL;
        }
        reg->keepalive = nta_outgoing_mcreate(reg->d->agent, on_keepalive_response, (nta_outgoing_magic_t *) reg,
                                              url_str(reg->next_hop), msg, TAG_END());
        return reg->keepalive ? 0 : -EIO;
}
