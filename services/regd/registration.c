/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Registration flows: the engine's actions on one (server, next hop), carried out with a SipReg
 * (sip.c), and the answers handed back to the engine. */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "health-client.h"
#include "log.h"
#include "macro.h"
#include "persist.h"
#include "registration.h"
#include "sip.h"
#include "util.h"

struct Registration {
        Manager *m;
        Account *account; /* NULL once orphaned: only removing its binding */
        unsigned index;   /* the account's, kept when orphaned */
        unsigned server;
        char *uri;
        SipReg *reg;
        bool unregistering, unreg_authed;
        bool register_waiting; /* a REGISTER waits for a removal on this Call-ID to be answered */
        uint32_t waiting_expires;
        uint64_t sent_usec; /* CLOCK_MONOTONIC when its current transaction started */
};

static uint64_t mono(void) {
        return now_usec(CLOCK_MONOTONIC);
}

Registration *registration_free(Registration *g) {
        if (!g)
                return NULL;
        if (g->unregistering) {
                g->unregistering = false;
                manager_unregister_done(g->m);
        }
        sip_reg_free(g->reg);
        free(g->uri);
        free(g);
        return NULL;
}

static Registration *registration_find(Account *a, unsigned server, const char *uri) {
        for (guint i = 0; i < a->registrations->len; i++) {
                Registration *g = g_ptr_array_index(a->registrations, i);
                if (g->server == server && streq(g->uri, uri))
                        return g;
        }
        return NULL;
}

static void registration_persist(Account *a, Registration *g) {
        account_persist_keep(a->persist, g->uri, sip_reg_call_id(g->reg), sip_reg_cseq(g->reg));
}

/* RFC 3261 10.2: a REGISTER on a Call-ID waits for the final answer to the one before it. Sent
 * right behind a removal, it may reach another worker of the registrar and be applied first,
 * and the removal then deletes the fresh binding. The removal is this flow's own, or an orphan's
 * from an earlier incarnation of the account (same next hop, same persisted Call-ID). */
static bool registration_removal_in_flight(const Registration *g) {
        if (g->unregistering)
                return true;
        /* two servers resolving to the same next hop share its persisted Call-ID */
        for (guint i = 0; g->account && i < g->account->registrations->len; i++) {
                const Registration *o = g_ptr_array_index(g->account->registrations, i);
                if (o != g && o->unregistering && streq(o->uri, g->uri))
                        return true;
        }
        for (guint i = 0; i < g->m->orphans->len; i++) {
                const Registration *o = g_ptr_array_index(g->m->orphans, i);
                if (o->index == g->index && streq(o->uri, g->uri))
                        return true;
        }
        return false;
}

static void registration_register(Account *a, Registration *g, uint32_t expires) {
        int r;

        g->register_waiting = false;
        g->sent_usec = mono();
        r = sip_reg_send(g->reg, expires);
        if (r < 0)
                redundancy_register_result(a->red, g->server, g->uri, 503, "cannot send", true, 0, mono());
        else if (r > 0) /* waits for a slot: its deadline starts when it leaves (on_sip_sent) */
                redundancy_request_queued(a->red, g->server, g->uri);
        else /* it may have waited for a removal: the deadline counts from now */
                redundancy_request_sent(a->red, g->server, g->uri, g->sent_usec);
        registration_persist(a, g);
}

/* A removal on uri got its final answer (or gave up): a REGISTER that waited for it leaves. */
static void registrations_removal_done(Account *a, const char *uri) {
        for (guint i = 0; a && i < a->registrations->len; i++) {
                Registration *g = g_ptr_array_index(a->registrations, i);
                if (g->register_waiting && streq(g->uri, uri) && !registration_removal_in_flight(g)) {
                        log_account_info(a, "%s: removal answered; registering.", g->uri);
                        registration_register(a, g, g->waiting_expires);
                }
        }
}

static void on_orphan_result(Registration *g, unsigned status, bool local) {
        Account *a;

        if ((status == 401 || status == 407) && !local && !g->unreg_authed) {
                g->unreg_authed = true;
                if (sip_reg_authenticate(g->reg) >= 0)
                        return;
        }
        log_info("Binding on %s removed (%u).", g->uri, status);
        manager_orphan_remove(g->m, g);
        /* the account's REGISTER on the same Call-ID may leave now */
        a = manager_find_account(g->m, g->index);
        if (a) {
                registrations_removal_done(a, g->uri);
                account_process(a);
        }
        registration_free(g);
}

