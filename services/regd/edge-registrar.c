/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Local registration (EDGE.md): a UA's REGISTER on the edge is absorbed, never forwarded. Its
 * Contacts become the account's local contacts, in memory with their expiry; the network
 * registration stays regd's. No challenge: the allow list is the access control, and the
 * credentials a UA sends are ignored. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/url.h>

#include "account.h"
#include "edge-internal.h"
#include "log.h"
#include "macro.h"
#include "timer.h"
#include "util.h"

static uint64_t mono(void) {
        return now_usec(CLOCK_MONOTONIC);
}

static void local_contact_free(LocalContact *c) {
        if (!c)
                return;
        free(c->uri);
        free(c);
}

void edge_account_free(EdgeAccount *ea) {
        if (!ea)
                return;
        local_contact_free(ea->fixed);
        for (guint i = 0; i < ea->contacts->len; i++)
                local_contact_free(g_ptr_array_index(ea->contacts, i));
        g_ptr_array_free(ea->contacts, TRUE);
        free(ea);
}

static LocalContact *contact_find(EdgeAccount *ea, const char *uri, guint *ret_index) {
        for (guint i = 0; i < ea->contacts->len; i++) {
                LocalContact *c = g_ptr_array_index(ea->contacts, i);
                url_t a[1], b[1];
                char *x = strdup(c->uri), *y = strdup(uri);
                bool same = x && y && url_d(a, x) >= 0 && url_d(b, y) >= 0 && url_cmp_all(a, b) == 0;
                free(x);
                free(y);
                if (same) {
                        if (ret_index)
                                *ret_index = i;
                        return c;
                }
        }
        return NULL;
}

static gboolean on_expire(gpointer userdata) {
        Edge *e = userdata;

        e->expire_id = 0;
        e->expire_at = 0;
        edge_registrar_expire(e);
        return G_SOURCE_REMOVE;
}

/* Drops what expired, and sleeps until the next expiry: one timer for every local contact. */
void edge_registrar_expire(Edge *e) {
        uint64_t now = mono(), next = 0;
        GHashTableIter it;
        EdgeAccount *ea;

        g_hash_table_iter_init(&it, e->accounts);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &ea)) {
                bool changed = false;
                for (guint i = 0; i < ea->contacts->len;) {
                        LocalContact *c = g_ptr_array_index(ea->contacts, i);
                        if (c->expires_at > now) {
                                next = next ? MIN(next, c->expires_at) : c->expires_at;
                                i++;
                                continue;
                        }
                        log_info("Edge: account %u: local contact %s expired.", ea->index, c->uri);
                        g_ptr_array_remove_index(ea->contacts, i);
                        local_contact_free(c);
                        changed = true;
                }
                if (changed)
                        edge_account_emit(e, ea->index);
        }
        if (e->expire_id && (next == 0 || next != e->expire_at)) {
                g_source_remove(e->expire_id);
                e->expire_id = 0;
        }
        if (next && !e->expire_id) {
                e->expire_at = next;
                e->expire_id = timer_add_msec((guint) MIN((next - now + 999) / 1000, (uint64_t) G_MAXUINT), on_expire, e);
        }
}

/* A contact a server's request may be forwarded to: a sip: URI whose host is an IP literal inside
 * sipr.edge.allow. Anything else would let a local UA point incoming calls anywhere. */
static const char *contact_problem(Edge *e, const sip_contact_t *m) {
        if (!m->m_url->url_host || (m->m_url->url_type != url_sip && m->m_url->url_type != url_sips))
                return "Bad Request (Contact is not a sip: URI)";
        if (!edge_destination_allowed(e, m->m_url))
                return "Forbidden (Contact address outside sipr.edge.allow)";
        return NULL;
}

static uint32_t contact_expires(const sip_t *sip, const sip_contact_t *m) {
        unsigned long v;

        if (m->m_expires)
                v = strtoul(m->m_expires, NULL, 10);
        else if (sip->sip_expires)
                v = sip->sip_expires->ex_delta;
        else
                v = EDGE_CONTACT_EXPIRES_DEFAULT;
        return (uint32_t) MIN(v, (unsigned long) EDGE_CONTACT_EXPIRES_MAX);
}

/* The 200 lists every current contact of the account with its remaining lifetime. */
static void reply_contacts(Edge *e, msg_t *msg, EdgeAccount *ea) {
        su_home_t *home = msg_home(msg);
        sip_contact_t *list = NULL, **tail = &list;
        uint64_t now = mono();

        for (guint i = 0; i < ea->contacts->len; i++) {
                LocalContact *c = g_ptr_array_index(ea->contacts, i);
                char *s = su_sprintf(home, "<%s>;expires=%u", c->uri,
                                     (unsigned) ((c->expires_at > now ? c->expires_at - now : 0) / USEC_PER_SEC));
                sip_contact_t *m = s ? sip_contact_make(home, s) : NULL;
                if (m) {
                        *tail = m;
                        tail = &m->m_next;
                }
        }
        nta_msg_treply(e->agent, msg, SIP_200_OK, SIPTAG_CONTACT(list), SIPTAG_DATE(sip_date_create(home, sip_now())),
                       TAG_END());
}

