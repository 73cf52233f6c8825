/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "macro.h"

/* Exit codes (API.md): 0 ok, 1 failure reported by a service, 2 usage, 3 service not running. */
enum {
        SIPRCTL_EXIT_OK = 0,
        SIPRCTL_EXIT_FAILURE = 1,
        SIPRCTL_EXIT_USAGE = 2,
        SIPRCTL_EXIT_NOT_RUNNING = 3,
};

#define ANSI_GREEN "\x1B[0;32m"
#define ANSI_RED "\x1B[0;31m"
#define ANSI_YELLOW "\x1B[0;33m"
#define ANSI_NORMAL "\x1B[0m"

typedef struct SiprctlContext {
        sd_bus *bus;
        bool json;        /* --json, --json=short or --json=pretty */
        bool json_pretty; /* --json=pretty: indented (siprctl.c filters stdout) */
        bool user_bus;
        bool color; /* stdout is a terminal, and neither NO_COLOR nor TERM=dumb is set */
} SiprctlContext;

typedef struct SiprctlCommand {
        const char *name;
        const char *args;    /* usage synopsis, e.g. "KEY=VALUE…" */
        const char *summary; /* one line for --help */
        int min_args, max_args;
        int (*run)(SiprctlContext *c, int argc, char **argv); /* returns an exit code */
        /* Checks the arguments before anything connects to the bus, so a usage error exits 2
         * even when no service runs: 0 or SIPRCTL_EXIT_USAGE (message printed). May be NULL. */
        int (*check)(const char *command, int argc, char **argv);
        bool offline; /* needs no bus (c->bus is NULL) */
} SiprctlCommand;

/* Turns a failed call into a message naming the service and an exit code. */
int siprctl_call_failed(const char *service, const char *bus_name, const sd_bus_error *error, int r);

/* Prints s as a JSON string literal (with quotes and escapes) to stdout. */
void siprctl_json_string(const char *s);

/* Reads a string variant into *ret, replacing what was there. */
int siprctl_read_string_variant(sd_bus_message *m, char **ret);

/* Reads an a{sv}: read_one gets each property's name with m at its variant, which it must consume
 * (sd_bus_message_skip(m, "v") for the ones it does not know). */
typedef int (*SiprctlPropertyReader)(sd_bus_message *m, const char *name, void *userdata);
int siprctl_read_properties(sd_bus_message *m, SiprctlPropertyReader read_one, void *userdata);

/* Walks a GetManagedObjects reply: add gets every object that has iface, with m at that
 * interface's a{sv}, which it must consume. Negative errno when the reply is malformed. */
int siprctl_for_each_object(sd_bus_message *reply, const char *iface,
                            int (*add)(const char *path, sd_bus_message *m, void *userdata), void *userdata);

/* Argument checks shared by the commands: print the usage message and return SIPRCTL_EXIT_USAGE. */
int siprctl_parse_account(const char *command, const char *arg, uint32_t *ret);

/* Local "YYYY-MM-DD HH:MM:SS", or "-" for 0 (never set). */
void siprctl_format_time(uint64_t usec, char *buf, size_t size);

/* Each command family lives in its own file and registers here. */
extern const SiprctlCommand siprctl_config_commands[];
extern const SiprctlCommand siprctl_resolve_commands[];
extern const SiprctlCommand siprctl_health_commands[];
extern const SiprctlCommand siprctl_reg_commands[];
extern const SiprctlCommand siprctl_stats_commands[];