static void on_sip_result(SipReg *reg, unsigned status, const char *phrase, bool local, uint32_t granted,
                          void *userdata) {
        Registration *g = userdata;
        Account *a = g->account;

        if (!a) {
                on_orphan_result(g, status, local);
                return;
        }

        if (status < 300 && granted > 0 && !g->unregistering)
                log_account_info(a, "%s %u %s (expires %u, refresh in %" PRIu64 " s).", g->uri, status, phrase,
                                 granted,
                                 red_refresh_delay_usec(granted, a->cfg.register_expires_overlap) / USEC_PER_SEC);
        else if (status < 300)
                log_account_info(a, "%s %u %s (expires %u).", g->uri, status, phrase, granted);
        else
                log_account_notice(a, "%s %u %s%s.", g->uri, status, phrase, local ? " (local)" : "");
        manager_hop_result(a->manager, a->index, g->uri, status, local, g->sent_usec);

        if (g->unregistering) {
                if ((status == 401 || status == 407) && !local && !g->unreg_authed) {
                        g->unreg_authed = true;
                        g->sent_usec = mono();
                        if (sip_reg_authenticate(reg) >= 0) {
                                registration_persist(a, g);
                                return;
                        }
                }
                g->unregistering = false;
                manager_unregister_done(a->manager);
                registrations_removal_done(a, g->uri);
                account_process(a);
                return;
        }
        if (sip_reg_retry_after(reg) > 0) {
                log_account_info(a, "%s asks for %u s before it is tried again (Retry-After).", g->uri,
                                 sip_reg_retry_after(reg));
                redundancy_retry_after(a->red, g->server, g->uri, sip_reg_retry_after(reg), mono());
        }
        redundancy_register_result(a->red, g->server, g->uri, status, phrase, local, granted, mono());
        account_process(a);
}

/* A REGISTER that waited for a slot (pacing) left only now: its retry deadline and its CSeq
 * count from here. A removal leaving is not the engine's attempt: a REGISTER waiting behind it
 * keeps its deadline paused until it leaves itself. */
static void on_sip_sent(SipReg *reg, void *userdata) {
        Registration *g = userdata;
        Account *a = g->account;

        g->sent_usec = mono();
        if (!a)
                return;
        registration_persist(a, g);
        if (!g->unregistering)
                redundancy_request_sent(a->red, g->server, g->uri, g->sent_usec);
        account_process(a);
}

static void on_flow_closed(SipReg *reg, void *userdata) {
        Registration *g = userdata;

        if (!g->account)
                return;
        redundancy_flow_closed(g->account->red, g->server, g->uri, mono());
        account_process(g->account);
}

/* nat.udp_update_*: an answered keep-alive proves the server alive, as a REGISTER answer does
 * (healthd then needs no probe of it for a while), and an ICMP error is as telling. Its time-out
 * is not reported: a keep-alive is one datagram, never retransmitted, so it means one lost
 * packet, not a dead server. */
static void on_keepalive_result(SipReg *reg, unsigned status, bool local, void *userdata) {
        Registration *g = userdata;

        if (g->account && !(local && status == 408))
                manager_hop_result(g->m, g->index, g->uri, status, local, 0);
}

static Registration *registration_get(Account *a, unsigned server, const char *uri) {
        Registration *g = registration_find(a, server, uri);
        const char *call_id;
        uint32_t cseq;
        int r;

        if (g)
                return g;
        r = account_persist_binding(a->persist, uri, &call_id, &cseq);
        if (r < 0)
                return NULL;

        g = calloc(1, sizeof(Registration));
        if (!g)
                return NULL;
        g->m = a->manager;
        g->account = a;
        g->index = a->index;
        g->server = server;
        g->uri = strdup(uri);
        SipRegParams p = {
                .user = a->cfg.user_name,
                .domain = account_server_domain(a, server),
                .display_name = a->cfg.display_name,
                .auth_name = a->cfg.auth_name,
                .password = a->cfg.password,
                .next_hop = uri,
                .instance = account_persist_instance(a->persist),
                .call_id = call_id,
                /* +2: a removal still finishing for a previous incarnation of this account may
                 * have used the next numbers (answering a challenge) without saving them. */
                .cseq = cseq + 2,
        };
        if (!g->uri || sip_reg_new(a->manager->sip, &p, on_sip_result, g, &g->reg) < 0) {
                free(g->uri);
                free(g);
                return NULL;
        }
        sip_reg_set_flow_closed(g->reg, on_flow_closed);
        sip_reg_set_sent(g->reg, on_sip_sent);
        sip_reg_set_keepalive_result(g->reg, on_keepalive_result);
        g_ptr_array_add(a->registrations, g);
        return g;
}

