/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Forwarded transactions (RFC 3261 16, transaction-stateful): one server transaction on the side
 * a request came from, client transactions ("branches") on the other.
 *
 *  - out: a UA's request outside a dialog goes to the account's next hops one after the other,
 *    moving on as the seed says (transport error or ICMP at once, silence after
 *    invite_retry_counts / retry_counts retransmissions, a 503 or 408); the last hop gets the
 *    full timer B/F; once a hop sent a provisional above 100 the request stays there.
 *  - in: a server's request for an account's Contact goes to every local contact at once; the
 *    first 2xx wins and the others are cancelled; no local contact: 480.
 *  - dialog: a request within a dialog follows its route to the other side, with no failover
 *    (a dialog stays on the server that set it up).
 *
 * Dialog-creating requests are record-routed twice (RFC 5658): the UA side sees the edge, the
 * servers see regd's registration address, so in-dialog requests come back through sipr. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_util.h>
#include <sofia-sip/url.h>

#include "account-bus.h"
#include "account.h"
#include "edge-internal.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "sip-retrans.h"
#include "sip.h"
#include "timer.h"
#include "util.h"

typedef enum TxKind {
        TX_OUT,        /* UA → the account's next hops */
        TX_IN,         /* network → the account's local contacts */
        TX_DIALOG_OUT, /* UA → network, within a dialog */
        TX_DIALOG_IN,  /* network → UA, within a dialog */
} TxKind;

typedef struct TxHop {
        char uri[RED_URI_MAX];
        unsigned server;
        uint32_t retries; /* invite_retry_counts or retry_counts of its server */
        StatusList failover_codes; /* its server's failover_response_codes */
} TxHop;

typedef struct ProxyBranch {
        ProxyTx *tx;
        nta_outgoing_t *orq;
        SipRetrans rt;
        char *target;    /* next hop (network side) or local contact (UA side) */
        bool answered;   /* anything came back: the hop is alive */
        bool early;      /* a provisional above 100: the request stays here */
        bool cancel_pending; /* CANCEL waits for a provisional (RFC 3261 9.1) */
        bool done;
        unsigned status;
        msg_t *response; /* fork: a final non-2xx kept for the best-answer choice */
        guint giveup_id;
        uint64_t sent_usec;
} ProxyBranch;

struct ProxyTx {
        Edge *e;
        GList *link;
        TxKind kind;
        unsigned account;
        nta_incoming_t *irq;
        msg_t *request; /* as received, our routes removed */
        char *method, *call_id;
        bool invite, record_route;
        TxHop *hops;
        size_t n_hops, next;
        GPtrArray *branches;
        bool replied, cancelled;
};

static uint64_t mono(void) {
        return now_usec(CLOCK_MONOTONIC);
}

static bool tx_on_network(const ProxyTx *tx) {
        return tx->kind == TX_OUT || tx->kind == TX_DIALOG_OUT;
}

static nta_agent_t *tx_branch_agent(ProxyTx *tx) {
        return tx_on_network(tx) ? edge_network_agent(tx->e) : tx->e->agent;
}

static void branch_free(ProxyBranch *b) {
        if (!b)
                return;
        sip_retrans_stop(&b->rt);
        if (b->giveup_id)
                g_source_remove(b->giveup_id);
        if (b->orq)
                nta_outgoing_destroy(b->orq);
        if (b->response)
                msg_destroy(b->response);
        free(b->target);
        free(b);
}

static void tx_free(ProxyTx *tx) {
        if (!tx)
                return;
        for (guint i = 0; i < tx->branches->len; i++)
                branch_free(g_ptr_array_index(tx->branches, i));
        g_ptr_array_free(tx->branches, TRUE);
        if (tx->irq)
                nta_incoming_destroy(tx->irq); /* nta keeps it for retransmissions and the ACK */
        if (tx->request)
                msg_destroy(tx->request);
        if (tx->link) {
                tx->e->txs = g_list_delete_link(tx->e->txs, tx->link);
                tx->e->n_txs--;
        }
        free(tx->hops);
        free(tx->method);
        free(tx->call_id);
        free(tx);
}

