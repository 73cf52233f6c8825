/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <curl/curl.h>
#include <errno.h>
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "configd-fetch.h"
#include "log.h"
#include "timer.h"
#include "util.h"

/* The connection alone may not take all of a long timeout: a dead server is known sooner. */
#define CONNECT_TIMEOUT_SEC_MAX 15U
#define REDIRECTS_MAX           5L

struct Fetcher {
        CURLM *multi;
        guint timer_id;
        GPtrArray *fetches; /* Fetch* in flight */
};

struct Fetch {
        Fetcher *fr;
        CURL *easy;
        struct curl_slist *headers;
        char *display_url;
        unsigned timeout_sec;
        char *buf;
        size_t size, alloc, max;
        bool too_big;
        FetchDoneFunc done;
        void *userdata;
        char errbuf[CURL_ERROR_SIZE];
};

/* One socket curl asked us to watch. */
typedef struct SocketWatch {
        Fetcher *fr;
        curl_socket_t fd;
        guint id;
} SocketWatch;

static void fetch_free(Fetch *f) {
        if (!f)
                return;
        if (f->easy) {
                if (f->fr)
                        curl_multi_remove_handle(f->fr->multi, f->easy);
                curl_easy_cleanup(f->easy);
        }
        curl_slist_free_all(f->headers);
        free(f->display_url);
        free(f->buf);
        free(f);
}

void fetch_result_done(FetchResult *r) {
        if (!r)
                return;
        free(r->data);
        free(r->etag);
        free(r->last_modified);
        free(r->message);
        *r = (FetchResult){};
}

static char *header_value(CURL *easy, const char *name) {
        struct curl_header *h = NULL;

        /* -1: the last request of the transfer (after an authentication round or a redirect). */
        if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h || isempty(h->value))
                return NULL;
        return strdup(h->value);
}

static int result_fail(FetchResult *r, int error, const char *format, ...) _printf_(3, 4);

static int result_fail(FetchResult *r, int error, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&r->message, format, ap) < 0)
                r->message = NULL;
        va_end(ap);
        r->error = error;
        return error;
}

/* A sentence for each way a download fails, naming what to look at. */
static void result_from_curl(Fetch *f, CURLcode code, FetchResult *r) {
        const char *detail = f->errbuf[0] ? f->errbuf : curl_easy_strerror(code);

        switch (code) {
        case CURLE_OK:
                return;
        case CURLE_WRITE_ERROR:
        case CURLE_FILESIZE_EXCEEDED:
                if (f->too_big || code == CURLE_FILESIZE_EXCEEDED) {
                        result_fail(r, -EFBIG,
                                    "the answer is larger than %zu KiB, the most sipr reads; cut off",
                                    f->max / 1024);
                        return;
                }
                break;
        case CURLE_OPERATION_TIMEDOUT:
                result_fail(r, -ETIMEDOUT,
                            "no complete answer within %u s (sipr.provision.timeout); cut off: %s",
                            f->timeout_sec, detail);
                return;
        case CURLE_COULDNT_RESOLVE_HOST:
                result_fail(r, -EHOSTUNREACH, "cannot resolve the server's name: %s", detail);
                return;
        case CURLE_COULDNT_CONNECT:
                result_fail(r, -ECONNREFUSED, "cannot connect to the server: %s", detail);
                return;
        case CURLE_PEER_FAILED_VERIFICATION:
#if LIBCURL_VERSION_NUM < 0x073e00
        case CURLE_SSL_CACERT:
#endif
                result_fail(r, -EPERM, "the server's TLS certificate is not trusted (refused): %s", detail);
                return;
        case CURLE_SSL_CACERT_BADFILE:
                result_fail(r, -ENOENT, "cannot read the CA file (sipr.provision.ca_file): %s", detail);
                return;
        case CURLE_SSL_CONNECT_ERROR:
                result_fail(r, -EPROTO, "TLS handshake with the server failed: %s", detail);
                return;
        case CURLE_UNSUPPORTED_PROTOCOL:
                result_fail(r, -EPROTONOSUPPORT,
                            "unsupported protocol (sipr fetches over http and https only): %s", detail);
                return;
        case CURLE_TOO_MANY_REDIRECTS:
                result_fail(r, -ELOOP, "more than %ld redirects", REDIRECTS_MAX);
                return;
        default:
                break;
        }
        result_fail(r, -EIO, "download failed: %s", detail);
}

