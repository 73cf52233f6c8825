/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-parser.h"
#include "config-schema.h"
#include "configd-fetch.h"
#include "configd-provision.h"
#include "log.h"
#include "timer.h"
#include "util.h"

#define PROVISION_FILES_MAX 2
#define META_MAX            8192
#define META_SUFFIX         ".meta"

/* One file of a round: what we hold of it, what the server answered. */
typedef struct ProvisionFile {
        char name[32]; /* "y000000000000.cfg", "<mac>.cfg" */
        int layer;
        bool optional; /* the device file: a 404 means the server has none for us */
        char *url, *display_url;
        char *stored_path, *meta_path;
        char *stored; /* the copy in the state directory, if any */
        size_t stored_size;
        char *meta; /* its validators as stored ("url …\netag …\n…"), if they belong to it */
        char *etag, *last_modified;
        Fetch *fetch;
        FetchResult result;
        SiprConfigFile *parsed; /* a 200 that parsed without problems */
} ProvisionFile;

struct Provision {
        Manager *m;
        Fetcher *fetcher;
        ProvisionFile file[PROVISION_FILES_MAX];
        size_t n_files, n_pending;
        bool running, again;
        uint64_t round;    /* the round running, or the last one */
        char *early_error; /* a round that ended before any download (no URL…) */
        guint early_id;
        char *base_display; /* the server, for messages */
        guint repeat_id;
        bool repeat_armed;
        uint32_t repeat_minutes;
};

static const char *effective_get(const char *key, void *userdata) {
        Manager *m = userdata;
        return g_hash_table_lookup(m->effective, key);
}

static int provision_config(Manager *m, SiprProvisionConfig *ret) {
        return sipr_provision_config_load(ret, effective_get, m);
}

static void file_reset(ProvisionFile *f) {
        fetch_cancel(f->fetch);
        fetch_result_done(&f->result);
        sipr_config_file_free(f->parsed);
        free(f->url);
        free(f->display_url);
        free(f->stored_path);
        free(f->meta_path);
        free(f->stored);
        free(f->meta);
        free(f->etag);
        free(f->last_modified);
        *f = (ProvisionFile){};
}

static void round_reset(Provision *p) {
        for (size_t i = 0; i < p->n_files; i++)
                file_reset(&p->file[i]);
        p->n_files = p->n_pending = 0;
        g_clear_pointer(&p->early_error, free);
        g_clear_pointer(&p->base_display, free);
        if (p->early_id > 0) {
                g_source_remove(p->early_id);
                p->early_id = 0;
        }
}

static char *path_join(const char *dir, const char *name) {
        char *s = NULL;
        return asprintf(&s, "%s/%s", dir, name) < 0 ? NULL : s;
}

static char *sha256_hex(const char *data, size_t size) {
        return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *) data, size);
}

/* "url U\netag E\nlast-modified L\nsha256 H\n": the validators that go with a stored file. */
static char *meta_format(const char *url, const char *etag, const char *last_modified, const char *data,
                         size_t size) {
        g_autofree char *sum = sha256_hex(data, size);
        char *s = NULL;

        if (asprintf(&s, "url %s\netag %s\nlast-modified %s\nsha256 %s\n", url, strempty(etag),
                     strempty(last_modified), sum) < 0)
                return NULL;
        return s;
}

static char *meta_field(const char *meta, const char *name) {
        g_auto(GStrv) lines = g_strsplit(meta, "\n", -1);
        size_t n = strlen(name);

        for (char **l = lines; *l; l++)
                if (strneq(*l, name, n) && (*l)[n] == ' ' && (*l)[n + 1])
                        return strdup(*l + n + 1);
        return NULL;
}

/* The stored copy, and its validators when they are its own (same URL, same bytes): only a
 * copy that is in effect is worth a 304. */
