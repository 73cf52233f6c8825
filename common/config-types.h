/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The typed configuration the daemons act on. Every field is declared once, in the schema
 * (config-schema.c: offset and kind beside the key), so parsing, copying, freeing and comparing
 * are derived from the table: a new key is one line there and one field here. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipr-config.h"

#define SIPR_CONFIG_ACCOUNT_MAX SIPR_ACCOUNTS_MAX
#define SIPR_CONFIG_SERVER_MAX  4

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
        char *address; /* "" when unset */
        uint16_t port; /* 0 = from SRV */
        SiprTransport transport;
        uint32_t expires;
        uint32_t retry_counts;
        uint32_t invite_retry_counts; /* edge: INVITE retransmissions before the next hop */
        SiprFailbackMode failback_mode;
        uint32_t failback_timeout; /* already normalised: 1…59 → 60 */
        bool register_on_enable;
        bool only_signal_with_registered;
        char *failover_codes; /* status-list.h: answers that move to the next address */
} SiprServerConfig;

typedef struct SiprProxyConfig {
        char *address;
        uint16_t port;
} SiprProxyConfig;

typedef struct SiprAccountConfig {
        unsigned index; /* X */
        bool enable;
        char *label, *display_name, *user_name, *auth_name /* defaults to user_name */, *password;
        SiprServerConfig server[SIPR_CONFIG_SERVER_MAX]; /* server[Y-1] */
        unsigned redundancy_type;                        /* 0 concurrent, 1 successive */
        uint32_t fallback_timeout;
        bool outbound_proxy_enable;
        SiprProxyConfig outbound_proxy[SIPR_CONFIG_SERVER_MAX];
        uint32_t outbound_proxy_fallback_interval;
        uint32_t reg_fail_retry_interval;
        uint32_t reg_failed_retry_min_time, reg_failed_retry_max_time; /* RFC 5626 back-off, 0 = off */
        uint32_t reg_rejected_retry_interval;                          /* 0 = never by itself */
        uint32_t register_expires_overlap;                             /* UINT32_MAX = automatic */
        bool udp_update_enable;
        uint32_t udp_update_time;
        char *edge_contact; /* a fixed local UA, "" = none */
} SiprAccountConfig;

typedef struct SiprGlobalConfig {
        uint64_t timer_t1_usec, timer_t2_usec, timer_t4_usec;
        char *primary_dns, *secondary_dns; /* "" = /etc/resolv.conf */
        uint32_t health_interval_ms;
        uint32_t health_standby_interval_ms; /* targets no registration uses now */
        char *health_method; /* options, crlf, connect, none */
        uint32_t health_down_after, health_up_after;
        bool health_proactive_failover;
        uint32_t dns_serve_stale;
        uint32_t failback_hold_down;
        uint32_t reg_surge_prevention; /* s, the largest random delay */
        bool unregister_on_stop;
        bool edge_enable;
        char *edge_address;
        uint16_t edge_port;
        char *edge_allow; /* comma list of CIDRs */
} SiprGlobalConfig;

/* sipr-configd's own keys, fetching the provisioning files from a server above all; never sent
 * to the other daemons (their config client skips these keys; the password never leaves configd). */
typedef struct SiprProvisionConfig {
        char *url;      /* the directory holding the files, http:// or https://; "" = no server */
        char *username; /* "" = the URL's user, if any */
        char *password; /* secret */
        bool power_on;  /* fetch at start */
        bool repeat_enable;
        uint32_t repeat_minutes;
        char *ca_file;        /* PEM bundle; "" = the system's CA store */
        uint32_t timeout_sec; /* longest a download may take */
        bool watch;           /* reload when the files in the config directory change */
} SiprProvisionConfig;

typedef struct SiprConfig {
        uint64_t generation;
        SiprGlobalConfig global;
        SiprAccountConfig *accounts; /* every account X that has any key set, ascending X */
        size_t n_accounts;
} SiprConfig;

/* Where a key's value lives, and as what. */
typedef enum SiprConfigStruct {
        SIPR_CONFIG_IN_NONE,
        SIPR_CONFIG_IN_GLOBAL,  /* SiprGlobalConfig */
        SIPR_CONFIG_IN_ACCOUNT, /* SiprAccountConfig */
        SIPR_CONFIG_IN_SERVER,  /* SiprServerConfig, server[Y-1] */
        SIPR_CONFIG_IN_PROXY,   /* SiprProxyConfig, outbound_proxy[Y-1] */
        SIPR_CONFIG_IN_PROVISION, /* SiprProvisionConfig: configd only */
} SiprConfigStruct;

typedef enum SiprConfigField {
        SIPR_FIELD_BOOL,   /* bool */
        SIPR_FIELD_U16,    /* uint16_t */
        SIPR_FIELD_U32,    /* uint32_t, and enums of the same size */
        SIPR_FIELD_USEC,   /* uint64_t µs, from seconds with ms resolution */
        SIPR_FIELD_STRING, /* char *, owned */
} SiprConfigField;
