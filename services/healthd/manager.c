/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config-client.h"
#include "health-bus.h"
#include "log.h"
#include "manager.h"
#include "probe.h"
#include "schedule.h"
#include "sipr-messages.h"
#include "target-bus.h"
#include "util.h"

/* Targets due within this window are handled in the same wake-up. */
#define COALESCE_USEC (2 * USEC_PER_MSEC)

typedef struct TimerSource {
        GSource source;
        Manager *manager;
} TimerSource;

static void manager_dispatch_queue(Manager *m);

static gboolean timer_dispatch(GSource *source, GSourceFunc callback, gpointer userdata) {
        TimerSource *ts = (TimerSource *) source;

        manager_dispatch_queue(ts->manager);
        return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_funcs = {
        .dispatch = timer_dispatch,
};

static gint queue_compare(gconstpointer a, gconstpointer b, gpointer userdata) {
        const Target *x = a, *y = b;

        if (x->due_usec != y->due_usec)
                return x->due_usec < y->due_usec ? -1 : 1;
        return x->id < y->id ? -1 : x->id > y->id;
}

static void manager_arm_timer(Manager *m) {
        GSequenceIter *first = g_sequence_get_begin_iter(m->queue);
        gint64 when = -1;

        /* While the queue is being worked through, arm once at the end. */
        if (m->dispatching)
                return;
        if (!g_sequence_iter_is_end(first))
                when = (gint64) ((Target *) g_sequence_get(first))->due_usec;
        /* Setting the ready time wakes the main loop up: only when it changes. */
        if (when == m->timer_armed_usec)
                return;
        m->timer_armed_usec = when;
        g_source_set_ready_time(m->timer, when);
}

static void target_unqueue(Target *t) {
        if (!t->queue_iter)
                return;
        g_sequence_remove(t->queue_iter);
        t->queue_iter = NULL;
}

static void target_schedule(Target *t, uint64_t due_usec) {
        Manager *m = t->manager;

        target_unqueue(t);
        t->due_usec = due_usec;
        t->queue_iter = g_sequence_insert_sorted(m->queue, t, queue_compare, NULL);
        manager_arm_timer(m);
}

/* The randomness of the schedule (schedule.h takes it as an argument). */
static uint64_t draw(void) {
        return random_u64_range(UINT64_MAX);
}

uint64_t manager_probe_timeout_usec(const Target *t) {
        /* From the active interval even for a standby target: a silent server is then confirmed
         * down as fast as an active one once its first probe failed. */
        return target_probe_timeout_usec(t->interval_usec);
}

uint64_t manager_period_usec(const Target *t) {
        return schedule_period_usec(t->interval_usec, t->manager->defaults.standby_interval_usec,
                                    t->standby);
}

static void target_cancel_probe(Target *t) {
        probe_connect_cancel(t);
        probe_crlf_cancel(t);
        probe_options_cancel(t);
        t->probing = false;
}

static ProbeMethod probe_effective_method(const Target *t) {
        /* TLS: no TLS transport in our nta agent, so OPTIONS become the CRLF keep-alive over TLS
         * (a TLS SIP stack answering); without OpenSSL, everything is a TCP connect. */
        if (t->transport == TRANSPORT_TLS && t->method != PROBE_NONE && t->method != PROBE_CONNECT)
                return probe_crlf_tls_supported() ? PROBE_CRLF : PROBE_CONNECT;
        return t->method;
}

static void target_start_probe(Target *t) {
        Manager *m = t->manager;
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        int r;

        t->probing = true;
        t->probe_start_usec = now;
        target_schedule(t, now + manager_probe_timeout_usec(t));

        switch (probe_effective_method(t)) {
        case PROBE_CONNECT:
                probe_connect_start(t);
                break;
        case PROBE_CRLF:
                probe_crlf_start(t);
                break;
        case PROBE_OPTIONS:
                if (!m->options_agent) {
                        r = probe_options_agent_new(m->context, &m->options_agent);
                        if (r < 0) {
                                manager_probe_done(t, TARGET_EVENT_ERROR, 0, "cannot create the SIP agent");
                                return;
                        }
                }
                probe_options_start(m->options_agent, t);
                break;
        default:
                t->probing = false;
                target_unqueue(t);
                break;
        }
}

static void manager_dispatch_queue(Manager *m) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        /* Bounded: each handled target is queued again in the future. */
        gint n = g_sequence_get_length(m->queue);

        m->dispatching = true;
        m->timer_armed_usec = -2; /* the source fired: re-arm whatever comes next */

        for (gint i = 0; i < n; i++) {
                GSequenceIter *first = g_sequence_get_begin_iter(m->queue);
                Target *t;

                if (g_sequence_iter_is_end(first))
                        break;
                t = g_sequence_get(first);
                if (t->due_usec > now + COALESCE_USEC)
                        break;
                target_unqueue(t);

                if (t->probing) {
                        target_cancel_probe(t);
                        t->probing = true; /* so that probe_done accepts the result */
                        manager_probe_done(t, TARGET_EVENT_TIMEOUT, 0,
                                           "no answer within the probe deadline");
                } else
                        target_start_probe(t);
        }
        m->dispatching = false;
        manager_arm_timer(m);
}

