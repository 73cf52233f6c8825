/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns-answer.h"
#include "log.h"
#include "lookup.h"
#include "sipr-config.h"
#include "timer.h"
#include "util.h"

#define DNS_CLASS_IN 1
#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_SRV 33
#define DNS_TYPE_NAPTR 35

typedef enum LookupPhase {
        PHASE_NAPTR,
        PHASE_SRV,
        PHASE_ADDR,
        PHASE_DONE,
} LookupPhase;

/* One SRV query: from a NAPTR record, or one per transport when there is none. */
typedef struct SrvSet {
        char *name;
        Rfc3263Transport transport;
        uint32_t ttl_chain;
        Rfc3263Srv *srv;
        size_t n_srv;
} SrvSet;

/* A name whose addresses we need; several targets may share it. */
typedef struct AddrHost {
        char *name;
        char addr6[RFC3263_ADDR_PER_NAME][INET6_ADDRSTRLEN];
        char addr4[RFC3263_ADDR_PER_NAME][INET6_ADDRSTRLEN];
        size_t n6, n4;
        uint32_t ttl6, ttl4;
} AddrHost;

typedef struct Candidate {
        size_t host; /* index into hosts */
        Rfc3263Transport transport;
        uint16_t port, priority, weight;
        uint32_t ttl_chain;
} Candidate;

struct Lookup {
        unsigned n_ref;
        AresGlib *channel, *channel_tcp;
        LookupParams p;
        char *host;
        LookupPhase phase;
        unsigned pending;
        bool finished;

        Rfc3263Naptr *naptr;
        size_t n_naptr;
        SrvSet sets[RFC3263_NAPTR_MAX];
        size_t n_sets;
        AddrHost hosts[RFC3263_TARGETS_MAX];
        size_t n_hosts;
        Candidate cands[RFC3263_TARGETS_MAX];
        size_t n_cands;

        char *failure;      /* first server failure, for the error message */
        GString *tried;     /* what was asked, for NotFound messages */
        guint deadline_id, start_id;
};

typedef struct Query {
        Lookup *lookup;
        LookupPhase phase;
        size_t index;
        int type;
        char *name;
        bool tcp; /* asked again over TCP after a truncated answer */
} Query;

static Lookup *lookup_ref(Lookup *l) {
        l->n_ref++;
        return l;
}

static void lookup_unref(Lookup *l) {
        if (!l || --l->n_ref > 0)
                return;
        if (l->deadline_id)
                g_source_remove(l->deadline_id);
        if (l->start_id)
                g_source_remove(l->start_id);
        rfc3263_naptr_free_many(l->naptr, l->n_naptr);
        for (size_t i = 0; i < l->n_sets; i++) {
                free(l->sets[i].name);
                rfc3263_srv_free_many(l->sets[i].srv, l->sets[i].n_srv);
        }
        for (size_t i = 0; i < l->n_hosts; i++)
                free(l->hosts[i].name);
        free(l->failure);
        g_string_free(l->tried, TRUE);
        free(l->host);
        ares_glib_unref(l->channel);
        ares_glib_unref(l->channel_tcp);
        free(l);
}

static const char *type_name(int type) {
        switch (type) {
        case DNS_TYPE_A:
                return "A";
        case DNS_TYPE_AAAA:
                return "AAAA";
        case DNS_TYPE_SRV:
                return "SRV";
        case DNS_TYPE_NAPTR:
                return "NAPTR";
        default:
                return "?";
        }
}

static void lookup_finish(Lookup *l, int error, const char *message, const Rfc3263Target *t, size_t n) {
        if (l->finished)
                return;
        l->finished = true;
        l->phase = PHASE_DONE;
        if (l->deadline_id) {
                g_source_remove(l->deadline_id);
                l->deadline_id = 0;
        }
        LookupDoneFunc done = TAKE_PTR(l->p.done);
        /* The callback may drop the caller's reference. */
        lookup_ref(l);
        if (done)
                done(l, error, message, t, n, l->p.userdata);
        lookup_unref(l);
}