static void file_load_stored(Provision *p, ProvisionFile *f) {
        _cleanup_free_ char *meta = NULL, *url = NULL, *sum = NULL;
        g_autofree char *actual = NULL;
        size_t size = 0;

        if (read_file_full(f->stored_path, SIPR_CONFIG_FILE_MAX, &f->stored, &f->stored_size) < 0) {
                f->stored = NULL;
                f->stored_size = 0;
                return;
        }
        if (!p->m->layer[f->layer] || read_file_full(f->meta_path, META_MAX, &meta, &size) < 0)
                return;
        /* read_file_full() ends it with a NUL. */
        url = meta_field(meta, "url");
        sum = meta_field(meta, "sha256");
        actual = sha256_hex(f->stored, f->stored_size);
        if (!url || !sum || !streq(url, f->display_url) || !streq(sum, actual))
                return;
        f->etag = meta_field(meta, "etag");
        f->last_modified = meta_field(meta, "last-modified");
        f->meta = TAKE_PTR(meta);
}

static void round_finish(Provision *p);

static gboolean on_early(gpointer userdata) {
        Provision *p = userdata;

        p->early_id = 0;
        round_finish(p);
        return G_SOURCE_REMOVE;
}

static void round_fail_early(Provision *p, char *error) {
        p->early_error = error ?: strdup("out of memory");
        p->early_id = timer_add_idle(on_early, p);
}

static void on_file_done(Fetch *fetch, FetchResult *result, void *userdata);

static void round_start(Provision *p) {
        Manager *m = p->m;
        SiprProvisionConfig cfg = {};
        char *error = NULL;
        int r;

        round_reset(p);
        p->running = true;
        p->again = false;
        p->round++;

        r = provision_config(m, &cfg);
        if (r < 0) {
                round_fail_early(p, NULL);
                return;
        }
        if (isempty(cfg.url)) {
                sipr_provision_config_done(&cfg);
                round_fail_early(
                        p, strdup("no provisioning server: static.auto_provision.server.url is empty"));
                return;
        }
        {
                _cleanup_free_ char *u = NULL;

                r = fetch_url_join(cfg.url, "", &u, &p->base_display, &error);
        }
        if (r < 0) {
                sipr_provision_config_done(&cfg);
                round_fail_early(p, error);
                return;
        }

        snprintf(p->file[0].name, sizeof(p->file[0].name), "%s", COMMON_FILE);
        p->file[0].layer = LAYER_PROV_COMMON;
        p->n_files = 1;
        if (!isempty(m->mac)) {
                snprintf(p->file[1].name, sizeof(p->file[1].name), "%s.cfg", m->mac);
                p->file[1].layer = LAYER_PROV_DEVICE;
                p->file[1].optional = true;
                p->n_files = 2;
        }
        log_info("Provisioning from %s (round %" G_GUINT64_FORMAT ").", p->base_display, p->round);

        for (size_t i = 0; i < p->n_files; i++) {
                ProvisionFile *f = &p->file[i];
                FetchRequest req;

                r = fetch_url_join(cfg.url, f->name, &f->url, &f->display_url, &error);
                if (r < 0)
                        break;
                f->stored_path = path_join(m->provision_dir, f->name);
                if (f->stored_path && asprintf(&f->meta_path, "%s%s", f->stored_path, META_SUFFIX) < 0)
                        f->meta_path = NULL;
                if (!f->stored_path || !f->meta_path) {
                        r = -ENOMEM;
                        break;
                }
                file_load_stored(p, f);
                req = (FetchRequest){
                        .url = f->url,
                        .display_url = f->display_url,
                        .username = cfg.username,
                        .password = cfg.password,
                        .ca_file = cfg.ca_file,
                        .etag = f->etag,
                        .last_modified = f->last_modified,
                        .max_size = SIPR_CONFIG_FILE_MAX,
                        .timeout_sec = cfg.timeout_sec,
                        .user_agent = "sipr-configd/" SIPR_VERSION,
                };
                r = fetcher_start(p->fetcher, &req, on_file_done, p, &f->fetch);
                if (r < 0)
                        break;
                p->n_pending++;
        }
        sipr_provision_config_done(&cfg);
        if (r < 0) {
                /* Nothing of this round is used: stop what started, end it from the loop. */
                for (size_t i = 0; i < p->n_files; i++) {
                        fetch_cancel(p->file[i].fetch);
                        p->file[i].fetch = NULL;
                }
                p->n_pending = 0;
                if (!error && asprintf(&error, "cannot start the download: %s", strerror(-r)) < 0)
                        error = NULL;
                round_fail_early(p, error);
        }
}

