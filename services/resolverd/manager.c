/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dns-servers.h"
#include "log.h"
#include "lookup.h"
#include "manager.h"
#include "sipr-config.h"
#include "timer.h"
#include "util.h"
#if HAVE_CONFIG_CLIENT
#include "config-client.h"
#endif

typedef struct Waiter {
        ManagerResolveFunc cb;
        void *userdata;
} Waiter;

typedef struct Pending {
        Manager *manager;
        char *key;
        char *host;
        Lookup *lookup;
        GArray *waiters;     /* Waiter */
        guint stale_id;
        bool answered_stale; /* waiters got the stale answer; the lookup only refreshes the cache */
} Pending;

static uint64_t manager_random(uint64_t n, void *userdata) {
        return random_u64_range(n);
}

static void pending_free(gpointer p) {
        Pending *pe = p;

        if (!pe)
                return;
        if (pe->stale_id)
                g_source_remove(pe->stale_id);
        lookup_abandon(pe->lookup);
        g_array_unref(pe->waiters);
        free(pe->key);
        free(pe->host);
        free(pe);
}

void manager_property_changed(Manager *m, unsigned props);

static gboolean on_props_timer(gpointer userdata) {
        Manager *m = userdata;
        unsigned dirty = m->props_dirty;

        m->props_id = 0;
        m->props_dirty = 0;
        if (dirty)
                manager_bus_emit_properties(m, dirty);
        return G_SOURCE_REMOVE;
}

void manager_property_changed(Manager *m, unsigned props) {
        /* Coalesce: counters may change thousands of times per second under load. */
        m->props_dirty |= props;
        if (!m->props_id)
                m->props_id = timer_add_msec(PROPERTIES_COALESCE_MSEC, on_props_timer, m);
}

/* ---- DNS servers ---- */

/* "ip", "ip:port", "[v6]:port" or bare v6 → canonical "ip:port" / "[v6]:port" for c-ares. */
static int parse_server(const char *s, char **ret_csv, char **reason) {
        char host[INET6_ADDRSTRLEN + 2] = "", lit[INET6_ADDRSTRLEN];
        const char *port_s = NULL;
        uint16_t port = 53;
        int family;

        *reason = NULL;
        if (isempty(s))
                return -ENOENT;
        if (s[0] == '[') {
                const char *end = strchr(s, ']');
                if (!end || (size_t) (end - s + 1) >= sizeof(host))
                        goto bad;
                memcpy(host, s, (size_t) (end - s + 1));
                if (end[1] == ':')
                        port_s = end + 2;
                else if (end[1] != 0)
                        goto bad;
        } else {
                const char *colon = strchr(s, ':');
                if (colon && !strchr(colon + 1, ':')) {
                        /* IPv4 with a port. */
                        if ((size_t) (colon - s) >= sizeof(host))
                                goto bad;
                        memcpy(host, s, (size_t) (colon - s));
                        port_s = colon + 1;
                } else {
                        if (strlen(s) >= sizeof(host))
                                goto bad;
                        strcpy(host, s);
                }
        }
        family = rfc3263_parse_ip_literal(host, lit);
        if (family == 0)
                goto bad;
        if (port_s && (safe_atou16(port_s, &port) < 0 || port == 0)) {
                if (asprintf(reason, "invalid port \"%s\" (1…65535)", port_s) < 0)
                        *reason = NULL;
                return -EINVAL;
        }
        if (asprintf(ret_csv, family == AF_INET6 ? "[%s]:%u" : "%s:%u", lit, port) < 0)
                return -ENOMEM;
        return 0;
bad:
        if (asprintf(reason, "\"%s\" is not an IP address, IP:port or [IPv6]:port", s) < 0)
                *reason = NULL;
        return -EINVAL;
}