static void manager_update_status(Manager *m) {
        unsigned n[_TARGET_STATE_MAX] = {};
        GHashTableIter it;
        gpointer v;
        char buf[128];

        if (!m->status_cb)
                return;
        g_hash_table_iter_init(&it, m->targets_by_key);
        while (g_hash_table_iter_next(&it, NULL, &v))
                n[((Target *) v)->health.state]++;
        snprintf(buf, sizeof(buf), "Watching %u target(s): %u up, %u down, %u unknown.",
                 g_hash_table_size(m->targets_by_key), n[TARGET_UP], n[TARGET_DOWN], n[TARGET_UNKNOWN]);
        m->status_cb(buf, m->status_userdata);
}

/* down at warning and up at notice, with the reason and fixed MESSAGE_IDs, so that
 * "journalctl -p warning" tells an outage and "journalctl MESSAGE_ID=…" lists every one. The
 * target as the SIP URI regd uses for the same address (SIPR_SERVER= matches across daemons). */
static void target_log_change(Target *t, unsigned changed, const char *detail) {
        const char *tr = target_transport_to_string(t->transport);
        bool v6 = strchr(t->address, ':');
        char uri[INET6_ADDRSTRLEN + 40];

        if (!(changed & TARGET_PROP_STATE))
                return;
        manager_update_status(t->manager);
        snprintf(uri, sizeof(uri), "sip:%s%s%s:%u;transport=%s", v6 ? "[" : "", t->address, v6 ? "]" : "",
                 t->port, tr);
        if (t->health.state == TARGET_DOWN) {
                const char *reason = target_event_to_string(t->health.last_error);
                log_struct(LOG_WARNING, SIPR_MESSAGE_SERVER_DOWN,
                           LOG_FIELDS(LOG_FIELD("SIPR_SERVER", uri), LOG_FIELD("SIPR_REASON", reason),
                                      LOG_FIELD("SIPR_DETAIL", detail)),
                           "Target %s %s:%u is down (%s%s%s).", tr, t->address, t->port, reason,
                           detail ? ": " : "", strempty(detail));
        } else if (t->health.state == TARGET_UP)
                log_struct(LOG_NOTICE, SIPR_MESSAGE_SERVER_UP, LOG_FIELDS(LOG_FIELD("SIPR_SERVER", uri)),
                           "Target %s %s:%u is up.", tr, t->address, t->port);
        else
                log_info("Target %s %s:%u is %s.", tr, t->address, t->port,
                         target_state_to_string(t->health.state));
}

void manager_probe_done(Target *t, TargetEvent event, uint64_t rtt_usec, const char *detail) {
        uint64_t now = now_usec(CLOCK_MONOTONIC), next;
        unsigned changed;

        if (!t->probing)
                return;
        t->probing = false;
        target_unqueue(t);

        /* An RTT of 0 reads as "never measured"; loopback can be that fast. */
        if (event == TARGET_EVENT_OK && rtt_usec == 0)
                rtt_usec = 1;

        log_debug("Probe %s of %s %s:%u: %s%s%s (%" PRIu64 " us)",
                  probe_method_to_string(probe_effective_method(t)),
                  target_transport_to_string(t->transport), t->address, t->port,
                  target_event_to_string(event), detail ? ": " : "", strempty(detail), rtt_usec);

        changed = target_health_probe_result(&t->health, event, rtt_usec, now_usec(CLOCK_REALTIME));
        target_log_change(t, changed, detail);
        target_bus_emit_changed(t, changed);

        next = schedule_next_usec(target_health_confirming(&t->health), t->interval_usec,
                                  manager_period_usec(t), t->probe_start_usec, t->proof_usec, now, draw());
        target_schedule(t, next);
}