static void lookup_finish_error(Lookup *l, int error, const char *fmt, ...) _printf_(3, 4);
static void lookup_finish_error(Lookup *l, int error, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        lookup_finish(l, error, msg ?: "out of memory", NULL, 0);
}

static const char *failure_reason(int r) {
        switch (r) {
        case -ETIMEDOUT:
                return "no DNS server answered (timeout)";
        case -ECONNREFUSED:
                return "no DNS server gave an answer (SERVFAIL, REFUSED or port unreachable)";
        case -EHOSTUNREACH:
                return "the DNS server failed (SERVFAIL)";
        case -EBADMSG:
                return "the answer was malformed or truncated";
        default:
                return strerror(-r);
        }
}

/* The same for the second query over TCP, after an answer too large for UDP. c-ares reports a
 * server without DNS over TCP, or one that closes the connection, as "connection refused". */
static const char *failure_reason_tcp(int r) {
        switch (r) {
        case -ETIMEDOUT:
                return "the answer was too large for UDP (truncated), and the DNS server did not answer "
                       "over TCP (timeout)";
        case -EBADMSG:
                return "the answer was too large for UDP (truncated), and malformed over TCP";
        case -EHOSTUNREACH:
                return "the answer was too large for UDP (truncated), and the DNS server failed over TCP "
                       "(SERVFAIL)";
        default:
                return "the answer was too large for UDP (truncated), and the DNS server refused or closed "
                       "the TCP connection for it";
        }
}

/* Notes a server failure (the first one names the culprit in the error). */
static void lookup_note_failure(Lookup *l, const char *name, int type, bool tcp, int r) {
        const char *what = tcp && r != -ENOMEM ? failure_reason_tcp(r) : failure_reason(r);

        log_debug("%s %s%s: %s", type_name(type), name, tcp ? " over TCP" : "", what);
        if (!l->failure && asprintf(&l->failure, "%s query for %s: %s", type_name(type), name, what) < 0)
                l->failure = NULL;
}

static bool is_server_failure(int r) {
        return r < 0 && r != -ENOENT;
}

#if HAVE_ARES_QUERY_DNSREC
static void on_answer(void *arg, ares_status_t status, size_t timeouts, const ares_dns_record_t *rec);
#else
static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen);
#endif

static void lookup_query_on(Lookup *l, LookupPhase phase, size_t index, const char *name, int type,
                            bool tcp) {
        AresGlib *ch = tcp ? l->channel_tcp : l->channel;
        Query *q = calloc(1, sizeof(Query));

        if (!q || !(q->name = strdup(name))) {
                free(q);
                lookup_note_failure(l, name, type, tcp, -ENOMEM);
                return;
        }
        q->lookup = lookup_ref(l);
        q->phase = phase;
        q->index = index;
        q->type = type;
        q->tcp = tcp;
        if (!tcp && l->tried->len < 512)
                g_string_append_printf(l->tried, "%s%s %s", l->tried->len ? ", " : "", type_name(type), name);
        l->pending++;
        if (l->p.on_query)
                l->p.on_query(l, name, type, l->p.userdata);
#if HAVE_ARES_QUERY_DNSREC
        /* The callback runs (with an error) when the query cannot be sent, so no status here. */
        (void) ares_query_dnsrec(ares_glib_channel(ch), name, ARES_CLASS_IN, (ares_dns_rec_type_t) type,
                                 on_answer, q, NULL);
#else
        ares_query(ares_glib_channel(ch), name, DNS_CLASS_IN, type, on_answer, q);
#endif
}

static void lookup_query(Lookup *l, LookupPhase phase, size_t index, const char *name, int type) {
        lookup_query_on(l, phase, index, name, type, false);
}

static void lookup_advance(Lookup *l);