static char **channel_servers(AresGlib *ch) {
#if HAVE_ARES_GET_SERVERS_CSV
        char *csv = ares_get_servers_csv(ares_glib_channel(ch));
        char **servers = dns_servers_from_ares_csv(csv);

        ares_free_string(csv);
        return servers;
#else
        struct ares_addr_port_node *list = NULL;
        GPtrArray *a = g_ptr_array_new();
        char buf[INET6_ADDRSTRLEN];

        if (ares_get_servers_ports(ares_glib_channel(ch), &list) == ARES_SUCCESS)
                for (struct ares_addr_port_node *p = list; p; p = p->next) {
                        ares_inet_ntop(p->family, &p->addr, buf, sizeof(buf));
                        uint16_t port = (uint16_t) (p->udp_port ?: 53);
                        g_ptr_array_add(a, dns_server_format(p->family, buf, port));
                }
        ares_free_data(list);
        g_ptr_array_add(a, NULL);
        return (char **) g_ptr_array_free(a, FALSE);
#endif
}

/* tcp: a channel that asks over TCP only, for answers too large for UDP. The UDP one keeps
 * truncated answers (ARES_FLAG_IGNTC) instead of switching to TCP silently: when the TCP
 * connection then fails, c-ares would call it "connection refused" and nobody could tell that
 * the answer was simply too large. */
static int manager_make_channel(Manager *m, const char *csv, bool tcp, AresGlib **ret) {
        struct ares_options opts = {
                .flags = ARES_FLAG_EDNS | (tcp ? ARES_FLAG_USEVC : ARES_FLAG_IGNTC),
                .timeout = DNS_QUERY_TIMEOUT_MSEC,
                .tries = DNS_QUERY_TRIES,
                .ednspsz = LOOKUP_UDP_PAYLOAD_MAX,
                .ndots = 1,
                .resolvconf_path = m->resolv_conf,
        };
        int optmask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_EDNSPSZ | ARES_OPT_NOROTATE |
                      ARES_OPT_NDOTS;
        AresGlib *ch;
        int r;

        if (m->resolv_conf)
                optmask |= ARES_OPT_RESOLVCONF;
        r = ares_glib_new(NULL, &opts, optmask, &ch);
        if (r < 0)
                return r;
        if (csv) {
                r = ares_set_servers_ports_csv(ares_glib_channel(ch), csv);
                if (r != ARES_SUCCESS) {
                        ares_glib_unref(ch);
                        return log_error_errno(EINVAL, "c-ares refused the DNS servers \"%s\": %s", csv, ares_strerror(r));
                }
        }
        *ret = ch;
        return 0;
}

/* Picks the servers: --dns, else network.primary_dns/secondary_dns, else resolv.conf. Keeps the
 * previous channel (and says why) when the configured values are unusable. */
static int manager_apply_servers(Manager *m, bool force) {
        _cleanup_free_ char *spec = NULL, *csv = NULL;
        const char *values[8] = {}, *names[8] = {};
        size_t n = 0;
        AresGlib *ch = NULL, *ch_tcp = NULL;
        int r;

        if (m->arg_dns && m->arg_dns[0]) {
                for (size_t i = 0; m->arg_dns[i] && n < ELEMENTSOF(values); i++) {
                        values[n] = m->arg_dns[i];
                        names[n++] = "--dns";
                }
        }
#if HAVE_CONFIG_CLIENT
        else if (m->config && config_client_get(m->config)) {
                const SiprConfig *cfg = config_client_get(m->config);
                if (!isempty(cfg->global.primary_dns)) {
                        values[n] = cfg->global.primary_dns;
                        names[n++] = "network.primary_dns";
                }
                if (!isempty(cfg->global.secondary_dns)) {
                        values[n] = cfg->global.secondary_dns;
                        names[n++] = "network.secondary_dns";
                }
        }
#endif

        GString *g = g_string_new(NULL);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *one = NULL, *reason = NULL;
                r = parse_server(values[i], &one, &reason);
                if (r < 0) {
                        g_string_free(g, TRUE);
                        log_error("%s: %s; keeping the DNS servers in use (%s).", names[i], reason ?: "invalid",
                                  strempty(m->servers_spec));
                        return -EINVAL;
                }
                g_string_append_printf(g, "%s%s", g->len ? "," : "", one);
        }
        if (g->len > 0) {
                csv = g_string_free(g, FALSE);
                spec = strdup(csv);
        } else {
                g_string_free(g, TRUE);
                spec = strdup(m->resolv_conf ?: "/etc/resolv.conf");
        }
        if (!spec)
                return log_oom();

        if (!force && m->channel && m->servers_spec && streq(m->servers_spec, spec))
                return 0;

        r = manager_make_channel(m, csv, false, &ch);
        if (r < 0)
                return r;
        r = manager_make_channel(m, csv, true, &ch_tcp);
        if (r < 0) {
                ares_glib_unref(ch);
                return r;
        }
        /* Lookups in flight keep the old channels alive until they finish. */
        ares_glib_unref(m->channel);
        ares_glib_unref(m->channel_tcp);
        m->channel = ch;
        m->channel_tcp = ch_tcp;
        free(m->servers_spec);
        m->servers_spec = TAKE_PTR(spec);
        g_strfreev(m->servers);
        m->servers = channel_servers(ch);
        if (!csv)
                (void) stat(m->resolv_conf ?: "/etc/resolv.conf", &m->resolv_conf_st);

        _cleanup_free_ char *joined = g_strjoinv(", ", m->servers);
        log_info("DNS servers: %s (from %s).", joined, csv ? names[0] : m->servers_spec);
        manager_property_changed(m, MANAGER_PROP_SERVERS);
        return 0;
}