void edge_proxy_free_all(Edge *e) {
        while (e->txs)
                tx_free(e->txs->data);
}

static void tx_reply(ProxyTx *tx, unsigned status, const char *phrase) {
        if (tx->replied)
                return;
        if (status >= 200)
                tx->replied = true;
        if (nta_incoming_treply(tx->irq, (int) status, phrase, TAG_END()) < 0)
                log_debug("Edge: cannot answer %u to %s (Call-ID %s).", status, tx->method, tx->call_id);
}

/* An answer of the other side, passed on to the side the request came from (our Via off). */
static void tx_relay(ProxyTx *tx, msg_t *response) {
        sip_t *sip = sip_object(response);
        unsigned status = sip && sip->sip_status ? sip->sip_status->st_status : 500;

        if (tx->replied && !(tx->invite && status >= 200 && status < 300)) {
                msg_destroy(response);
                return; /* after a final answer only more 2xx of an INVITE (other forks) go on */
        }
        if (status >= 200)
                tx->replied = true;
        sip_via_remove(response, sip);
        if (nta_incoming_mreply(tx->irq, response) < 0)
                log_debug("Edge: cannot pass %u on for %s.", status, tx->method);
}

static void tx_relay_orq(ProxyTx *tx, nta_outgoing_t *orq) {
        msg_t *response = nta_outgoing_getresponse(orq);

        if (response)
                tx_relay(tx, response);
}

/* ---- requests on the other side -------------------------------------------------------- */

static const char *uri_transport(const char *uri) {
        const char *t = strcasestr(uri, "transport=");

        if (!t)
                return strncasecmp(uri, "sips:", 5) == 0 ? "tls" : "udp";
        t += strlen("transport=");
        return strncasecmp(t, "tcp", 3) == 0 ? "tcp" : strncasecmp(t, "tls", 3) == 0 ? "tls" : "udp";
}

static const char *via_transport(const sip_t *sip) {
        const char *t = sip->sip_via ? sip_via_transport(sip->sip_via) : NULL;

        if (!t)
                return "udp";
        return strcasecmp(t, "tcp") == 0 ? "tcp" : strcasecmp(t, "tls") == 0 ? "tls" : "udp";
}

static int add_record_route(Edge *e, msg_t *msg, sip_t *sip, EdgeSide side, const char *transport) {
        _cleanup_free_ char *rr = edge_record_route(e, side, transport);
        sip_record_route_t *h = rr ? sip_record_route_make(msg_home(msg), rr) : NULL;

        if (!h)
                return -ENOMEM;
        /* inserted on top: the header the next hop reads first */
        return msg_header_insert(msg, (msg_pub_t *) sip, (msg_header_t *) h) < 0 ? -ENOMEM : 0;
}

/* The request as it leaves towards target: Max-Forwards one less, our Record-Routes, and the
 * Request-URI of the local contact for requests to a UA outside a dialog. */
static msg_t *branch_request(ProxyTx *tx, const char *target) {
        msg_t *msg = msg_dup(tx->request);
        sip_t *sip = msg ? sip_object(msg) : NULL;
        const sip_t *orig = sip_object(tx->request);
        char mf[16];

        if (!sip)
                goto fail;
        snprintf(mf, sizeof(mf), "%lu", orig->sip_max_forwards ? orig->sip_max_forwards->mf_count - 1 : 70ul);
        if (sip->sip_max_forwards)
                msg_header_remove(msg, (msg_pub_t *) sip, (msg_header_t *) sip->sip_max_forwards);
        if (sip_add_make(msg, sip, sip_max_forwards_class, mf) < 0)
                goto fail;

        if (tx->record_route) {
                /* the side it came from first, so the other side's entry ends on top */
                EdgeSide first = tx->kind == TX_OUT ? EDGE_SIDE_UA : EDGE_SIDE_NETWORK;
                const char *t_first = via_transport(orig), *t_second = uri_transport(target);
                if (add_record_route(tx->e, msg, sip, first, t_first) < 0 ||
                    add_record_route(tx->e, msg, sip,
                                     first == EDGE_SIDE_UA ? EDGE_SIDE_NETWORK : EDGE_SIDE_UA, t_second) < 0)
                        goto fail;
        }
        if (tx->kind == TX_IN) {
                sip_request_t *rq = sip_request_create(msg_home(msg), orig->sip_request->rq_method,
                                                       orig->sip_request->rq_method_name,
                                                       (const url_string_t *) target, NULL);
                if (!rq || msg_header_insert(msg, (msg_pub_t *) sip, (msg_header_t *) rq) < 0)
                        goto fail;
        }
        return msg;
fail:
        if (msg)
                msg_destroy(msg);
        return NULL;
}

