/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The edge's sockets and its front door: who may talk to it, what is well-formed, and which
 * module takes each request (local registration, forwarding out, forwarding in, within a dialog).
 * Everything a UA or a server sends is untrusted: checked here before anything is kept. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_util.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/tport.h>
#include <sofia-sip/url.h>

#include "account-bus.h"
#include "account.h"
#include "edge-internal.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "sip.h"

/* Below the network side (sofia's default source) and D-Bus: a UA flooding the edge delays only
 * its own requests, never the registrations' answers or timers. */
#define EDGE_SOURCE_PRIORITY (G_PRIORITY_DEFAULT + 50)

nta_agent_t *edge_network_agent(Edge *e) {
        return sip_driver_agent(e->m->sip);
}

void edge_reply(nta_agent_t *agent, msg_t *msg, int status, const char *phrase) {
        sip_t *sip = sip_object(msg);

        /* never answer an ACK; a message too broken to answer is dropped */
        if (!sip || !sip->sip_request || sip->sip_request->rq_method == sip_method_ack || !sip->sip_via ||
            !sip->sip_cseq || !sip->sip_call_id || !sip->sip_from || !sip->sip_to) {
                msg_destroy(msg);
                return;
        }
        nta_msg_treply(agent, msg, status, phrase, TAG_END());
}

/* Host strings as URLs and sockets write them: IPv6 with or without brackets. */
static bool host_eq(const char *a, const char *b) {
        size_t la, lb;

        if (!a || !b)
                return false;
        if (*a == '[')
                a++;
        if (*b == '[')
                b++;
        la = strcspn(a, "]");
        lb = strcspn(b, "]");
        return la == lb && strncasecmp(a, b, la) == 0;
}

static uint16_t url_port_or_default(const url_t *u) {
        if (u->url_port && *u->url_port)
                return (uint16_t) strtoul(u->url_port, NULL, 10);
        return u->url_type == url_sips ? 5061 : 5060;
}

bool edge_route_is_ours(Edge *e, const url_t *u) {
        uint16_t port;

        if (!u || !u->url_host)
                return false;
        port = url_port_or_default(u);
        if (e->agent && e->address && host_eq(u->url_host, e->address) && port == e->port)
                return true;
        return host_eq(u->url_host, sip_driver_host(e->m->sip)) && port == sip_driver_port(e->m->sip);
}

void edge_pop_own_routes(Edge *e, msg_t *msg, sip_t *sip) {
        /* loose routes of ours (RFC 3261 16.4), the two we record-route among them */
        while (sip->sip_route && edge_route_is_ours(e, sip->sip_route->r_url))
                sip_route_remove(msg, sip);
}

char *edge_record_route(Edge *e, EdgeSide side, const char *transport) {
        const char *host = side == EDGE_SIDE_UA ? e->address : sip_driver_host(e->m->sip);
        uint16_t port = side == EDGE_SIDE_UA ? e->port : sip_driver_port(e->m->sip);
        bool v6 = strchr(host, ':') && host[0] != '[';
        bool udp = !transport || strcasecmp(transport, "udp") == 0;

        return g_strdup_printf("<sip:%s%s%s:%u%s%s;lr>", v6 ? "[" : "", host, v6 ? "]" : "", port,
                               udp ? "" : ";transport=", udp ? "" : transport);
}

/* Requests from the network go only to where UAs live: an IP literal inside sipr.edge.allow. The
 * edge must never become a relay to arbitrary hosts for whoever can reach regd's socket. */
bool edge_destination_allowed(Edge *e, const url_t *u) {
        char host[64];
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } a = {};
        size_t n;

        if (!u || !u->url_host)
                return false;
        snprintf(host, sizeof(host), "%s", u->url_host[0] == '[' ? u->url_host + 1 : u->url_host);
        n = strcspn(host, "]");
        host[n] = 0;
        if (inet_pton(AF_INET, host, &a.in.sin_addr) == 1)
                a.in.sin_family = AF_INET;
        else if (inet_pton(AF_INET6, host, &a.in6.sin6_addr) == 1)
                a.in6.sin6_family = AF_INET6;
        else
                return false;
        return cidr_list_contains(&e->allow, &a.sa);
}