/* resolv.conf in use and changed since we read it → rebuild the channel. */
static void manager_check_resolv_conf(Manager *m) {
        struct stat st;
        const char *path = m->resolv_conf ?: "/etc/resolv.conf";

        if (!m->servers_spec || !streq(m->servers_spec, path))
                return;
        if (stat(path, &st) < 0)
                memset(&st, 0, sizeof(st));
        if (st.st_ino == m->resolv_conf_st.st_ino && st.st_size == m->resolv_conf_st.st_size &&
            st.st_mtim.tv_sec == m->resolv_conf_st.st_mtim.tv_sec &&
            st.st_mtim.tv_nsec == m->resolv_conf_st.st_mtim.tv_nsec)
                return;
        log_info("%s changed, re-reading it.", path);
        (void) manager_apply_servers(m, true);
}

static gboolean on_expire_timer(gpointer userdata);

/* The sweep runs when the next entry leaves its grace period, not on a fixed tick: an idle
 * resolverd with an empty cache (or one full of day-long stale grace) does not wake up.
 * force: re-arm even if later than the armed time (serve-stale changed, cache flushed). */
static void manager_schedule_expire(Manager *m, bool force) {
        uint64_t next = cache_next_drop(m->cache, (uint64_t) m->serve_stale_s * USEC_PER_SEC), now, delay_ms;

        if (m->expire_id && !force && m->expire_at_usec <= next)
                return;
        if (m->expire_id) {
                g_source_remove(m->expire_id);
                m->expire_id = 0;
                m->expire_at_usec = 0;
        }
        if (next == UINT64_MAX)
                return;
        now = now_usec(CLOCK_MONOTONIC);
        /* A second late at most: GLib's second timers coalesce wake-ups across the process. */
        delay_ms = next > now ? (next - now + 999) / 1000 : 0;
        m->expire_at_usec = next;
        m->expire_id =
                delay_ms >= 1000
                        ? timer_add_seconds((guint) MIN(delay_ms / 1000 + 1, (uint64_t) G_MAXUINT / 1000),
                                            on_expire_timer, m)
                        : timer_add_msec((guint) delay_ms, on_expire_timer, m);
}

static gboolean on_expire_timer(gpointer userdata) {
        Manager *m = userdata;

        m->expire_id = 0;
        m->expire_at_usec = 0;
        if (cache_expire(m->cache, now_usec(CLOCK_MONOTONIC), (uint64_t) m->serve_stale_s * USEC_PER_SEC) >
            0)
                manager_property_changed(m, MANAGER_PROP_CACHE_ENTRIES);
        manager_schedule_expire(m, false);
        return G_SOURCE_REMOVE;
}