void registration_do(Account *a, const RedAction *act) {
        Registration *g;
        int r;

        switch (act->type) {
        case RED_ACTION_REGISTER:
                g = registration_get(a, act->server, act->uri);
                if (!g) {
                        redundancy_register_result(a->red, act->server, act->uri, 500, "internal error", true, 0, mono());
                        break;
                }
                if (registration_removal_in_flight(g)) {
                        /* Its deadline is paused until it leaves, like a paced one. */
                        log_account_info(a, "%s: registering once the removal is answered.", g->uri);
                        g->register_waiting = true;
                        g->waiting_expires = act->expires;
                        redundancy_request_queued(a->red, act->server, act->uri);
                        break;
                }
                registration_register(a, g, act->expires);
                break;
        case RED_ACTION_AUTHENTICATE:
                g = registration_find(a, act->server, act->uri);
                if (g)
                        g->sent_usec = mono();
                if (!g || (r = sip_reg_authenticate(g->reg)) < 0) {
                        /* No usable challenge or no credentials: as a rejected attempt. */
                        redundancy_register_result(a->red, act->server, act->uri, 401,
                                                   "authentication failed (no usable challenge or credentials)", false,
                                                   0, mono());
                        break;
                }
                if (r > 0)
                        redundancy_request_queued(a->red, act->server, act->uri);
                registration_persist(a, g);
                break;
        case RED_ACTION_CANCEL:
                g = registration_find(a, act->server, act->uri);
                if (g && g->register_waiting)
                        g->register_waiting = false; /* nothing left; the removal goes on */
                else if (g && !g->unregistering)
                        sip_reg_cancel(g->reg); /* never a removal: it must get its answer */
                if (act->timed_out) {
                        log_account_info(a, "no answer from %s in time, giving up on it.", act->uri);
                        manager_hop_result(a->manager, a->index, act->uri, 408, true, g ? g->sent_usec : 0);
                }
                break;
        case RED_ACTION_UNREGISTER:
                g = registration_get(a, act->server, act->uri);
                if (!g)
                        break;
                if (g->register_waiting) {
                        /* The engine cancels an attempt before removing its binding; if it ever
                         * did not, the attempt's paused deadline must run again. */
                        g->register_waiting = false;
                        redundancy_request_sent(a->red, act->server, act->uri, mono());
                }
                if (!g->unregistering)
                        a->manager->pending_unregisters++;
                g->unregistering = true;
                g->unreg_authed = false;
                log_account_info(a, "removing binding on %s.", act->uri);
                g->sent_usec = mono();
                if (sip_reg_send(g->reg, 0) < 0) {
                        g->unregistering = false;
                        manager_unregister_done(a->manager);
                }
                registration_persist(a, g);
                break;
        case RED_ACTION_RESOLVE:
                break; /* not a flow's: account-resolve.c */
        }
}

/* A flow whose address the account no longer has (its server name now resolves elsewhere) goes
 * once idle and unbound: with a name whose addresses keep changing, flows would otherwise pile up
 * for as long as regd runs. Its Call-ID/CSeq stay in the persisted state (bounded there too). */
void registrations_prune(Account *a, const AccountServerRow *rows, size_t n_rows) {
        RedAction bound[RED_SERVER_MAX];
        size_t n_bound = redundancy_bindings(a->red, bound, ELEMENTSOF(bound));

        for (guint i = 0; i < a->registrations->len;) {
                Registration *g = g_ptr_array_index(a->registrations, i);
                bool keep = g->unregistering || g->register_waiting || sip_reg_busy(g->reg);

                for (size_t j = 0; j < n_rows && !keep; j++)
                        keep = rows[j].server == g->server && streq(rows[j].uri, g->uri);
                for (size_t j = 0; j < n_bound && !keep; j++)
                        keep = bound[j].server == g->server && streq(bound[j].uri, g->uri);
                if (keep) {
                        i++;
                        continue;
                }
                log_account_debug(a, "%s is no longer one of its addresses; forgetting it.", g->uri);
                if (a->manager->health)
                        health_client_unwatch(a->manager->health, a, g->server, g->uri);
                g_ptr_array_remove_index_fast(a->registrations, i);
                registration_free(g);
        }
}

void registrations_keepalive(Account *a) {
        RedAction b[RED_SERVER_MAX];
        size_t n = redundancy_bindings(a->red, b, ELEMENTSOF(b));

        for (size_t i = 0; i < n; i++) {
                Registration *g = registration_find(a, b[i].server, b[i].uri);
                if (g && strstr(g->uri, "transport=udp") && !g->unregistering)
                        (void) sip_reg_keepalive(g->reg);
        }
}

unsigned registrations_held(const Account *a) {
        unsigned n = 0;

        for (guint i = 0; i < a->registrations->len; i++)
                n += ((const Registration *) g_ptr_array_index(a->registrations, i))->register_waiting;
        return n;
}

void registrations_release(Account *a) {
        for (guint i = 0; a->registrations && i < a->registrations->len; i++) {
                Registration *g = g_ptr_array_index(a->registrations, i);
                if (g->unregistering) {
                        /* Let the removal of this binding finish without the account. */
                        g->account = NULL;
                        g->register_waiting = false;
                        manager_orphan_add(a->manager, g);
                } else
                        registration_free(g);
        }
        if (a->registrations)
                g_ptr_array_set_size(a->registrations, 0);
}