void edge_registrar_handle(Edge *e, msg_t *msg, sip_t *sip) {
        const char *user = sip->sip_to->a_url->url_user;
        uint64_t now = mono();
        EdgeAccount *ea;
        Account *a;
        bool changed = false;

        a = edge_account_by_user(e, user, sip->sip_to->a_url->url_host);
        if (!a) {
                log_info("Edge: REGISTER for %s@%s refused: not the user of an enabled account.", strempty(user),
                         strempty(sip->sip_to->a_url->url_host));
                edge_reply(e->agent, msg, 404, "Not Found (no enabled account with that user)");
                return;
        }
        ea = edge_account_get(e, a->index);
        if (!ea) {
                edge_reply(e->agent, msg, SIP_500_INTERNAL_SERVER_ERROR);
                return;
        }

        /* validate every Contact before changing anything */
        for (const sip_contact_t *m = sip->sip_contact; m; m = m->m_next) {
                const char *problem;

                if (m->m_url->url_type == url_any) {
                        if (m->m_next || m != sip->sip_contact || !sip->sip_expires || sip->sip_expires->ex_delta != 0) {
                                edge_reply(e->agent, msg, 400, "Bad Request (Contact: * needs Expires: 0 alone)");
                                return;
                        }
                        continue;
                }
                problem = contact_problem(e, m);
                if (problem) {
                        log_info("Edge: account %u: REGISTER refused: %s.", a->index, problem);
                        edge_reply(e->agent, msg, problem[0] == 'F' ? 403 : 400, problem);
                        return;
                }
        }

        for (const sip_contact_t *m = sip->sip_contact; m; m = m->m_next) {
                uint32_t expires;
                LocalContact *c;
                guint idx = 0;
                char *uri;

                if (m->m_url->url_type == url_any) {
                        for (guint i = 0; i < ea->contacts->len; i++)
                                local_contact_free(g_ptr_array_index(ea->contacts, i));
                        if (ea->contacts->len > 0)
                                changed = true;
                        g_ptr_array_set_size(ea->contacts, 0);
                        log_info("Edge: account %u: every local contact removed.", a->index);
                        break;
                }
                uri = url_as_string(msg_home(msg), m->m_url);
                if (!uri)
                        continue;
                expires = contact_expires(sip, m);
                c = contact_find(ea, uri, &idx);
                if (expires == 0) {
                        if (c) {
                                log_info("Edge: account %u: local contact %s removed.", a->index, c->uri);
                                g_ptr_array_remove_index(ea->contacts, idx);
                                local_contact_free(c);
                                changed = true;
                        }
                        continue;
                }
                if (!c) {
                        if (ea->contacts->len >= EDGE_CONTACTS_MAX) {
                                edge_reply(e->agent, msg, 403, "Forbidden (too many local contacts, at most 8)");
                                if (changed)
                                        edge_account_emit(e, a->index);
                                return;
                        }
                        c = calloc(1, sizeof(LocalContact));
                        if (!c || !(c->uri = strdup(uri))) {
                                free(c);
                                edge_reply(e->agent, msg, SIP_500_INTERNAL_SERVER_ERROR);
                                return;
                        }
                        g_ptr_array_add(ea->contacts, c);
                        log_info("Edge: account %u: local contact %s (expires %u).", a->index, c->uri, expires);
                        changed = true;
                }
                c->expires_at = now + (uint64_t) expires * USEC_PER_SEC;
        }
        reply_contacts(e, msg, ea);
        edge_registrar_expire(e);
        if (changed)
                edge_account_emit(e, a->index);
}

void edge_account_changed(Edge *e, unsigned index, const SiprAccountConfig *cfg) {
        EdgeAccount *ea = g_hash_table_lookup(e->accounts, GUINT_TO_POINTER(index));
        const char *fixed = cfg && cfg->enable ? strempty(cfg->edge_contact) : "";

        if (!cfg || !cfg->enable) {
                /* gone or disabled: nobody may reach its local UAs through it any more (the
                 * counters stay: they count for the daemon's life) */
                if (!ea)
                        return;
                for (guint i = 0; i < ea->contacts->len; i++)
                        local_contact_free(g_ptr_array_index(ea->contacts, i));
                g_ptr_array_set_size(ea->contacts, 0);
                local_contact_free(ea->fixed);
                ea->fixed = NULL;
                return;
        }
        if (!ea && isempty(fixed))
                return;
        ea = ea ?: edge_account_get(e, index);
        if (!ea)
                return;
        if (streq(ea->fixed ? ea->fixed->uri : "", fixed))
                return;
        local_contact_free(ea->fixed);
        ea->fixed = NULL;
        if (!isempty(fixed)) {
                ea->fixed = calloc(1, sizeof(LocalContact));
                if (ea->fixed && !(ea->fixed->uri = strdup(fixed))) {
                        free(ea->fixed);
                        ea->fixed = NULL;
                }
        }
}

char **edge_account_contacts(Edge *e, unsigned index) {
        EdgeAccount *ea = e ? g_hash_table_lookup(e->accounts, GUINT_TO_POINTER(index)) : NULL;
        GPtrArray *l = g_ptr_array_new();

        if (ea && ea->fixed)
                g_ptr_array_add(l, g_strdup(ea->fixed->uri));
        for (guint i = 0; ea && i < ea->contacts->len; i++)
                g_ptr_array_add(l, g_strdup(((LocalContact *) g_ptr_array_index(ea->contacts, i))->uri));
        g_ptr_array_add(l, NULL);
        return (char **) g_ptr_array_free(l, FALSE);
}

uint64_t edge_account_requests(Edge *e, unsigned index) {
        EdgeAccount *ea = e ? g_hash_table_lookup(e->accounts, GUINT_TO_POINTER(index)) : NULL;
        return ea ? ea->requests : 0;
}

uint64_t edge_account_request_failovers(Edge *e, unsigned index) {
        EdgeAccount *ea = e ? g_hash_table_lookup(e->accounts, GUINT_TO_POINTER(index)) : NULL;
        return ea ? ea->request_failovers : 0;
}