static int on_branch_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq, const sip_t *sip);
static void tx_out_next(ProxyTx *tx);

static gboolean on_giveup(gpointer userdata);

static ProxyBranch *branch_start(ProxyTx *tx, const char *target, const char *route, bool last, uint32_t retries) {
        ProxyBranch *b = calloc(1, sizeof(ProxyBranch));
        nta_agent_t *agent = tx_branch_agent(tx);
        msg_t *msg;

        if (!b || !(b->target = strdup(target))) {
                free(b);
                return NULL;
        }
        b->tx = tx;
        g_ptr_array_add(tx->branches, b);
        msg = agent ? branch_request(tx, target) : NULL;
        if (!msg)
                return b; /* a branch that never went: the caller sees orq NULL */
        b->sent_usec = mono();
        b->orq = nta_outgoing_mcreate(agent, on_branch_response, (nta_outgoing_magic_t *) b,
                                      (const url_string_t *) route, msg, NTATAG_PASS_100(1), TAG_END());
        if (!b->orq) {
                msg_destroy(msg);
                return b;
        }
        if (tx_on_network(tx)) {
                /* regd's network agent leaves retransmissions and the give-up time to us */
                unsigned t1, t2;
                sip_driver_timers_ms(tx->e->m->sip, &t1, &t2);
                sip_retrans_start(&b->rt, agent, b->orq, route, tx->invite, t1, t2);
                if (!last) {
                        uint64_t span = tx->invite ? red_invite_deadline_usec(retries, (uint64_t) t1 * 1000) :
                                                     red_retry_deadline_usec(retries, (uint64_t) t1 * 1000,
                                                                             (uint64_t) t2 * 1000);
                        b->giveup_id = timer_add_msec((guint) (span / 1000), on_giveup, b);
                }
        }
        return b;
}

/* ---- outgoing: from a UA to the account's next hops ------------------------------------- */

static void tx_count_failover(ProxyTx *tx, const char *from, const char *why, const char *to) {
        EdgeAccount *ea = edge_account_get(tx->e, tx->account);
        Account *a = manager_find_account(tx->e->m, tx->account);

        if (ea)
                ea->request_failovers++;
        log_account_index(tx->account, LOG_NOTICE, "%s (Call-ID %s) moves on from %s (%s) to %s.", tx->method,
                   tx->call_id, from, why, to);
        if (a) {
                account_bus_emit_request_failover(a, tx->method, from, why, to);
                account_bus_emit_changes(a);
        }
}

static void affinity_remember(Edge *e, const char *call_id, const char *hop) {
        char *k, *v;

        if (!call_id)
                return;
        if (g_hash_table_size(e->affinity) >= EDGE_AFFINITY_MAX)
                g_hash_table_remove_all(e->affinity); /* a bounded memory, not a database */
        k = strdup(call_id);
        v = strdup(hop);
        if (!k || !v) {
                free(k);
                free(v);
                return;
        }
        g_hash_table_replace(e->affinity, k, v);
}

/* The hop that answered this Call-ID's previous request (a challenge, typically) comes first:
 * the credentials the UA now sends are for that server's nonce. */
static void affinity_apply(ProxyTx *tx) {
        const char *hop = tx->call_id ? g_hash_table_lookup(tx->e->affinity, tx->call_id) : NULL;

        for (size_t i = 1; hop && i < tx->n_hops; i++)
                if (streq(tx->hops[i].uri, hop)) {
                        TxHop h = tx->hops[i];
                        memmove(&tx->hops[1], &tx->hops[0], i * sizeof(TxHop));
                        tx->hops[0] = h;
                        return;
                }
}

