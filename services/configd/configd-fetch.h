/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* HTTP(S) downloads in the GLib main loop: libcurl's multi interface driven through its socket
 * API (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION), so a download never blocks the daemon. Each
 * download is bounded in size and time, verifies TLS servers against the system's CA store or a
 * given CA file, and can be conditional (If-None-Match / If-Modified-Since). Domain code: no
 * D-Bus, no configuration. */

#include <stdbool.h>
#include <stddef.h>

typedef struct Fetcher Fetcher;
typedef struct Fetch Fetch;

typedef struct FetchRequest {
        const char *url;                  /* http:// or https:// (a user name in it is used) */
        const char *display_url;          /* for messages: the URL without credentials */
        const char *username, *password;  /* NULL/"" = none (or the URL's) */
        const char *ca_file;              /* NULL/"" = the system's CA store */
        const char *etag, *last_modified; /* validators of the copy we hold, or NULL */
        size_t max_size;                  /* a larger body is cut off: -EFBIG */
        unsigned timeout_sec;             /* the whole download, connection included */
        const char *user_agent;
} FetchRequest;

typedef struct FetchResult {
        int error;   /* 0: an HTTP answer came (see status); <0: none (message says why) */
        long status; /* 200, 304, 404, … (0 without an answer) */
        char *data;  /* the body of a 200 (not NUL-terminated), else NULL */
        size_t size;
        char *etag, *last_modified; /* of the answer, or NULL */
        char *message; /* a sentence about a failure: "connection refused by 127.0.0.1:80", … */
} FetchResult;

typedef void (*FetchDoneFunc)(Fetch *f, FetchResult *result, void *userdata);

int fetcher_new(Fetcher **ret);
Fetcher *fetcher_free(Fetcher *fr); /* cancels every download in flight (no callbacks) */

/* Starts a download; done is called once, from the main loop, never from within this call.
 * The result belongs to the callee (fetch_result_done()). */
int fetcher_start(Fetcher *fr, const FetchRequest *req, FetchDoneFunc done, void *userdata, Fetch **ret);
void fetch_cancel(Fetch *f); /* no callback follows */

void fetch_result_done(FetchResult *r);

/* Downloads in flight (the SIGUSR1 state line). */
unsigned fetcher_count(Fetcher *fr);

/* base (the provisioning URL, a directory) joined with a file name: the URL to fetch and the
 * same without user name and password, for messages. Only http:// and https:// are accepted;
 * otherwise -EPROTONOSUPPORT/-EINVAL with a sentence in *ret_error. */
int fetch_url_join(const char *base, const char *name, char **ret_url, char **ret_display, char **ret_error);
