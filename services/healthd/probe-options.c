/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* "options": a SIP OPTIONS through sofia-sip's transaction layer (nta), driven by the GLib loop.
 * Any final response from the server means it is alive, whatever the status (a 503 or 404 is
 * still a live SIP stack answering). nta also answers locally when it could not deliver: a
 * response that nta_sip_is_internal() flags is never the server's. A local 503 is a transport
 * error (on UDP, the ICMP port/host unreachable that tport reads through IP_RECVERR; on TCP/TLS a
 * refused or reset connection) and a local 408 a timeout. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/nta.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/tport_tag.h>

#include "log.h"
#include "manager.h"
#include "probe-parse.h"
#include "probe.h"
#include "util.h"

/* Largest SIP message we accept: an OPTIONS answer is small; a server streaming megabytes at us
 * gets its connection dropped instead of our memory. */
#define OPTIONS_MAX_MESSAGE_SIZE (64u * 1024u)

/* One nta agent per address family: sofia sends through the first UDP transport of an agent,
 * and "*" binds an IPv4 socket, so IPv6 targets get an agent of their own, made on first use. */
enum { FAMILY_V4, FAMILY_V6, _FAMILY_MAX };

struct ProbeOptionsAgent {
        su_root_t *root;
        GSource *source;
        nta_agent_t *agent[_FAMILY_MAX];
        nta_leg_t *leg[_FAMILY_MAX];
        bool failed[_FAMILY_MAX]; /* creation failed once: do not retry every probe */
};

struct ProbeOptions {
        nta_outgoing_t *orq;
};

/* nta reports a transport failure to us only as a local 503; the errno behind it (refused,
 * reset, message too large…) is in the line it logs: "nta: OPTIONS (…): Connection refused (111)
 * with tcp/[127.0.0.1]:5060". Remember the recent ones to name each failure precisely. */
#define TRANSPORT_ERRORS_MAX 32
static struct {
        int error;
        char peer[INET6_ADDRSTRLEN + 16]; /* "addr]:port" */
} transport_errors[TRANSPORT_ERRORS_MAX]; /* a ring: many targets may fail in one wake-up */
static unsigned transport_errors_next;

static void note_transport_error(const char *line) {
        int e;

        if (nta_log_parse_transport_error(line, &e, transport_errors[transport_errors_next].peer,
                                          sizeof(transport_errors[0].peer)) < 0)
                return;
        transport_errors[transport_errors_next].error = e;
        transport_errors_next = (transport_errors_next + 1) % TRANSPORT_ERRORS_MAX;
}

static int transport_error_for(const Target *t) {
        char want[sizeof(transport_errors[0].peer)];

        peer_key(t->address, t->port, want, sizeof(want));
        /* Newest first; an entry is used once. */
        for (unsigned i = 1; i <= TRANSPORT_ERRORS_MAX; i++) {
                unsigned k = (transport_errors_next + TRANSPORT_ERRORS_MAX - i) % TRANSPORT_ERRORS_MAX;
                int e = transport_errors[k].error;

                if (e > 0 && streq(transport_errors[k].peer, want)) {
                        transport_errors[k].error = 0;
                        return e;
                }
        }
        return 0;
}

/* sofia-sip logs in pieces to stderr; gather its lines into our log at debug level. */
static void sofia_logger(void *stream, char const *fmt, va_list ap) {
        static char line[512];
        size_t n = strlen(line);

        if (n < sizeof(line) - 1)
                vsnprintf(line + n, sizeof(line) - n, fmt, ap);
        n = strlen(line);
        if (n > 0 && (line[n - 1] == '\n' || n >= sizeof(line) - 1)) {
                while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\t'))
                        line[--n] = 0;
                for (char *c = line; *c; c++)
                        if (*c == '\n' || *c == '\t')
                                *c = ' ';
                log_debug("sofia-sip: %s", line);
                note_transport_error(line);
                line[0] = 0;
        }
}

static int on_incoming_request(nta_leg_magic_t *magic, nta_leg_t *leg, nta_incoming_t *irq, const sip_t *sip) {
        /* A prober serves nothing: say so rather than leave the sender retransmitting. */
        return 501;
}

int probe_options_agent_new(GMainContext *context, ProbeOptionsAgent **ret) {
        ProbeOptionsAgent *a;

        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        if (su_init() != 0) {
                free(a);
                return log_error_errno(EIO, "Failed to initialise sofia-sip.");
        }

        su_log_redirect(su_log_default, sofia_logger, NULL);
        su_log_redirect(su_log_global, sofia_logger, NULL);

        a->root = su_glib_root_create(NULL);
        if (!a->root)
                goto fail;
        /* Keep nta on the GLib thread: no helper threads. */
        su_root_threading(a->root, 0);
        a->source = su_glib_root_gsource(a->root);
        if (!a->source)
                goto fail;
        g_source_attach(a->source, context);

        *ret = a;
        return 0;

fail:
        log_error("Failed to set up sofia-sip in the main loop.");
        probe_options_agent_free(a);
        return -EIO;
}

