/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Typed, read-only view of the effective configuration for the other daemons. It reads it once
 * from org.sipr.Config1 (List "" plus GetSecret for passwords), follows the Changed signal, and
 * re-syncs whenever sipr-configd (re)appears on the bus. Until the first sync completes,
 * config_client_get() returns NULL; daemons start without config and act once it arrives.
 * A read that fails in part (GetSecret or List timed out: configd busy or stalled) is tried again
 * after 1, 2, 4 … 30 s. A password never becomes the mask "********": until GetSecret answers,
 * the password is the one read last (none on the very first read). */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "config-schema.h"

#define SIPR_ACCOUNT_MAX SIPR_CONFIG_ACCOUNT_MAX
#define SIPR_SERVER_MAX  SIPR_CONFIG_SERVER_MAX

typedef enum SiprTransport {
        SIPR_TRANSPORT_UDP = 0,
        SIPR_TRANSPORT_TCP = 1,
        SIPR_TRANSPORT_TLS = 2,
        SIPR_TRANSPORT_NAPTR = 3, /* choose by NAPTR/SRV (RFC 3263) */
} SiprTransport;

typedef enum SiprFailbackMode {
        SIPR_FAILBACK_NEW_REQUESTS = 0,
        SIPR_FAILBACK_DNS_TTL = 1,
        SIPR_FAILBACK_REGISTRATION = 2,
        SIPR_FAILBACK_DURATION = 3,
} SiprFailbackMode;

typedef struct SiprServerConfig {
        char *address;          /* "" when unset */
        uint16_t port;          /* 0 = from SRV */
        SiprTransport transport;
        uint32_t expires;
        uint32_t retry_counts;
        SiprFailbackMode failback_mode;
        uint32_t failback_timeout; /* already normalised: 1…59 → 60 */
        bool register_on_enable;
        bool only_signal_with_registered;
} SiprServerConfig;

typedef struct SiprProxyConfig {
        char *address;
        uint16_t port;
} SiprProxyConfig;

typedef struct SiprAccountConfig {
        unsigned index; /* X */
        bool enable;
        char *label, *display_name, *user_name, *auth_name /* defaults to user_name */, *password;
        SiprServerConfig server[SIPR_SERVER_MAX]; /* server[Y-1] */
        unsigned redundancy_type;                 /* 0 concurrent, 1 successive */
        uint32_t fallback_timeout;
        bool outbound_proxy_enable;
        SiprProxyConfig outbound_proxy[SIPR_SERVER_MAX];
        uint32_t outbound_proxy_fallback_interval;
        uint32_t reg_fail_retry_interval;
        bool udp_update_enable;
        uint32_t udp_update_time;
} SiprAccountConfig;

typedef struct SiprGlobalConfig {
        uint64_t timer_t1_usec, timer_t2_usec, timer_t4_usec;
        char *primary_dns, *secondary_dns; /* "" = /etc/resolv.conf */
        uint32_t health_interval_ms;
        char *health_method; /* options, crlf, connect, none */
        uint32_t health_down_after, health_up_after;
        bool health_proactive_failover;
        uint32_t dns_serve_stale;
        uint32_t failback_hold_down;
        bool unregister_on_stop;
} SiprGlobalConfig;

typedef struct SiprConfig {
        uint64_t generation;
        SiprGlobalConfig global;
        SiprAccountConfig *accounts; /* every account X that has any key set, ascending X */
        size_t n_accounts;
} SiprConfig;

typedef struct ConfigClient ConfigClient;

/* Called after every successful (re-)sync. old is NULL on the first one; changed_keys lists the
 * keys whose value changed (every key on the first sync or a re-sync after configd returned). */
typedef void (*ConfigClientChangedFunc)(ConfigClient *c, const SiprConfig *old, const SiprConfig *config,
                                        char **changed_keys, void *userdata);

int config_client_new(sd_bus *bus, ConfigClientChangedFunc cb, void *userdata, ConfigClient **ret);
ConfigClient *config_client_free(ConfigClient *c);
/* For daemons that never use a password (healthd, resolverd): secret keys read as "", and
 * GetSecret is never called, so no password is ever in their memory. Call it right after
 * config_client_new(); the first read is asynchronous. */
void config_client_no_secrets(ConfigClient *c);
const SiprConfig *config_client_get(ConfigClient *c);           /* NULL until synced */
const char *config_client_value(ConfigClient *c, const char *key); /* raw effective string, NULL if unknown */
const SiprAccountConfig *sipr_config_find_account(const SiprConfig *config, unsigned index);

/* Pure: builds a SiprConfig from effective key/value pairs (strv of k1,v1,k2,v2…). Used by the
 * client and by unit tests of daemons with an injected config. */
int sipr_config_from_pairs(char **pairs, SiprConfig **ret);
SiprConfig *sipr_config_free(SiprConfig *config);