Account *edge_account_by_user(Edge *e, const char *escaped_user, const char *host) {
        GHashTableIter it;
        Account *a, *found = NULL;
        g_autofree char *user = NULL;
        size_t len;

        /* as the URI carries it (%HH): the configured user name is plain text; never longer
         * unescaped than escaped */
        if (isempty(escaped_user) || (len = strlen(escaped_user)) > SIPR_CONFIG_TEXT_MAX * 3)
                return NULL;
        user = g_malloc(len + 1);
        user[url_unescape_to(user, escaped_user, len)] = 0;
        g_hash_table_iter_init(&it, e->m->accounts);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &a)) {
                if (!a->cfg.enable || !streq(strempty(a->cfg.user_name), user))
                        continue;
                /* the same user in two domains: the one whose domain the request names */
                for (unsigned y = 0; host && y < SIPR_SERVER_MAX; y++)
                        if (host_eq(host, account_server_domain(a, y)))
                                return a;
                if (!found || a->index < found->index)
                        found = a;
        }
        return found;
}

EdgeAccount *edge_account_get(Edge *e, unsigned index) {
        EdgeAccount *ea = g_hash_table_lookup(e->accounts, GUINT_TO_POINTER(index));

        if (ea)
                return ea;
        ea = calloc(1, sizeof(EdgeAccount));
        if (!ea)
                return NULL;
        ea->index = index;
        ea->contacts = g_ptr_array_new();
        g_hash_table_insert(e->accounts, GUINT_TO_POINTER(index), ea);
        return ea;
}

void edge_account_emit(Edge *e, unsigned index) {
        Account *a = manager_find_account(e->m, index);

        if (a)
                account_bus_emit_changes(a);
}

/* ---- dispatch -------------------------------------------------------------------------- */

/* A response no transaction of ours is waiting for: a 2xx to an INVITE retransmitted after its
 * transaction ended (RFC 3261 16.7 step 5, 17.1.1.2), or another fork's. Sent on statelessly by
 * the next Via, through the other side's agent, if the top Via is ours. */
static void forward_stray_response(Edge *e, nta_agent_t *from, nta_agent_t *to, msg_t *msg, sip_t *sip) {
        const sip_via_t *v = sip->sip_via;
        bool ours = false;

        for (const sip_via_t *mine = nta_agent_via(from); v && mine && !ours; mine = mine->v_next)
                ours = host_eq(v->v_host, mine->v_host) && streq(strempty(v->v_port), strempty(mine->v_port));
        if (!ours || !v->v_next || !to || !sip->sip_status || sip->sip_status->st_status < 200 ||
            sip->sip_status->st_status >= 300 || !sip->sip_cseq || sip->sip_cseq->cs_method != sip_method_invite) {
                msg_destroy(msg);
                return;
        }
        log_debug("Edge: %u to %s forwarded statelessly.", sip->sip_status->st_status,
                  sip->sip_cseq ? sip->sip_cseq->cs_method_name : "?");
        nta_msg_tsend(to, msg, NULL, TAG_END());
}

/* The minimum RFC 3261 8.1.1 asks of a request, and nothing the parser flagged as broken. */
static const char *request_problem(msg_t *msg, sip_t *sip) {
        if (msg_has_error(msg) || sip->sip_error)
                return "Bad Request (malformed header)";
        if (!sip->sip_via)
                return "Bad Request (no Via)";
        if (!sip->sip_from || !sip->sip_from->a_url->url_host)
                return "Bad Request (no From)";
        if (!sip->sip_to)
                return "Bad Request (no To)";
        if (!sip->sip_call_id)
                return "Bad Request (no Call-ID)";
        if (!sip->sip_cseq || sip->sip_cseq->cs_method != sip->sip_request->rq_method)
                return "Bad Request (CSeq does not match the method)";
        if (!sip->sip_request->rq_url->url_host)
                return "Bad Request (Request-URI has no host)";
        return NULL;
}

/* A 2xx ACK (its own transaction, end to end): statelessly to the next hop of its route. */
static void forward_ack(Edge *e, nta_agent_t *to, msg_t *msg, sip_t *sip, EdgeSide from) {
        const url_t *dest;

        edge_pop_own_routes(e, msg, sip);
        dest = sip->sip_route ? sip->sip_route->r_url : sip->sip_request->rq_url;
        if (!to || (from == EDGE_SIDE_NETWORK && !edge_destination_allowed(e, dest)) || edge_route_is_ours(e, dest)) {
                log_debug("Edge: ACK (Call-ID %s) dropped: nowhere to send it.", sip->sip_call_id->i_id);
                msg_destroy(msg);
                return;
        }
        log_debug("Edge: ACK (Call-ID %s) forwarded to " URL_PRINT_FORMAT ".", sip->sip_call_id->i_id,
                  URL_PRINT_ARGS(dest));
        if (nta_msg_tsend(to, msg, NULL, TAG_END()) < 0)
                log_debug("Edge: ACK (Call-ID %s) could not be sent.", sip->sip_call_id->i_id);
}