/* What moves a request to the next hop (EDGE.md): nta's own failures (ICMP, refused, reset,
 * timer B/F: local 503/408) and the answers of the hop's failover_response_codes (408, 503 by
 * default), as for REGISTER. */
static bool hop_failed(const TxHop *h, unsigned status, bool local) {
        return (local && (status == 408 || status == 503)) || status_list_contains(&h->failover_codes, status);
}

static void tx_out_next(ProxyTx *tx) {
        while (tx->next < tx->n_hops) {
                const TxHop *h = &tx->hops[tx->next++];
                bool last = tx->next >= tx->n_hops;
                ProxyBranch *b;

                log_account_index(tx->account, LOG_DEBUG, "%s (Call-ID %s) to %s%s.", tx->method, tx->call_id, h->uri,
                          last ? " (last next hop)" : "");
                b = branch_start(tx, h->uri, h->uri, last, h->retries);
                if (b && b->orq)
                        return;
                /* could not even be sent (our own trouble): as a transport error */
                if (b) {
                        g_ptr_array_remove(tx->branches, b);
                        branch_free(b);
                }
                if (tx->next < tx->n_hops)
                        tx_count_failover(tx, h->uri, "cannot send", tx->hops[tx->next].uri);
        }
        tx_reply(tx, 503, "Service Unavailable (no next hop could be reached)");
        tx_free(tx);
}

static gboolean on_giveup(gpointer userdata) {
        ProxyBranch *b = userdata;
        ProxyTx *tx = b->tx;
        char why[96];

        b->giveup_id = 0;
        if (b->answered || b->done)
                return G_SOURCE_REMOVE;
        snprintf(why, sizeof(why), "no answer after %" PRIu32 " retransmissions",
                 tx->hops[tx->next - 1].retries);
        log_account_index(tx->account, LOG_INFO, "%s to %s: %s.", tx->method, b->target, why);
        manager_hop_result(tx->e->m, tx->account, b->target, 408, true, b->sent_usec);
        sip_retrans_stop(&b->rt);
        /* no provisional yet: nothing to CANCEL (RFC 3261 9.1); the transaction is let go */
        nta_outgoing_destroy(b->orq);
        b->orq = NULL;
        b->done = true;
        if (tx->cancelled) {
                tx_reply(tx, SIP_487_REQUEST_CANCELLED);
                tx_free(tx);
                return G_SOURCE_REMOVE;
        }
        tx_count_failover(tx, b->target, why, tx->hops[tx->next].uri);
        g_ptr_array_remove(tx->branches, b);
        branch_free(b);
        tx_out_next(tx);
        return G_SOURCE_REMOVE;
}

static void out_final(ProxyTx *tx, ProxyBranch *b, nta_outgoing_t *orq, unsigned status, const char *phrase,
                      bool local) {
        manager_hop_result(tx->e->m, tx->account, b->target, status, local, b->sent_usec);
        bool failed = hop_failed(&tx->hops[tx->next - 1], status, local);
        if (failed && !b->early && !tx->cancelled && tx->next < tx->n_hops) {
                char why[128];
                snprintf(why, sizeof(why), "%u %s%s", status, phrase, local ? " (local)" : "");
                tx_count_failover(tx, b->target, why, tx->hops[tx->next].uri);
                g_ptr_array_remove(tx->branches, b);
                branch_free(b);
                tx_out_next(tx);
                return;
        }
        if (!failed)
                affinity_remember(tx->e, tx->call_id, b->target);
        if (tx->cancelled && local)
                tx_reply(tx, SIP_487_REQUEST_CANCELLED);
        else if (local)
                tx_reply(tx, status, phrase);
        else
                tx_relay_orq(tx, orq);
        tx_free(tx);
}

/* ---- one answer on any branch ---------------------------------------------------------- */

static void branch_cancel(ProxyBranch *b) {
        if (b->done || !b->orq || !b->tx->invite)
                return;
        if (!b->answered) {
                b->cancel_pending = true;
                return;
        }
        (void) nta_outgoing_tcancel(b->orq, NULL, NULL, TAG_END());
}