static void lookup_start_srv_default(Lookup *l) {
        /* No NAPTR: SRV for each transport, in the order a client should try them. */
        for (int t = 0; t < _RFC3263_TRANSPORT_MAX; t++) {
                SrvSet *s = &l->sets[l->n_sets];
                if (asprintf(&s->name, "%s.%s", rfc3263_srv_prefix(t), l->host) < 0)
                        continue;
                s->transport = t;
                s->ttl_chain = RFC3263_TTL_NONE;
                l->n_sets++;
        }
}

static size_t lookup_add_host(Lookup *l, const char *name) {
        for (size_t i = 0; i < l->n_hosts; i++)
                if (strcasecmp(l->hosts[i].name, name) == 0)
                        return i;
        if (l->n_hosts >= RFC3263_TARGETS_MAX)
                return SIZE_MAX;
        l->hosts[l->n_hosts] = (AddrHost) { .name = strdup(name) };
        if (!l->hosts[l->n_hosts].name)
                return SIZE_MAX;
        return l->n_hosts++;
}

static void lookup_add_candidate(Lookup *l, const char *name, Rfc3263Transport t, uint16_t port, uint16_t prio,
                                 uint16_t weight, uint32_t ttl) {
        size_t h;

        if (l->n_cands >= RFC3263_TARGETS_MAX)
                return;
        h = lookup_add_host(l, name);
        if (h == SIZE_MAX)
                return;
        l->cands[l->n_cands++] = (Candidate) {
                .host = h,
                .transport = t,
                .port = port,
                .priority = prio,
                .weight = weight,
                .ttl_chain = ttl,
        };
}

static void lookup_issue_phase(Lookup *l) {
        /* Guard: a query may complete synchronously inside ares_query(). */
        l->pending++;
        switch (l->phase) {
        case PHASE_NAPTR:
                lookup_query(l, PHASE_NAPTR, 0, l->host, DNS_TYPE_NAPTR);
                break;
        case PHASE_SRV:
                for (size_t i = 0; i < l->n_sets; i++)
                        lookup_query(l, PHASE_SRV, i, l->sets[i].name, DNS_TYPE_SRV);
                break;
        case PHASE_ADDR:
                for (size_t i = 0; i < l->n_hosts; i++) {
                        char lit[INET6_ADDRSTRLEN];
                        int family = rfc3263_parse_ip_literal(l->hosts[i].name, lit);

                        /* An SRV target that is an address needs no query. */
                        if (family == AF_INET6) {
                                strcpy(l->hosts[i].addr6[0], lit);
                                l->hosts[i].n6 = 1;
                                l->hosts[i].ttl6 = RFC3263_TTL_NONE;
                                continue;
                        }
                        if (family == AF_INET) {
                                strcpy(l->hosts[i].addr4[0], lit);
                                l->hosts[i].n4 = 1;
                                l->hosts[i].ttl4 = RFC3263_TTL_NONE;
                                continue;
                        }
                        lookup_query(l, PHASE_ADDR, i, l->hosts[i].name, DNS_TYPE_AAAA);
                        lookup_query(l, PHASE_ADDR, i, l->hosts[i].name, DNS_TYPE_A);
                }
                break;
        default:
                break;
        }
        if (--l->pending == 0 && !l->finished)
                lookup_advance(l);
}