static void fetch_finish(Fetch *f, CURLcode code) {
        FetchResult r = {};
        long status = 0;

        (void) curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &status);
        if (code != CURLE_OK)
                result_from_curl(f, code, &r);
        else {
                r.status = status;
                r.etag = header_value(f->easy, "ETag");
                r.last_modified = header_value(f->easy, "Last-Modified");
                if (status == 200) {
                        r.data = f->buf ? TAKE_PTR(f->buf) : strdup("");
                        r.size = f->size;
                        if (!r.data)
                                result_fail(&r, -ENOMEM, "out of memory");
                }
        }
        log_debug("GET %s: %s, status %ld, %zu bytes.", f->display_url, code == CURLE_OK ? "done" : "failed",
                  status, f->size);
        g_ptr_array_remove(f->fr->fetches, f);
        f->done(f, &r, f->userdata);
        fetch_result_done(&r);
        fetch_free(f);
}

/* Hands every finished transfer to its owner. Outside curl's callbacks, as curl wants. */
static void fetcher_check_done(Fetcher *fr) {
        CURLMsg *msg;
        int left;

        while ((msg = curl_multi_info_read(fr->multi, &left))) {
                Fetch *f = NULL;

                if (msg->msg != CURLMSG_DONE)
                        continue;
                (void) curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &f);
                if (f)
                        fetch_finish(f, msg->data.result);
        }
}

static void fetcher_action(Fetcher *fr, curl_socket_t fd, int mask) {
        int running = 0;
        CURLMcode rc;

        rc = curl_multi_socket_action(fr->multi, fd, mask, &running);
        if (rc != CURLM_OK)
                log_warning("curl_multi_socket_action: %s", curl_multi_strerror(rc));
        fetcher_check_done(fr);
}

static gboolean on_socket(gint fd, GIOCondition cond, gpointer userdata) {
        SocketWatch *w = userdata;
        Fetcher *fr = w->fr;
        int mask = 0;

        if (cond & (G_IO_IN | G_IO_HUP))
                mask |= CURL_CSELECT_IN;
        if (cond & G_IO_OUT)
                mask |= CURL_CSELECT_OUT;
        if (cond & G_IO_ERR)
                mask |= CURL_CSELECT_ERR;
        /* w may be gone after this: curl removes or changes watches from inside. */
        fetcher_action(fr, fd, mask);
        return G_SOURCE_CONTINUE;
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userdata, void *socketp) {
        Fetcher *fr = userdata;
        SocketWatch *w = socketp;
        GIOCondition cond = 0;

        if (w && w->id > 0) {
                g_source_remove(w->id);
                w->id = 0;
        }
        if (what == CURL_POLL_REMOVE) {
                free(w);
                curl_multi_assign(fr->multi, fd, NULL);
                return 0;
        }
        if (!w) {
                w = calloc(1, sizeof(*w));
                if (!w)
                        return -1;
                *w = (SocketWatch){.fr = fr, .fd = fd};
                curl_multi_assign(fr->multi, fd, w);
        }
        if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
                cond |= G_IO_IN | G_IO_HUP | G_IO_ERR;
        if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
                cond |= G_IO_OUT | G_IO_ERR;
        w->id = g_unix_fd_add(fd, cond, on_socket, w);
        return 0;
}

static gboolean on_timer(gpointer userdata) {
        Fetcher *fr = userdata;

        /* Cleared first: curl arms the next timer from inside the action. */
        fr->timer_id = 0;
        fetcher_action(fr, CURL_SOCKET_TIMEOUT, 0);
        return G_SOURCE_REMOVE;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userdata) {
        Fetcher *fr = userdata;

        if (fr->timer_id > 0) {
                g_source_remove(fr->timer_id);
                fr->timer_id = 0;
        }
        if (timeout_ms >= 0)
                fr->timer_id = timer_add_msec((guint) MIN(timeout_ms, (long) G_MAXINT), on_timer, fr);
        return 0;
}

