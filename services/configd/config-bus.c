/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-bus.h"
#include "config-schema.h"
#include "configd-file.h"
#include "configd-provision.h"
#include "configd-watch.h"
#include "log.h"
#include "sipr-error.h"
#include "util.h"

static const char *mask(const char *key, const char *value) {
        if (!sipr_config_key_is_secret(key))
                return value;
        return isempty(value) ? "" : SIPR_CONFIG_SECRET_MASK;
}

static int reply_error(sd_bus_error *error, int r, const char *message) {
        const char *name;

        switch (r) {
        case -ENOKEY:
                name = SIPR_ERROR_UNKNOWN_KEY;
                break;
        case -EINVAL:
                name = SIPR_ERROR_INVALID_VALUE;
                break;
        case -EBADMSG:
                name = SIPR_ERROR_INVALID_FILE;
                break;
        case -EIO:
                name = SIPR_ERROR_IO;
                break;
        default:
                name = SIPR_ERROR_FAILED;
                break;
        }
        return sd_bus_error_setf(error, name, "%s", message ?: strerror(r < 0 ? -r : r));
}

void config_bus_emit_changed(Manager *m, char **changed) {
        sd_bus *bus = m->service.bus;

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *signal = NULL;
        int r;

        if (!changed || !changed[0])
                return;
        r = sd_bus_message_new_signal(bus, &signal, CONFIG_BUS_PATH, CONFIG_BUS_INTERFACE, "Changed");
        if (r >= 0)
                r = sd_bus_message_append_strv(signal, changed);
        if (r >= 0)
                r = sd_bus_send(bus, signal, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to emit Changed: %m");
        (void) sd_bus_emit_properties_changed(bus, CONFIG_BUS_PATH, CONFIG_BUS_INTERFACE, "Generation", "Sources",
                                              NULL);
}

/* Who changes the configuration goes to the log (an audit trail; values follow, masked). The bus
 * daemon vouches for uid and pid; the command name is read from /proc/PID/comm (sd-bus only does
 * that when asked to augment), so it is best effort: the process may be gone, and under the unit
 * ProtectProc=invisible hides other users' processes from configd. */
static void log_caller(sd_bus_message *msg, const char *method, unsigned n_keys) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        const char *comm = NULL;
        uid_t uid = (uid_t) -1;
        pid_t pid = 0;

        if (sd_bus_query_sender_creds(
                    msg, SD_BUS_CREDS_EUID | SD_BUS_CREDS_PID | SD_BUS_CREDS_COMM | SD_BUS_CREDS_AUGMENT,
                    &creds) >= 0) {
                (void) sd_bus_creds_get_euid(creds, &uid);
                (void) sd_bus_creds_get_pid(creds, &pid);
                (void) sd_bus_creds_get_comm(creds, &comm);
        }
        log_info("%s of %u key(s) requested by %s (uid %d, pid %d, %s).", method, n_keys,
                 strempty(sd_bus_message_get_sender(msg)), (int) uid, (int) pid, comm ?: "command unknown");
}

/* Get and GetSecret: the key argument and its effective value. */
static int read_key_value(sd_bus_message *msg, Manager *m, sd_bus_error *error, const char **ret_key,
                          const char **ret_value) {
        _cleanup_free_ char *e = NULL;
        int r;

        r = sd_bus_message_read(msg, "s", ret_key);
        if (r < 0)
                return r;
        r = manager_get(m, *ret_key, ret_value, &e);
        if (r < 0)
                return reply_error(error, r, e);
        return 0;
}

static int method_get(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *key, *value;
        int r;

        r = read_key_value(msg, userdata, error, &key, &value);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "s", mask(key, value));
}