void manager_probe_soon(Target *t) {
        uint64_t now = now_usec(CLOCK_MONOTONIC), when;

        if (t->probing || t->method == PROBE_NONE)
                return;
        /* At once, but never more often than four times per interval: a client flipping the
         * state with Report after Report must not turn healthd into a flood. */
        when = MAX(now, t->probe_start_usec + t->interval_usec / 4);
        if (!t->queue_iter || when < t->due_usec)
                target_schedule(t, when);
}

int manager_report(Manager *m, Target *t, TargetEvent event) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        unsigned changed;

        changed = target_health_report(&t->health, event, now_usec(CLOCK_REALTIME));
        target_log_change(t, changed, "reported by a client");
        target_bus_emit_changed(t, changed);

        /* Traffic answered: as good as a successful probe, so the next probe waits a full
         * period from now, and a device whose registration flow is busy is not probed on top.
         * A running probe ends as usual and schedules the next one from here too
         * (schedule_next_usec). */
        if (event == TARGET_EVENT_OK)
                t->proof_usec = now;
        /* The state moved on a client's word: let a probe confirm it now. */
        if (changed & TARGET_PROP_STATE) {
                manager_probe_soon(t);
                return 0;
        }
        if (event == TARGET_EVENT_OK && !t->probing && t->queue_iter) {
                target_schedule(t,
                                schedule_after_proof_usec(t->due_usec, manager_period_usec(t), now, draw()));
                log_debug("Traffic shows %s %s:%u alive: next probe in %" PRIu64 " ms.",
                          target_transport_to_string(t->transport), t->address, t->port,
                          (t->due_usec - now) / USEC_PER_MSEC);
        }
        return 0;
}

static void target_free(Target *t) {
        if (!t)
                return;
        target_unqueue(t);
        target_cancel_probe(t);
        probe_crlf_forget(t);
        sd_bus_track_unref(t->watchers);
        if (t->standby_names)
                g_hash_table_destroy(t->standby_names);
        free(t->path);
        free(t->key);
        free(t->address);
        free(t);
}

void manager_remove_target(Manager *m, Target *t) {
        log_info("No more watchers of %s %s:%u, stopped probing.", target_transport_to_string(t->transport),
                 t->address, t->port);
        target_bus_emit_removed(t);
        g_hash_table_remove(m->targets_by_id, &t->id);
        g_hash_table_remove(m->targets_by_key, t->key); /* frees t */
        manager_update_status(m);
}

Target *manager_find_target_by_path(Manager *m, const char *path) {
        const char *prefix = TARGET_BUS_PATH_PREFIX "/";
        uint64_t id;

        if (!path || !strneq(path, prefix, strlen(prefix)))
                return NULL;
        if (safe_atou64(path + strlen(prefix), &id) < 0)
                return NULL;
        return g_hash_table_lookup(m->targets_by_id, &id);
}

static ProbeMethod effective_method(TargetTransport transport, ProbeMethod method) {
        /* A configured default of crlf/connect cannot apply to UDP: SIP OPTIONS can. */
        if (transport == TRANSPORT_UDP && (method == PROBE_CRLF || method == PROBE_CONNECT))
                return PROBE_OPTIONS;
        return method;
}

static void target_apply_defaults(Target *t) {
        Manager *m = t->manager;
        unsigned changed;

        if (!t->interval_explicit)
                t->interval_usec = m->defaults.interval_usec;
        if (!t->method_explicit)
                t->method = effective_method(t->transport, m->defaults.method);
        changed = target_health_set_thresholds(
                &t->health, t->down_explicit ? t->health.down_after : m->defaults.down_after,
                t->up_explicit ? t->health.up_after : m->defaults.up_after, now_usec(CLOCK_REALTIME));
        target_bus_emit_changed(t, changed);
}

static void target_reschedule(Target *t) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        if (t->probing)
                return; /* the next one is scheduled when this one ends */
        if (t->method == PROBE_NONE) {
                target_unqueue(t);
                return;
        }
        /* New, or the period shrank (active again, a shorter interval): at a random point of
         * the new period. A period that grew lets the probe already due happen first. */
        uint64_t period = manager_period_usec(t);
        if (!t->queue_iter || t->due_usec > now + period)
                target_schedule(t, schedule_first_usec(now, period, draw()));
}

