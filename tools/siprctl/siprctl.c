/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bus-util.h"
#include "config-schema.h"
#include "log.h"
#include "siprctl.h"
#include "util.h"

static const SiprctlCommand *const families[] = {
        siprctl_reg_commands,
        siprctl_config_commands,
        siprctl_resolve_commands,
        siprctl_health_commands,
        siprctl_stats_commands,
};

static void help(void) {
        printf("Usage: siprctl [OPTIONS] COMMAND [ARGS…]\n\n"
               "Query and control the sipr SIP registration services.\n\n"
               "Commands:\n");
        for (size_t f = 0; f < ELEMENTSOF(families); f++)
                for (const SiprctlCommand *c = families[f]; c->name; c++)
                        printf("  %-10s %-24s %s\n", c->name, c->args ?: "", c->summary);
        printf("\nOptions:\n"
               "  --json[=FORMAT]   machine-readable output (read commands): short (default) or pretty\n"
               "  --bus=BUS         system (default) or session\n"
               "  -h --help         show this help\n"
               "  --version         show the version\n\n"
               "Exit status: 0 ok, 1 a service reported a failure, 2 usage error,\n"
               "3 a service is not running.\n");
}

int siprctl_call_failed(const char *service, const char *bus_name, const sd_bus_error *error, int r) {
        if (error && (sd_bus_error_has_name(error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                      sd_bus_error_has_name(error, SD_BUS_ERROR_NAME_HAS_NO_OWNER))) {
                fprintf(stderr, "siprctl: %s is not running (no owner of %s on the bus).\n", service, bus_name);
                return SIPRCTL_EXIT_NOT_RUNNING;
        }
        if (error && sd_bus_error_has_name(error, SD_BUS_ERROR_ACCESS_DENIED)) {
                fprintf(stderr, "siprctl: %s: permission denied: %s (this needs root or the sipr-admin group)\n",
                        service, error->message ?: "access denied");
                return SIPRCTL_EXIT_FAILURE;
        }
        if (error && sd_bus_error_is_set(error))
                fprintf(stderr, "siprctl: %s: %s\n", service, error->message ?: error->name);
        else
                fprintf(stderr, "siprctl: %s: %s\n", service, strerror(r < 0 ? -r : r));
        return SIPRCTL_EXIT_FAILURE;
}

void siprctl_json_string(const char *s) {
        putchar('"');
        for (const unsigned char *p = (const unsigned char *) strempty(s); *p; p++) {
                switch (*p) {
                case '"': fputs("\\\"", stdout); break;
                case '\\': fputs("\\\\", stdout); break;
                case '\n': fputs("\\n", stdout); break;
                case '\r': fputs("\\r", stdout); break;
                case '\t': fputs("\\t", stdout); break;
                default:
                        if (*p < 0x20)
                                printf("\\u%04x", *p);
                        else
                                putchar(*p);
                }
        }
        putchar('"');
}

int siprctl_read_string_variant(sd_bus_message *m, char **ret) {
        const char *s;
        int r;

        r = sd_bus_message_read(m, "v", "s", &s);
        if (r < 0)
                return r;
        free(*ret);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int siprctl_read_properties(sd_bus_message *m, SiprctlPropertyReader read_one, void *userdata) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name;

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                r = read_one(m, name, userdata);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

int siprctl_for_each_object(sd_bus_message *reply, const char *iface,
                            int (*add)(const char *path, sd_bus_message *m, void *userdata), void *userdata) {
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                const char *path;

                r = sd_bus_message_read(reply, "o", &path);
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
                if (r < 0)
                        return r;
                while ((r = sd_bus_message_enter_container(reply, 'e', "sa{sv}")) > 0) {
                        const char *name;

                        r = sd_bus_message_read(reply, "s", &name);
                        if (r < 0)
                                return r;
                        if (streq(name, iface))
                                r = add(path, reply, userdata);
                        else
                                r = sd_bus_message_skip(reply, "a{sv}");
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                return r;
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}

int siprctl_parse_account(const char *command, const char *arg, uint32_t *ret) {
        if (safe_atou32(arg, ret) < 0 || *ret == 0 || *ret > SIPR_CONFIG_ACCOUNT_MAX) {
                fprintf(stderr, "siprctl: %s: '%s' is not an account number (1…%d)\n", command, arg,
                        SIPR_CONFIG_ACCOUNT_MAX);
                return SIPRCTL_EXIT_USAGE;
        }
        return 0;
}

void siprctl_format_time(uint64_t usec, char *buf, size_t size) {
        time_t sec = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;

        if (usec == 0 || !localtime_r(&sec, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                snprintf(buf, size, "-");
}

/* --json=pretty: the compact JSON the commands print, indented as it streams through (monitor's
 * lines come out as they happen). Valid JSON in, the same JSON out. */
static void json_pretty_filter(int in, FILE *out) {
        unsigned depth = 0;
        bool in_string = false, escaped = false, opened = false;
        char buf[4096];
        ssize_t n;

        while ((n = read(in, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
                for (ssize_t i = 0; i < n; i++) {
                        char ch = buf[i];

                        if (in_string) {
                                fputc(ch, out);
                                if (escaped)
                                        escaped = false;
                                else if (ch == '\\')
                                        escaped = true;
                                else if (ch == '"')
                                        in_string = false;
                                continue;
                        }
                        if (ch == ' ' || ch == '\t' || ch == '\r')
                                continue;
                        /* an empty object or array stays on one line */
                        if (opened && ch != '}' && ch != ']')
                                fprintf(out, "\n%*s", (int) depth * 2, "");
                        if (ch == '}' || ch == ']') {
                                depth = depth > 0 ? depth - 1 : 0;
                                if (!opened)
                                        fprintf(out, "\n%*s", (int) depth * 2, "");
                        }
                        opened = false;
                        switch (ch) {
                        case '{':
                        case '[':
                                fputc(ch, out);
                                depth++;
                                opened = true;
                                break;
                        case ',':
                                fprintf(out, ",\n%*s", (int) depth * 2, "");
                                break;
                        case ':':
                                fputs(": ", out);
                                break;
                        case '"':
                                in_string = true;
                                fputc(ch, out);
                                break;
                        case '\n':
                                fputc(ch, out);
                                fflush(out);
                                break;
                        default:
                                fputc(ch, out);
                        }
                }
        fflush(out);
}

/* Starts the pretty filter as a child reading what we write to stdout; returns its pid. A child,
 * so that every command keeps printing its JSON as it does and monitor's lines still stream. */
static pid_t json_pretty_start(void) {
        int fds[2];
        pid_t pid;

        fflush(stdout);
        if (pipe(fds) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int e = errno;
                close(fds[0]);
                close(fds[1]);
                return -e;
        }
        if (pid == 0) {
                /* the filter ends when siprctl closes the pipe, not on the user's ^C */
                (void) signal(SIGINT, SIG_IGN);
                (void) signal(SIGTERM, SIG_IGN);
                close(fds[1]);
                json_pretty_filter(fds[0], stdout);
                _exit(0);
        }
        close(fds[0]);
        if (dup2(fds[1], STDOUT_FILENO) < 0) {
                int e = errno;
                close(fds[1]);
                return -e;
        }
        close(fds[1]);
        return pid;
}

static void json_pretty_finish(pid_t pid) {
        fflush(stdout);
        close(STDOUT_FILENO);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

/* --json, --json=short, --json=pretty, --json=off: 0, or SIPRCTL_EXIT_USAGE. */
static int parse_json_option(SiprctlContext *ctx, const char *arg) {
        if (!arg || streq(arg, "short") || streq(arg, "pretty")) {
                ctx->json = true;
                ctx->json_pretty = arg && streq(arg, "pretty");
                return 0;
        }
        if (streq(arg, "off")) {
                ctx->json = ctx->json_pretty = false;
                return 0;
        }
        fprintf(stderr, "siprctl: invalid --json=%s: use short, pretty or off\n", arg);
        return SIPRCTL_EXIT_USAGE;
}

int main(int argc, char **argv) {
        enum { ARG_JSON = 0x100, ARG_BUS, ARG_VERSION };
        static const struct option options[] = {
                { "json", optional_argument, NULL, ARG_JSON },
                { "bus", required_argument, NULL, ARG_BUS },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        SiprctlContext ctx = {
                .color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && !streq(strempty(getenv("TERM")), "dumb"),
        };
        const SiprctlCommand *cmd = NULL;
        int c, r, nargs;

        log_set_prefix("siprctl");
        log_set_target_console(true);
        log_set_max_level(LOG_WARNING);

        /* "+" stops at the command, so its own arguments may start with '-'. --json may
         * also follow the command; see below. */
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("siprctl %s\n", SIPR_VERSION);
                        return 0;
                case ARG_JSON:
                        if (parse_json_option(&ctx, optarg) != 0)
                                return SIPRCTL_EXIT_USAGE;
                        break;
                case ARG_BUS:
                        if (streq(optarg, "session") || streq(optarg, "user"))
                                ctx.user_bus = true;
                        else if (!streq(optarg, "system")) {
                                fprintf(stderr, "siprctl: invalid --bus '%s': use system or session\n", optarg);
                                return SIPRCTL_EXIT_USAGE;
                        }
                        break;
                default:
                        return SIPRCTL_EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "siprctl: missing command (see siprctl --help)\n");
                return SIPRCTL_EXIT_USAGE;
        }

        for (size_t f = 0; f < ELEMENTSOF(families) && !cmd; f++)
                for (const SiprctlCommand *k = families[f]; k->name; k++)
                        if (streq(k->name, argv[optind])) {
                                cmd = k;
                                break;
                        }
        if (!cmd) {
                fprintf(stderr, "siprctl: unknown command '%s' (see siprctl --help)\n", argv[optind]);
                return SIPRCTL_EXIT_USAGE;
        }

        /* Accept "--json[=FORMAT]" anywhere after the command too: "siprctl status --json". */
        char **args = argv + optind + 1;
        nargs = 0;
        for (int i = optind + 1; i < argc; i++) {
                if (streq(argv[i], "--json") || strneq(argv[i], "--json=", strlen("--json="))) {
                        if (parse_json_option(&ctx, argv[i][6] == '=' ? argv[i] + 7 : NULL) != 0)
                                return SIPRCTL_EXIT_USAGE;
                } else
                        args[nargs++] = argv[i];
        }
        /* Every usage error is found here, before the bus: exit 2 whether or not anything runs. */
        if (nargs < cmd->min_args || (cmd->max_args >= 0 && nargs > cmd->max_args)) {
                fprintf(stderr, "siprctl: usage: siprctl %s %s\n", cmd->name, cmd->args ?: "");
                return SIPRCTL_EXIT_USAGE;
        }
        if (cmd->check && cmd->check(cmd->name, nargs, args) != 0)
                return SIPRCTL_EXIT_USAGE;

        pid_t filter = 0;
        if (ctx.json && ctx.json_pretty) {
                filter = json_pretty_start();
                if (filter < 0) {
                        fprintf(stderr, "siprctl: cannot set up --json=pretty: %s\n", strerror((int) -filter));
                        return SIPRCTL_EXIT_FAILURE;
                }
        }

        if (cmd->offline) {
                /* It may still open the bus itself (check: a name only configd can resolve). */
                r = cmd->run(&ctx, nargs, args);
                if (ctx.bus)
                        sd_bus_flush_close_unref(ctx.bus);
        } else {
                r = bus_open(ctx.user_bus, "siprctl", &ctx.bus);
                if (r < 0) {
                        fprintf(stderr, "siprctl: cannot connect to the %s bus: %s\n",
                                ctx.user_bus ? "session" : "system", strerror(-r));
                        r = SIPRCTL_EXIT_NOT_RUNNING;
                } else {
                        r = cmd->run(&ctx, nargs, args);
                        sd_bus_flush_close_unref(ctx.bus);
                }
        }
        if (filter > 0)
                json_pretty_finish(filter);
        return r;
}