static int method_list(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        g_auto(GStrv) kv = NULL;
        const char *prefix;
        int r;

        r = sd_bus_message_read(msg, "s", &prefix);
        if (r < 0)
                return r;
        kv = manager_list(m, prefix);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "{ss}");
        if (r < 0)
                return r;
        for (size_t i = 0; kv[i]; i += 2) {
                r = sd_bus_message_append(reply, "{ss}", kv[i], mask(kv[i], kv[i + 1]));
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* A change is persisted already: reply first, then tell everyone. */
static int reply_and_emit_changed(sd_bus_message *msg, Manager *m, char **changed) {
        int r = sd_bus_reply_method_return(msg, NULL);
        config_bus_emit_changed(m, changed);
        return r;
}

static int method_set(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        g_autoptr(GPtrArray) kv = g_ptr_array_new_with_free_func(g_free);
        g_auto(GStrv) changed = NULL;
        _cleanup_free_ char *e = NULL;
        const char *k, *v;
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "{ss}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(msg, "{ss}", &k, &v)) > 0) {
                g_ptr_array_add(kv, g_strdup(k));
                g_ptr_array_add(kv, g_strdup(v));
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(msg);
        if (r < 0)
                return r;
        g_ptr_array_add(kv, NULL);

        log_caller(msg, "Set", (kv->len - 1) / 2);
        r = manager_set(m, (char **) kv->pdata, &changed, &e);
        if (r < 0)
                return reply_error(error, r, e);
        return reply_and_emit_changed(msg, m, changed);
}

static int method_reset(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        g_auto(GStrv) changed = NULL;
        _cleanup_free_ char *e = NULL;
        char **keys = NULL;
        int r;

        r = sd_bus_message_read_strv(msg, &keys);
        if (r < 0)
                return r;
        log_caller(msg, "Reset", keys ? g_strv_length(keys) : 0);
        r = manager_reset(m, keys, &changed, &e);
        g_strfreev(keys);
        if (r < 0)
                return reply_error(error, r, e);
        return reply_and_emit_changed(msg, m, changed);
}

int config_bus_reload(Manager *m, char **ret_error) {
        g_auto(GStrv) changed = NULL;
        int r;

        r = manager_reload(m, &changed, ret_error);
        if (r < 0)
                return r;
        config_bus_emit_changed(m, changed);
        return 0;
}

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        g_auto(GStrv) changed = NULL;
        _cleanup_free_ char *e = NULL;
        int r;

        log_caller(msg, "Reload", 0);
        r = manager_reload(m, &changed, &e);
        if (r < 0)
                return reply_error(error, r, e);
        return reply_and_emit_changed(msg, m, changed);
}

static bool uid_may_read_secrets(uid_t uid) {
        struct passwd *pw;

        if (uid == 0 || uid == geteuid())
                return true;
        pw = getpwnam("sipr");
        return pw && pw->pw_uid == uid;
}

/* Root and the service user only: the D-Bus policy says so too, this is the second lock. */
static bool sender_may_read_secrets(sd_bus_message *msg) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        uid_t uid;

        if (sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID, &creds) < 0 ||
            sd_bus_creds_get_euid(creds, &uid) < 0)
                return false;
        return uid_may_read_secrets(uid);
}

/* Who asks for a Check, from the bus daemon's view of the connection (never from /proc, whose
 * PID may belong to someone else by now). The bus reports supplementary groups but not the
 * effective group, so group membership is known only in part: configd_file_open() then asks
 * for both the group and the other bits. */
static int check_caller(sd_bus_message *msg, sd_bus_creds **ret_creds, FileCaller *ret) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        const gid_t *gids = NULL;
        uid_t uid;
        int n, r;

        r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID | SD_BUS_CREDS_SUPPLEMENTARY_GIDS, &creds);
        if (r < 0)
                return r;
        r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return r;
        n = sd_bus_creds_get_supplementary_gids(creds, &gids);
        *ret = (FileCaller) {
                .privileged = uid_may_read_secrets(uid),
                .uid = uid,
                .gids = n > 0 ? gids : NULL,
                .n_gids = n > 0 ? (size_t) n : 0,
        };
        *ret_creds = TAKE_PTR(creds);
        return 0;
}

/* Above this, the parse of a Check leaves a heap peak worth giving back at once. */
#define CHECK_TRIM_BYTES (256U * 1024U)