static bool is_in_dialog(const sip_t *sip) {
        return sip->sip_to && sip->sip_to->a_tag;
}

static int on_ua_message(nta_agent_magic_t *magic, nta_agent_t *agent, msg_t *msg, sip_t *sip) {
        Edge *e = (Edge *) magic;
        su_addrinfo_t *ai = msg_addrinfo(msg);
        const char *problem;
        Account *a;

        if (!sip) {
                msg_destroy(msg);
                return 0;
        }
        if (!sip->sip_request) {
                forward_stray_response(e, agent, edge_network_agent(e), msg, sip);
                return 0;
        }
        if (!ai || !cidr_list_contains(&e->allow, ai->ai_addr)) {
                e->refused++;
                log_debug("Edge: %s from a source outside sipr.edge.allow refused.", sip->sip_request->rq_method_name);
                edge_reply(agent, msg, 403, "Forbidden (source not in sipr.edge.allow)");
                return 0;
        }
        problem = request_problem(msg, sip);
        if (problem) {
                e->refused++;
                log_info("Edge: malformed %s refused: %s.", strempty(sip->sip_request->rq_method_name), problem);
                edge_reply(agent, msg, 400, problem);
                return 0;
        }
        if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count == 0) {
                edge_reply(agent, msg, SIP_483_TOO_MANY_HOPS);
                return 0;
        }

        switch (sip->sip_request->rq_method) {
        case sip_method_register:
                edge_registrar_handle(e, msg, sip);
                return 0;
        case sip_method_ack:
                forward_ack(e, edge_network_agent(e), msg, sip, EDGE_SIDE_UA);
                return 0;
        case sip_method_cancel:
                /* nta gives a CANCEL of a transaction it knows to that transaction */
                edge_reply(agent, msg, SIP_481_NO_TRANSACTION);
                return 0;
        default:
                break;
        }

        if (is_in_dialog(sip)) {
                edge_pop_own_routes(e, msg, sip);
                edge_proxy_dialog(e, EDGE_SIDE_UA, msg, sip);
                return 0;
        }
        edge_pop_own_routes(e, msg, sip);
        /* addressed to the edge itself (no user): a UA's keep-alive to its outbound proxy */
        if (!sip->sip_route && !sip->sip_request->rq_url->url_user && edge_route_is_ours(e, sip->sip_request->rq_url)) {
                if (sip->sip_request->rq_method == sip_method_options)
                        edge_reply(agent, msg, SIP_200_OK);
                else
                        edge_reply(agent, msg, SIP_404_NOT_FOUND);
                return 0;
        }
        a = edge_account_by_user(e, sip->sip_from->a_url->url_user, sip->sip_from->a_url->url_host);
        if (!a) {
                log_info("Edge: %s from %s@%s refused: not the user of an enabled account.",
                         sip->sip_request->rq_method_name, strempty(sip->sip_from->a_url->url_user),
                         sip->sip_from->a_url->url_host);
                edge_reply(agent, msg, 403, "Forbidden (From is not an account of this device)");
                return 0;
        }
        edge_proxy_out(e, a, msg, sip);
        return 0;
}