static bool tx_all_done(const ProxyTx *tx) {
        for (guint i = 0; i < tx->branches->len; i++)
                if (!((const ProxyBranch *) g_ptr_array_index(tx->branches, i))->done)
                        return false;
        return true;
}

/* RFC 3261 16.7 step 6, in short: a 6xx, else the lowest class, 503 as 500. */
static ProxyBranch *best_answer(ProxyTx *tx) {
        ProxyBranch *best = NULL;

        for (guint i = 0; i < tx->branches->len; i++) {
                ProxyBranch *b = g_ptr_array_index(tx->branches, i);
                if (!b->response)
                        continue;
                if (!best || (b->status >= 600 && best->status < 600) ||
                    (best->status < 600 && b->status / 100 < best->status / 100))
                        best = b;
        }
        return best;
}

static void in_final(ProxyTx *tx, ProxyBranch *b, nta_outgoing_t *orq, unsigned status, const char *phrase,
                     bool local) {
        if (status < 300) {
                tx_relay_orq(tx, orq);
                for (guint i = 0; i < tx->branches->len; i++)
                        if (g_ptr_array_index(tx->branches, i) != b)
                                branch_cancel(g_ptr_array_index(tx->branches, i));
        } else if (!local)
                b->response = nta_outgoing_getresponse(orq);
        if (!tx_all_done(tx))
                return;
        if (!tx->replied) {
                ProxyBranch *best = best_answer(tx);
                if (best && best->status == 503) {
                        /* RFC 3261 16.7: the UA's trouble must not read as the server's */
                        tx_reply(tx, 500, "Server Internal Error (local user agent unavailable)");
                } else if (best) {
                        msg_t *m = best->response;
                        best->response = NULL;
                        tx_relay(tx, m);
                } else
                        tx_reply(tx, status == 408 ? 408 : 480,
                                 status == 408 ? "Request Timeout (local user agent did not answer)" :
                                                 "Temporarily Unavailable (local user agent unreachable)");
        }
        tx_free(tx);
}

static int on_branch_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq, const sip_t *sip) {
        ProxyBranch *b = (ProxyBranch *) magic;
        ProxyTx *tx = b->tx;
        unsigned status = sip && sip->sip_status ? (unsigned) sip->sip_status->st_status :
                                                   (unsigned) nta_outgoing_status(orq);
        bool local = !sip || !sip->sip_status || nta_sip_is_internal(sip);
        const char *phrase = sip && sip->sip_status && sip->sip_status->st_phrase ? sip->sip_status->st_phrase :
                                                                                    sip_status_phrase((int) status);

        if (orq != b->orq || b->done)
                return 0;
        if (!local && tx_on_network(tx))
                manager_note_answer(tx->e->m, b->target, mono());
        if (status < 200) {
                b->answered = true;
                sip_retrans_provisional(&b->rt);
                if (b->giveup_id) {
                        g_source_remove(b->giveup_id);
                        b->giveup_id = 0;
                }
                if (b->cancel_pending) {
                        b->cancel_pending = false;
                        (void) nta_outgoing_tcancel(orq, NULL, NULL, TAG_END());
                }
                if (status > 100) {
                        b->early = true;
                        if (!tx->replied && !tx->cancelled)
                                tx_relay_orq(tx, orq);
                }
                return 0;
        }

        b->done = true;
        b->answered = !local;
        b->status = status;
        sip_retrans_stop(&b->rt);
        if (b->giveup_id) {
                g_source_remove(b->giveup_id);
                b->giveup_id = 0;
        }
        log_debug("Edge: %s (Call-ID %s) to %s: %u %s%s.", tx->method, tx->call_id, b->target, status,
                  strempty(phrase), local ? " (local)" : "");
        switch (tx->kind) {
        case TX_OUT:
                out_final(tx, b, orq, status, phrase, local);
                break;
        case TX_IN:
                in_final(tx, b, orq, status, phrase, local);
                break;
        case TX_DIALOG_OUT:
                manager_hop_result(tx->e->m, 0, b->target, status, local, b->sent_usec);
                /* fall through */
        case TX_DIALOG_IN:
                if (local)
                        tx_reply(tx, status, phrase);
                else
                        tx_relay_orq(tx, orq);
                tx_free(tx);
                break;
        }
        return 0;
}

