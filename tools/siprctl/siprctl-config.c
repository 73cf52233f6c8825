/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-util.h"
#include "config-parser.h"
#include "config-schema.h"
#include "sipr-config.h"
#include "siprctl.h"

#define CONFIG_SERVICE "sipr-configd"
#define CONFIG_BUS_NAME "org.sipr.Config1"
#define CONFIG_BUS_PATH "/org/sipr/Config1"
#define CONFIG_BUS_INTERFACE "org.sipr.Config1"

/* Sends m and turns a failure into a message naming sipr-configd and an exit code. */
static int config_send(SiprctlContext *c, sd_bus_message *m, sd_bus_message **reply) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call(c->bus, m, 0, &error, reply);
        if (r < 0)
                return siprctl_call_failed(CONFIG_SERVICE, CONFIG_BUS_NAME, &error, r);
        return 0;
}

static int config_call(SiprctlContext *c, const char *method, sd_bus_message **reply, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(c->bus, &m, CONFIG_BUS_NAME, CONFIG_BUS_PATH, CONFIG_BUS_INTERFACE, method);
        if (r < 0)
                return siprctl_call_failed(CONFIG_SERVICE, CONFIG_BUS_NAME, NULL, r);
        if (types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (r < 0)
                        return siprctl_call_failed(CONFIG_SERVICE, CONFIG_BUS_NAME, NULL, r);
        }
        return config_send(c, m, reply);
}

static int verb_get(SiprctlContext *c, int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *value;
        int r;

        r = config_call(c, "Get", &reply, "s", argv[0]);
        if (r != 0)
                return r;
        r = sd_bus_message_read(reply, "s", &value);
        if (r < 0)
                return siprctl_call_failed(CONFIG_SERVICE, CONFIG_BUS_NAME, NULL, r);
        if (c->json) {
                printf("{\"key\":");
                siprctl_json_string(argv[0]);
                printf(",\"value\":");
                siprctl_json_string(value);
                printf("}\n");
        } else
                printf("%s\n", value);
        return SIPRCTL_EXIT_OK;
}