/* The network side (regd's registration socket): what sip.c does not handle itself. */
static bool on_network_message(SipDriver *d, msg_t *msg, sip_t *sip, void *userdata) {
        Edge *e = userdata;
        nta_agent_t *net = sip_driver_agent(d);
        Account *a;

        if (!sip->sip_request) {
                forward_stray_response(e, net, e->agent, msg, sip);
                return true;
        }
        if (request_problem(msg, sip)) {
                e->refused++;
                return false; /* the registration socket's own answer (or none, for an ACK) */
        }
        if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count == 0 &&
            sip->sip_request->rq_method != sip_method_options) {
                edge_reply(net, msg, SIP_483_TOO_MANY_HOPS);
                return true;
        }
        switch (sip->sip_request->rq_method) {
        case sip_method_ack:
                if (!sip->sip_route || !edge_route_is_ours(e, sip->sip_route->r_url))
                        return false;
                forward_ack(e, e->agent, msg, sip, EDGE_SIDE_NETWORK);
                return true;
        case sip_method_cancel:
                edge_reply(net, msg, SIP_481_NO_TRANSACTION);
                return true;
        default:
                break;
        }

        if (is_in_dialog(sip) && sip->sip_route && edge_route_is_ours(e, sip->sip_route->r_url)) {
                edge_pop_own_routes(e, msg, sip);
                edge_proxy_dialog(e, EDGE_SIDE_NETWORK, msg, sip);
                return true;
        }
        edge_pop_own_routes(e, msg, sip);
        /* for an account's Contact: its user is the account's */
        a = edge_account_by_user(e, sip->sip_request->rq_url->url_user, NULL);
        if (!a) {
                if (sip->sip_request->rq_method == sip_method_options)
                        return false; /* a probe of regd itself: answered 200 */
                edge_reply(net, msg, 404, "Not Found (no account of this device)");
                return true;
        }
        if (sip->sip_request->rq_method == sip_method_options) {
                char **c = edge_account_contacts(e, a->index);
                bool none = !c || !c[0];
                g_strfreev(c);
                if (none)
                        return false; /* a keep-alive of the registrar: regd answers for the binding */
        }
        edge_proxy_in(e, a->index, msg, sip);
        return true;
}

/* ---- sockets ---------------------------------------------------------------------------- */

static void edge_close(Edge *e) {
        edge_proxy_free_all(e);
        if (e->agent) {
                nta_agent_destroy(e->agent);
                e->agent = NULL;
                log_info("Edge: no longer listening on %s:%u.", strempty(e->address), e->port);
        }
}

/* Whether address:port can be bound for UDP and TCP. sofia-sip's error path after a failed bind
 * closes descriptors that are no longer its own (seen: regd's D-Bus socket), so nta is asked to
 * bind only what was just seen free. -errno of the first that fails; *ret_proto names it. */
static int edge_port_check(const char *address, uint16_t port, const char **ret_proto) {
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } a = {};
        socklen_t len;
        int one = 1;

        if (inet_pton(AF_INET, address, &a.in.sin_addr) == 1) {
                a.in.sin_family = AF_INET;
                a.in.sin_port = htons(port);
                len = sizeof(a.in);
        } else if (inet_pton(AF_INET6, address, &a.in6.sin6_addr) == 1) {
                a.in6.sin6_family = AF_INET6;
                a.in6.sin6_port = htons(port);
                len = sizeof(a.in6);
        } else {
                *ret_proto = "address";
                return -EINVAL;
        }
        for (int tcp = 0; tcp < 2; tcp++) {
                int fd = socket(a.sa.sa_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0), r = 0;
                if (fd < 0)
                        return -errno;
                /* as tport does for its listening socket: TIME_WAIT leftovers do not count */
                if (tcp)
                        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                if (bind(fd, &a.sa, len) < 0)
                        r = -errno;
                close(fd);
                if (r < 0) {
                        *ret_proto = tcp ? "TCP" : "UDP";
                        return r;
                }
        }
        return 0;
}

static int edge_open(Edge *e) {
        const char *proto = NULL;
        char url[128];
        bool v6 = strchr(e->address, ':') != NULL;
        int r;

        snprintf(url, sizeof(url), "sip:%s%s%s:%u", v6 ? "[" : "", e->address, v6 ? "]" : "", e->port);
        r = edge_port_check(e->address, e->port, &proto);
        if (r < 0) {
                free(e->problem);
                e->problem = g_strdup_printf("cannot listen on %s (%s): %s", url, proto, strerror(-r));
                return log_error_errno(r, "Edge: %s; local user agents cannot reach sipr (sipr.edge.address, "
                                          "sipr.edge.port).", e->problem);
        }
        e->agent = nta_agent_create(e->root, (const url_string_t *) url, on_ua_message, (nta_agent_magic_t *) e,
                                    NTATAG_UA(0), NTATAG_CANCEL_487(0), NTATAG_SERVER_RPORT(1),
                                    NTATAG_CLIENT_RPORT(1), NTATAG_USE_NAPTR(0), NTATAG_USE_SRV(0),
                                    NTATAG_UDP_MTU(65535), NTATAG_SIP_T1(e->t1_ms), NTATAG_SIP_T1X64(64 * e->t1_ms),
                                    NTATAG_SIP_T2(e->t2_ms), NTATAG_SIP_T4(e->t4_ms), TAG_END());
        if (!e->agent) {
                /* nta does not say why; in practice the port is taken or the address not local */
                free(e->problem);
                e->problem = g_strdup_printf("cannot listen on %s (UDP and TCP): address in use or not local", url);
                return log_error_errno(EADDRINUSE, "Edge: %s; local user agents cannot reach sipr "
                                                   "(sipr.edge.address, sipr.edge.port).", e->problem);
        }
        free(e->problem);
        e->problem = NULL;
        log_info("Edge: listening on %s (UDP and TCP) for local user agents.", url);
        return 0;
}