/* The answer of Check and CheckContents: (file, line, message) per problem; f NULL = no such file. */
static int reply_problems(sd_bus_message *msg, const char *name, SiprConfigFile **f) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        size_t size = 0;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(sus)");
        if (r < 0)
                return r;
        if (!*f)
                r = sd_bus_message_append(reply, "(sus)", name, 0, "No such file");
        for (size_t i = 0; *f && i < (*f)->n_problems && r >= 0; i++)
                r = sd_bus_message_append(reply, "(sus)", name, (*f)->problems[i].line, (*f)->problems[i].message);
        if (r >= 0 && *f && (*f)->n_problems_total > (*f)->n_problems) {
                char more[96];

                snprintf(more, sizeof(more), "… and %zu more problems", (*f)->n_problems_total - (*f)->n_problems);
                r = sd_bus_message_append(reply, "(sus)", name, 0, more);
        }
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        if (*f) {
                size = (*f)->size;
                *f = sipr_config_file_free(*f);
        }
        if (size >= CHECK_TRIM_BYTES)
                memory_trim();
        return sd_bus_send(NULL, reply, NULL);
}

static int method_check(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sipr_config_file_freep) SiprConfigFile *f = NULL;
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        _cleanup_free_ char *path = NULL, *why = NULL;
        _cleanup_close_ int fd = -1;
        Manager *m = userdata;
        FileCaller caller;
        const char *arg;
        int r = 0;

        r = sd_bus_message_read(msg, "s", &arg);
        if (r < 0)
                return r;
        if (isempty(arg))
                return sd_bus_error_set(error, SIPR_ERROR_INVALID_ARGS, "Check needs a file path.");
        /* A bare name is looked up in the config directory, where the phones' files live. */
        if (arg[0] == '/')
                path = strdup(arg);
        else if (asprintf(&path, "%s/%s", m->config_dir, arg) < 0)
                path = NULL;
        if (!path)
                return -ENOMEM;

        /* configd reads the file with its own rights: other callers than root and the service user
         * only get files they could read themselves, judged on the file actually opened. */
        r = check_caller(msg, &creds, &caller);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Cannot tell who is calling (%s), so %s is not checked.",
                                         strerror(-r), path);
        fd = configd_file_open(path, &caller, &why);
        if (fd == -EPERM)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "%s; check it as root, or a copy the caller may read, or send its contents "
                                         "with CheckContents.",
                                         why ?: "not readable by the caller");
        if (fd == -ENOMEM)
                return fd;
        r = 0;
        if (fd >= 0)
                r = sipr_config_file_load_fd(fd, path, &f);
        else if (fd != -ENOENT) {
                if (!why && asprintf(&why, "cannot open: %s", strerror(-fd)) < 0)
                        return -ENOMEM;
                r = sipr_config_file_new_problem(path, why, &f);
        }
        if (r < 0)
                return r;
        return reply_problems(msg, path, &f);
}

/* The caller sends the bytes: configd opens nothing, so any file the caller can read is checked
 * and nothing the caller names can make configd wait (a FIFO, a stalled mount). */
static int method_check_contents(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sipr_config_file_freep) SiprConfigFile *f = NULL;
        const char *name;
        const void *data = NULL;
        size_t size = 0;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        r = sd_bus_message_read_array(msg, 'y', &data, &size);
        if (r < 0)
                return r;
        if (isempty(name) || !sipr_config_text_valid(name, 4096))
                return sd_bus_error_set(error, SIPR_ERROR_INVALID_ARGS,
                                        "CheckContents needs a name for the file (used in the messages).");
        if (size > SIPR_CONFIG_FILE_MAX) {
                char why[96];

                snprintf(why, sizeof(why), "file is larger than %u KiB, the most sipr reads", SIPR_CONFIG_FILE_MAX / 1024);
                r = sipr_config_file_new_problem(name, why, &f);
        } else {
                r = sipr_config_file_parse(name, data ?: "", size, &f);
                if (r >= 0)
                        f->size = size;
        }
        if (r < 0)
                return r;
        return reply_problems(msg, name, &f);
}

/* Provision(): answered when the round that serves it ends (config_bus_provision_done). */
typedef struct ProvisionCall {
        sd_bus_message *msg;
        uint64_t round;
} ProvisionCall;

static void provision_call_free(gpointer p) {
        ProvisionCall *c = p;

        sd_bus_message_unref(c->msg);
        free(c);
}

static int method_provision(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        ProvisionCall *c;
        uint64_t round = 0;
        int r;

        log_caller(msg, "Provision", 0);
        r = provision_request(m, &round);
        if (r < 0)
                return sd_bus_error_setf(error, SIPR_ERROR_FAILED, "Provisioning is not available: %s", strerror(-r));
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *c = (ProvisionCall) { .msg = sd_bus_message_ref(msg), .round = round };
        g_ptr_array_add(m->provision_calls, c);
        return 1; /* the reply follows */
}