static void lookup_srv_done(Lookup *l) {
        _cleanup_free_ char *why = NULL;

        for (size_t i = 0; i < l->n_sets; i++) {
                SrvSet *s = &l->sets[i];

                for (size_t j = 0; j < s->n_srv; j++) {
                        Rfc3263Srv *r = &s->srv[j];
                        _cleanup_free_ char *norm = NULL;
                        char lit[INET6_ADDRSTRLEN];

                        /* Nothing listens on port 0: such a record cannot be a server to try. */
                        if (r->port == 0) {
                                log_warning("Ignoring SRV record of %s: port 0 (target %s).", s->name,
                                            r->target);
                                continue;
                        }
                        if (rfc3263_parse_ip_literal(r->target, lit) == 0 &&
                            rfc3263_validate_host(r->target, &norm, &why) < 0) {
                                log_warning("Ignoring SRV record of %s: target: %s", s->name, why ?: "invalid");
                                free(why);
                                why = NULL;
                                continue;
                        }
                        lookup_add_candidate(l, norm ?: r->target, s->transport, r->port, r->priority, r->weight,
                                             MIN(s->ttl_chain, r->ttl));
                }
        }
        if (l->n_cands == 0) {
                if (l->failure) {
                        lookup_finish_error(l, -ETIMEDOUT, "Cannot resolve %s: %s", l->host, l->failure);
                        return;
                }
                /* RFC 3263 §4.2: no SRV → A/AAAA of the domain, default port (UDP unless TLS asked). */
                Rfc3263Transport t = l->p.transport == RFC3263_TRANSPORT_ANY ? RFC3263_TRANSPORT_UDP : l->p.transport;
                lookup_add_candidate(l, l->host, t, rfc3263_default_port(t), 0, 0, RFC3263_TTL_NONE);
        }
        l->phase = PHASE_ADDR;
        lookup_issue_phase(l);
}

static void lookup_addr_done(Lookup *l) {
        Rfc3263Target targets[RFC3263_TARGETS_MAX];
        size_t n = 0;

        /* Per candidate: its AAAA then its A addresses, each family in answer order. */
        for (size_t i = 0; i < l->n_cands && n < RFC3263_TARGETS_MAX; i++) {
                const Candidate *c = &l->cands[i];
                const AddrHost *h = &l->hosts[c->host];

                for (int fam = 0; fam < 2; fam++) {
                        size_t cnt = fam == 0 ? h->n6 : h->n4;
                        uint32_t ttl = fam == 0 ? h->ttl6 : h->ttl4;

                        for (size_t k = 0; k < cnt && n < RFC3263_TARGETS_MAX; k++) {
                                targets[n] = (Rfc3263Target) {
                                        .transport = c->transport,
                                        .port = c->port,
                                        .priority = c->priority,
                                        .weight = c->weight,
                                        .ttl = MIN(c->ttl_chain, ttl),
                                };
                                strcpy(targets[n].address, fam == 0 ? h->addr6[k] : h->addr4[k]);
                                n++;
                        }
                }
        }

        if (n == 0) {
                if (l->failure)
                        lookup_finish_error(l, -ETIMEDOUT, "Cannot resolve %s: %s", l->host, l->failure);
                else
                        lookup_finish_error(l, -ENOENT, "%s has no SIP server records (asked %s)", l->host,
                                            l->tried->str);
                return;
        }
        if (l->failure)
                log_info("Resolved %s partially; %s", l->host, l->failure);
        lookup_finish(l, 0, NULL, targets, n);
}

static void lookup_advance(Lookup *l) {
        switch (l->phase) {
        case PHASE_NAPTR:
                if (l->failure) {
                        /* Do not guess past a server that did not answer. */
                        lookup_finish_error(l, -ETIMEDOUT, "Cannot resolve %s: %s", l->host, l->failure);
                        return;
                }
                for (size_t i = 0; i < l->n_naptr && l->n_sets < RFC3263_NAPTR_MAX; i++) {
                        SrvSet *s = &l->sets[l->n_sets];
                        _cleanup_free_ char *norm = NULL, *why = NULL;

                        if (rfc3263_validate_host(l->naptr[i].replacement, &norm, &why) < 0 &&
                            !(l->naptr[i].replacement[0] == '_')) {
                                log_warning("Ignoring NAPTR record of %s: replacement: %s", l->host, why ?: "invalid");
                                continue;
                        }
                        s->name = strdup(l->naptr[i].replacement);
                        if (!s->name)
                                continue;
                        s->transport = rfc3263_naptr_service_transport(l->naptr[i].service);
                        s->ttl_chain = l->naptr[i].ttl;
                        l->n_sets++;
                }
                if (l->n_sets == 0)
                        lookup_start_srv_default(l);
                l->phase = PHASE_SRV;
                lookup_issue_phase(l);
                return;
        case PHASE_SRV:
                lookup_srv_done(l);
                return;
        case PHASE_ADDR:
                lookup_addr_done(l);
                return;
        default:
                return;
        }
}