void manager_set_standby(Manager *m, Target *t, bool standby) {
        if (t->standby == standby)
                return;
        t->standby = standby;
        log_info("%s %s:%u is %s: probed every %" PRIu64 " ms.", target_transport_to_string(t->transport),
                 t->address, t->port, standby ? "standby (no watcher uses it now)" : "active",
                 manager_period_usec(t) / USEC_PER_MSEC);
        target_bus_emit_changed(t, TARGET_PROP_STANDBY);
        target_reschedule(t);
}

void manager_set_defaults(Manager *m, const HealthDefaults *d) {
        GHashTableIter it;
        gpointer v;

        m->defaults = *d;
        g_hash_table_iter_init(&it, m->targets_by_key);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
                Target *t = v;
                ProbeMethod old = t->method;

                target_apply_defaults(t);
                if (old != t->method) {
                        target_cancel_probe(t);
                        probe_crlf_forget(t);
                        target_unqueue(t);
                }
                target_reschedule(t);
        }
}

int manager_watch(Manager *m, const WatchRequest *req, Target **ret, bool *ret_created) {
        _cleanup_free_ char *key = NULL;
        Target *t;

        if (asprintf(&key, "%s %s %u", target_transport_to_string(req->transport), req->address, req->port) <
            0)
                return -ENOMEM;

        t = g_hash_table_lookup(m->targets_by_key, key);
        if (t) {
                /* Shared target: options asked for explicitly replace ones that only came from the
                 * configuration; between explicit ones the first watcher's stand, except that a
                 * shorter interval wins, so no watcher is served worse than it asked for. */
                if (req->has_method && !t->method_explicit) {
                        t->method_explicit = true;
                        if (t->method != req->method) {
                                target_cancel_probe(t);
                                probe_crlf_forget(t);
                                target_unqueue(t);
                                t->method = req->method;
                        }
                }
                if (req->has_down_after && !t->down_explicit) {
                        t->down_explicit = true;
                        t->health.down_after = req->down_after;
                }
                if (req->has_up_after && !t->up_explicit) {
                        t->up_explicit = true;
                        t->health.up_after = req->up_after;
                }
                if (req->has_interval && (!t->interval_explicit || req->interval_usec < t->interval_usec)) {
                        t->interval_explicit = true;
                        t->interval_usec = req->interval_usec;
                }
                target_apply_defaults(t); /* re-evaluates the thresholds */
                target_reschedule(t);
                *ret = t;
                *ret_created = false;
                return 0;
        }

        if (g_hash_table_size(m->targets_by_key) >= HEALTHD_TARGETS_MAX)
                return -E2BIG;

        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->manager = m;
        t->id = ++m->next_id;
        t->key = TAKE_PTR(key);
        t->transport = req->transport;
        t->address = strdup(req->address);
        t->port = req->port;
        t->sockaddr = req->sockaddr;
        t->sockaddr_len = req->sockaddr_len;
        if (!t->address || asprintf(&t->path, TARGET_BUS_PATH_PREFIX "/%" PRIu64, t->id) < 0) {
                target_free(t);
                return -ENOMEM;
        }

        t->interval_explicit = req->has_interval;
        t->interval_usec = req->interval_usec;
        t->method_explicit = req->has_method;
        t->method = req->method;
        t->down_explicit = req->has_down_after;
        t->up_explicit = req->has_up_after;
        /* A first watcher that says standby: the first probe at a random point of the standby
         * period (health-bus.c records who said it). */
        t->standby = req->has_standby && req->standby;
        target_health_init(&t->health, req->has_down_after ? req->down_after : m->defaults.down_after,
                           req->has_up_after ? req->up_after : m->defaults.up_after);
        target_apply_defaults(t);

        g_hash_table_insert(m->targets_by_key, t->key, t);
        g_hash_table_insert(m->targets_by_id, &t->id, t);

        log_info("Watching %s %s:%u with %s every %" PRIu64 " ms (down after %u, up after %u).",
                 target_transport_to_string(t->transport), t->address, t->port,
                 probe_method_to_string(t->method), t->interval_usec / USEC_PER_MSEC, t->health.down_after,
                 t->health.up_after);

        target_reschedule(t);
        manager_update_status(m);
        *ret = t;
        *ret_created = true;
        return 0;
}

void watch_request_done(WatchRequest *req) {
        free(req->address);
        req->address = NULL;
}