static nta_leg_t *agent_leg(ProbeOptionsAgent *a, int family) {
        /* Any local address of the family, ephemeral ports, UDP and TCP. */
        static const char *const bind_url[_FAMILY_MAX] = {
                [FAMILY_V4] = "sip:*:*",
                [FAMILY_V6] = "sip:[::]:*",
        };

        if (a->leg[family] || a->failed[family])
                return a->leg[family];

        a->agent[family] = nta_agent_create(a->root, (url_string_t const *) bind_url[family], NULL, NULL,
                                            NTATAG_MAXSIZE(OPTIONS_MAX_MESSAGE_SIZE),
                                            NTATAG_UA(0),
                                            NTATAG_PASS_100(0),
                                            NTATAG_USE_TIMESTAMP(1),
                                            TPTAG_IDLE(600000),
                                            TAG_END());
        if (a->agent[family])
                a->leg[family] = nta_leg_tcreate(a->agent[family], on_incoming_request, NULL, NTATAG_NO_DIALOG(1),
                                                 TAG_END());
        if (!a->leg[family]) {
                log_error("Failed to create the %s SIP agent for OPTIONS probes (%s).",
                          family == FAMILY_V4 ? "IPv4" : "IPv6", bind_url[family]);
                a->failed[family] = true;
                return NULL;
        }
        for (sip_via_t *v = nta_agent_via(a->agent[family]); v; v = v->v_next)
                log_debug("SIP agent transport: %s %s:%s", v->v_protocol, v->v_host, strempty(v->v_port));
        return a->leg[family];
}

size_t probe_options_agent_transactions(ProbeOptionsAgent *a) {
        size_t n = 0;

        for (int f = 0; a && f < _FAMILY_MAX; f++) {
                usize_t orq = 0;

                if (a->agent[f] &&
                    nta_agent_get_stats(a->agent[f], NTATAG_S_ORQ_HASH_USED_REF(orq), TAG_END()) >= 0)
                        n += orq;
        }
        return n;
}

ProbeOptionsAgent *probe_options_agent_free(ProbeOptionsAgent *a) {
        if (!a)
                return NULL;
        for (int i = 0; i < _FAMILY_MAX; i++) {
                if (a->leg[i])
                        nta_leg_destroy(a->leg[i]);
                if (a->agent[i])
                        nta_agent_destroy(a->agent[i]);
        }
        if (a->source)
                g_source_destroy(a->source);
        if (a->root)
                su_root_destroy(a->root);
        su_deinit();
        free(a);
        return NULL;
}

void probe_options_cancel(Target *t) {
        ProbeOptions *p = t->options;

        if (!p)
                return;
        if (p->orq)
                nta_outgoing_destroy(p->orq);
        free(p);
        t->options = NULL;
}

static int on_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq, const sip_t *sip) {
        Target *t = (Target *) magic;
        int status = sip && sip->sip_status ? sip->sip_status->st_status : nta_outgoing_status(orq);
        bool internal = !sip || nta_sip_is_internal(sip);
        char detail[128];
        uint64_t rtt;

        if (status < 200)
                return 0;

        rtt = now_usec(CLOCK_MONOTONIC) - t->probe_start_usec;
        /* Copy what we need: destroying orq frees the response. */
        snprintf(detail, sizeof(detail), "%s%d %s", internal ? "local " : "", status,
                 sip && sip->sip_status && sip->sip_status->st_phrase ? sip->sip_status->st_phrase : "");
        probe_options_cancel(t); /* destroys orq: we want no more callbacks */

        if (!internal) {
                manager_probe_done(t, TARGET_EVENT_OK, rtt, detail);
                return 0;
        }

        switch (status) {
        case 408:
                manager_probe_done(t, TARGET_EVENT_TIMEOUT, 0, detail);
                break;
        case 503: {
                /* tport could not deliver: on UDP that is the ICMP error it read back, on a
                 * stream the connection was refused, reset or the answer was unacceptable. */
                int e = transport_error_for(t);

                if (e > 0)
                        snprintf(detail, sizeof(detail), "local 503: %s", strerror(e));
                manager_probe_done(t, options_transport_error_event(t->transport, e), 0, detail);
                break;
        }
        default:
                manager_probe_done(t, TARGET_EVENT_ERROR, 0, detail);
                break;
        }
        return 0;
}

void probe_options_start(ProbeOptionsAgent *a, Target *t) {
        char uri[128], from[96];
        bool v6 = t->sockaddr.sa.sa_family == AF_INET6;
        nta_outgoing_t *orq;
        nta_leg_t *leg;
        ProbeOptions *p;

        probe_options_cancel(t);

        snprintf(uri, sizeof(uri), "sip:%s%s%s:%u;transport=%s", v6 ? "[" : "", t->address, v6 ? "]" : "",
                 t->port, target_transport_to_string(t->transport));
        snprintf(from, sizeof(from), "<sip:sipr-healthd@invalid>;tag=%016" PRIx64, random_u64_range(UINT64_MAX));

        leg = agent_leg(a, v6 ? FAMILY_V6 : FAMILY_V4);
        if (!leg) {
                manager_probe_done(t, TARGET_EVENT_ERROR, 0, "no SIP transport for this address family");
                return;
        }

        p = calloc(1, sizeof(*p));
        if (!p) {
                manager_probe_done(t, TARGET_EVENT_ERROR, 0, "out of memory");
                return;
        }
        t->options = p;
        orq = nta_outgoing_tcreate(leg, on_response, (nta_outgoing_magic_t *) t, NULL,
                                   SIP_METHOD_OPTIONS, (url_string_t const *) uri,
                                   SIPTAG_TO_STR(uri),
                                   SIPTAG_FROM_STR(from),
                                   SIPTAG_MAX_FORWARDS_STR("70"),
                                   SIPTAG_ACCEPT_STR("application/sdp"),
                                   SIPTAG_USER_AGENT_STR("sipr-healthd/" SIPR_VERSION),
                                   TAG_END());
        if (t->options != p) {
                /* Answered (locally) from inside tcreate: that ended the probe already. */
                if (orq)
                        nta_outgoing_destroy(orq);
                return;
        }
        if (!orq) {
                probe_options_cancel(t);
                manager_probe_done(t, TARGET_EVENT_ERROR, 0, "cannot send OPTIONS");
                return;
        }
        p->orq = orq;
}