static int verb_list(SiprctlContext *c, int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *k, *v;
        bool first = true;
        int r;

        r = config_call(c, "List", &reply, "s", argc > 0 ? argv[0] : "");
        if (r != 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{ss}");
        if (c->json)
                printf("{");
        while (r > 0 && (r = sd_bus_message_read(reply, "{ss}", &k, &v)) > 0) {
                if (c->json) {
                        printf("%s", first ? "" : ",");
                        siprctl_json_string(k);
                        printf(":");
                        siprctl_json_string(v);
                } else
                        /* The provisioning file syntax, so the output can be pasted into one. */
                        printf("%s = %s\n", k, v);
                first = false;
        }
        if (c->json)
                printf("}\n");
        if (r < 0)
                return siprctl_call_failed(CONFIG_SERVICE, CONFIG_BUS_NAME, NULL, r);
        if (first && !c->json && argc > 0)
                fprintf(stderr, "siprctl: no key starts with '%s'.\n", argv[0]);
        return SIPRCTL_EXIT_OK;
}

/* The syntax of every argument, before anything is sent (all or nothing) or the bus is opened. */
static int check_set(const char *command, int argc, char **argv) {
        for (int i = 0; i < argc; i++) {
                const char *eq = strchr(argv[i], '=');
                if (!eq || eq == argv[i]) {
                        fprintf(stderr, "siprctl: '%s': expected KEY=VALUE (an empty VALUE drops the local override)\n",
                                sipr_config_key_is_secret(argv[i]) ? "(a secret key)" : argv[i]);
                        return SIPRCTL_EXIT_USAGE;
                }
        }
        return 0;
}

static int verb_set(SiprctlContext *c, int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r;

        r = sd_bus_message_new_method_call(c->bus, &m, CONFIG_BUS_NAME, CONFIG_BUS_PATH, CONFIG_BUS_INTERFACE, "Set");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{ss}");
        for (int i = 0; i < argc && r >= 0; i++) {
                char *eq = strchr(argv[i], '=');
                _cleanup_free_ char *key = strndup(argv[i], (size_t) (eq - argv[i]));

                if (!key)
                        return SIPRCTL_EXIT_FAILURE;
                r = sd_bus_message_append(m, "{ss}", key, eq + 1);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return siprctl_call_failed(CONFIG_SERVICE, CONFIG_BUS_NAME, NULL, r);
        return config_send(c, m, &reply);
}

static int verb_reset(SiprctlContext *c, int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r;

        r = sd_bus_message_new_method_call(c->bus, &m, CONFIG_BUS_NAME, CONFIG_BUS_PATH, CONFIG_BUS_INTERFACE,
                                           "Reset");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "s");
        for (int i = 0; i < argc && r >= 0; i++)
                r = sd_bus_message_append(m, "s", argv[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return siprctl_call_failed(CONFIG_SERVICE, CONFIG_BUS_NAME, NULL, r);
        return config_send(c, m, &reply);
}

static int verb_reload(SiprctlContext *c, int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

        return config_call(c, "Reload", &reply, NULL);
}

/* Parsed here, with the caller's own rights and the same parser and messages as sipr-configd:
 * no daemon needed, and nothing a hardened service cannot open is out of reach. */
/* configd's Check, for a bare name that is not in the current directory: configd takes it from
 * its own config directory (what siprctl check always did). */
static int check_via_configd(SiprctlContext *c, const char *name) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *file, *msg;
        unsigned line, n = 0;
        int r;

        r = config_call(c, "Check", &reply, "s", name);
        if (r != 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(sus)");
        if (c->json)
                printf("[");
        while (r > 0 && (r = sd_bus_message_read(reply, "(sus)", &file, &line, &msg)) > 0) {
                if (c->json) {
                        printf("%s{\"file\":", n ? "," : "");
                        siprctl_json_string(file);
                        printf(",\"line\":%u,\"message\":", line);
                        siprctl_json_string(msg);
                        printf("}");
                } else if (line > 0)
                        printf("%s:%u: %s\n", file, line, msg);
                else
                        printf("%s: %s\n", file, msg);
                n++;
        }
        if (c->json)
                printf("]\n");
        if (r < 0)
                return siprctl_call_failed(CONFIG_SERVICE, CONFIG_BUS_NAME, NULL, r);
        if (n > 0) {
                fprintf(stderr, "siprctl: %s: %u problem%s; sipr-configd would refuse this file.\n", name, n,
                        n == 1 ? "" : "s");
                return SIPRCTL_EXIT_FAILURE;
        }
        if (!c->json)
                printf("%s (in sipr-configd's config directory): OK\n", name);
        return SIPRCTL_EXIT_OK;
}

/* Parsed here, with the caller's own rights and the same parser and messages as sipr-configd:
 * no daemon needed, and nothing a hardened service cannot open is out of reach. */
static int verb_check(SiprctlContext *c, int argc, char **argv) {
        _cleanup_(sipr_config_file_freep) SiprConfigFile *f = NULL;
        _cleanup_free_ char *fallback = NULL;
        char abs[PATH_MAX];
        const char *path = argv[0];
        unsigned n = 0;
        int r;

        if (path[0] != '/' && access(path, F_OK) == 0 && realpath(path, abs))
                path = abs;
        else if (path[0] != '/' && !strchr(path, '/')) {
                /* A bare name not found here: the config directory, where the phones' files live;
                 * configd's own when it runs (the unit may pass another one), else the default. */
                if (!c->bus && bus_open(c->user_bus, "siprctl", &c->bus) >= 0) {
                        r = check_via_configd(c, path);
                        if (r != SIPRCTL_EXIT_NOT_RUNNING)
                                return r;
                }
                if (asprintf(&fallback, "%s/%s", SIPR_SYSCONFDIR, path) < 0)
                        return SIPRCTL_EXIT_FAILURE;
                path = fallback;
        }
        r = sipr_config_file_load(path, &f);
        if (r == -ENOENT)
                r = sipr_config_file_new_problem(path, "No such file", &f);
        if (r < 0) {
                fprintf(stderr, "siprctl: %s: %s\n", path, strerror(-r));
                return SIPRCTL_EXIT_FAILURE;
        }
        if (c->json)
                printf("[");
        for (size_t i = 0; i < f->n_problems; i++, n++) {
                if (c->json) {
                        printf("%s{\"file\":", n ? "," : "");
                        siprctl_json_string(path);
                        printf(",\"line\":%u,\"message\":", f->problems[i].line);
                        siprctl_json_string(f->problems[i].message);
                        printf("}");
                } else {
                        _cleanup_free_ char *line = sipr_config_problem_format(f, i);
                        printf("%s\n", strempty(line));
                }
        }
        if (f->n_problems_total > f->n_problems) {
                char more[96];

                snprintf(more, sizeof(more), "… and %zu more problems", f->n_problems_total - f->n_problems);
                if (c->json) {
                        printf(",{\"file\":");
                        siprctl_json_string(path);
                        printf(",\"line\":0,\"message\":");
                        siprctl_json_string(more);
                        printf("}");
                } else
                        printf("%s: %s\n", path, more);
                n++;
        }
        if (c->json)
                printf("]\n");
        if (n > 0) {
                fprintf(stderr, "siprctl: %s: %zu problem%s; sipr-configd would refuse this file.\n", argv[0],
                        f->n_problems_total, f->n_problems_total == 1 ? "" : "s");
                return SIPRCTL_EXIT_FAILURE;
        }
        if (!c->json)
                printf("%s: OK\n", path);
        return SIPRCTL_EXIT_OK;
}

/* A round downloads two files, each bounded by sipr.provision.timeout (at most 3600 s). */
#define PROVISION_CALL_USEC (2ULL * 3700ULL * USEC_PER_SEC)

static int verb_provision(SiprctlContext *c, int argc, char **argv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *result;
        int r;

        r = sd_bus_message_new_method_call(c->bus, &m, CONFIG_BUS_NAME, CONFIG_BUS_PATH, CONFIG_BUS_INTERFACE,
                                           "Provision");
        if (r < 0)
                return siprctl_call_failed(CONFIG_SERVICE, CONFIG_BUS_NAME, NULL, r);
        r = sd_bus_call(c->bus, m, PROVISION_CALL_USEC, &error, &reply);
        if (r < 0)
                return siprctl_call_failed(CONFIG_SERVICE, CONFIG_BUS_NAME, &error, r);
        r = sd_bus_message_read(reply, "s", &result);
        if (r < 0)
                return siprctl_call_failed(CONFIG_SERVICE, CONFIG_BUS_NAME, NULL, r);
        if (c->json) {
                printf("{\"result\":");
                siprctl_json_string(result);
                printf("}\n");
        } else
                printf("%s\n", result);
        return SIPRCTL_EXIT_OK;
}

/* The schema itself: works without sipr-configd, for writing provisioning files. */
static int verb_keys(SiprctlContext *c, int argc, char **argv) {
        bool first = true;

        if (c->json)
                printf("[");
        for (size_t i = 0; i < sipr_config_n_keys; i++) {
                const SiprConfigKey *k = &sipr_config_keys[i];
                _cleanup_free_ char *range = sipr_config_range_string(k);
                const char *def = (k->flags & SIPR_CONFIG_DEFAULT_USER_NAME) ? "(user_name)" : k->def;

                if (argc > 0 && !strstr(k->pattern, argv[0]))
                        continue;
                if (c->json) {
                        printf("%s{\"key\":", first ? "" : ",");
                        siprctl_json_string(k->pattern);
                        printf(",\"values\":");
                        siprctl_json_string(range);
                        printf(",\"default\":");
                        siprctl_json_string(k->def);
                        printf(",\"secret\":%s,\"description\":", (k->flags & SIPR_CONFIG_SECRET) ? "true" : "false");
                        siprctl_json_string(k->description);
                        printf("}");
                } else
                        printf("%s\n    %s\n    values: %s; default: %s%s\n", k->pattern, k->description, strempty(range),
                               isempty(def) ? "\"\"" : def, (k->flags & SIPR_CONFIG_SECRET) ? "; secret" : "");
                first = false;
        }
        if (c->json)
                printf("]\n");
        else
                printf("\nX = account 1…%d, Y = server or proxy 1…%d.\n", SIPR_CONFIG_ACCOUNT_MAX, SIPR_CONFIG_SERVER_MAX);
        return SIPRCTL_EXIT_OK;
}

const SiprctlCommand siprctl_config_commands[] = {
        { "get", "KEY", "effective value of a configuration key", 1, 1, verb_get },
        { "set", "KEY=VALUE...", "set local overrides (all or nothing, persisted)", 1, -1, verb_set, .check = check_set },
        { "reset", "KEY...", "drop local overrides, back to the files' values", 1, -1, verb_reset },
        { "list", "[PREFIX]", "every key (under PREFIX) with its effective value", 0, 1, verb_list },
        { "reload", NULL, "re-read the provisioning files", 0, 0, verb_reload },
        { "check", "FILE", "validate a provisioning file without applying it (no daemon needed)", 1, 1, verb_check,
          .offline = true },
        { "provision", NULL, "fetch the files from the provisioning server now and apply them", 0, 0,
          verb_provision },
        { "keys", "[WORD]", "the configuration keys sipr uses: values, default, meaning", 0, 1, verb_keys, .offline = true },
        {},
};