#if HAVE_CONFIG_CLIENT
static void on_config_changed(ConfigClient *c, const SiprConfig *old, const SiprConfig *config, char **changed_keys,
                              void *userdata) {
        Manager *m = userdata;

        if (m->serve_stale_s != config->global.dns_serve_stale) {
                m->serve_stale_s = config->global.dns_serve_stale;
                manager_schedule_expire(m, true);
        }
        (void) manager_apply_servers(m, false);
}
#endif

/* ---- resolution ---- */

static void answer_waiters(Pending *pe, int error, const char *message, const Rfc3263Target *t, size_t n, bool stale) {
        Manager *m = pe->manager;
        /* Detach first: a callback may start another Resolve. */
        GArray *w = pe->waiters;

        pe->waiters = g_array_new(FALSE, FALSE, sizeof(Waiter));
        for (guint i = 0; i < w->len; i++) {
                Waiter *x = &g_array_index(w, Waiter, i);
                if (stale) {
                        m->n_stale++;
                        manager_property_changed(m, MANAGER_PROP_STALE_ANSWERS);
                }
                x->cb(error, message, t, n, stale, x->userdata);
        }
        g_array_unref(w);
}

static bool pending_answer_stale(Pending *pe) {
        Manager *m = pe->manager;
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        CacheEntry *e = cache_get(m->cache, pe->key);
        _cleanup_free_ Rfc3263Target *t = NULL;

        if (!cache_entry_stale_usable(e, now, (uint64_t) m->serve_stale_s * USEC_PER_SEC))
                return false;
        t = cache_entry_copy_targets(e, now, true, STALE_ANSWER_TTL);
        if (!t)
                return false;
        log_info("Serving a stale answer for %s (expired %llu s ago).", pe->host,
                 (unsigned long long) ((now - e->expire_usec) / USEC_PER_SEC));
        answer_waiters(pe, 0, NULL, t, e->n_targets, true);
        return true;
}

static gboolean on_stale_timer(gpointer userdata) {
        Pending *pe = userdata;

        pe->stale_id = 0;
        /* RFC 8767 §5: DNS is slow to answer; give clients the stale data now and let the
         * lookup go on refreshing the cache. */
        if (pending_answer_stale(pe))
                pe->answered_stale = true;
        return G_SOURCE_REMOVE;
}

static void on_lookup_done(Lookup *l, int error, const char *message, const Rfc3263Target *t, size_t n,
                           void *userdata) {
        Pending *pe = userdata;
        Manager *m = pe->manager;

        /* Out of the table first: answering may start new resolutions of the same key. */
        g_hash_table_steal(m->pending, pe->key);

        if (error >= 0) {
                log_debug("Resolved %s: %zu target(s), first %s %s port %u, TTL %u s.", pe->key, n,
                          rfc3263_transport_to_string(t[0].transport), t[0].address, t[0].port, t[0].ttl);
                if (cache_put(m->cache, pe->key, t, n, now_usec(CLOCK_MONOTONIC)) >= 0) {
                        manager_property_changed(m, MANAGER_PROP_CACHE_ENTRIES);
                        manager_schedule_expire(m, false);
                }
                answer_waiters(pe, 0, NULL, t, n, false);
        } else {
                CacheEntry *e = cache_get(m->cache, pe->key);

                log_info("%s", message);
                /* DNS unreachable: for a while, answer from the stale entry without asking again,
                 * so callers do not wait for time-outs on every Resolve. */
                if (error != -ENOENT && e)
                        e->stale_refresh_usec = now_usec(CLOCK_MONOTONIC) + STALE_REFRESH_USEC;
                if (error == -ENOENT || !pending_answer_stale(pe))
                        answer_waiters(pe, error, message, NULL, 0, false);
        }
        pending_free(pe);
}

static void on_lookup_query(Lookup *l, const char *name, int type, void *userdata) {
        Pending *pe = userdata;

        pe->manager->n_queries++;
        manager_property_changed(pe->manager, MANAGER_PROP_QUERIES);
}

static int manager_start_lookup(Manager *m, const char *key, const char *host, uint16_t port, Rfc3263Transport t,
                                const CacheEntry *e, uint64_t now, Pending **ret);