/* ---- the server transaction ------------------------------------------------------------ */

static int on_irq_event(nta_incoming_magic_t *magic, nta_incoming_t *irq, const sip_t *sip) {
        ProxyTx *tx = (ProxyTx *) magic;

        if (!sip || !sip->sip_request || sip->sip_request->rq_method != sip_method_cancel)
                return 0; /* an ACK of a non-2xx, or nta ending the transaction */
        if (tx->cancelled || tx->replied)
                return 200;
        tx->cancelled = true;
        log_info("Edge: %s (Call-ID %s) cancelled.", tx->method, tx->call_id);
        for (guint i = 0; i < tx->branches->len; i++)
                branch_cancel(g_ptr_array_index(tx->branches, i));
        return 200;
}

static ProxyTx *tx_new(Edge *e, TxKind kind, nta_agent_t *agent, msg_t *msg, sip_t *sip) {
        ProxyTx *tx;

        if (e->n_txs >= EDGE_TX_MAX) {
                uint64_t now = mono();
                e->refused++;
                e->busy_refused++;
                /* a flood must not flood the journal too: one line per 10 s at most */
                if (now >= e->busy_logged_at + 10 * USEC_PER_SEC) {
                        log_warning("Edge: %u requests under way; %" PRIu64 " refused with 503 since the last "
                                    "report (this one a %s).",
                                    e->n_txs, e->busy_refused, sip->sip_request->rq_method_name);
                        e->busy_logged_at = now;
                        e->busy_refused = 0;
                }
                nta_msg_treply(agent, msg, 503, "Service Unavailable (edge busy)", SIPTAG_RETRY_AFTER_STR("5"),
                               TAG_END());
                return NULL;
        }
        tx = calloc(1, sizeof(ProxyTx));
        if (!tx) {
                edge_reply(agent, msg, SIP_500_INTERNAL_SERVER_ERROR);
                return NULL;
        }
        tx->e = e;
        tx->kind = kind;
        tx->invite = sip->sip_request->rq_method == sip_method_invite;
        tx->method = strdup(sip->sip_request->rq_method_name);
        tx->call_id = strdup(sip->sip_call_id->i_id);
        tx->branches = g_ptr_array_new();
        tx->irq = nta_incoming_create(agent, NULL, msg, sip, TAG_END());
        if (!tx->irq || !tx->method || !tx->call_id) {
                /* nta_incoming_create() took msg either way */
                tx_free(tx);
                return NULL;
        }
        tx->request = nta_incoming_getrequest(tx->irq);
        e->txs = g_list_prepend(e->txs, tx);
        tx->link = e->txs;
        e->n_txs++;
        nta_incoming_bind(tx->irq, on_irq_event, (nta_incoming_magic_t *) tx);
        if (tx->invite)
                (void) nta_incoming_treply(tx->irq, SIP_100_TRYING, TAG_END());
        return tx;
}

static bool method_creates_dialog(sip_method_t m) {
        return m == sip_method_invite || m == sip_method_subscribe || m == sip_method_refer ||
               m == sip_method_notify;
}