/* truncated: the answer did not fit into UDP (see on_answer()), so whatever it holds is partial. */
static void query_handle(Lookup *l, Query *q, const DnsAnswer *a, bool truncated, int status) {
        int r = ares_status_to_errno(status);

        /* Ask for all of it over TCP (RFC 7766), whatever c-ares made of the partial one: a TC
         * answer is often empty (no data), a cut one malformed. */
        if (truncated && !q->tcp && l->channel_tcp) {
                log_debug("%s %s: the answer was truncated, asking again over TCP.", type_name(q->type),
                          q->name);
                lookup_query_on(l, q->phase, q->index, q->name, q->type, true);
                return;
        }

        if (r == 0 && !a)
                r = -EBADMSG;
        if (r == 0) {
                switch (q->type) {
                case DNS_TYPE_NAPTR:
                        r = dns_answer_naptr(a, &l->naptr, &l->n_naptr);
                        if (r >= 0)
                                l->n_naptr = rfc3263_filter_naptr(l->naptr, l->n_naptr) ? : 0;
                        break;
                case DNS_TYPE_SRV: {
                        SrvSet *s = &l->sets[q->index];
                        size_t total;

                        r = dns_answer_srv(a, &s->srv, &total);
                        if (r < 0)
                                break;
                        s->n_srv = rfc3263_order_srv(s->srv, total, l->p.random, l->p.random_userdata);
                        if (s->n_srv > RFC3263_SRV_MAX) {
                                log_warning("SRV set %s has %zu records; using the first %d in priority order.",
                                            s->name, s->n_srv, RFC3263_SRV_MAX);
                                s->n_srv = RFC3263_SRV_MAX;
                        }
                        /* Free the ones beyond the cap and the dropped "." ones, keep the array. */
                        for (size_t i = s->n_srv; i < total; i++) {
                                free(s->srv[i].target);
                                s->srv[i].target = NULL;
                        }
                        break;
                }
                case DNS_TYPE_AAAA: {
                        AddrHost *h = &l->hosts[q->index];
                        r = dns_answer_addresses(a, AF_INET6, h->addr6, RFC3263_ADDR_PER_NAME, &h->n6,
                                                 &h->ttl6);
                        break;
                }
                case DNS_TYPE_A: {
                        AddrHost *h = &l->hosts[q->index];
                        r = dns_answer_addresses(a, AF_INET, h->addr4, RFC3263_ADDR_PER_NAME, &h->n4,
                                                 &h->ttl4);
                        break;
                }
                }
        }
        if (is_server_failure(r))
                lookup_note_failure(l, q->name, q->type, q->tcp, r);
}

static void query_done(Query *q, int status, const DnsAnswer *a, bool truncated) {
        Lookup *l = q->lookup;

        if (status != ARES_ECANCELLED && status != ARES_EDESTRUCTION && !l->finished && q->phase == l->phase)
                query_handle(l, q, a, truncated, status);

        l->pending--;
        if (l->pending == 0 && !l->finished && status != ARES_EDESTRUCTION && status != ARES_ECANCELLED)
                lookup_advance(l);
        else if (l->pending == 0 && !l->finished)
                lookup_finish_error(l, -ECANCELED, "Resolution of %s was cancelled", l->host);
        free(q->name);
        free(q);
        lookup_unref(l);
}

#if HAVE_ARES_QUERY_DNSREC
/* c-ares ≥ 1.28 hands over the message it parsed already, also with ARES_ENODATA (a TC answer is
 * often empty). It reads a datagram whole, never cutting it at the EDNS size we offered: only
 * the TC bit says that the answer is partial. */
static void on_answer(void *arg, ares_status_t status, size_t timeouts, const ares_dns_record_t *rec) {
        query_done(arg, (int) status, rec, rec && dns_answer_truncated(rec));
}
#else
/* Whether the bytes are only part of the answer: the server set TC, or the datagram was longer
 * than the EDNS size we offered. c-ares up to 1.20 (no record API) cuts such a datagram there
 * when truncation is ignored (ARES_FLAG_IGNTC), so what we get fills the size and may not even
 * parse; from 1.21 on it hands over the whole datagram. */