static void on_file_done(Fetch *fetch, FetchResult *result, void *userdata) {
        Provision *p = userdata;

        for (size_t i = 0; i < p->n_files; i++)
                if (p->file[i].fetch == fetch) {
                        p->file[i].fetch = NULL;
                        p->file[i].result = *result;
                        *result = (FetchResult){}; /* ours now */
                        p->n_pending--;
                }
        if (p->n_pending == 0)
                round_finish(p);
}

/* What a file's answer means, or a sentence why the round fails. */
typedef enum FileOutcome {
        FILE_FAILED,
        FILE_REFUSED,
        FILE_NEW,    /* new content, parsed whole without problems */
        FILE_SAME,   /* what is in effect (304, or the same bytes) */
        FILE_ABSENT, /* 404 of an optional file */
} FileOutcome;

static FileOutcome file_judge(Provision *p, ProvisionFile *f, bool have_credentials, char **ret_error) {
        FetchResult *res = &f->result;
        int r;

        *ret_error = NULL;
        if (res->error < 0) {
                if (asprintf(ret_error, "%s: %s", f->display_url, strempty(res->message)) < 0)
                        *ret_error = NULL;
                return FILE_FAILED;
        }
        switch (res->status) {
        case 200:
                if (f->stored && p->m->layer[f->layer] && f->stored_size == res->size &&
                    memcmp(f->stored, res->data, res->size) == 0)
                        return FILE_SAME;
                r = sipr_config_file_parse(f->display_url, res->data, res->size, &f->parsed);
                if (r < 0) {
                        *ret_error = strdup("out of memory");
                        return FILE_FAILED;
                }
                if (f->parsed->n_problems_total > 0) {
                        *ret_error = sipr_config_file_error(f->parsed);
                        return FILE_REFUSED;
                }
                return FILE_NEW;
        case 304:
                if (f->stored && p->m->layer[f->layer])
                        return FILE_SAME;
                r = asprintf(ret_error, "%s: HTTP 304 Not Modified, but sipr holds no copy of it",
                             f->display_url);
                break;
        case 401:
        case 407:
                r = asprintf(ret_error,
                             have_credentials
                                     ? "%s: the server refused the user name and password (HTTP %ld)"
                                     : "%s: the server asks for a user name and password (HTTP %ld); set "
                                       "static.auto_provision.server.username and .password",
                             f->display_url, res->status);
                break;
        case 404:
                if (f->optional)
                        return FILE_ABSENT;
                r = asprintf(ret_error, "%s: not found on the server (HTTP 404)", f->display_url);
                break;
        default:
                r = asprintf(ret_error, "%s: the server answered HTTP %ld", f->display_url, res->status);
                break;
        }
        if (r < 0)
                *ret_error = NULL;
        return FILE_FAILED;
}

/* The validators that go with what we keep of f after this round ("" = none to keep). */
static char *file_meta_next(ProvisionFile *f, FileOutcome o) {
        const char *etag = f->result.etag ?: (o == FILE_SAME ? f->etag : NULL);
        const char *lm = f->result.last_modified ?: (o == FILE_SAME ? f->last_modified : NULL);

        if (o == FILE_NEW)
                return meta_format(f->display_url, etag, lm, f->result.data, f->result.size);
        if (o == FILE_SAME)
                return meta_format(f->display_url, etag, lm, f->stored, f->stored_size);
        return strdup("");
}

static int file_store(Manager *m, ProvisionFile *f, FileOutcome o, char **ret_error) {
        _cleanup_free_ char *meta = file_meta_next(f, o);
        int r = 0;

        if (!meta)
                return -ENOMEM;
        if (o == FILE_ABSENT) {
                if (unlink(f->stored_path) < 0 && errno != ENOENT)
                        r = -errno;
                (void) unlink(f->meta_path);
        } else {
                if (mkdir(m->provision_dir, 0700) < 0 && errno != EEXIST)
                        r = -errno;
                if (r >= 0 && o == FILE_NEW)
                        r = write_file_atomic(f->stored_path, f->result.data, f->result.size, 0600);
                /* A 304 round writes nothing unless the validators moved. */
                if (r >= 0 && !streq(meta, strempty(f->meta)))
                        r = write_file_atomic(f->meta_path, meta, strlen(meta), 0600);
        }
        if (r < 0 && asprintf(ret_error, "cannot save %s: %s", f->stored_path, strerror(-r)) < 0)
                *ret_error = NULL;
        return r;
}