void edge_proxy_out(Edge *e, Account *a, msg_t *msg, sip_t *sip) {
        RedHop hops[RED_SERVER_MAX * RED_ADDR_MAX];
        size_t n = account_next_hops(a, hops, ELEMENTSOF(hops));
        EdgeAccount *ea;
        ProxyTx *tx;

        if (n == 0) {
                log_account_notice(a, "%s refused: no server to send it to (%s).",
                           sip->sip_request->rq_method_name, a->published.state ? a->published.state : "starting");
                edge_reply(e->agent, msg, 503, "Service Unavailable (no server to send to)");
                return;
        }
        tx = tx_new(e, TX_OUT, e->agent, msg, sip);
        if (!tx)
                return;
        tx->account = a->index;
        tx->record_route = method_creates_dialog(sip->sip_request->rq_method);
        tx->hops = calloc(n, sizeof(TxHop));
        if (!tx->hops) {
                tx_reply(tx, SIP_500_INTERNAL_SERVER_ERROR);
                tx_free(tx);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                snprintf(tx->hops[i].uri, sizeof(tx->hops[i].uri), "%s", hops[i].uri);
                tx->hops[i].server = hops[i].server;
                tx->hops[i].retries = tx->invite ? hops[i].invite_retry_counts : hops[i].retry_counts;
                if (hops[i].failover_codes)
                        tx->hops[i].failover_codes = *hops[i].failover_codes;
        }
        tx->n_hops = n;
        affinity_apply(tx);
        ea = edge_account_get(e, a->index);
        if (ea)
                ea->requests++;
        account_bus_emit_changes(a);
        tx_out_next(tx);
}

void edge_proxy_in(Edge *e, unsigned index, msg_t *msg, sip_t *sip) {
        nta_agent_t *net = edge_network_agent(e);
        char **contacts = edge_account_contacts(e, index);
        ProxyTx *tx;

        if (!e->agent || !contacts || !contacts[0]) {
                log_account_index(index, LOG_INFO, "%s from the network: no local contact (480).",
                         sip->sip_request->rq_method_name);
                edge_reply(net, msg, 480, e->agent ? "Temporarily Unavailable (no local user agent registered)" :
                                                     "Temporarily Unavailable (the edge is off)");
                g_strfreev(contacts);
                return;
        }
        tx = tx_new(e, TX_IN, net, msg, sip);
        if (!tx) {
                g_strfreev(contacts);
                return;
        }
        tx->account = index;
        tx->record_route = method_creates_dialog(sip->sip_request->rq_method);
        for (size_t i = 0; contacts[i]; i++) {
                ProxyBranch *b = branch_start(tx, contacts[i], contacts[i], true, 0);
                if (b && !b->orq)
                        b->done = true;
        }
        g_strfreev(contacts);
        log_account_index(index, LOG_INFO, "%s (Call-ID %s) from the network to %u local contact(s).", tx->method,
                 tx->call_id, tx->branches->len);
        if (tx_all_done(tx)) {
                tx_reply(tx, 480, "Temporarily Unavailable (local user agent unreachable)");
                tx_free(tx);
        }
}

void edge_proxy_dialog(Edge *e, EdgeSide from, msg_t *msg, sip_t *sip) {
        nta_agent_t *in_agent = from == EDGE_SIDE_UA ? e->agent : edge_network_agent(e);
        const url_t *dest = sip->sip_route ? sip->sip_route->r_url : sip->sip_request->rq_url;
        char *route;
        ProxyTx *tx;
        ProxyBranch *b;

        if (edge_route_is_ours(e, dest)) {
                edge_reply(in_agent, msg, 482, "Loop Detected");
                return;
        }
        if (from == EDGE_SIDE_NETWORK && !edge_destination_allowed(e, dest)) {
                e->refused++;
                edge_reply(in_agent, msg, 403, "Forbidden (destination outside sipr.edge.allow)");
                return;
        }
        if (from == EDGE_SIDE_NETWORK && !e->agent) {
                edge_reply(in_agent, msg, 480, "Temporarily Unavailable (the edge is off)");
                return;
        }
        route = url_as_string(msg_home(msg), dest);
        if (!route) {
                edge_reply(in_agent, msg, SIP_500_INTERNAL_SERVER_ERROR);
                return;
        }
        route = strdup(route); /* msg goes to the transaction below */
        tx = route ? tx_new(e, from == EDGE_SIDE_UA ? TX_DIALOG_OUT : TX_DIALOG_IN, in_agent, msg, sip) : NULL;
        if (!tx) {
                free(route);
                return;
        }
        b = branch_start(tx, route, route, true, 0);
        free(route);
        if (!b || !b->orq) {
                tx_reply(tx, 503, "Service Unavailable (cannot forward within the dialog)");
                tx_free(tx);
        }
}