int fetcher_new(Fetcher **ret) {
        Fetcher *fr;

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return -EIO;
        fr = calloc(1, sizeof(*fr));
        if (!fr)
                return -ENOMEM;
        fr->multi = curl_multi_init();
        fr->fetches = g_ptr_array_new();
        if (!fr->multi) {
                fetcher_free(fr);
                return -ENOMEM;
        }
        curl_multi_setopt(fr->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
        curl_multi_setopt(fr->multi, CURLMOPT_SOCKETDATA, fr);
        curl_multi_setopt(fr->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
        curl_multi_setopt(fr->multi, CURLMOPT_TIMERDATA, fr);
        *ret = fr;
        return 0;
}

Fetcher *fetcher_free(Fetcher *fr) {
        if (!fr)
                return NULL;
        while (fr->fetches && fr->fetches->len > 0)
                fetch_cancel(fr->fetches->pdata[0]);
        if (fr->timer_id > 0)
                g_source_remove(fr->timer_id);
        if (fr->multi)
                curl_multi_cleanup(fr->multi); /* after the last easy handle: removes the sockets */
        if (fr->fetches)
                g_ptr_array_free(fr->fetches, TRUE);
        free(fr);
        curl_global_cleanup();
        return NULL;
}

void fetch_cancel(Fetch *f) {
        if (!f)
                return;
        g_ptr_array_remove(f->fr->fetches, f);
        fetch_free(f);
}

unsigned fetcher_count(Fetcher *fr) {
        return fr ? fr->fetches->len : 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata) {
        Fetch *f = userdata;
        size_t n = size * nmemb;

        if (n > f->max - f->size) {
                /* Endless or huge: stop reading now, whatever Content-Length said. */
                f->too_big = true;
                return 0;
        }
        if (f->size + n > f->alloc) {
                size_t a = MAX(f->alloc * 2, (size_t) 16384);
                char *p;

                while (a < f->size + n)
                        a *= 2;
                a = MIN(a, f->max);
                p = realloc(f->buf, a);
                if (!p)
                        return 0;
                f->buf = p;
                f->alloc = a;
        }
        memcpy(f->buf + f->size, data, n);
        f->size += n;
        return n;
}

static int add_header(Fetch *f, const char *name, const char *value) {
        _cleanup_free_ char *line = NULL;
        struct curl_slist *l;

        if (isempty(value))
                return 0;
        /* A validator is echoed as received; a line break in it would inject headers. */
        if (strpbrk(value, "\r\n"))
                return 0;
        if (asprintf(&line, "%s: %s", name, value) < 0)
                return -ENOMEM;
        l = curl_slist_append(f->headers, line);
        if (!l)
                return -ENOMEM;
        f->headers = l;
        return 0;
}

int fetcher_start(Fetcher *fr, const FetchRequest *req, FetchDoneFunc done, void *userdata, Fetch **ret) {
        Fetch *f;
        bool https = g_ascii_strncasecmp(req->url, "https://", 8) == 0;
        int r;

        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        *f = (Fetch){
                .fr = NULL, /* not in the multi handle yet */
                .easy = curl_easy_init(),
                .display_url = strdup(strempty(req->display_url)),
                .timeout_sec = req->timeout_sec,
                .max = req->max_size,
                .done = done,
                .userdata = userdata,
        };
        if (!f->easy || !f->display_url) {
                fetch_free(f);
                return -ENOMEM;
        }
        r = add_header(f, "If-None-Match", req->etag);
        if (r >= 0)
                r = add_header(f, "If-Modified-Since", req->last_modified);
        if (r < 0) {
                fetch_free(f);
                return r;
        }

        curl_easy_setopt(f->easy, CURLOPT_URL, req->url);
        curl_easy_setopt(f->easy, CURLOPT_PRIVATE, f);
        curl_easy_setopt(f->easy, CURLOPT_ERRORBUFFER, f->errbuf);
        curl_easy_setopt(f->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(f->easy, CURLOPT_PROTOCOLS_STR, "http,https");
        /* An https server may not send us on to plain http. */
        curl_easy_setopt(f->easy, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
        curl_easy_setopt(f->easy, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(f->easy, CURLOPT_MAXREDIRS, REDIRECTS_MAX);
        curl_easy_setopt(f->easy, CURLOPT_TIMEOUT, (long) req->timeout_sec);
        curl_easy_setopt(f->easy, CURLOPT_CONNECTTIMEOUT,
                         (long) MIN(req->timeout_sec, CONNECT_TIMEOUT_SEC_MAX));
        curl_easy_setopt(f->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) req->max_size);
        curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(f->easy, CURLOPT_WRITEDATA, f);
        curl_easy_setopt(f->easy, CURLOPT_HTTPHEADER, f->headers);
        curl_easy_setopt(f->easy, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(f->easy, CURLOPT_SSL_VERIFYHOST, 2L);
        if (!isempty(req->ca_file))
                curl_easy_setopt(f->easy, CURLOPT_CAINFO, req->ca_file);
        if (!isempty(req->user_agent))
                curl_easy_setopt(f->easy, CURLOPT_USERAGENT, req->user_agent);
        if (!isempty(req->username) || !isempty(req->password)) {
                /* Digest when the server offers it, else basic (which only https keeps secret). */
                curl_easy_setopt(f->easy, CURLOPT_HTTPAUTH, (long) (CURLAUTH_BASIC | CURLAUTH_DIGEST));
                if (!isempty(req->username))
                        curl_easy_setopt(f->easy, CURLOPT_USERNAME, req->username);
                curl_easy_setopt(f->easy, CURLOPT_PASSWORD, strempty(req->password));
        }

        f->fr = fr;
        g_ptr_array_add(fr->fetches, f);
        if (curl_multi_add_handle(fr->multi, f->easy) != CURLM_OK) {
                g_ptr_array_remove(fr->fetches, f);
                f->fr = NULL;
                fetch_free(f);
                return -EIO;
        }
        if (ret)
                *ret = f;
        return 0;
}

int fetch_url_join(const char *base, const char *name, char **ret_url, char **ret_display,
                   char **ret_error) {
        _cleanup_free_ char *path_new = NULL;
        char *scheme = NULL, *path = NULL, *url = NULL, *display = NULL;
        CURLU *u;
        CURLUcode rc;
        int r = 0;

        *ret_error = NULL;
        u = curl_url();
        if (!u)
                return -ENOMEM;
        rc = curl_url_set(u, CURLUPART_URL, base, CURLU_NON_SUPPORT_SCHEME);
        if (rc != CURLUE_OK) {
                r = -EINVAL;
                if (asprintf(ret_error, "static.auto_provision.server.url is not a URL sipr can use: %s",
                             curl_url_strerror(rc)) < 0)
                        *ret_error = NULL;
                goto finish;
        }
        if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            (g_ascii_strcasecmp(scheme, "http") != 0 && g_ascii_strcasecmp(scheme, "https") != 0)) {
                r = -EPROTONOSUPPORT;
                if (asprintf(ret_error,
                             "static.auto_provision.server.url: %s:// is not supported; sipr fetches over "
                             "http:// "
                             "and https:// only",
                             strempty(scheme)) < 0)
                        *ret_error = NULL;
                goto finish;
        }
        /* The URL names the directory that holds the files, as on the phones. */
        if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
                path = NULL;
        if (asprintf(&path_new, "%s%s%s", strempty(path), g_str_has_suffix(strempty(path), "/") ? "" : "/",
                     name) < 0) {
                r = -ENOMEM;
                goto finish;
        }
        if (curl_url_set(u, CURLUPART_PATH, path_new, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
                r = -ENOMEM;
                goto finish;
        }
        (void) curl_url_set(u, CURLUPART_USER, NULL, 0);
        (void) curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
        if (curl_url_get(u, CURLUPART_URL, &display, 0) != CURLUE_OK) {
                r = -ENOMEM;
                goto finish;
        }
        *ret_url = strdup(url);
        *ret_display = strdup(display);
        if (!*ret_url || !*ret_display) {
                free(*ret_url);
                free(*ret_display);
                r = -ENOMEM;
        }
finish:
        curl_free(scheme);
        curl_free(path);
        curl_free(url);
        curl_free(display);
        curl_url_cleanup(u);
        return r;
}
