/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "bus-budget.h"
#include "service.h"
#include "target.h"

#define HEALTHD_TARGETS_MAX     4096u
#define HEALTHD_INTERVAL_MIN_MS 200u
#define HEALTHD_INTERVAL_MAX_MS 3600000u

typedef struct ConfigClient ConfigClient;
typedef struct ProbeOptionsAgent ProbeOptionsAgent;

#define HEALTHD_STANDBY_INTERVAL_DEFAULT_MS 30000u

/* Defaults for options a Watch does not give: sipr.health.* (CONFIG.md). */
typedef struct HealthDefaults {
        uint64_t interval_usec;
        uint64_t standby_interval_usec; /* every standby target's (sipr.health.standby_interval) */
        ProbeMethod method;
        unsigned down_after, up_after;
} HealthDefaults;

/* What one Watch asked for; has_* says which options were given. */
typedef struct WatchRequest {
        TargetTransport transport;
        char *address; /* canonical */
        uint16_t port;
        SockaddrUnion sockaddr;
        socklen_t sockaddr_len;
        bool has_interval, has_method, has_down_after, has_up_after, has_standby;
        bool standby;
        uint64_t interval_usec;
        ProbeMethod method;
        unsigned down_after, up_after;
} WatchRequest;

typedef void (*ManagerStatusFunc)(const char *status, void *userdata);

struct Manager {
        sd_bus *bus;
        ManagerStatusFunc status_cb; /* sd_notify STATUS= for systemctl status */
        void *status_userdata;
        GMainContext *context;

        HealthDefaults defaults;
        ConfigClient *config;

        GHashTable *targets_by_key; /* key → Target (owned) */
        GHashTable *targets_by_id;  /* &id → Target */
        uint64_t next_id;

        /* One timer for every target: a queue sorted by due time, a GSource armed for the
         * first entry. */
        GSequence *queue;
        GSource *timer;
        gint64 timer_armed_usec; /* ready time last given to the source, -1 = none */
        bool dispatching;

        ProbeOptionsAgent *options_agent; /* created on first use of the options probe */

        sd_bus_slot *object_manager_slot, *root_slot, *target_slot, *target_enum_slot;
        BusBudget *budget; /* what one client's GetManagedObjects may cost (bus-budget.h) */
        sd_bus_slot *budget_slot;
        sd_bus_slot *name_lost_slot; /* a standby watcher's peer left: health-bus.c */
};

int manager_new(sd_bus *bus, GMainContext *context, Manager **ret);
Manager *manager_free(Manager *m);
int manager_start(Manager *m); /* exports objects, follows the configuration */

/* ServiceDumpFunc: " targets=… queued=… options_transactions=…" for the SIGUSR1 state line. */
void manager_dump(Service *s, GString *line, void *userdata);

Target *manager_find_target_by_path(Manager *m, const char *path);

/* Watch: returns the (possibly shared) target; the caller registers the watcher. */
int manager_watch(Manager *m, const WatchRequest *req, Target **ret, bool *ret_created);
void manager_remove_target(Manager *m, Target *t); /* emits InterfacesRemoved, stops probes */
int manager_report(Manager *m, Target *t, TargetEvent event);

/* Called by a probe when it finished (possibly from inside its start function). */
void manager_probe_done(Target *t, TargetEvent event, uint64_t rtt_usec, const char *detail);
/* Something suggests the target changed (a flow closed): probe now unless one is running. */
void manager_probe_soon(Target *t);

void manager_set_defaults(Manager *m, const HealthDefaults *d); /* re-applies to targets */

/* Every watcher of t says it is standby (or one that is not has left): probed at the standby
 * interval from now on. Logs, emits Standby and reschedules when it changed. */
void manager_set_standby(Manager *m, Target *t, bool standby);
/* How often the target is probed now: its interval, or the standby interval. */
uint64_t manager_period_usec(const Target *t);

void watch_request_done(WatchRequest *req);
uint64_t manager_probe_timeout_usec(const Target *t);