static void reply_now(ManagerResolveFunc cb, void *userdata, int error, const char *fmt, ...) _printf_(4, 5);
static void reply_now(ManagerResolveFunc cb, void *userdata, int error, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        cb(error, msg ?: "out of memory", NULL, 0, false, userdata);
}

void manager_resolve(Manager *m, const char *host, uint16_t port, const char *transport, ManagerResolveFunc cb,
                     void *userdata) {
        _cleanup_free_ char *norm = NULL, *reason = NULL, *key = NULL;
        _cleanup_free_ Rfc3263Target *copy = NULL;
        char lit[INET6_ADDRSTRLEN];
        Rfc3263Transport t;
        Pending *pe;
        CacheEntry *e;
        bool stale_now;
        uint64_t now;
        int r;

        if (rfc3263_transport_from_string(transport, &t) < 0)
                return reply_now(cb, userdata, -EINVAL,
                                 "Transport \"%.16s\" is not supported: use \"udp\", \"tcp\", \"tls\" or \"\" (choose by NAPTR/SRV).",
                                 transport);

        /* An IP literal is its own answer (RFC 3263 §4.2): no query, no cache. */
        if (rfc3263_parse_ip_literal(host, lit) != 0) {
                Rfc3263Target target = {
                        .transport = t == RFC3263_TRANSPORT_ANY ? RFC3263_TRANSPORT_UDP : t,
                        .ttl = RFC3263_TTL_NONE,
                };
                target.port = port ?: rfc3263_default_port(target.transport);
                strcpy(target.address, lit);
                cb(0, NULL, &target, 1, false, userdata);
                return;
        }

        if (rfc3263_validate_host(host, &norm, &reason) < 0)
                return reply_now(cb, userdata, -EINVAL, "Invalid host name: %s.", reason ?: "out of memory");

        key = cache_key(norm, port, t);
        if (!key)
                return reply_now(cb, userdata, -ENOMEM, "Out of memory.");

        now = now_usec(CLOCK_MONOTONIC);
        e = cache_get(m->cache, key);
        if (cache_entry_fresh(e, now)) {
                copy = cache_entry_copy_targets(e, now, false, 0);
                if (!copy)
                        return reply_now(cb, userdata, -ENOMEM, "Out of memory.");
                m->n_cache_hits++;
                manager_property_changed(m, MANAGER_PROP_CACHE_HITS);
                cb(0, NULL, copy, e->n_targets, false, userdata);
                return;
        }

        /* DNS failed recently (RFC 8767 §5 stale-refresh): answer stale at once, and refresh in
         * the background so a recovered server is noticed at the next Resolve. */
        stale_now = e && now < e->stale_refresh_usec &&
                    cache_entry_stale_usable(e, now, (uint64_t) m->serve_stale_s * USEC_PER_SEC);

        pe = g_hash_table_lookup(m->pending, key);
        if (!pe) {
                r = manager_start_lookup(m, key, norm, port, t, e, now, &pe);
                if (r < 0)
                        return reply_now(cb, userdata, r, "Cannot start the DNS lookup: %s.", strerror(-r));
        }

        if (stale_now) {
                copy = cache_entry_copy_targets(e, now, true, STALE_ANSWER_TTL);
                if (!copy)
                        return reply_now(cb, userdata, -ENOMEM, "Out of memory.");
                m->n_stale++;
                manager_property_changed(m, MANAGER_PROP_STALE_ANSWERS);
                cb(0, NULL, copy, e->n_targets, true, userdata);
                return;
        }

        /* Same question already on the wire: share it. Once its stale answer went out, later
         * askers get that at once too (unless the entry is gone meanwhile, e.g. Flush). */
        g_array_append_val(pe->waiters, ((Waiter) { cb, userdata }));
        if (pe->answered_stale)
                (void) pending_answer_stale(pe);
}

