/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* siprctl stats [--prometheus]: the counters the daemons keep, read from their D-Bus properties
 * (failovers and edge requests per account, each health target's round trip and failures, the
 * resolver's cache), as text, JSON or the Prometheus text format. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siprctl.h"
#include "util.h"

typedef struct StatsAccount {
        uint32_t index, failovers;
        char *state;
        uint64_t requests, request_failovers;
} StatsAccount;

typedef struct StatsTarget {
        char *transport, *address, *state;
        uint16_t port;
        uint64_t rtt_usec;
        uint32_t failures;
} StatsTarget;

typedef struct Stats {
        bool regd, healthd, resolverd; /* answered */
        StatsAccount *accounts;
        size_t n_accounts;
        StatsTarget *targets;
        size_t n_targets;
        uint64_t queries, cache_hits, stale_answers;
        uint32_t cache_entries;
} Stats;

static void stats_done(Stats *s) {
        for (size_t i = 0; i < s->n_accounts; i++)
                free(s->accounts[i].state);
        for (size_t i = 0; i < s->n_targets; i++) {
                free(s->targets[i].transport);
                free(s->targets[i].address);
                free(s->targets[i].state);
        }
        free(s->accounts);
        free(s->targets);
}

/* A method call that does not start a stopped service: an exporter's scrape must not undo
 * "systemctl stop". 1 answered, 0 not running, negative errno when the answer is broken or the
 * call failed otherwise (message printed). */
static int stats_call(SiprctlContext *c, const char *service, const char *dest, const char *path,
                      const char *iface, const char *method, const char *arg, sd_bus_message **reply) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(c->bus, &m, dest, path, iface, method);
        if (r >= 0 && arg)
                r = sd_bus_message_append(m, "s", arg);
        if (r >= 0)
                r = sd_bus_message_set_auto_start(m, false);
        if (r < 0)
                return r;
        r = sd_bus_call(c->bus, m, 0, &error, reply);
        if (r >= 0)
                return 1;
        if (sd_bus_error_has_names(&error, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                return 0;
        (void) siprctl_call_failed(service, dest, &error, r);
        return r;
}

static int read_account_property(sd_bus_message *m, const char *name, void *userdata) {
        StatsAccount *a = userdata;

        if (streq(name, "Index"))
                return sd_bus_message_read(m, "v", "u", &a->index);
        if (streq(name, "State"))
                return siprctl_read_string_variant(m, &a->state);
        if (streq(name, "Failovers"))
                return sd_bus_message_read(m, "v", "u", &a->failovers);
        if (streq(name, "Requests"))
                return sd_bus_message_read(m, "v", "t", &a->requests);
        if (streq(name, "RequestFailovers"))
                return sd_bus_message_read(m, "v", "t", &a->request_failovers);
        return sd_bus_message_skip(m, "v");
}

static int add_account(const char *path, sd_bus_message *m, void *userdata) {
        Stats *s = userdata;
        StatsAccount a = {};
        int r;

        r = siprctl_read_properties(m, read_account_property, &a);
        StatsAccount *l = r >= 0 ? realloc(s->accounts, (s->n_accounts + 1) * sizeof(*l)) : NULL;
        if (!l) {
                free(a.state);
                return r < 0 ? r : -ENOMEM;
        }
        s->accounts = l;
        s->accounts[s->n_accounts++] = a;
        return 0;
}

static int read_target_property(sd_bus_message *m, const char *name, void *userdata) {
        StatsTarget *t = userdata;

        if (streq(name, "Transport"))
                return siprctl_read_string_variant(m, &t->transport);
        if (streq(name, "Address"))
                return siprctl_read_string_variant(m, &t->address);
        if (streq(name, "State"))
                return siprctl_read_string_variant(m, &t->state);
        if (streq(name, "Port"))
                return sd_bus_message_read(m, "v", "q", &t->port);
        if (streq(name, "RttUsec"))
                return sd_bus_message_read(m, "v", "t", &t->rtt_usec);
        if (streq(name, "Failures"))
                return sd_bus_message_read(m, "v", "u", &t->failures);
        return sd_bus_message_skip(m, "v");
}

static int add_target(const char *path, sd_bus_message *m, void *userdata) {
        Stats *s = userdata;
        StatsTarget t = {};
        int r;

        r = siprctl_read_properties(m, read_target_property, &t);
        StatsTarget *l = r >= 0 ? realloc(s->targets, (s->n_targets + 1) * sizeof(*l)) : NULL;
        if (!l) {
                free(t.transport);
                free(t.address);
                free(t.state);
                return r < 0 ? r : -ENOMEM;
        }
        s->targets = l;
        s->targets[s->n_targets++] = t;
        return 0;
}

static int read_resolver_property(sd_bus_message *m, const char *name, void *userdata) {
        Stats *s = userdata;

        if (streq(name, "Queries"))
                return sd_bus_message_read(m, "v", "t", &s->queries);
        if (streq(name, "CacheHits"))
                return sd_bus_message_read(m, "v", "t", &s->cache_hits);
        if (streq(name, "StaleAnswers"))
                return sd_bus_message_read(m, "v", "t", &s->stale_answers);
        if (streq(name, "CacheEntries"))
                return sd_bus_message_read(m, "v", "u", &s->cache_entries);
        return sd_bus_message_skip(m, "v");
}

static int cmp_account(const void *x, const void *y) {
        const StatsAccount *a = x, *b = y;
        return a->index < b->index ? -1 : a->index > b->index;
}

/* Each service is asked on its own: one that does not run leaves its part empty. Negative
 * errno when an answer is broken or a call failed for another reason than "not running". */
static int stats_read(SiprctlContext *c, Stats *s) {
        int r;

        {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                r = stats_call(c, "sipr-regd", "org.sipr.Registration1", "/org/sipr/Registration1",
                               "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL, &reply);
                s->regd = r > 0;
                if (r > 0)
                        r = siprctl_for_each_object(reply, "org.sipr.Registration1.Account", add_account, s);
                if (r < 0)
                        return r;
                if (s->n_accounts > 0)
                        qsort(s->accounts, s->n_accounts, sizeof(*s->accounts), cmp_account);
        }
        {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                r = stats_call(c, "sipr-healthd", "org.sipr.Health1", "/org/sipr/Health1",
                               "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL, &reply);
                s->healthd = r > 0;
                if (r > 0)
                        r = siprctl_for_each_object(reply, "org.sipr.Health1.Target", add_target, s);
                if (r < 0)
                        return r;
        }
        {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                r = stats_call(c, "sipr-resolverd", "org.sipr.Resolver1", "/org/sipr/Resolver1",
                               "org.freedesktop.DBus.Properties", "GetAll", "org.sipr.Resolver1", &reply);
                s->resolverd = r > 0;
                if (r > 0)
                        r = siprctl_read_properties(reply, read_resolver_property, s);
                if (r < 0)
                        return r;
        }
        return 0;
}

static uint64_t stats_failovers(const Stats *s) {
        uint64_t n = 0;
        for (size_t i = 0; i < s->n_accounts; i++)
                n += s->accounts[i].failovers;
        return n;
}

static size_t stats_count_state(const Stats *s, const char *state) {
        size_t n = 0;
        for (size_t i = 0; i < s->n_targets; i++)
                n += streq(strempty(s->targets[i].state), state);
        return n;
}

static void print_text(const Stats *s) {
        if (!s->regd)
                printf("sipr-regd:      not running\n");
        else {
                size_t registered = 0;
                for (size_t i = 0; i < s->n_accounts; i++)
                        registered += streq(strempty(s->accounts[i].state), "registered");
                printf("sipr-regd:      %zu account(s), %zu registered; failovers %" PRIu64 "\n",
                       s->n_accounts, registered, stats_failovers(s));
                for (size_t i = 0; i < s->n_accounts; i++) {
                        const StatsAccount *a = &s->accounts[i];
                        printf("  account %-3u %-12s failovers %-5u requests %-7" PRIu64
                               " moved to another server %" PRIu64 "\n",
                               a->index, strempty(a->state), a->failovers, a->requests,
                               a->request_failovers);
                }
        }
        if (!s->healthd)
                printf("sipr-healthd:   not running\n");
        else {
                printf("sipr-healthd:   %zu target(s): %zu up, %zu down\n", s->n_targets,
                       stats_count_state(s, "up"), stats_count_state(s, "down"));
                for (size_t i = 0; i < s->n_targets; i++) {
                        const StatsTarget *t = &s->targets[i];
                        bool v6 = t->address && strchr(t->address, ':');
                        char ap[80];
                        snprintf(ap, sizeof(ap), "%s%s%s:%u", v6 ? "[" : "", strempty(t->address),
                                 v6 ? "]" : "", t->port);
                        printf("  %-4s %-46s %-8s round trip %-8.3f ms failures %u\n",
                               strempty(t->transport), ap, strempty(t->state),
                               (double) t->rtt_usec / USEC_PER_MSEC, t->failures);
                }
        }
        if (!s->resolverd)
                printf("sipr-resolverd: not running\n");
        else
                printf("sipr-resolverd: queries %" PRIu64 ", cache hits %" PRIu64 ", stale answers %" PRIu64
                       ", cache entries %u\n",
                       s->queries, s->cache_hits, s->stale_answers, s->cache_entries);
}

static void print_json(const Stats *s) {
        printf("{\"regd\":{\"running\":%s", s->regd ? "true" : "false");
        if (s->regd) {
                printf(",\"failovers\":%" PRIu64 ",\"accounts\":[", stats_failovers(s));
                for (size_t i = 0; i < s->n_accounts; i++) {
                        const StatsAccount *a = &s->accounts[i];
                        printf("%s{\"index\":%u,\"state\":", i ? "," : "", a->index);
                        siprctl_json_string(a->state);
                        printf(",\"failovers\":%u,\"requests\":%" PRIu64 ",\"request_failovers\":%" PRIu64
                               "}",
                               a->failovers, a->requests, a->request_failovers);
                }
                printf("]");
        }
        printf("},\"healthd\":{\"running\":%s", s->healthd ? "true" : "false");
        if (s->healthd) {
                printf(",\"up\":%zu,\"down\":%zu,\"targets\":[", stats_count_state(s, "up"),
                       stats_count_state(s, "down"));
                for (size_t i = 0; i < s->n_targets; i++) {
                        const StatsTarget *t = &s->targets[i];
                        printf("%s{\"transport\":", i ? "," : "");
                        siprctl_json_string(t->transport);
                        printf(",\"address\":");
                        siprctl_json_string(t->address);
                        printf(",\"port\":%u,\"state\":", t->port);
                        siprctl_json_string(t->state);
                        printf(",\"rtt_usec\":%" PRIu64 ",\"failures\":%u}", t->rtt_usec, t->failures);
                }
                printf("]");
        }
        printf("},\"resolverd\":{\"running\":%s", s->resolverd ? "true" : "false");
        if (s->resolverd)
                printf(",\"queries\":%" PRIu64 ",\"cache_hits\":%" PRIu64 ",\"stale_answers\":%" PRIu64
                       ",\"cache_entries\":%u",
                       s->queries, s->cache_hits, s->stale_answers, s->cache_entries);
        printf("}}\n");
}

/* A label value in the text format: backslash, double quote and newline escaped. */
static void prom_label(const char *s) {
        for (const char *p = strempty(s); *p; p++) {
                if (*p == '\\' || *p == '"')
                        printf("\\%c", *p);
                else if (*p == '\n')
                        printf("\\n");
                else
                        putchar(*p);
        }
}

static void prom_family(const char *name, const char *type, const char *help) {
        printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_target_labels(const StatsTarget *t) {
        printf("{transport=\"");
        prom_label(t->transport);
        printf("\",address=\"");
        prom_label(t->address);
        printf("\",port=\"%u\"}", t->port);
}

/* The Prometheus text exposition format (version 0.0.4), e.g. for node_exporter's textfile
 * collector. Families without samples are left out, as exporters do. */
static void print_prometheus(const Stats *s) {
        static const char *const services[] = {"sipr-regd", "sipr-healthd", "sipr-resolverd"};
        bool up[] = {s->regd, s->healthd, s->resolverd};

        prom_family("sipr_service_up", "gauge", "1 when the sipr service answered on the bus.");
        for (size_t i = 0; i < ELEMENTSOF(services); i++)
                printf("sipr_service_up{service=\"%s\"} %d\n", services[i], up[i]);
        if (s->n_accounts > 0) {
                prom_family("sipr_account_registered", "gauge", "1 when the account is registered.");
                for (size_t i = 0; i < s->n_accounts; i++)
                        printf("sipr_account_registered{account=\"%u\"} %d\n", s->accounts[i].index,
                               streq(strempty(s->accounts[i].state), "registered"));
                prom_family("sipr_account_failovers_total", "counter",
                            "Times the account's working server changed (Failovers).");
                for (size_t i = 0; i < s->n_accounts; i++)
                        printf("sipr_account_failovers_total{account=\"%u\"} %u\n", s->accounts[i].index,
                               s->accounts[i].failovers);
                prom_family("sipr_account_requests_total", "counter",
                            "Requests of the account's local user agents routed through the edge.");
                for (size_t i = 0; i < s->n_accounts; i++)
                        printf("sipr_account_requests_total{account=\"%u\"} %" PRIu64 "\n",
                               s->accounts[i].index, s->accounts[i].requests);
                prom_family("sipr_account_request_failovers_total", "counter",
                            "Of those requests, the times one moved to another next hop.");
                for (size_t i = 0; i < s->n_accounts; i++)
                        printf("sipr_account_request_failovers_total{account=\"%u\"} %" PRIu64 "\n",
                               s->accounts[i].index, s->accounts[i].request_failovers);
        }
        if (s->n_targets > 0) {
                prom_family("sipr_health_target_up", "gauge",
                            "1 up, 0 down or not known yet (sipr-healthd).");
                for (size_t i = 0; i < s->n_targets; i++) {
                        printf("sipr_health_target_up");
                        prom_target_labels(&s->targets[i]);
                        printf(" %d\n", streq(strempty(s->targets[i].state), "up"));
                }
                prom_family("sipr_health_target_rtt_seconds", "gauge", "Round trip of the last probe.");
                for (size_t i = 0; i < s->n_targets; i++) {
                        printf("sipr_health_target_rtt_seconds");
                        prom_target_labels(&s->targets[i]);
                        printf(" %.6f\n", (double) s->targets[i].rtt_usec / USEC_PER_SEC);
                }
                prom_family("sipr_health_target_failures", "gauge", "Consecutive failed probes.");
                for (size_t i = 0; i < s->n_targets; i++) {
                        printf("sipr_health_target_failures");
                        prom_target_labels(&s->targets[i]);
                        printf(" %u\n", s->targets[i].failures);
                }
        }
        if (s->resolverd) {
                prom_family("sipr_resolver_queries_total", "counter", "DNS queries sent.");
                printf("sipr_resolver_queries_total %" PRIu64 "\n", s->queries);
                prom_family("sipr_resolver_cache_hits_total", "counter", "Answers from the cache.");
                printf("sipr_resolver_cache_hits_total %" PRIu64 "\n", s->cache_hits);
                prom_family("sipr_resolver_stale_answers_total", "counter",
                            "Expired cached answers given while no DNS server answered.");
                printf("sipr_resolver_stale_answers_total %" PRIu64 "\n", s->stale_answers);
                prom_family("sipr_resolver_cache_entries", "gauge", "Entries in the cache.");
                printf("sipr_resolver_cache_entries %u\n", s->cache_entries);
        }
}

static int check_stats(const char *command, int argc, char **argv) {
        if (argc == 1 && !streq(argv[0], "--prometheus")) {
                fprintf(stderr, "siprctl: stats: unknown argument '%s' (only --prometheus)\n", argv[0]);
                return SIPRCTL_EXIT_USAGE;
        }
        return 0;
}

static int run_stats(SiprctlContext *c, int argc, char **argv) {
        Stats s = {};
        int r;

        r = stats_read(c, &s);
        if (r < 0) {
                stats_done(&s);
                return SIPRCTL_EXIT_FAILURE;
        }
        if (!s.regd && !s.healthd && !s.resolverd) {
                fprintf(stderr,
                        "siprctl: no sipr service is running (sipr-regd, sipr-healthd, sipr-resolverd).\n");
                stats_done(&s);
                return SIPRCTL_EXIT_NOT_RUNNING;
        }
        if (argc == 1)
                print_prometheus(&s);
        else if (c->json)
                print_json(&s);
        else
                print_text(&s);
        stats_done(&s);
        return SIPRCTL_EXIT_OK;
}

const SiprctlCommand siprctl_stats_commands[] = {
        {"stats", "[--prometheus]",
         "counters: failovers, health round trips, resolver cache (or Prometheus text)", 0, 1, run_stats,
         .check = check_stats},
        {},
};
