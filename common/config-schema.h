/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one table of every key sipr acts on (CONFIG.md). The parser, the validator, Set, siprctl
 * and docs/config.md are all derived from it. Patterns use X for the account index (1…256, or
 * what the build's -Daccounts_max says) and Y for the server/proxy index (1…4). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CONFIG.md: "sipr accepts 1…256". A build for a gateway may raise it (meson -Daccounts_max). */
#include "config-types.h"
#define SIPR_CONFIG_TEXT_MAX    1024 /* bytes of a text value */
#define SIPR_CONFIG_SECRET_MASK "********"
/* Yealink's explicit "empty": the key is set here, to "" (text, hosts) or to its default. Unlike
 * an empty value it hides what lower layers say. */
#define SIPR_CONFIG_NULL "%NULL%"

typedef enum SiprConfigType {
        SIPR_CONFIG_BOOL,        /* 0/1 */
        SIPR_CONFIG_UINT,        /* decimal integer in [min, max]; names[] documents numeric enums */
        SIPR_CONFIG_ENUM,        /* one of names[] */
        SIPR_CONFIG_TEXT,        /* UTF-8, no control characters */
        SIPR_CONFIG_HOST,        /* host name or IP literal, "" = unset */
        SIPR_CONFIG_ADDRESS,     /* IP or IP:port ([v6]:port), "" = unset */
        SIPR_CONFIG_SECONDS,     /* decimal seconds, millisecond resolution; min/max in ms */
        SIPR_CONFIG_IP,          /* an IPv4 or IPv6 literal (no brackets, no port) */
        SIPR_CONFIG_CIDR_LIST,   /* comma-separated IP/prefix list (cidr.h), at least one */
        SIPR_CONFIG_SIP_URI,     /* sip: or sips: URI, "" = unset */
        SIPR_CONFIG_URL,         /* scheme://[user@]host[:port][/path] without a password, "" = unset */
        SIPR_CONFIG_STATUS_LIST, /* comma-separated SIP final response codes (status-list.h), may be "" */
        _SIPR_CONFIG_TYPE_MAX,
} SiprConfigType;

typedef enum SiprConfigFlags {
        SIPR_CONFIG_SECRET = 1 << 0,            /* never shown, never logged */
        SIPR_CONFIG_ROUND_UP_TO_60 = 1 << 1,    /* failback_timeout: 1…59 → 60 */
        SIPR_CONFIG_DEFAULT_USER_NAME = 1 << 2, /* auth_name: defaults to account.X.user_name */
        SIPR_CONFIG_REBINDS = 1 << 3,           /* a change moves the registration: old bindings go first */
        SIPR_CONFIG_MINUS_ONE = 1 << 4, /* UINT: "-1" also accepted (automatic), stored as UINT32_MAX */
        SIPR_CONFIG_COSMETIC = 1 << 5,  /* only shown to users (label): a change never re-registers */
} SiprConfigFlags;

typedef enum SiprConfigScope {
        SIPR_CONFIG_GLOBAL,
        SIPR_CONFIG_ACCOUNT, /* pattern has X */
        SIPR_CONFIG_SERVER,  /* pattern has X and Y */
} SiprConfigScope;

typedef struct SiprConfigKey {
        const char *pattern; /* "account.X.sip_server.Y.port" */
        SiprConfigType type;
        uint64_t min, max;
        const char *const *names; /* ENUM: accepted words; UINT: label of each value min…max */
        const char *def;          /* default as a string */
        unsigned flags;
        const char *description;
        SiprConfigStruct in;   /* where the typed value lives (config-types.h) */
        SiprConfigField field; /* as what */
        size_t offset;         /* offsetof() in that struct */
} SiprConfigKey;

extern const SiprConfigKey sipr_config_keys[];
extern const size_t sipr_config_n_keys;

SiprConfigScope sipr_config_key_scope(const SiprConfigKey *k);

/* Finds the schema entry of a concrete key ("account.3.sip_server.2.port") and its X/Y (0 when
 * the pattern has none). NULL when the key is unknown; then *ret_reason (if given) points to a
 * static explanation ("account index out of range 1…256") or NULL for a plain unknown. */
const SiprConfigKey *sipr_config_lookup(const char *key, unsigned *ret_x, unsigned *ret_y,
                                        const char **ret_reason);

/* Checks value against k. On success returns 0 and, if ret_normalized, the canonical form
 * (e.g. failback_timeout "30" → "60", "007" → "7"). On failure returns -EINVAL and, if
 * ret_error, "KEY: invalid value 'V': permitted RANGE" (the value masked for secrets). */
int sipr_config_validate(const SiprConfigKey *k, const char *key, const char *value, char **ret_normalized,
                         char **ret_error);

/* Human description of the permitted values: "0…65535", "0 UDP, 1 TCP, 2 TLS, 3 DNS-NAPTR". */
char *sipr_config_range_string(const SiprConfigKey *k);

/* Builds the concrete key from a pattern and X/Y. */
char *sipr_config_key_format(const SiprConfigKey *k, unsigned x, unsigned y);

/* What may appear in a log line for this key's value: the value itself, or "********" for
 * a set secret (and "" for an unset one, or an unknown key's value is shown as is). */
const char *sipr_config_value_for_log(const char *key, const char *value);
bool sipr_config_key_is_secret(const char *key);

/* Parses "0.5" / "4" / "1.250" seconds to milliseconds. -EINVAL/-ERANGE. */
int sipr_config_parse_seconds_ms(const char *s, uint64_t *ret_ms);

/* The longest prefix of s of at most max bytes that does not cut a UTF-8 sequence. */
size_t sipr_utf8_prefix_len(const char *s, size_t max);

/* ---- typed values (config-types.c), derived from each key's struct, kind and offset ---- */

/* The typed slot of key k: in g (global keys) or a (account keys; server/proxy keys of Y). */
void *sipr_config_slot(const SiprConfigKey *k, SiprGlobalConfig *g, SiprAccountConfig *a, unsigned y);
/* Stores a validated value (ROUND_UP_TO_60 applied). -EINVAL when it does not parse. */
int sipr_config_slot_set(const SiprConfigKey *k, void *slot, const char *value);

void sipr_account_config_done(SiprAccountConfig *a); /* frees the strings; secrets wiped */
int sipr_account_config_copy(SiprAccountConfig *dst, const SiprAccountConfig *src);
/* Whether x and y differ in any key carrying one of flags (0: in any key at all). */
bool sipr_account_config_differs(const SiprAccountConfig *x, const SiprAccountConfig *y, unsigned flags);
/* Whether x and y differ in any key carrying none of except. */
bool sipr_account_config_differs_except(const SiprAccountConfig *x, const SiprAccountConfig *y,
                                        unsigned except);
void sipr_global_config_done(SiprGlobalConfig *g);
int sipr_global_config_defaults(SiprGlobalConfig *ret); /* every global key at its default */
int sipr_global_config_copy(SiprGlobalConfig *dst, const SiprGlobalConfig *src);
/* Whether x and y differ in a global key whose name starts with prefix (NULL: any). */
bool sipr_global_config_differs(const SiprGlobalConfig *x, const SiprGlobalConfig *y, const char *prefix);

/* A sip:/sips: URI as account.X.edge.contact accepts it. */
bool sipr_sip_uri_valid(const char *s);

/* The provisioning keys of the effective configuration: get(key) returns the effective value
 * (NULL = the default). */
int sipr_provision_config_load(SiprProvisionConfig *ret, const char *(*get)(const char *key, void *userdata),
                               void *userdata);
void sipr_provision_config_done(SiprProvisionConfig *p);

/* A URL as static.auto_provision.server.url accepts it; *ret_reason says why not. */
bool sipr_url_valid(const char *s, const char **ret_reason);

/* Whether s is valid UTF-8 of at most len bytes without control characters (tab allowed). */
bool sipr_config_text_valid(const char *s, size_t len);