static int manager_start_lookup(Manager *m, const char *key, const char *host, uint16_t port, Rfc3263Transport t,
                                const CacheEntry *e, uint64_t now, Pending **ret) {
        Pending *pe;
        int r;

        manager_check_resolv_conf(m);

        pe = calloc(1, sizeof(Pending));
        if (!pe)
                return -ENOMEM;
        pe->manager = m;
        pe->key = strdup(key);
        pe->host = strdup(host);
        pe->waiters = g_array_new(FALSE, FALSE, sizeof(Waiter));
        if (!pe->key || !pe->host) {
                pending_free(pe);
                return -ENOMEM;
        }

        LookupParams p = {
                .host = host,
                .port = port,
                .transport = t,
                .random = manager_random,
                .done = on_lookup_done,
                .on_query = on_lookup_query,
                .userdata = pe,
        };
        r = lookup_start(m->channel, m->channel_tcp, &p, &pe->lookup);
        if (r < 0) {
                pending_free(pe);
                return r;
        }
        g_hash_table_insert(m->pending, pe->key, pe);

        if (m->serve_stale_s > 0 && cache_entry_stale_usable(e, now, (uint64_t) m->serve_stale_s * USEC_PER_SEC))
                pe->stale_id = timer_add_msec(STALE_CLIENT_TIMEOUT_MSEC, on_stale_timer, pe);
        *ret = pe;
        return 0;
}

void manager_flush(Manager *m) {
        cache_flush(m->cache);
        manager_schedule_expire(m, true);
        log_info("Cache flushed.");
        manager_property_changed(m, MANAGER_PROP_CACHE_ENTRIES);
}

static void manager_dump(Service *s, GString *line, void *userdata) {
        Manager *m = userdata;

        g_string_append_printf(line, " cache_entries=%u resolving=%u", cache_size(m->cache),
                               g_hash_table_size(m->pending));
}

int manager_new(Manager **ret) {
        Manager *m = calloc(1, sizeof(Manager));

        if (!m)
                return -ENOMEM;
        m->service = (Service) {
                .program = "sipr-resolverd",
                .bus_name = "org.sipr.Resolver1",
                .summary = "RFC 3263 SIP server location (NAPTR, SRV, A/AAAA) with a TTL cache and serve-stale.",
        };
        m->serve_stale_s = 86400;
        m->service.dump = manager_dump;
        m->service.dump_userdata = m;
        m->cache = cache_new();
        m->pending = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, pending_free);
        if (!m->cache) {
                manager_free(m);
                return -ENOMEM;
        }
        *ret = m;
        return 0;
}

int manager_start(Manager *m) {
        int r;

        r = manager_apply_servers(m, true);
        if (r < 0)
                return r;
#if HAVE_CONFIG_CLIENT
        r = config_client_new(m->service.bus, on_config_changed, m, (ConfigClient **) &m->config);
        if (r < 0)
                return log_error_errno(r, "Failed to follow the configuration: %m");
        config_client_no_secrets(m->config);
#endif
        return manager_bus_export(m);
}

void manager_stop(Manager *m) {
        if (m->pending) {
                GHashTableIter it;
                gpointer k, v;

                g_hash_table_iter_init(&it, m->pending);
                while (g_hash_table_iter_next(&it, &k, &v)) {
                        Pending *pe = v;
                        g_hash_table_iter_steal(&it);
                        answer_waiters(pe, -ECANCELED, "sipr-resolverd is stopping.", NULL, 0, false);
                        pending_free(pe);
                }
        }
#if HAVE_CONFIG_CLIENT
        m->config = config_client_free(m->config);
#endif
        if (m->channel)
                ares_cancel(ares_glib_channel(m->channel));
        if (m->channel_tcp)
                ares_cancel(ares_glib_channel(m->channel_tcp));
        if (m->props_id) {
                g_source_remove(m->props_id);
                m->props_id = 0;
        }
        if (m->expire_id) {
                g_source_remove(m->expire_id);
                m->expire_id = 0;
                m->expire_at_usec = 0;
        }
        m->object_slot = sd_bus_slot_unref(m->object_slot);
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        manager_stop(m);
        if (m->pending)
                g_hash_table_destroy(m->pending);
        ares_glib_unref(m->channel);
        ares_glib_unref(m->channel_tcp);
        cache_free(m->cache);
        g_strfreev(m->servers);
        g_strfreev(m->arg_dns);
        free(m->servers_spec);
        free(m->resolv_conf);
        free(m);
        return NULL;
}