static void config_bus_provision_done(Manager *m, uint64_t round, int r, const char *error, char **changed) {
        sd_bus *bus = m->service.bus;

        for (guint i = 0; i < m->provision_calls->len;) {
                ProvisionCall *c = m->provision_calls->pdata[i];
                int k;

                if (c->round > round) {
                        i++;
                        continue;
                }
                if (r >= 0)
                        k = sd_bus_reply_method_return(c->msg, "s", m->provision_result);
                else
                        k = sd_bus_reply_method_errorf(c->msg, r == -EBADMSG ? SIPR_ERROR_INVALID_FILE : SIPR_ERROR_FAILED,
                                                       "%s", m->provision_result);
                if (k < 0)
                        log_debug_errno(k, "Cannot answer a Provision call: %m");
                g_ptr_array_remove_index(m->provision_calls, i);
        }
        if (bus) {
                config_bus_emit_changed(m, changed);
                (void) sd_bus_emit_properties_changed(bus, CONFIG_BUS_PATH, CONFIG_BUS_INTERFACE,
                                                      "LastProvisionResult", "LastProvisionUsec", NULL);
        }
        if (changed && changed[0])
                service_status(&m->service, "Serving generation %llu.", (unsigned long long) m->generation);
}

static int method_get_secret(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *key, *value;
        int r;

        r = read_key_value(msg, userdata, error, &key, &value);
        if (r < 0)
                return r;
        if (!sipr_config_key_is_secret(key))
                return sd_bus_error_setf(error, SIPR_ERROR_INVALID_ARGS, "%s is not a secret key; use Get.", key);
        if (!sender_may_read_secrets(msg))
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Only root and the sipr service user may read %s.", key);
        return sd_bus_reply_method_return(msg, "s", value);
}

static int property_generation(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "t", m->generation);
}

static int property_sources(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        g_auto(GStrv) s = manager_sources(m);
        return sd_bus_message_append_strv(reply, s);
}

static int property_mac(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", m->mac);
}

static int property_provision_result(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", strempty(m->provision_result));
}

static int property_provision_usec(sd_bus *bus, const char *path, const char *interface, const char *property,
                                   sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "t", m->provision_usec);
}

static const sd_bus_vtable config_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Generation", "t", property_generation, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Sources", "as", property_sources, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Mac", "s", property_mac, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("LastProvisionResult", "s", property_provision_result, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastProvisionUsec", "t", property_provision_usec, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("Get", SD_BUS_ARGS("s", key), SD_BUS_RESULT("s", value), method_get,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("List", SD_BUS_ARGS("s", prefix), SD_BUS_RESULT("a{ss}", values), method_list,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Set", SD_BUS_ARGS("a{ss}", changes), SD_BUS_NO_RESULT, method_set,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Reset", SD_BUS_ARGS("as", keys), SD_BUS_NO_RESULT, method_reset,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_reload,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Check", SD_BUS_ARGS("s", path), SD_BUS_RESULT("a(sus)", problems), method_check,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CheckContents", SD_BUS_ARGS("s", name, "ay", contents),
                                SD_BUS_RESULT("a(sus)", problems), method_check_contents, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Provision", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", result), method_provision,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetSecret", SD_BUS_ARGS("s", key), SD_BUS_RESULT("s", value), method_get_secret,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("Changed", SD_BUS_ARGS("as", keys), 0),
        SD_BUS_VTABLE_END,
};

static void config_bus_files_changed(Manager *m) {
        _cleanup_free_ char *e = NULL;

        /* As SIGHUP: a broken file is logged and the running configuration stays. */
        (void) config_bus_reload(m, &e);
}

int config_bus_export(Manager *m) {
        m->files_changed = config_bus_files_changed;
        if (!m->provision_calls)
                m->provision_calls = g_ptr_array_new_with_free_func(provision_call_free);
        m->provision_done = config_bus_provision_done;
        return sd_bus_add_object_vtable(m->service.bus, &m->bus_slot, CONFIG_BUS_PATH,
                                        CONFIG_BUS_INTERFACE, config_vtable, m);
}