static void provision_schedule(Provision *p, bool restart);

static void round_finish(Provision *p) {
        Manager *m = p->m;
        SiprProvisionConfig cfg = {};
        FileOutcome outcome[PROVISION_FILES_MAX] = {};
        SiprConfigFile *layers[_LAYER_MAX] = {};
        bool replace[_LAYER_MAX] = {};
        g_auto(GStrv) changed = NULL;
        _cleanup_free_ char *error = NULL, *result = NULL;
        bool have_credentials, refused = false, any_change = false;
        int r = 0;

        if (p->early_error) {
                error = TAKE_PTR(p->early_error);
                r = -EINVAL;
                goto done;
        }
        (void) provision_config(m, &cfg);
        have_credentials =
                !isempty(cfg.username) || !isempty(cfg.password) || (cfg.url && strchr(cfg.url, '@'));
        sipr_provision_config_done(&cfg);

        /* All or nothing: the first file that failed or was refused decides. */
        for (size_t i = 0; i < p->n_files && r == 0; i++) {
                _cleanup_free_ char *e = NULL;

                outcome[i] = file_judge(p, &p->file[i], have_credentials, &e);
                if (outcome[i] == FILE_FAILED || outcome[i] == FILE_REFUSED) {
                        refused = outcome[i] == FILE_REFUSED;
                        error = TAKE_PTR(e);
                        if (!error)
                                error = strdup("out of memory");
                        r = refused ? -EBADMSG : -EIO;
                        if (refused)
                                for (size_t k = 1; k < p->file[i].parsed->n_problems; k++) {
                                        _cleanup_free_ char *s =
                                                sipr_config_problem_format(p->file[i].parsed, k);
                                        log_error("%s", strempty(s));
                                }
                }
        }
        if (r < 0)
                goto done;

        for (size_t i = 0; i < p->n_files && r == 0; i++) {
                ProvisionFile *f = &p->file[i];

                if (outcome[i] == FILE_ABSENT && !f->stored && !m->layer[f->layer])
                        continue; /* had none, has none */
                r = file_store(m, f, outcome[i], &error);
                if (r < 0)
                        break;
                if (outcome[i] == FILE_NEW) {
                        /* In effect under its stored name: Sources shows the state directory. */
                        free(f->parsed->name);
                        f->parsed->name = strdup(f->stored_path);
                        if (!f->parsed->name) {
                                r = -ENOMEM;
                                break;
                        }
                        layers[f->layer] = TAKE_PTR(f->parsed);
                        replace[f->layer] = true;
                        any_change = true;
                } else if (outcome[i] == FILE_ABSENT) {
                        replace[f->layer] = true;
                        any_change = true;
                }
        }
        if (r < 0) {
                if (!error)
                        error = strdup(strerror(-r));
                r = -EIO;
                goto done;
        }
        if (any_change) {
                r = manager_replace_layers(m, layers, replace, "Provisioned", &changed);
                if (r < 0) {
                        error = strdup("out of memory");
                        goto done;
                }
                if (asprintf(&result, "applied: %u key%s changed, from %s", g_strv_length(changed),
                             g_strv_length(changed) == 1 ? "" : "s", p->base_display) < 0)
                        result = NULL;
        } else if (asprintf(&result, "unchanged: the files on %s are those in effect", p->base_display) < 0)
                result = NULL;

done:
        for (int i = 0; i < _LAYER_MAX; i++)
                sipr_config_file_free(layers[i]);
        if (r < 0) {
                free(result);
                if (asprintf(&result, "%s: %s; the configuration in effect stays",
                             refused ? "refused" : "failed", strempty(error)) < 0)
                        result = NULL;
                if (refused)
                        log_error("Provisioning refused a file, the configuration in effect stays: %s",
                                  strempty(error));
                else
                        log_warning("Provisioning failed, the configuration in effect stays: %s",
                                    strempty(error));
        } else
                log_info("Provisioning %s", strempty(result));
        free(m->provision_result);
        m->provision_result = result ? TAKE_PTR(result) : strdup("failed: out of memory");
        m->provision_usec = now_usec(CLOCK_REALTIME);

        p->running = false;
        round_reset(p);
        /* A round may have held up to two files of 6 MiB: give the peak back. */
        memory_trim();
        if (m->provision_done)
                m->provision_done(m, p->round, r, error, changed);
        if (p->again)
                round_start(p);
        else
                provision_schedule(p, true);
}