void manager_dump(Service *s, GString *line, void *userdata) {
        Manager *m = userdata;
        unsigned standby = 0;
        GHashTableIter it;
        gpointer v;

        g_hash_table_iter_init(&it, m->targets_by_key);
        while (g_hash_table_iter_next(&it, NULL, &v))
                standby += ((Target *) v)->standby;
        g_string_append_printf(line, " targets=%u standby=%u queued=%d options_transactions=%zu",
                               g_hash_table_size(m->targets_by_key), standby,
                               g_sequence_get_length(m->queue),
                               probe_options_agent_transactions(m->options_agent));
}

int manager_new(sd_bus *bus, GMainContext *context, Manager **ret) {
        Manager *m;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->bus = sd_bus_ref(bus);
        m->context = context ? g_main_context_ref(context) : g_main_context_ref_thread_default();
        m->defaults = (HealthDefaults){
                .interval_usec = 5000 * USEC_PER_MSEC,
                .standby_interval_usec = HEALTHD_STANDBY_INTERVAL_DEFAULT_MS * USEC_PER_MSEC,
                .method = PROBE_OPTIONS,
                .down_after = 2,
                .up_after = 2,
        };
        m->targets_by_key =
                g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) target_free);
        m->targets_by_id = g_hash_table_new(g_int64_hash, g_int64_equal);
        m->queue = g_sequence_new(NULL);

        m->timer = g_source_new(&timer_funcs, sizeof(TimerSource));
        ((TimerSource *) m->timer)->manager = m;
        g_source_set_name(m->timer, "healthd probe queue");
        m->timer_armed_usec = -1;
        g_source_attach(m->timer, m->context);

        *ret = m;
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        config_client_free(m->config);
        health_bus_done(m);
        /* Targets first: their probes may use the agent. */
        g_hash_table_destroy(m->targets_by_id);
        g_hash_table_destroy(m->targets_by_key);
        g_sequence_free(m->queue);
        probe_options_agent_free(m->options_agent);
        probe_crlf_shutdown();
        if (m->timer) {
                g_source_destroy(m->timer);
                g_source_unref(m->timer);
        }
        sd_bus_unref(m->bus);
        g_main_context_unref(m->context);
        free(m);
        return NULL;
}

static void on_config_changed(ConfigClient *c, const SiprConfig *old, const SiprConfig *config,
                              char **changed_keys, void *userdata) {
        Manager *m = userdata;
        const SiprGlobalConfig *g = &config->global;
        HealthDefaults d = m->defaults;
        ProbeMethod method;

        /* configd validated these; still never take a value we cannot use. */
        if (g->health_interval_ms >= HEALTHD_INTERVAL_MIN_MS &&
            g->health_interval_ms <= HEALTHD_INTERVAL_MAX_MS)
                d.interval_usec = (uint64_t) g->health_interval_ms * USEC_PER_MSEC;
        if (probe_method_from_string(g->health_method, &method) >= 0)
                d.method = method;
        if (g->health_standby_interval_ms >= HEALTHD_INTERVAL_MIN_MS &&
            g->health_standby_interval_ms <= HEALTHD_INTERVAL_MAX_MS)
                d.standby_interval_usec = (uint64_t) g->health_standby_interval_ms * USEC_PER_MSEC;
        if (g->health_down_after >= TARGET_COUNT_MIN && g->health_down_after <= TARGET_COUNT_MAX)
                d.down_after = g->health_down_after;
        if (g->health_up_after >= TARGET_COUNT_MIN && g->health_up_after <= TARGET_COUNT_MAX)
                d.up_after = g->health_up_after;

        if (d.interval_usec == m->defaults.interval_usec && d.method == m->defaults.method &&
            d.down_after == m->defaults.down_after && d.up_after == m->defaults.up_after &&
            d.standby_interval_usec == m->defaults.standby_interval_usec)
                return;
        log_info("Probe defaults: %s every %" PRIu64
                 " ms, down after %u, up after %u, standby targets every "
                 "%" PRIu64 " ms (sipr.health.*).",
                 probe_method_to_string(d.method), d.interval_usec / USEC_PER_MSEC, d.down_after, d.up_after,
                 d.standby_interval_usec / USEC_PER_MSEC);
        manager_set_defaults(m, &d);
}

int manager_start(Manager *m) {
        int r;

        r = health_bus_register(m);
        if (r < 0)
                return r;
        /* Until configd answers (or when it is not installed) the CONFIG.md defaults apply; the
         * last configuration seen stays in force while configd restarts. */
        r = config_client_new(m->bus, on_config_changed, m, &m->config);
        if (r < 0)
                log_warning_errno(r, "Cannot follow the configuration, using the defaults: %m");
        else
                config_client_no_secrets(m->config);
        return 0;
}