void edge_configure(Edge *e, const SiprGlobalConfig *g) {
        const char *why = NULL;
        size_t pos = 0;
        CidrList allow;
        unsigned t1 = (unsigned) MAX(g->timer_t1_usec / 1000, (uint64_t) 1);
        unsigned t2 = (unsigned) MAX(g->timer_t2_usec / 1000, (uint64_t) t1);
        unsigned t4 = (unsigned) MAX(g->timer_t4_usec / 1000, (uint64_t) 1);
        bool rebind = e->enabled != g->edge_enable || !streq(strempty(e->address), strempty(g->edge_address)) ||
                      e->port != g->edge_port || (g->edge_enable && !e->agent);

        if (cidr_list_parse(g->edge_allow, &allow, &why, &pos) < 0)
                /* configd validates it: only a newer or broken configd gets here */
                log_error("Edge: sipr.edge.allow: entry %zu: %s; keeping the previous list.", pos, strempty(why));
        else
                e->allow = allow;

        e->t1_ms = t1;
        e->t2_ms = t2;
        e->t4_ms = t4;
        if (e->agent && !rebind)
                (void) nta_agent_set_params(e->agent, NTATAG_SIP_T1(t1), NTATAG_SIP_T1X64(64 * t1),
                                            NTATAG_SIP_T2(t2), NTATAG_SIP_T4(t4), TAG_END());
        if (!rebind)
                return;

        edge_close(e);
        e->enabled = g->edge_enable;
        free(e->address);
        e->address = strdup(strempty(g->edge_address));
        e->port = g->edge_port;
        if (!e->enabled) {
                free(e->problem);
                e->problem = strdup("sipr.edge.enable = 0");
                log_info("Edge: off (sipr.edge.enable = 0).");
                return;
        }
        (void) edge_open(e);
}

static void edge_account_free_cb(gpointer p) {
        edge_account_free(p);
}

int edge_new(Manager *m, Edge **ret) {
        Edge *e = calloc(1, sizeof(Edge));

        if (!e)
                return log_oom();
        e->m = m;
        e->accounts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, edge_account_free_cb);
        e->affinity = g_hash_table_new_full(g_str_hash, g_str_equal, free, free);
        e->problem = strdup("no configuration yet");
        e->root = su_glib_root_create(e);
        if (!e->root) {
                edge_free(e);
                return log_error_errno(ENOMEM, "Failed to create the edge's sofia-sip root.");
        }
        su_root_threading(e->root, 0);
        e->source = su_glib_root_gsource(e->root);
        g_source_set_priority(e->source, EDGE_SOURCE_PRIORITY);
        g_source_attach(e->source, NULL);
        sip_driver_set_message_handler(m->sip, on_network_message, e);
        *ret = e;
        return 0;
}

Edge *edge_free(Edge *e) {
        if (!e)
                return NULL;
        if (e->m && e->m->sip)
                sip_driver_set_message_handler(e->m->sip, NULL, NULL);
        edge_close(e);
        if (e->expire_id)
                g_source_remove(e->expire_id);
        if (e->root)
                su_root_destroy(e->root);
        g_hash_table_destroy(e->accounts);
        g_hash_table_destroy(e->affinity);
        free(e->address);
        free(e->problem);
        free(e);
        return NULL;
}

void edge_dump(Edge *e, GString *line) {
        if (!e)
                return;
        g_string_append_printf(line, " edge=%s edge_transactions=%u edge_refused=%" G_GUINT64_FORMAT,
                               e->agent ? "listening" : "off", e->n_txs, e->refused);
}