static gboolean on_repeat(gpointer userdata) {
        Provision *p = userdata;

        p->repeat_id = 0;
        p->repeat_armed = false;
        log_debug("Periodic provisioning.");
        (void) provision_request(p->m, NULL);
        return G_SOURCE_REMOVE;
}

/* The periodic fetch follows the keys; restart = count the period from now. */
static void provision_schedule(Provision *p, bool restart) {
        SiprProvisionConfig cfg = {};
        bool want;

        if (provision_config(p->m, &cfg) < 0)
                return;
        want = !isempty(cfg.url) && cfg.repeat_enable;
        if (!restart && want == p->repeat_armed && (!want || cfg.repeat_minutes == p->repeat_minutes)) {
                sipr_provision_config_done(&cfg);
                return;
        }
        if (p->repeat_id > 0) {
                g_source_remove(p->repeat_id);
                p->repeat_id = 0;
        }
        p->repeat_armed = want;
        p->repeat_minutes = cfg.repeat_minutes;
        /* A round in flight re-arms it when it ends. */
        if (want && !p->running)
                p->repeat_id = timer_add_seconds(cfg.repeat_minutes * 60U, on_repeat, p);
        sipr_provision_config_done(&cfg);
}

int provision_request(Manager *m, uint64_t *ret_round) {
        Provision *p = m->provision;

        if (!p)
                return -ENODEV;
        /* A round in flight may have asked the server before the caller's change: the caller is
         * answered by the one after it. */
        if (p->running)
                p->again = true;
        else
                round_start(p);
        if (ret_round)
                *ret_round = p->running && p->again ? p->round + 1 : p->round;
        return 0;
}

void provision_config_changed(Manager *m) {
        if (m->provision)
                provision_schedule(m->provision, false);
}

int provision_init(Manager *m) {
        SiprProvisionConfig cfg = {};
        Provision *p;
        int r;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->m = m;
        r = fetcher_new(&p->fetcher);
        if (r < 0) {
                free(p);
                return r;
        }
        m->provision = p;
        r = provision_config(m, &cfg);
        if (r < 0)
                return r;
        if (!isempty(cfg.url) && cfg.power_on)
                round_start(p);
        else {
                if (!isempty(cfg.url))
                        log_info("Not provisioning at start (static.auto_provision.power_on = 0).");
                provision_schedule(p, true);
        }
        sipr_provision_config_done(&cfg);
        return 0;
}

void provision_free(Manager *m) {
        Provision *p = m->provision;

        if (!p)
                return;
        round_reset(p);
        if (p->repeat_id > 0)
                g_source_remove(p->repeat_id);
        fetcher_free(p->fetcher);
        free(p);
        m->provision = NULL;
}

unsigned provision_fetches(Manager *m) {
        return m->provision ? fetcher_count(m->provision->fetcher) : 0;
}

void provision_remove_stale_temps(Manager *m) {
        g_autoptr(GDir) d = g_dir_open(m->provision_dir, 0, NULL);
        const char *name;

        if (!d)
                return;
        /* write_file_atomic() leaves "NAME.XXXXXX" behind when we are killed mid-write. */
        while ((name = g_dir_read_name(d))) {
                const char *dot = strrchr(name, '.');
                _cleanup_free_ char *path = NULL;

                if (!dot || strlen(dot + 1) != 6 || g_str_has_suffix(name, ".cfg") ||
                    g_str_has_suffix(name, META_SUFFIX))
                        continue;
                if (!strstr(name, ".cfg."))
                        continue;
                path = path_join(m->provision_dir, name);
                if (path && unlink(path) >= 0)
                        log_info("Removed %s, left over from an interrupted write.", path);
        }
}