static bool answer_bytes_truncated(const uint8_t *abuf, size_t alen) {
        if (dns_message_truncated(abuf, alen))
                return true;
#if HAVE_ARES_DNS_PARSE
        return false;
#else
        return abuf && alen >= LOOKUP_UDP_PAYLOAD_MAX;
#endif
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen) {
        _cleanup_(dns_answer_freep) DnsAnswer *a = NULL;
        size_t len = alen > 0 ? (size_t) alen : 0;
        bool truncated = answer_bytes_truncated(abuf, len);
        int r;

        if (status == ARES_SUCCESS) {
                r = dns_answer_new(abuf, len, &a);
                if (r < 0)
                        status = r == -ENOMEM ? ARES_ENOMEM : ARES_EBADRESP;
        }
        query_done(arg, status, a, truncated);
}
#endif

static gboolean on_deadline(gpointer userdata) {
        Lookup *l = userdata;

        l->deadline_id = 0;
        lookup_finish_error(l, -ETIMEDOUT, "Cannot resolve %s: no complete answer within %llu s%s%s", l->host,
                            (unsigned long long) (LOOKUP_TIMEOUT_USEC / USEC_PER_SEC), l->failure ? "; " : "",
                            strempty(l->failure));
        return G_SOURCE_REMOVE;
}

static gboolean on_start(gpointer userdata) {
        Lookup *l = userdata;

        l->start_id = 0;
        lookup_ref(l);
        lookup_issue_phase(l);
        lookup_unref(l);
        return G_SOURCE_REMOVE;
}

int lookup_start(AresGlib *channel, AresGlib *channel_tcp, const LookupParams *p, Lookup **ret) {
        Lookup *l = calloc(1, sizeof(Lookup));

        if (!l)
                return -ENOMEM;
        l->n_ref = 1;
        l->channel = ares_glib_ref(channel);
        l->channel_tcp = ares_glib_ref(channel_tcp);
        l->p = *p;
        l->host = strdup(p->host);
        l->tried = g_string_new(NULL);
        if (!l->host) {
                lookup_unref(l);
                return -ENOMEM;
        }
        l->deadline_id = timer_add_msec((guint) (LOOKUP_TIMEOUT_USEC / 1000), on_deadline, l);

        if (p->port != 0) {
                /* Port given: only A/AAAA (RFC 3263 §4.2), UDP unless told. */
                Rfc3263Transport t = p->transport == RFC3263_TRANSPORT_ANY ? RFC3263_TRANSPORT_UDP : p->transport;
                lookup_add_candidate(l, l->host, t, p->port, 0, 0, RFC3263_TTL_NONE);
                l->phase = PHASE_ADDR;
        } else if (p->transport != RFC3263_TRANSPORT_ANY) {
                SrvSet *s = &l->sets[0];
                if (asprintf(&s->name, "%s.%s", rfc3263_srv_prefix(p->transport), l->host) < 0) {
                        lookup_unref(l);
                        return -ENOMEM;
                }
                s->transport = p->transport;
                s->ttl_chain = RFC3263_TTL_NONE;
                l->n_sets = 1;
                l->phase = PHASE_SRV;
        } else
                l->phase = PHASE_NAPTR;

        /* Start from the loop, so the callback never runs before the caller has the lookup. */
        l->start_id = timer_add_idle(on_start, l);
        *ret = l;
        return 0;
}

void lookup_abandon(Lookup *l) {
        if (!l)
                return;
        l->p.done = NULL;
        l->finished = true;
        if (l->deadline_id) {
                g_source_remove(l->deadline_id);
                l->deadline_id = 0;
        }
        if (l->start_id) {
                g_source_remove(l->start_id);
                l->start_id = 0;
        }
        lookup_unref(l);
}
